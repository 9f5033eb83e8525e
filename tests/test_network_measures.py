"""Co-participation networks on DuckDB and Spark: hand-computed edges on a tiny warehouse,
equal results of both engines on the real mirror, Newman's strength identity, bad input.

The tiny warehouse (taxonomy ``h2020-part``; SC1 sits below PILLAR:SOCIETAL_CHALLENGES):

====  =====  ======  ==========================================  ===
proj  start  domain  participants (distinct organisations)        n_j
====  =====  ======  ==========================================  ===
P1    2015   ERC     A1, B1, C1                                  3
P2    2016   SC1     A1 (twice: coordinator and participant),    4
                     A2, B1, U
P3    2017   LEIT    A2, B2                                      2
P4    2018   SC1     C1 alone (no edge)                          1
====  =====  ======  ==========================================  ===

Organisations: A1 DE111/DE11/DE1, A2 DE112/DE11/DE1, B1 DE212/DE21/DE2,
B2 -/DE21/DE2 (no NUTS 3 code), C1 FR101/FR10/FR1, U unplaced.

Fractional unit of a pair in project j: 1 / (n_j - 1): P1 1/2, P2 1/3, P3 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from rok.errors import InputError
from rok.measures import Engine, Selection, open_engine
from rok.measures.networks import (
    network_coverage,
    org_edges,
    org_nodes,
    region_edges,
    region_nodes,
)
from rok.warehouse import Warehouse

ORGS = [  # org_id, name, activity_type, country, nuts3, nuts2, nuts1
    ("A1", "Alpha University", "HES", "DE", "DE111", "DE11", "DE1"),
    ("A2", "Alpha Works", "PRC", "DE", "DE112", "DE11", "DE1"),
    ("B1", "Beta Institute", "REC", "DE", "DE212", "DE21", "DE2"),
    ("B2", "Beta Works", "PRC", "DE", None, "DE21", "DE2"),
    ("C1", "Gamma Agency", "PUB", "FR", "FR101", "FR10", "FR1"),
    ("U", "Unplaced Ltd", "OTH", None, None, None, None),
]
PROJECTS = [("P1", 2015), ("P2", 2016), ("P3", 2017), ("P4", 2018)]
TAGS = [("P1", "ERC"), ("P2", "SC1"), ("P3", "LEIT"), ("P4", "SC1")]
PARTICIPATIONS = [  # project_id, org_id, role
    ("P1", "A1", "coordinator"), ("P1", "B1", "participant"), ("P1", "C1", "participant"),
    ("P2", "A1", "coordinator"), ("P2", "A1", "participant"), ("P2", "A2", "participant"),
    ("P2", "B1", "participant"), ("P2", "U", "participant"),
    ("P3", "A2", "coordinator"), ("P3", "B2", "participant"),
    ("P4", "C1", "coordinator"),
]  # fmt: skip
DOMAINS = [  # code, parent
    ("ERC", "PILLAR:EXCELLENT_SCIENCE"),
    ("SC1", "PILLAR:SOCIETAL_CHALLENGES"),
    ("LEIT", "PILLAR:INDUSTRIAL_LEADERSHIP"),
    ("PILLAR:EXCELLENT_SCIENCE", None),
    ("PILLAR:SOCIETAL_CHALLENGES", None),
    ("PILLAR:INDUSTRIAL_LEADERSHIP", None),
]

ENGINE_PARAMS = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]

# org pairs: (full = shared projects, fractional = sum over shared projects of 1 / (n_j - 1))
ORG_EDGES = {
    ("A1", "A2"): (1, 1 / 3),  # P2
    ("A1", "B1"): (2, 1 / 2 + 1 / 3),  # P1, P2 (A1's two roles in P2 count once)
    ("A1", "C1"): (1, 1 / 2),  # P1
    ("A1", "U"): (1, 1 / 3),  # P2
    ("A2", "B1"): (1, 1 / 3),  # P2
    ("A2", "B2"): (1, 1.0),  # P3
    ("A2", "U"): (1, 1 / 3),  # P2
    ("B1", "C1"): (1, 1 / 2),  # P1
    ("B1", "U"): (1, 1 / 3),  # P2
}
# NUTS 2 region pairs: (weight full, weight fractional, projects); pairs with U dropped
REGION_EDGES_2 = {
    ("DE11", "DE11"): (1, 1 / 3, 1),  # P2 A1-A2: a self-loop
    ("DE11", "DE21"): (4, 1 / 2 + 2 / 3 + 1, 3),  # P1 A1-B1; P2 A1-B1, A2-B1; P3 A2-B2
    ("DE11", "FR10"): (1, 1 / 2, 1),  # P1 A1-C1
    ("DE21", "FR10"): (1, 1 / 2, 1),  # P1 B1-C1
}


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("networks") / "tiny.duckdb"
    with Warehouse(path) as wh:
        con = wh.con
        con.executemany(
            "INSERT INTO organisations (org_id, name, activity_type, country, nuts3, nuts2, nuts1) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ORGS,
        )
        con.executemany("INSERT INTO projects (project_id, start_year) VALUES (?, ?)", PROJECTS)
        con.executemany("INSERT INTO project_domains VALUES (?, 'h2020-part', ?, 1.0, NULL)", TAGS)
        con.executemany(
            "INSERT INTO participations (project_id, org_id, role) VALUES (?, ?, ?)", PARTICIPATIONS
        )
        con.executemany(
            "INSERT INTO domains (taxonomy, code, name, parent) VALUES ('h2020-part', ?, ?, ?)",
            [(code, code, parent) for code, parent in DOMAINS],
        )
    return path


@pytest.fixture(scope="module", params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest, tiny_db: Path) -> Iterator[Engine]:
    with open_engine(request.param, tiny_db) as opened:
        yield opened


@pytest.fixture(scope="module")
def mirror_pair(mirror_db: Path) -> Iterator[tuple[Engine, Engine]]:
    with open_engine("duckdb", mirror_db) as duck, open_engine("spark", mirror_db) as spark:
        yield duck, spark


def weights(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(s, t): w for s, t, w in frame[["source", "target", "weight"]].itertuples(index=False)}


def exactly(expected: dict[tuple[str, str], float]) -> object:
    return pytest.approx(expected, rel=0, abs=1e-12)


# -- hand-computed values --------------------------------------------------------------------


def test_org_edges_full(engine: Engine) -> None:
    got = org_edges(engine, Selection(counting="full"))
    assert list(got.columns) == ["source", "target", "weight", "projects"]
    assert (got.dtypes.to_dict()) == {
        "source": object,
        "target": object,
        "weight": "float64",
        "projects": "int64",
    }
    assert weights(got) == exactly({pair: float(full) for pair, (full, _) in ORG_EDGES.items()})
    assert (got["projects"] == got["weight"]).all()  # full counting: the shared projects
    assert list(zip(got.source, got.target, strict=True)) == sorted(ORG_EDGES)  # sorted, source < target


def test_org_edges_fractional(engine: Engine) -> None:
    got = org_edges(engine)  # default selection: fractional counting
    assert weights(got) == exactly({pair: frac for pair, (_, frac) in ORG_EDGES.items()})
    assert dict(zip(zip(got.source, got.target, strict=True), got.projects, strict=True)) == {
        pair: full for pair, (full, _) in ORG_EDGES.items()
    }
    # Newman's identity: 2 * total weight = participations in projects with >= 2 organisations (P1-P3: 3+4+2)
    assert 2 * got["weight"].sum() == pytest.approx(9.0)


def test_region_edges_full_and_fractional(engine: Engine) -> None:
    for counting, position in (("full", 0), ("fractional", 1)):
        got = region_edges(engine, Selection(level=2, counting=counting))
        assert list(got.columns) == ["source", "target", "weight", "projects", "internal"]
        assert weights(got) == exactly({pair: float(v[position]) for pair, v in REGION_EDGES_2.items()})
        assert got.set_index(["source", "target"])["projects"].to_dict() == {
            pair: v[2] for pair, v in REGION_EDGES_2.items()
        }
        assert got["internal"].dtype == bool
        assert got.loc[got.internal, ["source", "target"]].values.tolist() == [["DE11", "DE11"]]


def test_region_edges_level3_drops_unplaced_pairs(engine: Engine) -> None:
    got = region_edges(engine, Selection(level=3, counting="fractional"))
    # B2 has no NUTS 3 code: P3's only pair A2-B2 goes; A1 and A2 are now in different regions
    assert weights(got) == exactly(
        {
            ("DE111", "DE112"): 1 / 3,  # P2 A1-A2
            ("DE111", "DE212"): 1 / 2 + 1 / 3,  # P1, P2 A1-B1
            ("DE111", "FR101"): 1 / 2,  # P1 A1-C1
            ("DE112", "DE212"): 1 / 3,  # P2 A2-B1
            ("DE212", "FR101"): 1 / 2,  # P1 B1-C1
        }
    )
    assert not got["internal"].any()
    assert network_coverage(engine, Selection(level=3))["unplaced_pairs"] == 4  # U's three pairs + A2-B2


def test_period_and_domain(engine: Engine) -> None:
    window = org_edges(engine, Selection(counting="fractional", years=(2016, 2017)))  # P2, P3
    third = 1 / 3  # P2's six pairs
    assert weights(window) == exactly(
        {
            ("A1", "A2"): third, ("A1", "B1"): third, ("A1", "U"): third,
            ("A2", "B1"): third, ("A2", "U"): third, ("B1", "U"): third,
            ("A2", "B2"): 1.0,  # P3
        }
    )  # fmt: skip
    sc1 = region_edges(engine, Selection(level=2, counting="full"), domain="SC1")  # P2 (P4 has one org)
    assert weights(sc1) == exactly({("DE11", "DE11"): 1.0, ("DE11", "DE21"): 2.0})
    pillar = region_edges(engine, Selection(level=2, counting="full"), domain="PILLAR:SOCIETAL_CHALLENGES")
    assert pillar.equals(sc1)  # a domain keeps the projects of the domains below it
    erc = org_edges(engine, Selection(counting="fractional"), domain="ERC")  # P1
    assert weights(erc) == exactly({("A1", "B1"): 0.5, ("A1", "C1"): 0.5, ("B1", "C1"): 0.5})


def test_projects_with_one_organisation_give_no_edge(engine: Engine) -> None:
    got = org_edges(engine, Selection(years=(2018, 2018)), domain="SC1")  # P4: C1 alone
    assert got.empty and list(got.columns) == ["source", "target", "weight", "projects"]
    nodes = org_nodes(engine, Selection(years=(2018, 2018)))
    assert nodes["org_id"].tolist() == ["C1"] and nodes["participations"].tolist() == [1]


def test_nodes(engine: Engine) -> None:
    orgs = org_nodes(engine, Selection(level=2))
    assert list(orgs.columns) == ["org_id", "name", "activity_type", "country", "region", "participations"]
    assert orgs.set_index("org_id")["participations"].to_dict() == {
        "A1": 2, "A2": 2, "B1": 2, "B2": 1, "C1": 2, "U": 1,  # A1's two roles in P2 count once
    }  # fmt: skip
    first = orgs.iloc[0]
    assert (first["name"], first["activity_type"], first["country"], first["region"]) == (
        "Alpha University", "HES", "DE", "DE11",
    )  # fmt: skip
    assert orgs.set_index("org_id")["region"].isna().to_dict()["U"]
    regions = region_nodes(engine, Selection(level=2))
    assert regions.values.tolist() == [["DE11", 4, 2], ["DE21", 3, 2], ["FR10", 2, 1]]  # U left out


def test_coverage(engine: Engine) -> None:
    got = network_coverage(engine, Selection(level=2))
    selection = got.pop("selection")
    assert "all years, taxonomy h2020-part" in selection and selection.endswith("all domains")  # type: ignore[operator]  # type: ignore[misc]
    assert got == pytest.approx(
        {
            "projects": 4,
            "single_org_projects": 1,  # P4
            "participations": 10,  # 11 rows, A1 twice in P2
            "org_pairs": 10,  # P1 3 + P2 6 + P3 1
            "org_edges": 9,  # A1-B1 in P1 and P2
            "unplaced_pairs": 3,  # U with A1, A2, B1 in P2
            "region_pairs": 7,
            "region_edges": 4,
            "internal_edges": 1,
            "weight": 4.5,  # 9 / 2
            "unplaced_weight": 1.0,  # three pairs of 1/3
        },
        abs=1e-12,
    )


# -- bad input -------------------------------------------------------------------------------


def test_bad_input(engine: Engine) -> None:
    with pytest.raises(
        InputError, match="value 'funding': networks count co-participations; use --measure participations"
    ):
        org_edges(engine, Selection(measure="funding"))
    with pytest.raises(InputError, match="networks count co-participations"):
        region_edges(engine, Selection(measure="funding"))
    with pytest.raises(
        InputError, match=r"value 'SC9': unknown domain in taxonomy h2020-part; expected one of ERC, LEIT"
    ):
        region_edges(engine, domain="SC9")
    with pytest.raises(InputError, match="taxonomy 'nope' has no domains"):
        org_edges(engine, Selection(taxonomy="nope"), domain="SC1")
    with pytest.raises(InputError, match="no projects in the selection: .*start years 1990-1991"):
        org_edges(engine, Selection(years=(1990, 1991)))
    with pytest.raises(InputError, match="no projects in the selection: .*start years 2015-2015.*domain SC1"):
        region_edges(engine, Selection(years=(2015, 2015)), domain="SC1")
    with pytest.raises(InputError, match="no projects in the selection"):
        region_nodes(engine, Selection(years=(1990, 1991)))


# -- the real mirror: DuckDB and Spark agree, Newman's identity holds ------------------------


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert len(duck) > 0
    keys = ["source", "target"]
    duck = duck.sort_values(keys).reset_index(drop=True)
    spark = spark.sort_values(keys).reset_index(drop=True)
    assert duck[keys].equals(spark[keys])
    for column in duck.columns.difference(keys):
        pd.testing.assert_series_equal(duck[column], spark[column], rtol=1e-9, atol=1e-9)


MIRROR_REGION_CASES = [
    (Selection(level=2, counting="fractional"), None),
    (Selection(level=2, counting="full"), None),
    (Selection(level=2, counting="fractional", years=(2016, 2018)), None),
    (Selection(level=2, counting="full"), "SC1"),
]


@pytest.mark.spark
@pytest.mark.mirror
@pytest.mark.parametrize(("sel", "domain"), MIRROR_REGION_CASES, ids=lambda c: str(c))
def test_engines_agree_on_mirror_regions(
    mirror_pair: tuple[Engine, Engine], sel: Selection, domain: str | None
) -> None:
    duck, spark = mirror_pair
    assert_same(region_edges(duck, sel, domain=domain), region_edges(spark, sel, domain=domain))


@pytest.mark.spark
@pytest.mark.mirror
def test_engines_agree_on_mirror_orgs(mirror_pair: tuple[Engine, Engine]) -> None:
    duck, spark = mirror_pair
    sel = Selection(counting="fractional", years=(2019, 2020))
    assert_same(org_edges(duck, sel), org_edges(spark, sel))


@pytest.mark.mirror
def test_mirror_newman_identity_and_coverage(mirror_db: Path) -> None:
    with open_engine("duckdb", mirror_db) as duck:
        edges = org_edges(duck, Selection(counting="fractional"))
        table = duck.table("participations")
        members = duck.execute(table.select("project_id", "org_id").distinct())
        sizes = members.groupby("project_id")["org_id"].transform("size")
        shared = int((sizes >= 2).sum())
        # each participant's unit is spread over its n_j - 1 partners
        assert 2 * edges["weight"].sum() == pytest.approx(shared, rel=1e-9)
        assert (edges["source"] < edges["target"]).all()
        assert not edges.duplicated(["source", "target"]).any()
        cover = network_coverage(duck, Selection(level=2, counting="fractional"))
        assert cover["org_edges"] == len(edges) and cover["participations"] == len(members)
        assert cover["participations"] - cover["single_org_projects"] == shared
        regions = region_edges(duck, Selection(level=2, counting="fractional"))
        assert len(regions) == cover["region_edges"] and regions["internal"].sum() == cover["internal_edges"]
        assert regions["weight"].sum() + cover["unplaced_weight"] == pytest.approx(cover["weight"], rel=1e-9)
        full = region_edges(duck, Selection(level=2, counting="full"))
        assert full["weight"].sum() == cover["region_pairs"]
        assert (full["projects"] <= full["weight"]).all()


@pytest.mark.mirror
def test_mirror_org_edges_match_pandas(mirror_db: Path) -> None:
    """An independent pair count with pandas for a recent window."""
    with open_engine("duckdb", mirror_db) as duck:
        sel = Selection(counting="fractional", years=(2021, 2022))
        got = org_edges(duck, sel)
        p, projects = duck.table("participations"), duck.table("projects")
        window = projects.filter(projects.start_year.between(2021, 2022)).select("project_id")
        members = duck.execute(p.join(window, "project_id").select("project_id", "org_id").distinct())
    members["n"] = members.groupby("project_id")["org_id"].transform("size")
    pairs = members.merge(members[["project_id", "org_id"]], on="project_id", suffixes=("_s", "_t"))
    pairs = pairs[pairs.org_id_s < pairs.org_id_t]
    pairs = pairs.assign(unit=1.0 / (pairs.n - 1))
    expected = (
        pairs.groupby(["org_id_s", "org_id_t"])
        .agg(weight=("unit", "sum"), projects=("unit", "size"))
        .reset_index()
        .rename(columns={"org_id_s": "source", "org_id_t": "target"})
    )
    assert_same(got, expected.astype({"projects": "int64"}))
