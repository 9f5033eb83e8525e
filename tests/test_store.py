from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rok.errors import SchemaError
from rok.sources.batch import Batch, Reject
from rok.warehouse import Warehouse
from rok.warehouse.schema import SCHEMA_VERSION


def _batch(rows: list[tuple[str, float]], sha: str = "s1", **extra: object) -> Batch:
    frame = pd.DataFrame(rows, columns=["project_id", "total_cost"])
    return Batch("test", "p.csv", sha, rows_read=len(rows), tables={"projects": frame}, **extra)  # type: ignore[arg-type]


def test_new_warehouse_is_at_current_schema(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.schema_version() == SCHEMA_VERSION
    with Warehouse(tmp_path / "w.duckdb") as wh:  # opening again migrates nothing
        assert wh.schema_version() == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.con.execute("UPDATE schema_info SET value = '999' WHERE key = 'version'")
    with pytest.raises(SchemaError, match="newer than this rok"):
        Warehouse(path)


def test_write_records_load_and_rejects():
    wh = Warehouse()
    batch = _batch([("a", 1.0)], rejects=[Reject("p.csv", 3, "total_cost", "x", "expected a number")])
    batch.rows_read = 2
    result = wh.write(batch)
    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (2, 1, 1)
    load = wh.query("SELECT * FROM loads").iloc[0]
    assert load["status"] == "ok-with-rejects" and load["sha256"] == "s1"
    assert wh.query('SELECT line, "column", value FROM rejects').values.tolist() == [[3, "total_cost", "x"]]


def test_same_content_is_skipped_and_force_upserts():
    wh = Warehouse()
    wh.write(_batch([("a", 1.0), ("b", 2.0)]))
    again = wh.write(_batch([("a", 1.0), ("b", 2.0)]))
    assert again.skipped and wh.scalar("SELECT count(*) FROM loads") == 1
    wh.write(_batch([("a", 1.0), ("b", 2.0)]), force=True)
    assert wh.scalar("SELECT count(*) FROM projects") == 2
    wh.write(_batch([("a", 5.0)], sha="s2"))
    assert wh.scalar("SELECT total_cost FROM projects WHERE project_id = 'a'") == 5.0


def test_failed_write_leaves_everything_as_it_was():
    wh = Warehouse()
    wh.write(_batch([("a", 1.0)]))
    before = {t: wh.query(f"SELECT * FROM {t}").astype(str).values.tolist() for t in ("projects", "loads", "rejects")}
    bad = _batch([("b", 2.0)], sha="s2")
    # a second table whose rows break its primary key inside the same transaction
    bad.tables["domains"] = pd.DataFrame({"taxonomy": ["t", "t"], "code": ["x", "x"]})
    with pytest.raises(duckdb.ConstraintException):
        wh.write(bad)
    after = {t: wh.query(f"SELECT * FROM {t}").astype(str).values.tolist() for t in ("projects", "loads", "rejects")}
    assert before == after


def test_replace_condition_runs_in_the_same_transaction():
    wh = Warehouse()
    first = Batch("t", "d.csv", "1", 2, tables={"project_domains": pd.DataFrame(
        {"project_id": ["p1", "p1"], "taxonomy": ["x", "x"], "code": ["A", "B"], "weight": [0.5, 0.5]})},
        replace={"project_domains": "taxonomy = 'x'"})
    wh.write(first)
    second = Batch("t", "d.csv", "2", 1, tables={"project_domains": pd.DataFrame(
        {"project_id": ["p1"], "taxonomy": ["x"], "code": ["A"], "weight": [1.0]})},
        replace={"project_domains": "taxonomy = 'x'"})
    wh.write(second)
    assert wh.query("SELECT code, weight FROM project_domains").values.tolist() == [["A", 1.0]]


def test_nested_transactions_commit_or_roll_back_as_one():
    wh = Warehouse()
    with pytest.raises(RuntimeError), wh.transaction():
        wh.write(_batch([("a", 1.0)]))  # its own transaction joins the outer one
        wh.replace_table("domains", pd.DataFrame({"taxonomy": ["t"], "code": ["x"]}))
        raise RuntimeError("the rebuild failed")
    assert wh.scalar("SELECT count(*) FROM projects") == 0
    assert wh.scalar("SELECT count(*) FROM loads") == 0
    with wh.transaction():
        wh.write(_batch([("a", 1.0)]))
    assert wh.scalar("SELECT count(*) FROM projects") == 1 and wh.scalar("SELECT count(*) FROM loads") == 1
def test_read_only_open_migrates_nothing_and_says_what_to_run(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.con.execute("UPDATE schema_info SET value = ? WHERE key = 'version'", [str(SCHEMA_VERSION - 1)])
    with pytest.raises(SchemaError, match=r"older than this rok .*run `rok migrate`"):
        Warehouse(path, read_only=True)
    with duckdb.connect(str(path), read_only=True) as con:  # unchanged
        assert con.execute("SELECT value FROM schema_info").fetchone() == (str(SCHEMA_VERSION - 1),)
    with pytest.raises(SchemaError, match="no warehouse at"):
        Warehouse(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


def test_read_only_warehouse_refuses_writes(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    with Warehouse(path, read_only=True) as wh:
        assert wh.schema_version() == SCHEMA_VERSION and wh.read_only
        with pytest.raises(duckdb.Error, match="read-only"):
            wh.con.execute("CREATE TABLE x (a INTEGER)")


_HOLD = """
import sys
from rok.warehouse import Warehouse
wh = Warehouse(sys.argv[1], read_only=sys.argv[2] == "ro")
print("open", flush=True)
sys.stdin.read()  # hold the warehouse open until the test closes stdin
wh.close()
"""


def _rok(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from rok.cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def _holder(path: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(path), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
    return proc


def test_status_reads_while_another_process_reads(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    reader = _holder(path, "ro")
    try:
        result = _rok("status", "--db", str(path), "--format", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["warehouse_schema_version"] == SCHEMA_VERSION
        again = _rok("status", "--db", str(path), "--format", "json")  # a second reader beside the first
        assert again.returncode == 0, again.stderr
    finally:
        reader.communicate("", timeout=60)
    assert reader.returncode == 0


def test_status_beside_a_writer_is_a_clear_error(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    writer = _holder(path, "rw")
    try:
        result = _rok("status", "--db", str(path))
    finally:
        writer.communicate("", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot open warehouse") and "Traceback" not in result.stderr
