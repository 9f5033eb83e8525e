"""Horizon Europe project-level files: programme parts, topics, EuroSciVoc levels 1-3.

Tiny hand-made files in the official layout (tests/fixtures/cordis_horizon), then the mirror.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from rok.errors import InputError
from rok.sources.cordis_bulk import read_cordis_bulk
from rok.sources.cordis_horizon import call_year, read_horizon_projects
from rok.warehouse import Warehouse
from rok.warehouse.taxonomies import record_taxonomies

FIXTURE = Path(__file__).parent / "fixtures" / "cordis_horizon"


def links(batch, taxonomy: str) -> dict[tuple[str, str], float]:
    frame = batch.tables["project_domains"]
    frame = frame[frame["taxonomy"] == taxonomy]
    return {(p, c): w for p, c, w in zip(frame["project_id"], frame["code"], frame["weight"], strict=True)}


def copy(tmp_path: Path, member: str, old: str, new: str) -> Path:
    folder = tmp_path / "horizon"
    shutil.copytree(FIXTURE, folder, dirs_exist_ok=True)
    path = folder / member
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return folder


def test_projects_keyed_as_the_bulk_reader_keys_them() -> None:
    batch = read_horizon_projects(FIXTURE)
    projects = batch.tables["projects"].set_index("project_id")
    assert list(projects.index) == ["HORIZON:101069700", "HORIZON:101069701", "HORIZON:101070000",
                                    "HORIZON:101116741"]
    assert set(projects["framework"]) == {"HORIZON"}
    assert projects.loc["HORIZON:101116741", "grant_id"] == "101116741"
    assert projects.loc["HORIZON:101069700", "topic"] == "HORIZON-CL5-2022-D1-01-01"


def test_euroscivoc_levels_parents_and_weights() -> None:
    batch = read_horizon_projects(FIXTURE)
    # /23/39/153 and its child /23/39/153/7001 are one level-3 code; /25/75 stays at level 2
    assert links(batch, "euroscivoc") == {
        ("HORIZON:101116741", "/29/97/543"): 1.0,
        ("HORIZON:101069700", "/23/39/153"): 0.5,
        ("HORIZON:101069700", "/25/75"): 0.5,
        ("HORIZON:101069701", "/25/75/313"): 1.0,
    }
    assert links(batch, "euroscivoc-1") == {
        ("HORIZON:101116741", "/29"): 1.0, ("HORIZON:101069700", "/23"): 0.5,
        ("HORIZON:101069700", "/25"): 0.5, ("HORIZON:101069701", "/25"): 1.0,
    }
    assert links(batch, "euroscivoc-2")[("HORIZON:101069701", "/25/75")] == 1.0
    domains = batch.tables["domains"]
    tree = domains[domains["taxonomy"] == "euroscivoc"].set_index("code")
    assert sorted(tree.index) == ["/23", "/23/39", "/23/39/153", "/25", "/25/75", "/25/75/313", "/29", "/29/97",
                                  "/29/97/543"]
    assert tree.loc["/23/39/153", "parent"] == "/23/39" and tree.loc["/23/39", "parent"] == "/23"
    assert tree.loc["/23", "parent"] is None
    assert tree.loc["/25/75/313", "name"] == "remote sensing" and tree.loc["/29", "name"] == "social sciences"


def test_programme_parts_and_topics() -> None:
    batch = read_horizon_projects(FIXTURE)
    assert links(batch, "horizon-part") == {
        ("HORIZON:101116741", "HORIZON.1.1"): 1.0, ("HORIZON:101069700", "HORIZON.2.5"): 1.0,
        ("HORIZON:101069701", "HORIZON.2.5"): 1.0, ("HORIZON:101070000", "EURATOM2027"): 1.0,
    }
    parts = batch.tables["domains"].query("taxonomy == 'horizon-part'").set_index("code")
    assert parts.loc["HORIZON.2.5.1", "parent"] == "HORIZON.2.5" and parts.loc["HORIZON.2.5", "parent"] == "HORIZON.2"
    assert parts.loc["HORIZON.2", "name"] == "Global Challenges and European Industrial Competitiveness"
    assert parts.loc["HORIZON.2.5", "name"] == "Climate, Energy and Mobility"
    topics = batch.tables["topics"].set_index("project_id")
    assert topics.loc["HORIZON:101069701", "call_year"] == 2021
    assert pd.isna(topics.loc["HORIZON:101070000", "call_year"])
    assert call_year("ERC-2023-STG") == 2023 and call_year("HORIZON-KDT-JU-1-IA-Focus-Topic-1") is None


def test_warehouse_load_and_taxonomy_kinds() -> None:
    wh = Warehouse(":memory:")
    result = wh.write(read_horizon_projects(FIXTURE))
    assert result.rows_read == 5 + 4 + 5 and result.rows_rejected == 0
    kinds = record_taxonomies(wh).set_index("taxonomy")
    assert kinds.loc["euroscivoc", "kind"] == "knowledge" and kinds.loc["euroscivoc", "levels"] == 3
    assert kinds.loc["euroscivoc-2", "kind"] == "knowledge" and kinds.loc["euroscivoc-2", "levels"] == 1
    assert kinds.loc["horizon-part", "kind"] == "instrument" and kinds.loc["horizon-part", "levels"] == 3
    assert wh.scalar("SELECT count(*) FROM topics") == 4
    assert wh.write(read_horizon_projects(FIXTURE)).skipped


@pytest.mark.parametrize(
    ("member", "old", "new", "line", "column", "value"),
    [
        ("euroSciVoc.csv", "/29/97/543,", "29-97,", 2, "euroSciVocCode", "29-97"),
        ("euroSciVoc.csv", "/29/97/543,/social sciences/political sciences/government systems",
         "/29/97/543,/social sciences/political sciences", 2, "euroSciVocPath", "no"),
        ("legalBasis.csv", "101116741,HORIZON.1.1", "1011x6741,HORIZON.1.1", 2, "projectID", "1011x6741"),
        ("legalBasis.csv", "HORIZON.1.1,European", "horizon one,European", 2, "legalBasis", "horizon one"),
        ("legalBasis.csv", "Mobility\",true\n101069700", "Mobility\",yes\n101069700", 3, "uniqueProgrammePart", "yes"),
    ],
)
def test_bad_values_name_file_line_column_value(tmp_path: Path, member: str, old: str, new: str, line: int,
                                                column: str, value: str) -> None:
    folder = copy(tmp_path, member, old, new)
    with pytest.raises(InputError) as caught:
        read_horizon_projects(folder)
    assert caught.value.file.endswith(member) and caught.value.line == line and caught.value.column == column
    assert caught.value.value == value
    batch = read_horizon_projects(folder, skip_bad_rows=True)
    assert len(batch.rejects) == 1 and batch.rejects[0].line == line


def test_two_unique_parts_for_a_project(tmp_path: Path) -> None:
    folder = copy(tmp_path, "legalBasis.csv", "Climate Science and Responses,", "Climate Science and Responses,true")
    with pytest.raises(InputError, match="duplicate primary key"):
        read_horizon_projects(folder)


def test_semicolon_layout_and_gzip(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    text = (FIXTURE / "topics.csv").read_text(encoding="utf-8").replace(",", ";")
    (folder / "topics.csv.gz").write_bytes(gzip.compress(text.encode()))
    batch = read_horizon_projects(folder)
    assert len(batch.tables["topics"]) == 4 and "project_domains" not in batch.tables


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected a directory"):
        read_horizon_projects(FIXTURE / "topics.csv")
    with pytest.raises(InputError, match="no legalBasis.csv"):
        read_horizon_projects(tmp_path)


# -- the mirror --------------------------------------------------------------------------


def test_mirror_horizon_files(mirror: Path) -> None:
    batch = read_horizon_projects(mirror / "cordis" / "horizon")
    assert not batch.rejects
    assert len(batch.tables["projects"]) == 15_341
    scivoc = batch.tables["project_domains"]
    per_taxonomy = scivoc.groupby("taxonomy")["project_id"].nunique().to_dict()
    assert per_taxonomy["horizon-part"] == 15_341 and per_taxonomy["euroscivoc"] == 13_542
    # each project's weights sum to 1 in every taxonomy
    sums = scivoc.groupby(["taxonomy", "project_id"])["weight"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    domains = batch.tables["domains"]
    tree = domains[domains["taxonomy"] == "euroscivoc"]
    depth = tree["code"].str.count("/")
    assert depth.max() == 3 and (depth == 1).sum() == 6
    assert set(tree["parent"].dropna()) <= set(tree["code"])
    fields = scivoc[scivoc["taxonomy"] == "euroscivoc-1"].merge(domains[domains["taxonomy"] == "euroscivoc-1"], on="code")
    projects = fields.groupby("name")["project_id"].nunique()
    assert projects["natural sciences"] > projects["humanities"] > 0
    years = batch.tables["topics"]["call_year"].value_counts()
    assert set(years.index) == {2021, 2022, 2023, 2024}


def test_mirror_sample_project_file_gives_the_same_keys(mirror: Path, tmp_path: Path) -> None:
    sample = mirror / "cordis" / "horizon" / "sample"
    for member, name in (("project_first100.csv.gz", "project.csv"), ("organization_first100.csv.gz", "organization.csv")):
        (tmp_path / name).write_bytes(gzip.decompress((sample / member).read_bytes()))
    bulk = read_cordis_bulk(tmp_path, framework="horizon", skip_bad_rows=True).tables["projects"]
    ours = set(read_horizon_projects(mirror / "cordis" / "horizon").tables["projects"]["project_id"])
    assert len(bulk) == 100 and set(bulk["project_id"]) <= ours
