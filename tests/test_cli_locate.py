"""``rok locate --unplaced/--set``, ``rok status`` figures and ``--framework`` through the CLI runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rok.cli.main import app

runner = CliRunner()


def rok(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def db(mirror_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(mirror_db, path)
    return path


def test_unplaced_and_manual_placement(db):
    result = rok("locate", "--unplaced", "--top", "30", "--db", db)
    assert result.exit_code == 0, result.output
    assert "999994729" in result.stdout
    bad = rok("locate", "--set", "999994729", "FR101", "--why", "campus", "--db", db)
    assert bad.exit_code == 1 and "lies in FR, organisation 999994729 in DE" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.output
    missing = rok("locate", "--set", "999994729", "ZZ999", "--why", "campus", "--db", db)
    assert missing.exit_code == 1 and "not a NUTS 2021 level-3 region" in missing.stderr
    ok = rok("locate", "--set", "999994729", "DE21H", "--why", "campus Neuherberg", "--db", db)
    assert ok.exit_code == 0, ok.output
    status = json.loads(rok("status", "--format", "json", "--db", db).stdout)
    methods = {r["method"]: r["organisations"] for r in status["placement"]["by_method"]}
    assert methods["manual"] == 1 and methods["municipality"] > 50
    assert status["projects"]["by_framework"][0]["framework"] == "H2020"
    kinds = {r["kind"] for r in status["indicators"]["nuts_code_history_by_kind"]}
    assert {"recode", "split", "merge"} <= kinds


def test_framework_selection(mirror_db):
    result = rok("specialisation", "--framework", "FP7", "--db", mirror_db)
    assert result.exit_code == 1 and "no FP7 projects in the warehouse" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = rok("specialisation", "--framework", "h2020", "--format", "json", "--db", mirror_db)
    assert result.exit_code == 0, result.output
    assert "framework H2020" in result.stdout
