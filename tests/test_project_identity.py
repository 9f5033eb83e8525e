"""One project, one key: mirror-layout and official-layout copies of the same H2020 projects."""

from __future__ import annotations

from pathlib import Path

from rok.sources import cordis_mirror
from rok.warehouse import Warehouse
from rok.warehouse.ingest import ingest_cordis, refresh
from rok.warehouse.project_identity import overlaps

FIXTURES = Path(__file__).parent / "fixtures"
MIRROR = FIXTURES / "cordis_mirror"
OFFICIAL = FIXTURES / "cordis_bulk" / "cordis-h2020projects-csv"


def _load_mirror(wh: Warehouse, *, force: bool = False) -> None:
    with wh.transaction():
        wh.write(cordis_mirror.read_h2020_participations(MIRROR / "participations.csv"), force=force)
        wh.write(cordis_mirror.read_h2020_programme_parts(MIRROR / "programme_parts.csv"), force=force)
        refresh(wh)


def _per_project(wh: Warehouse) -> dict[int, int]:
    """Participations per project, by the project's rcn (the key both layouts share)."""
    rows = wh.query("""SELECT pr.rcn, count(*) AS n FROM participations p JOIN projects pr USING (project_id)
                       GROUP BY 1 ORDER BY 1""")
    return dict(zip(rows["rcn"].astype(int), rows["n"].astype(int), strict=True))


def test_official_files_after_the_mirror_keep_one_count_per_participation():
    wh = Warehouse()
    _load_mirror(wh)
    before = _per_project(wh)
    assert before == {201234: 3, 205678: 1, 229001: 3, 230000: 1}
    ingest_cordis(wh, OFFICIAL)
    after = _per_project(wh)
    # the same participants: unchanged; 229001 gains the associated partner only the official file lists
    assert after == {201234: 3, 205678: 1, 229001: 4, 230000: 1}
    assert wh.scalar("SELECT count(*) FROM projects") == 4
    ids = set(wh.query("SELECT project_id FROM projects")["project_id"])
    assert ids == {"H2020:700101", "H2020:700102", "H2020:700103", "H2020:rcn:230000"}
    # no participation is left under a mirror key of a merged project
    assert wh.scalar("SELECT count(*) FROM participations WHERE project_id LIKE 'H2020:rcn:2%' "
                     "AND project_id <> 'H2020:rcn:230000'") == 0
    # the mirror's programme parts move to the official key; the official file's EuroSciVoc stays
    parts = wh.query("SELECT code, weight FROM project_domains WHERE project_id = 'H2020:700103' "
                     "AND taxonomy = 'h2020-part' ORDER BY code").values.tolist()
    assert parts == [["SC2", 0.5], ["SC5", 0.5]]
    assert wh.scalar("SELECT count(*) FROM project_domains WHERE project_id = 'H2020:700103' "
                     "AND taxonomy = 'euroscivoc'") == 3
    # the mirror's duration fills the official row, which has none
    assert wh.scalar("SELECT duration_months FROM projects WHERE project_id = 'H2020:700102'") == 60
    report = overlaps(wh)
    assert report["projects_in_several_sources"] == 3
    assert report["by_framework"] == [
        {"framework": "H2020", "mirror_only": 1, "both_sources": 3, "official_only": 0, "projects": 4}
    ]


def test_mirror_reloaded_after_the_official_files_changes_no_count():
    wh = Warehouse()
    ingest_cordis(wh, OFFICIAL)
    official = _per_project(wh)
    _load_mirror(wh)
    assert _per_project(wh) == {**official, 230000: 1}
    _load_mirror(wh, force=True)  # a forced re-load of the mirror files: still one copy
    assert _per_project(wh) == {**official, 230000: 1}
    assert wh.scalar("SELECT count(*) FROM projects") == 4
    assert wh.scalar("SELECT count(*) FROM project_domains WHERE taxonomy = 'h2020-part'") == 5


def test_selection_by_framework(tmp_path):
    import pytest

    from rok.errors import InputError
    from rok.measures import Selection, open_engine
    from rok.measures.selection import participation_rows

    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        _load_mirror(wh)
        ingest_cordis(wh, OFFICIAL)
    with open_engine("duckdb", path) as engine:
        everything = engine.execute(participation_rows(engine, Selection(), placed_only=False))
        h2020 = engine.execute(participation_rows(engine, Selection(framework="h2020"), placed_only=False))
        # the orphan participation of the official file (project 700199, no project row) is left out
        assert len(everything) == 10 and len(h2020) == 9
        with pytest.raises(InputError, match="no FP7 projects in the warehouse"):
            participation_rows(engine, Selection(framework="FP7"))
    with pytest.raises(InputError, match="framework must be one of FP7, H2020, HORIZON"):
        Selection(framework="FP6")
    assert Selection(framework="horizon").describe().endswith("framework HORIZON")
