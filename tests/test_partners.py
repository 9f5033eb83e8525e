"""Partner search (rok.cooperation.partners)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rok.cooperation.partner_store import load_or_build
from rok.cooperation.partners import PartnerIndex, Ties
from rok.cooperation.umbrella import umbrella_flags
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
    got = tiny.search("R1", domain="d", prefer="new", types=None)
    # o3: .5*.4 + .3*1 + .2 = .70; o4: .5*.6 + .3*.5 + .2 = .65; o5: .2 + .15 + .2 = .55;
    # o2 (already a partner, ranked last): .5*.8 + .3*1 + 0 = .70
    assert got["org_id"].tolist() == ["o3", "o4", "o5", "o2"]
    assert got["score"].tolist() == pytest.approx([0.70, 0.65, 0.55, 0.70])
    assert got["distance"].tolist() == [99, 2, 99, 1]
    assert got["complementarity"].tolist() == pytest.approx([0.2, 0.1, 0.1, 0.2])
    assert list(got.columns) == ["org_id", "name", "city", "type", "region", "country", "projects", "latest",
                                 "activity", "complementarity", "distance", "ties", "umbrella", "score", "reasons"]
    assert got["ties"].tolist() == [0, 0, 0, 1]  # o2 shares a project with o1, the one organisation of R1
    reasons = got.set_index("org_id")["reasons"]
    assert "its region R2 is strong in d (RCA 1.50) where R1 is not yet" in reasons["o3"]
    assert "no tie yet (2 steps away from R1)" in reasons["o4"]
    assert "already a partner of R1" in reasons["o2"]
    assert "rank 2 of 5" in reasons["o2"]


def test_prefer_existing_and_any_by_hand(tiny: PartnerIndex) -> None:
    got = tiny.search("R1", domain="d", prefer="existing", types="all")
    # o2: .4 + .3 + .2 = .9; o4: .3 + .15 + .1 = .55; o3: .2 + .3 = .5; o5: .2 + .15 = .35
    assert got["org_id"].tolist() == ["o2", "o4", "o3", "o5"]
    assert got["score"].tolist() == pytest.approx([0.9, 0.55, 0.5, 0.35])
    got = tiny.search("R1", domain="d", prefer="any", types=None)
    assert got["org_id"].tolist() == ["o2", "o3", "o4", "o5"]
    assert got["score"].tolist() == pytest.approx([0.7, 0.5, 0.45, 0.35])


def test_at_most_per_region_by_hand(tiny: PartnerIndex) -> None:
    """prefer=any ranks o2 (R2), o3 (R2), o4 (R3), o5 (R3); one per region keeps the best of each,
    in the same order."""
    assert tiny.search("R1", domain="d", prefer="any", types=None, per_region=1)["org_id"].tolist() == ["o2", "o4"]
    assert tiny.search("R1", domain="d", prefer="any", types=None, per_region=2)["org_id"].tolist() == [
        "o2", "o3", "o4", "o5"]
    assert tiny.search("R1", domain="d", prefer="any", types=None, per_region=1, k=1)["org_id"].tolist() == ["o2"]
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InputError, match="per_region must be"):
            tiny.search("R1", domain="d", per_region=bad)  # type: ignore[arg-type]


def test_filters_and_org_search(tiny: PartnerIndex) -> None:
    assert tiny.search("R1", domain="d", types=["firms"])["org_id"].tolist() == ["o3"]
    assert tiny.search("R1", domain="d", types="hes")["org_id"].tolist() == ["o4"]
    assert tiny.search("R1", domain="d", k=2).shape[0] == 2
    assert "o1" in set(tiny.search("R1", domain="d", exclude_own_region=False)["org_id"])
    # by default the research and innovation actors only: o5 (PUB) is not searched
    assert tiny.search("R1", domain="d")["org_id"].tolist() == ["o3", "o4", "o2"]
    # from o4 (R3): o1 .5 + .3 = .8; o2 .4 + .075 = .475; o3 .2 + .075 = .275 (o5 is in R3)
    got = tiny.search(org="o4", domain="d", prefer="any")
    assert got["org_id"].tolist() == ["o1", "o2", "o3"]
    assert got["score"].tolist() == pytest.approx([0.8, 0.475, 0.275])
    assert got["distance"].tolist() == [2, 1, 99]
    assert "already a partner of the organisation" in got.loc[1, "reasons"]
    assert tiny.search("R3", domain="D")["org_id"].tolist()  # domain case-insensitive


def _with_umbrella() -> PartnerIndex:
    """The tiny index plus o6, a network in R2 with the top activity in d (6): without the rule
    it would come first."""
    activity = pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4", "o5", "o6"], "domain": ["d"] * 6,
                             "value": [5.0, 4.0, 1.0, 2.0, 1.0, 6.0], "projects": [5, 4, 1, 2, 1, 9],
                             "latest": [2019, 2020, 2015, 2018, 2016, 2020]})
    nodes = pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
                          "name": ["One", "Two", "Three", "Four", "Five", "European Research Network"],
                          "activity_type": ["HES", "REC", "PRC", "HES", "PUB", "REC"],
                          "country": ["AA", "BB", "BB", "CC", "CC", "BB"], "region": ["R1", "R2", "R2", "R3", "R3", "R2"]})
    details = pd.DataFrame({"org_id": ["o2", "o6"], "city": ["Bruges", "Brussels"]})
    edges = pd.DataFrame({"source": ["o1", "o2", "o2"], "target": ["o2", "o4", "o1"]})  # o1-o2 listed twice
    regions = ["R1", "R2", "R3"]
    comp = pd.DataFrame([[np.nan, 0.3, 0.4], [0.2, np.nan, 0.1], [0.1, 0.05, np.nan]], index=regions, columns=regions)
    return PartnerIndex.build(activity, nodes, edges, comp, details=details, region_names={"R1": "Region One"})


def test_umbrella_ranked_after_and_evidence() -> None:
    index = _with_umbrella()
    got = index.search("R1", domain="d", prefer="any")
    # a = 1 - #greater / 6: o6 1, o2 4/6, o4 3/6, o3 2/6; c for R1: R2 1, R3 0.5
    # o6 .5 + .3 = .8; o2 .333 + .3 = .633; o3 .167 + .3 = .467; o4 .25 + .15 = .4 (o5, PUB, not searched)
    assert got["org_id"].tolist() == ["o2", "o3", "o4", "o6"]  # o6 scores highest but is an umbrella body
    assert got["score"].tolist() == pytest.approx([0.5 * 4 / 6 + 0.3, 0.5 * 2 / 6 + 0.3, 0.4, 0.8])
    row = got.set_index("org_id").loc["o6"]
    assert row["umbrella"] == "name ('network')" and "ranked after the others" in row["reasons"]
    assert index.search("R1", domain="d", prefer="any", umbrella=True)["org_id"].iloc[0] == "o6"
    two = got.set_index("org_id").loc["o2"]
    assert (two["city"], two["projects"], two["latest"], two["ties"]) == ("Bruges", 4, 2020, 1)
    assert "4 projects in d, latest starting 2020" in two["reasons"]
    assert "already a partner of R1 (1 of its organisations)" in two["reasons"]
    assert index.region_name("R1") == "Region One" and index.check_region("r1") == "R1"


def test_ties_against_scipy() -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 40, 300), rng.integers(0, 40, 300)  # duplicates, both orders, self-ties
    ties = Ties.from_edges(src, dst, 45)  # organisations 40..44 have no tie
    keep = src != dst
    pattern = sp.csr_matrix((np.ones(2 * keep.sum()), (np.r_[src[keep], dst[keep]], np.r_[dst[keep], src[keep]])),
                            shape=(45, 45))
    pattern.sum_duplicates()
    pattern.data[:] = 1.0
    for x in (rng.random(45), (rng.random(45) > 0.7).astype(float), np.zeros(45)):
        assert ties @ x == pytest.approx(pattern @ x)
    assert ties.nnz == pattern.nnz


def test_umbrella_rule_by_hand() -> None:
    orgs = pd.DataFrame({
        "name": ["ASSOCIATION POUR LA RECHERCHE ET LE DEVELOPPEMENT DES METHODES", "EUROPEAN HEALTH TELEMATICS "
                 "ASSOCIATION", "NETWORK RAIL INFRASTRUCTURE LIMITED", "ASOCIACION CENTRO TECNOLOGICO CEIT",
                 "Some Council", "UNIVERSITY OF X", "A Foundation", "Verein Y"],
        "activity_type": ["REC", "REC", "PRC", "REC", "PUB", "HES", "REC", "OTH"],
        "projects": [54, 10, 26, 38, 45, 167, 30, 3], "domains": [14, 3, 3, 6, 9, 8, 7, 1],
        "funded_share": [1.0, 1.0, 1.0, 1.0, 0.9, 0.0, 0.3, 1.0],
        "median_ec": [390000.0, 135000.0, 560000.0, 400000.0, 23000.0, np.nan, 10000.0, 200000.0]})
    flags = umbrella_flags(orgs).tolist()
    # the reference is the median of median_ec over funded organisations (share >= 0.5): 390,000 -> half 195,000
    assert flags[0] == "" and flags[3] == ""  # a research association (legal form) is not an umbrella body
    assert flags[1] == "name ('european health telematics association')"
    assert flags[2] == ""  # firms are exempt from the name rule
    assert flags[4].startswith("45 projects in 9 domains with a median EC contribution of EUR 23,000")
    assert flags[5] == "" and flags[6] == ""  # unfunded (outside the EU) or mostly unfunded: not judged light
    assert flags[7] == "type OTH (associations, networks and other bodies)"


def test_store_round_trip_and_rebuild_on_new_load(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE loads (load_id BIGINT, sha256 VARCHAR, status VARCHAR)")
        con.execute("INSERT INTO loads VALUES (1, 'aa', 'ok'), (2, 'bb', 'ok')")
        con.execute("CREATE TABLE organisations (org_id VARCHAR, nuts2 VARCHAR, name VARCHAR, activity_type VARCHAR, "
                    "city VARCHAR)")
        con.execute("INSERT INTO organisations VALUES ('o1', 'R1', 'One', 'HES', 'Uno')")
    builds = []

    def build() -> PartnerIndex:
        builds.append(1)
        return _with_umbrella()

    sel = {"level": 2, "years": None}
    first, how = load_or_build(db, sel, build, cache=tmp_path / "cache")
    again, how2 = load_or_build(db, sel, build, cache=tmp_path / "cache")
    assert (how["status"], how2["status"], len(builds)) == ("built", "stored", 1)
    assert how2["max_load_id"] == 2 and how2["loads"] == 2
    for kwargs in ({"prefer": "any"}, {"prefer": "new", "types": None}, {"prefer": "existing", "umbrella": True}):
        pd.testing.assert_frame_equal(first.search("R1", domain="d", **kwargs), again.search("R1", domain="d", **kwargs))
    pd.testing.assert_frame_equal(first.search(org="o4", domain="d"), again.search(org="o4", domain="d"))
    assert np.array_equal(again.adjacency.indptr, first.adjacency.indptr)
    assert np.array_equal(again.adjacency.indices, first.adjacency.indices)
    # another selection, a new load, a re-placed organisation: each gives a new key and a new build
    load_or_build(db, {"level": 2, "years": [2015, 2016]}, build, cache=tmp_path / "cache")
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO loads VALUES (3, 'cc', 'ok')")
    assert load_or_build(db, sel, build, cache=tmp_path / "cache")[1]["status"] == "built"
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE organisations SET nuts2 = 'R2'")
    assert load_or_build(db, sel, build, cache=tmp_path / "cache")[1]["status"] == "built"
    assert len(builds) == 4 and len(list((tmp_path / "cache").glob("partners-*.npz"))) == 4
    # a damaged file is rebuilt, not trusted
    damaged = Path(load_or_build(db, sel, build, cache=tmp_path / "cache")[1]["file"])
    damaged.write_bytes(b"not an index")
    assert load_or_build(db, sel, build, cache=tmp_path / "cache")[1]["status"].startswith("rebuilt")
    with pytest.raises(InputError, match="no warehouse"):
        load_or_build(tmp_path / "none.duckdb", sel, build, cache=tmp_path / "cache")


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
    print(got[["name", "city", "type", "region", "projects", "latest", "ties", "umbrella", "score"]].to_string())
    assert len(got) == 20 and (got["region"] != "DE21").all()
    assert set(got["type"]) <= {"HES", "REC", "PRC"} and (got["umbrella"] == "").all()
    assert (got["projects"] >= 1).all() and got["latest"].between(2014, 2030).all()
    assert (got["distance"] != 1).all()  # prefer="new" with thousands of candidates
    assert got["reasons"].str.len().gt(0).all()
    firms = mirror_index.search("DE21", domain="SC1", types=["PRC", "PUB"], prefer="existing", k=30)
    assert set(firms["type"]) <= {"PRC", "PUB"} and (firms["region"] != "DE21").all()
    assert (firms["distance"] == 1).any()
    spread = mirror_index.search("PL82", domain="SC3", k=20, per_region=3)
    assert len(spread) == 20 and spread["region"].value_counts().max() <= 3
    unlimited = mirror_index.search("PL82", domain="SC3", k=200)
    kept = unlimited[unlimited.groupby("region").cumcount() < 3].head(20)  # the same, filtered by hand
    assert spread["org_id"].tolist() == kept["org_id"].tolist()
    own = mirror_index.search("DE21", domain="SC1", exclude_own_region=False, prefer="any", k=200)
    assert (own["score"].diff().dropna() <= 1e-12).all()
    with pytest.raises(InputError):
        mirror_index.search("XX99", domain="SC1")
    # with every type, the umbrella bodies come after all others unless asked for
    everyone = mirror_index.search("DE21", domain="SC1", types=None, prefer="any", k=5000)
    flagged = (everyone["umbrella"] != "").to_numpy()
    assert flagged.any() and not flagged[: int((~flagged).sum())].any()
    print(f"\numbrella bodies among the SC1 organisations: {int(flagged.sum())} of {len(everyone)}; e.g.\n"
          + everyone.loc[flagged, ["name", "type", "umbrella"]].head(8).to_string())


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
