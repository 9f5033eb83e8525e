"""Partner search (rok.cooperation.partners)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from rok.cooperation.partners import PartnerIndex
from rok.errors import InputError


@pytest.fixture()
def tiny() -> PartnerIndex:
    """Three regions, five organisations, one domain ``d``; weights 0.5, 0.3, 0.2.

    Activity in d: o1 5 (R1), o2 4 (R2), o4 2 (R3), o3 1 (R2), o5 1 (R3); percentile
    a = 1 - #greater / 5: o1 1.0, o2 0.8, o4 0.6, o3 0.4, o5 0.4.
    C (row gives, column receives): R2->R1 0.2, R3->R1 0.1 (normalised for R1: R2 1, R3 0.5);
    R1->R3 0.4, R2->R3 0.1 (for R3: R1 1, R2 0.25).
    Edges o1-o2, o2-o4: from R1 (o1) o2 is 1 step, o4 2 steps, o3 and o5 beyond.
    """
    activity = pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4", "o5", "o2"],
                             "domain": ["d", "d", "d", "d", "d", "e"],
                             "value": [5.0, 4.0, 1.0, 2.0, 1.0, 3.0]})
    nodes = pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4", "o5"],
                          "name": ["One", "Two", "Three", "Four", "Five"],
                          "activity_type": ["HES", "REC", "PRC", "HES", "PUB"],
                          "country": ["AA", "BB", "BB", "CC", "CC"],
                          "region": ["R1", "R2", "R2", "R3", "R3"]})
    edges = pd.DataFrame({"source": ["o1", "o2"], "target": ["o2", "o4"], "weight": [1.0, 1.0]})
    regions = ["R1", "R2", "R3"]
    comp = pd.DataFrame([[np.nan, 0.3, 0.4], [0.2, np.nan, 0.1], [0.1, 0.05, np.nan]], index=regions, columns=regions)
    rca = pd.DataFrame({"d": [0.5, 1.5, 1.2], "e": [1.0, 1.0, 1.0]}, index=regions)
    return PartnerIndex.build(activity, nodes, edges, comp, rca=rca, specialised=(rca >= 1).astype(int))


def test_prefer_new_by_hand(tiny: PartnerIndex) -> None:
    got = tiny.search("R1", domain="d", prefer="new")
    # o3: .5*.4 + .3*1 + .2 = .70; o4: .5*.6 + .3*.5 + .2 = .65; o5: .2 + .15 + .2 = .55;
    # o2 (already a partner, ranked last): .5*.8 + .3*1 + 0 = .70
    assert got["org_id"].tolist() == ["o3", "o4", "o5", "o2"]
    assert got["score"].tolist() == pytest.approx([0.70, 0.65, 0.55, 0.70])
    assert got["distance"].tolist() == [99, 2, 99, 1]
    assert got["complementarity"].tolist() == pytest.approx([0.2, 0.1, 0.1, 0.2])
    assert list(got.columns) == ["org_id", "name", "type", "region", "country", "activity", "complementarity",
                                 "distance", "score", "reasons"]
    reasons = got.set_index("org_id")["reasons"]
    assert "its region R2 is strong in d (RCA 1.50) where R1 is not yet" in reasons["o3"]
    assert "no tie yet (2 steps away from R1)" in reasons["o4"]
    assert "already a partner of R1" in reasons["o2"]
    assert "rank 2 of 5" in reasons["o2"]


def test_prefer_existing_and_any_by_hand(tiny: PartnerIndex) -> None:
    got = tiny.search("R1", domain="d", prefer="existing")
    # o2: .4 + .3 + .2 = .9; o4: .3 + .15 + .1 = .55; o3: .2 + .3 = .5; o5: .2 + .15 = .35
    assert got["org_id"].tolist() == ["o2", "o4", "o3", "o5"]
    assert got["score"].tolist() == pytest.approx([0.9, 0.55, 0.5, 0.35])
    got = tiny.search("R1", domain="d", prefer="any")
    assert got["org_id"].tolist() == ["o2", "o3", "o4", "o5"]
    assert got["score"].tolist() == pytest.approx([0.7, 0.5, 0.45, 0.35])


def test_filters_and_org_search(tiny: PartnerIndex) -> None:
    assert tiny.search("R1", domain="d", types=["firms"])["org_id"].tolist() == ["o3"]
    assert tiny.search("R1", domain="d", types="hes")["org_id"].tolist() == ["o4"]
    assert tiny.search("R1", domain="d", k=2).shape[0] == 2
    assert "o1" in set(tiny.search("R1", domain="d", exclude_own_region=False)["org_id"])
    # from o4 (R3): o1 .5 + .3 = .8; o2 .4 + .075 = .475; o3 .2 + .075 = .275 (o5 is in R3)
    got = tiny.search(org="o4", domain="d", prefer="any")
    assert got["org_id"].tolist() == ["o1", "o2", "o3"]
    assert got["score"].tolist() == pytest.approx([0.8, 0.475, 0.275])
    assert got["distance"].tolist() == [2, 1, 99]
    assert "already a partner of the organisation" in got.loc[1, "reasons"]
    assert tiny.search("R3", domain="D")["org_id"].tolist()  # domain case-insensitive


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"region": "R9", "domain": "d"}, "unknown region"),
    ({"org": "o9", "domain": "d"}, "unknown organisation"),
    ({"region": "R1", "domain": "x"}, "unknown domain"),
    ({"region": "R1", "domain": "d", "types": ["banks"]}, "unknown actor type"),
    ({"region": "R1", "domain": "d", "prefer": "old"}, "prefer must be"),
    ({"domain": "d"}, "needs a region or an organisation"),
    ({"region": "R1", "domain": "d", "k": 0}, "k must be"),
])
def test_bad_input(tiny: PartnerIndex, kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InputError, match=words):
        tiny.search(**kwargs)  # type: ignore[arg-type]


# -- on the real mirror ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def mirror_index(mirror_db) -> PartnerIndex:  # type: ignore[no-untyped-def]
    from rok.analysis.network_profiles import Networks
    from rok.analysis.profiles import Profiles
    from rok.measures import Selection, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        profiles = Profiles.compute(engine, Selection())
        networks = Networks.compute(engine, Selection(), organisations=True, betweenness=False)
        clock = time.perf_counter()
        index = PartnerIndex.from_profiles(engine, profiles, networks)
        print(f"\npartner index built in {time.perf_counter() - clock:.2f} s")
    return index


def test_mirror_search(mirror_index: PartnerIndex) -> None:
    got = mirror_index.search("DE21", domain="SC1", k=20)
    assert len(got) == 20 and (got["region"] != "DE21").all()
    assert (got["distance"] != 1).all()  # prefer="new" with thousands of candidates
    assert got["reasons"].str.len().gt(0).all()
    firms = mirror_index.search("DE21", domain="SC1", types=["PRC", "PUB"], prefer="existing", k=30)
    assert set(firms["type"]) <= {"PRC", "PUB"} and (firms["region"] != "DE21").all()
    assert (firms["distance"] == 1).any()
    own = mirror_index.search("DE21", domain="SC1", exclude_own_region=False, prefer="any", k=200)
    assert (own["score"].diff().dropna() <= 1e-12).all()
    with pytest.raises(InputError):
        mirror_index.search("XX99", domain="SC1")


def test_mirror_latency(mirror_index: PartnerIndex) -> None:
    rng = np.random.default_rng(7)
    regions = sorted(c for c in mirror_index.region_codes if mirror_index.region_codes[c] >= 0)
    domains = sorted(mirror_index.domains)
    prefs = ("new", "existing", "any")
    seconds = []
    for i in range(100):
        region = regions[int(rng.integers(len(regions)))]
        domain = domains[int(rng.integers(len(domains)))]
        clock = time.perf_counter()
        mirror_index.search(region, domain=domain, prefer=prefs[i % 3], k=20)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - clock)
    median, p95 = np.median(seconds), np.quantile(seconds, 0.95)
    print(f"\npartner search, 100 queries: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    assert p95 < 1.0
