"""Taxonomy kinds, the advice gate, the default taxonomy, and the H2020 theme/instrument split."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rok.errors import InputError
from rok.measures import open_engine
from rok.measures.taxonomies import advice_note, default_selection, default_taxonomy, taxonomy_kind
from rok.sources.cordis_themes import read_h2020_themes
from rok.warehouse import Warehouse
from rok.warehouse.taxonomies import UNDECLARED_NOTE, record_taxonomies, taxonomy_levels

PARTS = "rcn,programme_part\n1,ERC\n2,LEIT\n2,Innovation in SMEs\n3,SC1\n3,SC6\n4,LEIT\n"


def tiny_warehouse(path: Path, *, placed_scivoc: bool) -> Path:
    """Two projects: P1 in h2020-part ERC and euroscivoc-2 /23/39; P2 in h2020-part LEIT.

    One participation each; the organisation of P1 is placed in DE21 only if ``placed_scivoc``.
    """
    with Warehouse(path) as wh:
        con = wh.con
        con.execute("INSERT INTO domains VALUES ('h2020-part', 'ERC', 'ERC', NULL, 1), "
                    "('h2020-part', 'LEIT', 'LEIT', NULL, 1), ('euroscivoc-2', '/23/39', 'earth', NULL, 2), "
                    "('my-fields', 'a', 'a', NULL, 3)")
        con.execute("INSERT INTO project_domains VALUES ('P1', 'h2020-part', 'ERC', 1, 1), "
                    "('P2', 'h2020-part', 'LEIT', 1, 1), ('P1', 'euroscivoc-2', '/23/39', 1, 2)")
        con.execute("INSERT INTO participations (project_id, org_id, role) VALUES ('P1', 'o1', 'coordinator'), "
                    "('P2', 'o2', 'coordinator')")
        con.execute("INSERT INTO organisations (org_id, nuts2) VALUES (?, ?), ('o2', 'FR10')",
                    ["o1", "DE21" if placed_scivoc else None])
        record_taxonomies(wh)
    return path


def test_kinds_and_levels_recorded(tmp_path: Path) -> None:
    with Warehouse(tiny_warehouse(tmp_path / "w.duckdb", placed_scivoc=True)) as wh:
        table = wh.query("SELECT * FROM taxonomies ORDER BY taxonomy").set_index("taxonomy")
    assert table["kind"].to_dict() == {"euroscivoc-2": "knowledge", "h2020-part": "instrument",
                                       "my-fields": "instrument"}
    assert table.loc["my-fields", "note"] == UNDECLARED_NOTE
    assert table.loc["h2020-part", "load_id"] == 1 and table.loc["euroscivoc-2", "load_id"] == 2


def test_levels_follow_parent_chains() -> None:
    import pandas as pd

    frame = pd.DataFrame({"code": ["/1", "/1/2", "/1/2/3", "/4"], "parent": ["", "/1", "/1/2", None]})
    frame.loc[0, "parent"] = None
    assert taxonomy_levels(frame) == 3
    assert taxonomy_levels(pd.DataFrame({"code": ["a", "b"], "parent": ["b", "a"]})) == 2  # a cycle stops


def test_kind_and_default_with_placed_knowledge(tmp_path: Path) -> None:
    with open_engine("duckdb", tiny_warehouse(tmp_path / "w.duckdb", placed_scivoc=True)) as engine:
        assert taxonomy_kind(engine, "euroscivoc-2") == "knowledge"
        assert taxonomy_kind(engine, "h2020-part") == "instrument"
        assert taxonomy_kind(engine, "not-loaded") == "instrument"
        name, why = default_taxonomy(engine)
        assert name == "euroscivoc-2" and "placed participations (1)" in why
        sel = default_selection(engine, counting="full")
        assert sel.taxonomy == "euroscivoc-2" and sel.counting == "full" and "default" in sel.describe()
        assert default_selection(engine, taxonomy="h2020-part").taxonomy_note == ""


def test_default_falls_back_and_says_why(tmp_path: Path) -> None:
    with open_engine("duckdb", tiny_warehouse(tmp_path / "w.duckdb", placed_scivoc=False)) as engine:
        name, why = default_taxonomy(engine)
        assert name == "h2020-part"
        assert "euroscivoc-2 are loaded but none of their projects has a participant placed" in why
        assert "instrument taxonomy h2020-part" in why
        with pytest.raises(InputError, match="no taxonomy has participations placed in NUTS 3"):
            default_taxonomy(engine, level=3)


def test_advice_note() -> None:
    assert advice_note("knowledge", "euroscivoc-2") is None
    note = advice_note("instrument", "h2020-part")
    assert note is not None and "not offered as advice" in note
    assert "organization.csv" in note and "EuroSciVoc" in note  # which data would enable the analyses
    assert "kind not declared" in (advice_note("instrument", "national-lines") or "")
    with pytest.raises(InputError, match="unknown taxonomy kind"):
        advice_note("fields", "x")


def test_h2020_themes_and_instruments(tmp_path: Path) -> None:
    path = tmp_path / "programme_parts.csv.gz"
    path.write_bytes(gzip.compress(PARTS.encode()))
    batch = read_h2020_themes(path)
    links = batch.tables["project_domains"]
    theme = links[links["taxonomy"] == "h2020-theme"]
    instrument = links[links["taxonomy"] == "h2020-instrument"]
    # rcn 1: ERC only -> no theme; rcn 2: LEIT + SME instrument; rcn 3: SC1 and SC6 (1/2 each); rcn 4: LEIT only
    assert sorted(zip(theme["project_id"], theme["code"], theme["weight"], strict=True)) == [
        ("H2020:rcn:2", "LEIT", 1.0), ("H2020:rcn:3", "SC1", 0.5), ("H2020:rcn:3", "SC6", 0.5),
        ("H2020:rcn:4", "LEIT", 1.0)]
    assert sorted(zip(instrument["project_id"], instrument["code"], strict=True)) == [
        ("H2020:rcn:1", "ERC"), ("H2020:rcn:2", "Innovation in SMEs"), ("H2020:rcn:3", "Collaborative"),
        ("H2020:rcn:4", "Collaborative")]
    assert instrument.groupby("project_id")["weight"].sum().tolist() == [1.0, 1.0, 1.0, 1.0]


def test_h2020_themes_bad_part_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "programme_parts.csv.gz"
    path.write_bytes(gzip.compress((PARTS + "5,SC9\n").encode()))
    with pytest.raises(InputError) as caught:
        read_h2020_themes(path)
    assert caught.value.line == 8 and caught.value.value == "SC9"


def test_mirror_taxonomies(mirror_db: Path) -> None:
    with Warehouse(mirror_db, read_only=True) as wh:
        kinds = wh.query("SELECT taxonomy, kind FROM taxonomies").set_index("taxonomy")["kind"].to_dict()
        themed = wh.scalar("SELECT count(DISTINCT project_id) FROM project_domains WHERE taxonomy = 'h2020-theme'")
    assert kinds == {"euroscivoc": "knowledge", "euroscivoc-1": "knowledge", "euroscivoc-2": "knowledge",
                     "h2020-instrument": "instrument", "h2020-part": "instrument", "h2020-theme": "instrument",
                     "horizon-part": "instrument"}
    assert themed == 12_285
    with open_engine("duckdb", mirror_db) as engine:
        name, why = default_taxonomy(engine)
    assert name == "h2020-part" and "none of their projects has a participant placed" in why
