"""Measures on DuckDB and Spark: hand-computed values on a tiny warehouse, equal results
of both engines on the tiny warehouse and on the real mirror, and clean bad-input errors.

The tiny warehouse (three NUTS 2 regions, taxonomy ``h2020-part``):

====  =====  ===========  ===========================================  =====
proj  start  domains      participations: org (type, EC EUR)           n_j
====  =====  ===========  ===========================================  =====
P1    2015   ERC 1        A1 (HES 100), B1 (REC 50)                    2
P2    2016   SC1 .5,      A1 (HES 200), A2 (PRC 100), C1 (PUB 60),     4
             LEIT .5      U (OTH 40)
P3    2018   LEIT 1       B2 (PRC 300), C2 (HES, EC unknown), A2 (PRC 30)  3
P4    NULL   SC1 1        C1 (PUB 10)                                  1
P5    2017   (none)       A1 (HES 5), C2 (type unknown, 7)             2
====  =====  ===========  ===========================================  =====

Organisations: A1 DE111/DE11/DE1, A2 DE112/DE11/DE1, B1 DE212/DE21/DE2,
B2 -/DE21/DE2 (placed at NUTS 2 but not 3), C1 FR101/FR10/FR1, C2 FR102/FR10/FR1,
U unplaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from rok.errors import EngineError, InputError, SchemaError
from rok.measures import (
    Engine,
    Selection,
    activity,
    activity_matrix,
    actor_mix,
    coverage,
    open_engine,
)
from rok.measures.engine import export_parquet
from rok.warehouse import Warehouse

ORGS = [  # org_id, activity_type, nuts3, nuts2, nuts1
    ("A1", "HES", "DE111", "DE11", "DE1"),
    ("A2", "PRC", "DE112", "DE11", "DE1"),
    ("B1", "REC", "DE212", "DE21", "DE2"),
    ("B2", "PRC", None, "DE21", "DE2"),
    ("C1", "PUB", "FR101", "FR10", "FR1"),
    ("C2", "HES", "FR102", "FR10", "FR1"),
    ("U", "OTH", None, None, None),
]
PROJECTS = [("P1", 2015), ("P2", 2016), ("P3", 2018), ("P4", None), ("P5", 2017)]
WEIGHTS = [
    ("P1", "ERC", 1.0),
    ("P2", "SC1", 0.5),
    ("P2", "LEIT", 0.5),
    ("P3", "LEIT", 1.0),
    ("P4", "SC1", 1.0),
]
PARTICIPATIONS = [  # project_id, org_id, activity_type, ec_contribution
    ("P1", "A1", "HES", 100.0), ("P1", "B1", "REC", 50.0),
    ("P2", "A1", "HES", 200.0), ("P2", "A2", "PRC", 100.0), ("P2", "C1", "PUB", 60.0), ("P2", "U", "OTH", 40.0),
    ("P3", "B2", "PRC", 300.0), ("P3", "C2", "HES", None), ("P3", "A2", "PRC", 30.0),
    ("P4", "C1", "PUB", 10.0),
    ("P5", "A1", "HES", 5.0), ("P5", "C2", None, 7.0),
]  # fmt: skip

ENGINE_PARAMS = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("measures") / "tiny.duckdb"
    with Warehouse(path) as wh:
        con = wh.con
        con.executemany(
            "INSERT INTO organisations (org_id, activity_type, nuts3, nuts2, nuts1) VALUES (?, ?, ?, ?, ?)",
            ORGS,
        )
        con.executemany("INSERT INTO projects (project_id, start_year) VALUES (?, ?)", PROJECTS)
        con.executemany("INSERT INTO project_domains VALUES (?, 'h2020-part', ?, ?, NULL)", WEIGHTS)
        con.executemany(
            "INSERT INTO participations (project_id, org_id, role, activity_type, ec_contribution) "
            "VALUES (?, ?, 'participant', ?, ?)",
            PARTICIPATIONS,
        )
        con.executemany(
            "INSERT INTO domains (taxonomy, code, name) VALUES ('h2020-part', ?, ?)",
            [("ERC", "European Research Council"), ("SC1", "Health"), ("LEIT", "Industrial technologies")],
        )
    return path


@pytest.fixture(scope="module", params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest, tiny_db: Path) -> Iterator[Engine]:
    with open_engine(request.param, tiny_db) as opened:
        yield opened


@pytest.fixture(scope="module")
def tiny_pair(tiny_db: Path) -> Iterator[tuple[Engine, Engine]]:
    with open_engine("duckdb", tiny_db) as duck, open_engine("spark", tiny_db) as spark:
        yield duck, spark


@pytest.fixture(scope="module")
def mirror_pair(mirror_db: Path) -> Iterator[tuple[Engine, Engine]]:
    with open_engine("duckdb", mirror_db) as duck, open_engine("spark", mirror_db) as spark:
        yield duck, spark


def cells(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(r, d): v for r, d, v in frame[["region", "domain", "value"]].itertuples(index=False)}


def exactly(expected: dict[tuple[str, str], float]) -> object:
    """The same cells, values equal to 1e-12."""
    return pytest.approx(expected, rel=0, abs=1e-12)


# -- hand-computed values --------------------------------------------------------------------


def test_full_counting_level2(engine: Engine) -> None:
    got = activity(engine, Selection(level=2, counting="full"))
    assert cells(got) == exactly(
        {
            ("DE11", "ERC"): 1.0,  # P1 A1
            ("DE11", "LEIT"): 2.0,  # P2 A1 .5 + P2 A2 .5 + P3 A2 1
            ("DE11", "SC1"): 1.0,  # P2 A1 .5 + P2 A2 .5
            ("DE21", "ERC"): 1.0,  # P1 B1
            ("DE21", "LEIT"): 1.0,  # P3 B2
            ("FR10", "LEIT"): 1.5,  # P2 C1 .5 + P3 C2 1
            ("FR10", "SC1"): 1.5,  # P2 C1 .5 + P4 C1 1
        }
    )
    assert list(got.columns) == ["region", "domain", "value"] and got["value"].dtype == "float64"
    assert list(zip(got.region, got.domain, strict=True)) == sorted(zip(got.region, got.domain, strict=True))


def test_fractional_counting_level2(engine: Engine) -> None:
    got = activity(engine, Selection(level=2, counting="fractional"))
    assert cells(got) == exactly(
        {
            ("DE11", "ERC"): 0.5,  # P1 A1: 1/2
            ("DE11", "LEIT"): 0.25 + 1 / 3,  # P2 A1, A2: .5/4 each; P3 A2: 1/3
            ("DE11", "SC1"): 0.25,  # P2 A1, A2: .5/4 each
            ("DE21", "ERC"): 0.5,  # P1 B1: 1/2
            ("DE21", "LEIT"): 1 / 3,  # P3 B2: 1/3
            ("FR10", "LEIT"): 0.125 + 1 / 3,  # P2 C1: .5/4; P3 C2: 1/3
            ("FR10", "SC1"): 0.125 + 1.0,  # P2 C1: .5/4; P4 C1: 1/1
        }
    )
    # four projects with a domain; U's quarter of P2 is unplaced: 4 - 1/4
    assert got["value"].sum() == pytest.approx(3.75)


def test_funding_level2_same_under_both_countings(engine: Engine) -> None:
    expected = {
        ("DE11", "ERC"): 100.0,  # P1 A1
        ("DE11", "LEIT"): 180.0,  # P2 (200 + 100) * .5 + P3 A2 30
        ("DE11", "SC1"): 150.0,  # P2 (200 + 100) * .5
        ("DE21", "ERC"): 50.0,  # P1 B1
        ("DE21", "LEIT"): 300.0,  # P3 B2
        ("FR10", "LEIT"): 30.0,  # P2 C1 60 * .5 + P3 C2 unknown (0)
        ("FR10", "SC1"): 40.0,  # P2 C1 60 * .5 + P4 C1 10
    }
    for counting in ("full", "fractional"):
        assert cells(activity(engine, Selection(measure="funding", counting=counting))) == exactly(expected)


def test_funding_keeps_a_region_with_participations_but_no_money(engine: Engine) -> None:
    # FR102 (C2) takes part in P3 (LEIT) with an unknown EC contribution: a cell of value 0, kept, so
    # that the analyses can leave the region out by name instead of never seeing it
    sel = Selection(level=3, measure="funding")
    got = cells(activity(engine, sel))
    assert got[("FR102", "LEIT")] == 0.0
    matrix = activity_matrix(engine, sel)
    assert matrix.loc["FR102"].sum() == 0.0 and (matrix.drop(index="FR102").sum(axis=1) > 0).all()


def test_levels_follow_the_organisations_codes(engine: Engine) -> None:
    level3 = cells(activity(engine, Selection(level=3, counting="full")))
    # B2 has no NUTS 3 code: DE212 keeps only B1's P1
    assert level3[("DE212", "ERC")] == 1.0 and not any(r == "DE212" and d == "LEIT" for r, d in level3)
    assert level3[("DE112", "LEIT")] == 1.5  # A2: P2 .5 + P3 1
    assert sum(level3.values()) == pytest.approx(8.0)  # 9 counted at NUTS 2, less B2 in P3
    level1 = activity(engine, Selection(level=1, counting="fractional"))
    assert set(level1.region) == {"DE1", "DE2", "FR1"} and level1["value"].sum() == pytest.approx(3.75)


def test_year_window_filters_on_start_year(engine: Engine) -> None:
    got = activity(engine, Selection(counting="full", years=(2015, 2016)))  # P1, P2; P4 (no year) excluded
    assert cells(got) == exactly(
        {
            ("DE11", "ERC"): 1.0,
            ("DE11", "LEIT"): 1.0,
            ("DE11", "SC1"): 1.0,
            ("DE21", "ERC"): 1.0,
            ("FR10", "LEIT"): 0.5,
            ("FR10", "SC1"): 0.5,
        }
    )


def test_activity_matrix(engine: Engine) -> None:
    matrix = activity_matrix(engine, Selection(counting="full"))
    assert list(matrix.index) == ["DE11", "DE21", "FR10"] and list(matrix.columns) == ["ERC", "LEIT", "SC1"]
    assert matrix.loc["DE21", "SC1"] == 0.0 and matrix.loc["DE11", "LEIT"] == 2.0
    assert (matrix.dtypes == "float64").all() and matrix.to_numpy().sum() == pytest.approx(9.0)


def test_actor_mix(engine: Engine) -> None:
    mix = actor_mix(engine, Selection(counting="full")).set_index(["region", "activity_type"])
    # P5 counts (no taxonomy here); C2's untyped P5 participation counts as OTH
    assert mix["participations"].to_dict() == {
        ("DE11", "HES"): 3.0, ("DE11", "PRC"): 2.0,  # A1: P1, P2, P5; A2: P2, P3
        ("DE21", "PRC"): 1.0, ("DE21", "REC"): 1.0,  # B2: P3; B1: P1
        ("FR10", "HES"): 1.0, ("FR10", "OTH"): 1.0, ("FR10", "PUB"): 2.0,  # C2: P3; C2: P5; C1: P2, P4
    }  # fmt: skip
    assert mix["funding"].to_dict() == {
        ("DE11", "HES"): 305.0, ("DE11", "PRC"): 130.0,
        ("DE21", "PRC"): 300.0, ("DE21", "REC"): 50.0,
        ("FR10", "HES"): 0.0, ("FR10", "OTH"): 7.0, ("FR10", "PUB"): 70.0,
    }  # fmt: skip
    assert (mix["organisations"] == 1).all()
    assert mix.loc[("DE11", "HES"), "share"] == pytest.approx(0.6)
    assert mix.loc[("FR10", "PUB"), "share"] == pytest.approx(0.5)
    assert mix.groupby(level="region")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0, 1.0])


def test_actor_mix_fractional(engine: Engine) -> None:
    mix = actor_mix(engine, Selection(counting="fractional")).set_index(["region", "activity_type"])
    assert mix.loc[("DE11", "HES"), "participations"] == pytest.approx(1 / 2 + 1 / 4 + 1 / 2)  # P1, P2, P5
    assert mix.loc[("DE11", "PRC"), "participations"] == pytest.approx(1 / 4 + 1 / 3)  # P2, P3


def test_coverage(engine: Engine) -> None:
    full = coverage(engine, Selection(counting="full"))
    assert {k: v for k, v in full.items() if k != "selection"} == {
        "participations": 12,
        "in_period": 12,
        "placed": 11,  # all but U
        "counted": 9,  # less P5's two (no domain)
        "value_counted": 9.0,
        "value_in_period": 10.0,  # P1-P4 participations, U included
    }
    window = coverage(engine, Selection(counting="fractional", years=(2015, 2016)))
    assert (window["in_period"], window["placed"], window["counted"]) == (6, 5, 5)
    assert window["value_counted"] == pytest.approx(1.75)  # P1 1 + P2 3/4
    assert window["value_in_period"] == pytest.approx(2.0)  # two projects
    assert "fractional counting, start years 2015-2016" in str(window["selection"])


def test_activity_totals_match_coverage(engine: Engine) -> None:
    for measure, counting in [
        ("participations", "full"),
        ("participations", "fractional"),
        ("funding", "full"),
    ]:
        sel = Selection(level=3, measure=measure, counting=counting, years=(2015, 2018))
        assert activity(engine, sel)["value"].sum() == pytest.approx(coverage(engine, sel)["value_counted"])


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 4}, "column 'level', value '4': NUTS level must be one of 1, 2, 3"),
        ({"level": "2"}, "NUTS level must be one of 1, 2, 3"),
        ({"measure": "projects"}, "value 'projects': measure must be one of participations, funding"),
        ({"counting": "whole"}, "value 'whole': counting must be one of full, fractional"),
        ({"years": (2018, 2015)}, "years are reversed: from 2018 is after to 2015"),
        ({"years": (2015,)}, "years must be a pair"),
        ({"years": ("2015", "2016")}, "whole numbers"),
        ({"taxonomy": ""}, "taxonomy must be a non-empty name"),
    ],
)
def test_bad_selection(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Selection(**kwargs)  # type: ignore[arg-type]


def test_empty_selection(engine: Engine) -> None:
    with pytest.raises(InputError, match="no participations in the selection: .*start years 1990-1991"):
        activity(engine, Selection(years=(1990, 1991)))
    with pytest.raises(InputError, match="no participations in the selection: .*taxonomy nope"):
        activity(engine, Selection(taxonomy="nope"))
    with pytest.raises(InputError, match="no participations in the selection"):
        actor_mix(engine, Selection(years=(1990, 1991)))


def test_unknown_engine_and_missing_warehouse(tiny_db: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="value 'postgres': unknown engine; expected one of duckdb, spark"):
        open_engine("postgres", tiny_db)
    with pytest.raises(
        InputError, match=r"absent\.duckdb: warehouse file not found; run `rok ingest mirror`"
    ):
        open_engine("duckdb", tmp_path / "absent.duckdb")
    duckdb.connect(str(tmp_path / "other.duckdb")).close()  # a DuckDB file, but not a warehouse
    with pytest.raises(SchemaError, match=r"other\.duckdb is not a rok warehouse \(no schema_info table\)"):
        open_engine("duckdb", tmp_path / "other.duckdb")


def test_spark_missing_gives_install_hint(tiny_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pyspark.errors", None)
    with pytest.raises(EngineError, match=r"pip install 'rok\[spark\]'"):
        open_engine("spark", tiny_db)


def test_parquet_export_is_cached_per_file_version(tiny_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(tiny_db.read_bytes())
    first = export_parquet(copy)
    assert export_parquet(copy) == first and (first / "participations.parquet").is_file()
    with Warehouse(copy) as wh:
        wh.con.execute("DELETE FROM participations WHERE project_id = 'P5'")
    assert export_parquet(copy) != first


# -- DuckDB and Spark agree ------------------------------------------------------------------

KINDS = [("participations", "full"), ("participations", "fractional"), ("funding", "fractional")]
WINDOWS = [None, (2016, 2018)]
SELECTIONS = [  # every level x kind x window: on the mirror
    Selection(level=level, measure=measure, counting=counting, years=years)
    for level, (measure, counting), years in product((1, 2, 3), KINDS, WINDOWS)
]
TINY_SELECTIONS = SELECTIONS[::2]  # every level x kind, windows alternating (hand values cover the rest)


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str]) -> None:
    assert len(duck) > 0
    assert duck[keys].equals(spark[keys])
    for column in duck.columns.difference(keys):
        pd.testing.assert_series_equal(duck[column], spark[column], rtol=1e-9, atol=1e-9)


@pytest.mark.spark
@pytest.mark.parametrize("sel", TINY_SELECTIONS, ids=lambda s: s.describe())
def test_engines_agree_on_tiny(tiny_pair: tuple[Engine, Engine], sel: Selection) -> None:
    duck, spark = tiny_pair
    assert_same(activity(duck, sel), activity(spark, sel), ["region", "domain"])
    assert_same(actor_mix(duck, sel), actor_mix(spark, sel), ["region", "activity_type"])


@pytest.mark.spark
@pytest.mark.mirror
@pytest.mark.parametrize("sel", SELECTIONS, ids=lambda s: s.describe())
def test_engines_agree_on_mirror(mirror_pair: tuple[Engine, Engine], sel: Selection) -> None:
    duck, spark = mirror_pair
    assert_same(activity(duck, sel), activity(spark, sel), ["region", "domain"])


@pytest.mark.spark
@pytest.mark.mirror
def test_engines_agree_on_mirror_actor_mix_and_coverage(mirror_pair: tuple[Engine, Engine]) -> None:
    duck, spark = mirror_pair
    sel = Selection(level=2, counting="fractional", years=(2015, 2019))
    assert_same(actor_mix(duck, sel), actor_mix(spark, sel), ["region", "activity_type"])
    on_duck, on_spark = dict(coverage(duck, sel)), dict(coverage(spark, sel))
    assert on_duck.pop("selection") == on_spark.pop("selection")
    assert on_duck == pytest.approx(on_spark, rel=1e-9)


# -- the real mirror makes sense -------------------------------------------------------------


@pytest.mark.mirror
def test_mirror_totals(mirror_db: Path) -> None:
    with open_engine("duckdb", mirror_db) as duck:
        projects = int(
            duck.execute(duck.table("projects").aggregate(n=duck.table("projects").count()))["n"][0]
        )
        for level in (1, 2, 3):
            sel = Selection(level=level, counting="fractional")
            got, cover = activity(duck, sel), coverage(duck, sel)
            assert got["value"].sum() == pytest.approx(cover["value_counted"], rel=1e-9)
            # each project weighs at most 1, and exactly 1 in total once unplaced shares are added back
            assert got["value"].sum() <= cover["value_in_period"] <= projects
            assert (
                0.5 * cover["participations"]
                < cover["placed"]
                <= cover["in_period"]
                == cover["participations"]
            )
        full = Selection(level=2, counting="full")
        assert activity(duck, full)["value"].sum() == pytest.approx(coverage(duck, full)["counted"])
        mix = actor_mix(duck, Selection(level=2))
        assert set(mix.activity_type) == {"HES", "REC", "PRC", "PUB", "OTH"}
        assert mix.groupby("region")["share"].sum().to_numpy() == pytest.approx(1.0)
        regions = activity(duck, Selection(level=2))["region"].str.len()
        assert (regions == 4).all()
