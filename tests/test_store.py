from __future__ import annotations

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
