"""Horizon Europe landscape: hand-counted tiny files, the warehouse first, and the mirror's
files against an independent count."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from rok.cooperation.landscape import H2020_TO_HORIZON, TOPIC_FILTERS, call_year, landscape, load_horizon
from rok.errors import InputError

LEGAL = """projectID,legalBasis,title,uniqueProgrammePart
1,HORIZON.2.1,Health,true
1,HORIZON.2.1.4,Infectious Diseases,false
2,HORIZON.2.1.5,Tools,true
3,HORIZON.2.5,"Climate, Energy and Mobility",true
4,HORIZON.2.1,Health,true
5,HORIZON.2.1,Health,true
"""
TOPICS = """projectID,topic,title
1,HORIZON-HLTH-2021-DISEASE-04-04,Clinical AI
2,HORIZON-HLTH-2023-TOOL-05-01,Tools topic
3,HORIZON-CL5-2022-D3-01-02,Energy topic
4,HORIZON-HLTH-2021-DISEASE-04-04,Clinical AI
5,HORIZON-HLTH-2019-OLD-01,Outside the window
"""
SCIVOC = """projectID,euroSciVocCode,euroSciVocPath,euroSciVocTitle,euroSciVocDescription
1,/3/1/7,/medical and health sciences/clinical medicine/oncology,oncology,
1,/3/1/8,/medical and health sciences/clinical medicine/cardiology,cardiology,
2,/1/5/9,/natural sciences/computer and information sciences/software,software,
2,/6/1/2,/humanities/history and archaeology/history,history,
4,/3/1/7,/medical and health sciences/clinical medicine/oncology,oncology,
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "cordis" / "horizon"
    folder.mkdir(parents=True)
    for name, text in (("legalBasis", LEGAL), ("topics", TOPICS), ("euroSciVoc", SCIVOC)):
        with gzip.open(folder / f"{name}.csv.gz", "wt", encoding="utf-8") as handle:
            handle.write(text)
    return tmp_path


def test_call_year() -> None:
    assert call_year("HORIZON-CL5-2022-D3-01-02") == 2022
    assert call_year("ERC-2023-STG") == 2023
    assert call_year("HORIZON-KDT-JU-1-IA-Focus-Topic-1") is None
    assert call_year(None) is None


def test_tiny_files_hand_counted(tiny: Path) -> None:
    data = load_horizon(None, tiny)
    assert data.source.startswith("mirror files")
    sc1 = landscape(data, ["SC1"])
    # projects 1, 2 and 4 are Health (2.1.5 rolls up to 2.1); 5 is a 2019 call, outside 2021-2024
    assert sc1["projects"] == 3
    assert sc1["horizon_parts"] == [{"part": "HORIZON.2.1", "title": "Health", "projects": 3,
                                     "by_year": {2021: 2, 2022: 0, 2023: 1, 2024: 0}}]
    assert sc1["topics"][0] == {"topic": "HORIZON-HLTH-2021-DISEASE-04-04", "title": "Clinical AI", "projects": 2}
    # SC1 states medical and natural sciences: the humanities field of project 2 is left out
    assert sc1["fields"] == [{"field": "medical and health sciences/clinical medicine", "projects": 2},
                             {"field": "natural sciences/computer and information sciences", "projects": 1}]
    assert landscape(data, ["SC4"])["projects"] == 0  # project 3 is a Cluster 5 energy topic (D3), not transport
    both = landscape(data, ["SC1", "SC3", "NOPE"])
    assert both["projects"] == 4 and both["unmapped"] == ["NOPE"]
    assert [h["part"] for h in both["horizon_parts"]] == ["HORIZON.2.1", "HORIZON.2.5"]


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="legalBasis.csv.gz"):
        load_horizon(None, tmp_path)


def test_missing_column_is_named(tiny: Path) -> None:
    path = tiny / "cordis" / "horizon" / "topics.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("projectID,subject\n1,x\n")
    with pytest.raises(InputError, match="topics.csv.gz, line 1, column 'topic'"):
        load_horizon(None, tiny)


def test_warehouse_first(tmp_path: Path, tiny: Path) -> None:
    from rok.warehouse import Warehouse

    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        con = wh.con
        for pid, topic in (("HORIZON:1", "HORIZON-HLTH-2022-X-01"), ("HORIZON:2", "HORIZON-HLTH-2024-Y-01")):
            con.execute("INSERT INTO projects (project_id, framework, topic) VALUES (?, 'HORIZON', ?)", [pid, topic])
            con.execute("INSERT INTO project_domains VALUES (?, 'horizon-part', 'HORIZON.2.1.4', 1.0, 1)", [pid])
        con.execute("INSERT INTO domains VALUES ('horizon-part', 'HORIZON.2.1.4', 'Infectious Diseases', NULL, 1)")
        for code, name, parent in (("/3", "medical and health sciences", None), ("/3/1", "clinical medicine", "/3"),
                                   ("/3/1/7", "oncology", "/3/1")):
            con.execute("INSERT INTO domains VALUES ('euroscivoc', ?, ?, ?, 1)", [code, name, parent])
        con.execute("INSERT INTO project_domains VALUES ('HORIZON:1', 'euroscivoc', '/3/1/7', 1.0, 1)")
    data = load_horizon(path, tiny)
    assert data.source == "warehouse"
    sc1 = landscape(data, ["SC1"])
    assert sc1["projects"] == 2
    assert sc1["horizon_parts"][0]["by_year"] == {2021: 0, 2022: 1, 2023: 0, 2024: 1}
    assert sc1["fields"] == [{"field": "medical and health sciences/clinical medicine", "projects": 1}]


def test_every_h2020_part_has_a_correspondence() -> None:
    parts = {"ERC", "MSCA", "FET", "RI", "LEIT", "ARF", "Innovation in SMEs", "SC1", "SC2", "SC3", "SC4", "SC5",
             "SC6", "SC7", "SEWP", "SWAFS", "Euratom"}
    assert set(H2020_TO_HORIZON) == parts


@pytest.mark.mirror
def test_mirror_counts_match_an_independent_count(mirror: Path) -> None:
    folder = mirror / "cordis" / "horizon"
    basis = pd.read_csv(folder / "legalBasis.csv.gz", dtype=str)
    topics = pd.read_csv(folder / "topics.csv.gz", dtype=str)
    main = basis[basis["uniqueProgrammePart"] == "true"].merge(topics, on="projectID")
    main["year"] = main["topic"].str.extract(r"-(20\d\d)-")[0].astype(float)
    data = load_horizon(None, mirror)
    for domain in ("SC1", "LEIT", "SC5", "SC4"):
        out = landscape(data, [domain])
        parts = H2020_TO_HORIZON[domain][0]
        rows = main[main["legalBasis"].isin(parts) & main["year"].between(2021, 2024)]
        for part, pattern in TOPIC_FILTERS.get(domain, {}).items():
            rows = rows[(rows["legalBasis"] != part) | rows["topic"].str.match(pattern)]
        assert out["projects"] == rows["projectID"].nunique() > 0
        for h in out["horizon_parts"]:
            counts = rows[rows["legalBasis"] == h["part"]].groupby("year")["projectID"].nunique()
            assert h["by_year"] == {y: int(counts.get(float(y), 0)) for y in range(2021, 2025)}
        top = rows.groupby("topic")["projectID"].nunique().sort_values(ascending=False)
        assert out["topics"][0]["projects"] == int(top.iloc[0])
