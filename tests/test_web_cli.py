"""`rok serve` as people start it: the first run creates an admin and prints its one-time
password and the address; the pages and the API answer; Ctrl-C (SIGINT) stops it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.mirror


def test_serve_prints_address_and_one_time_password(mirror_db: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "from rok.cli.main import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port), "--db", str(mirror_db),
                             "--workspace", str(tmp_path / "ws.sqlite")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        second = proc.stdout.readline()  # type: ignore[union-attr]
        password = re.search(r"one-time password (\S+)", first)
        assert password, first
        assert f"http://127.0.0.1:{port}/" in second
        deadline = time.monotonic() + 120
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/regions?limit=1", timeout=120)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert r.status_code == 200 and r.json()["total"] > 300
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        signed = httpx.post(f"http://127.0.0.1:{port}/login", cookies=login.cookies,
                            data={"email": "admin@localhost.localdomain", "password": password.group(1),
                                  "csrf": token})
        assert signed.status_code == 303
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    again = subprocess.run([sys.executable, "-c", code, "serve", "--port", "1", "--db", str(tmp_path / "none.duckdb")],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "rok ingest mirror" in again.stderr
