"""Mentoring, twinning and peer-review programmes: eligibility and pairing on the mirror, storage on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rok.cooperation.programmes import WIDENING_COUNTRIES, eligible_regions, pair_regions, pick_peers, records
from rok.errors import InputError
from rok.workspace import Workspace
from rok.workspace.programmes import (
    add_activity,
    add_milestone,
    add_outcome,
    add_programme_indicator,
    create_programme,
    find_programme,
    programme_document,
    programme_progress,
    store_pairings,
)
from rok.workspace.tracking import track

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module")
def profiles(mirror_db: Path) -> Any:
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        return Profiles.compute(engine, Selection())


def test_eligibility(profiles: Any) -> None:
    widening = eligible_regions(profiles, widening=True)
    assert widening and all(r[:2] in WIDENING_COUNTRIES or r.startswith(("ES70", "FRY", "PT2", "PT3"))
                            for r in widening)
    emerging = eligible_regions(profiles, widening=True, groups=["emerging"])
    table = profiles.performance.table
    assert set(emerging) <= set(widening) and all(table.at[r, "group"] == "emerging" for r in emerging)
    assert eligible_regions(profiles, widening=["PL"]) == sorted(r for r in profiles.activity.index if r[:2] == "PL")
    with pytest.raises(InputError, match="unknown performance group"):
        eligible_regions(profiles, groups=["stellar"])


def test_twinning_pairs_two_mentors_from_two_other_countries(profiles: Any) -> None:
    mentees = eligible_regions(profiles, widening=True, groups=["emerging"])[:8]
    mentors = eligible_regions(profiles, groups=["leader"])
    pairs = pair_regions(profiles, mentees, mentors, mentors_per_mentee=2)
    for mentee, rows in pairs.groupby("mentee"):
        countries = [m[:2] for m in rows["mentor"]]
        assert sorted(rows["round"]) == [1, 2] and len(set(countries)) == 2 and mentee[:2] not in countries
    assert set(pairs["mentee"]) == set(mentees) and pairs["domains_to_work_on"].str.len().gt(0).all()
    with pytest.raises(InputError, match="in both"):
        pair_regions(profiles, mentees, mentees)


def test_peer_review_peers(profiles: Any) -> None:
    peers = pick_peers(profiles, "PL21", "SC1", n=3)
    assert len(peers) == 3 and "PL" not in set(peers["country"]) and peers["country"].nunique() == 3
    assert list(peers["score"]) == sorted(peers["score"], reverse=True)
    for row in peers.itertuples(index=False):
        assert row.rca == pytest.approx(profiles.rca.at[row.peer, "SC1"]) and "RCA" in row.reason
    two_per_country = pick_peers(profiles, "PL21", "SC1", n=4, max_per_country=2)
    assert two_per_country["country"].nunique() >= 2
    with pytest.raises(InputError, match="unknown topic domain"):
        pick_peers(profiles, "PL21", "NOPE")
    with pytest.raises(InputError, match="at least 2 peers"):
        pick_peers(profiles, "PL21", "SC1", n=1)


def test_programme_in_the_workspace(workspace: Workspace, profiles: Any, mirror_db: Path) -> None:
    with workspace.session("secretariat@example.org") as s:
        prog = create_programme(s, type="peer_review", name="PL21 review on health", start="2026-01-01",
                                end="2026-12-31", rules={"peers": 3, "min_countries": 2}, host="PL21",
                                topic={"code": "SC1"}, warehouse=mirror_db)
        peers = pick_peers(profiles, "PL21", "SC1")
        store_pairings(s, prog, records(peers), prog.version)
        pairing = prog.pairings[0].id
        add_activity(s, prog, kind="peer_review_meeting", title="Two-day review in Krakow", start="2026-05-10",
                     end="2026-05-11", pairing_id=None, status="done")
        add_outcome(s, prog, kind="recommendation", description="Open the clinical-trials network to SMEs",
                    pairing_id=pairing)
        add_outcome(s, prog, kind="todo", description="Draft a call for joint projects")
        add_milestone(s, prog, title="report delivered", due="2026-07-01", done=True)
        add_milestone(s, prog, title="follow-up visit", due="2026-11-01")
        add_programme_indicator(s, prog, {"name": "host participations in SC1", "type": "result",
                                          "source": {"measure": "domain_participations", "params": {"domain": "SC1"}},
                                          "regions": ["PL21"]}, warehouse=mirror_db)
        pid = prog.id
    with workspace.session() as s:
        assert track(s, mirror_db)["indicators"] == 1
        prog = find_programme(s, "PL21 review on health")
        doc = programme_document(prog)
        progress = programme_progress(prog)
    assert doc["id"] == pid and [p["mentor"] for p in doc["pairings"]] == list(peers["peer"])
    assert all(p["role"] == "peer" and p["mentee"] == "PL21" and p["reason"] for p in doc["pairings"])
    assert progress["milestones"] == {"done": 1, "total": 2, "share": 0.5}
    assert progress["outcomes"] == {"recommendation": 1, "todo": 1} and progress["activities"]["done"] == 1
    assert progress["indicators"][0]["latest"] is not None and progress["progress"] is None  # no target yet


def test_programme_bad_input(workspace: Workspace, mirror_db: Path) -> None:
    with workspace.session() as s:
        create_programme(s, type="mentoring", name="M", start="2026-01-01", end="2026-06-30")
    attempts = [
        (lambda s: create_programme(s, type="mentoring", name="M"), "exists already"),
        (lambda s: create_programme(s, type="coaching", name="X"), "value 'coaching'"),
        (lambda s: create_programme(s, type="peer_review", name="X"), "host region and a topic"),
        (lambda s: create_programme(s, type="peer_review", name="X", host="ZZ99", topic="SC1", warehouse=mirror_db),
         "ZZ99.*unknown region"),
        (lambda s: create_programme(s, type="twinning", name="X", start="2026-05-01", end="2026-01-01"),
         "ends before it starts"),
        (lambda s: add_activity(s, find_programme(s, "M"), kind="workshop", title="late", start="2027-01-01"),
         "outside the programme's dates"),
        (lambda s: add_activity(s, find_programme(s, "M"), kind="party", title="x"), "value 'party'"),
        (lambda s: add_outcome(s, find_programme(s, "M"), kind="mou", description="x", pairing_id=77),
         "unknown pairing"),
        (lambda s: find_programme(s, "nothing"), "unknown programme"),
    ]
    for attempt, message in attempts:
        with pytest.raises(InputError, match=message), workspace.session() as s:
            attempt(s)
    with workspace.session() as s:
        prog = find_programme(s, "M")
        assert (len(prog.activities), len(prog.outcomes), prog.version) == (0, 0, 1)
