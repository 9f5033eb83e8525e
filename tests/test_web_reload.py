"""Data while serving: loads run while clients read; the server picks up the new warehouse
without a restart and never blocks or reads a half-written one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.mirror, pytest.mark.slow]

_FILE = "eurostat/eurostat_tgs00042_gerd_rd_expenditure.csv"


def _ingest(db: Path, path: Path) -> subprocess.CompletedProcess:
    code = "from rok.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, "ingest", "eurostat", str(path), "--force", "--db", str(db)],
                          capture_output=True, text=True, timeout=600, env={**os.environ})


def test_ingest_while_clients_read(mirror_db: Path, mirror: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from rok.web.app import create_app

    live = tmp_path / "rok.duckdb"
    shutil.copy(mirror_db, live)
    app = create_app(live, tmp_path / "workspace.sqlite", warm=False, settle=0.5)
    state = app.state.data
    state.check_every = 0.2
    first = state.get()
    expected = TestClient(app).get("/api/v1/regions/DE21").json()  # computes the first version
    statuses: list[int] = []
    answers: list[dict] = []
    stop = threading.Event()

    def read() -> None:
        client = TestClient(app, raise_server_exceptions=False)
        while not stop.is_set():
            r = client.get("/api/v1/regions/DE21")
            statuses.append(r.status_code)
            if r.status_code == 200:
                answers.append(r.json())
            time.sleep(0.02)  # a steady stream of reads that leaves the analyses of a new version CPU

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        # 1. a load into the live file, in place, while the server reads
        in_place = _ingest(live, mirror / _FILE)
        assert in_place.returncode == 0, in_place.stderr
        # 2. a warehouse built beside and swapped in by an atomic rename
        beside = tmp_path / "rok.new.duckdb"
        shutil.copy(live, beside)
        built = _ingest(beside, mirror / _FILE)
        assert built.returncode == 0, built.stderr
        os.replace(beside, live)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and state.current.loads <= first.loads + 1:
            time.sleep(0.5)
    finally:
        stop.set()
        for t in readers:
            t.join()
        state.close()
    assert state.current.loads >= first.loads + 2  # both new loads are served, without a restart
    assert state.current.key != first.key and state.swaps >= 1
    assert len(statuses) > 20 and set(statuses) == {200}
    # the same data loaded again: every answer, old version or new, is whole and the same
    assert all(a["index"] == pytest.approx(expected["index"]) and a["name"] == "Oberbayern" for a in answers)
