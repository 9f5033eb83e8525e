"""Every documented option of the profile commands runs on the real mirror.

- Library, DuckDB: every combination of ``--level`` (1, 2, 3), ``--counting`` (full,
  fractional), ``--measure`` (participations, funding) and ``--years`` (all, 2016-2017):
  24 selections, each with every analysis of :class:`rok.analysis.profiles.Profiles`.
- CLI, DuckDB: every profile command once with non-default options (funding, full
  counting, a window; NUTS 3 where the command allows it), and ``rok profile`` at each level.
- DuckDB vs Spark (marked ``spark``): four selections that together take every value of
  every option once or more -- (1, full, funding, 2016-2017), (2, fractional,
  participations, all), (3, fractional, funding, all), (2, full, participations,
  2016-2017) -- with every analysis compared, and one CLI run on Spark.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rok.analysis.profiles import ADVICE, ANALYSES, Profiles
from rok.cli.main import app
from rok.measures import Engine, Selection, activity_matrix, actor_mix, open_engine

pytestmark = pytest.mark.mirror
WINDOW = (2016, 2017)
COMBINATIONS = list(product((1, 2, 3), ("full", "fractional"), ("participations", "funding"), (None, WINDOW)))
SPARK_SUBSET = [(1, "full", "funding", WINDOW), (2, "fractional", "participations", None),
                (3, "fractional", "funding", None), (2, "full", "participations", WINDOW)]


def _id(combo: tuple[int, str, str, tuple[int, int] | None]) -> str:
    level, counting, measure, years = combo
    period = "all" if years is None else f"{years[0]}-{years[1]}"
    return f"nuts{level}-{counting}-{measure}-{period}"


def _selection(combo: tuple[int, str, str, tuple[int, int] | None]) -> Selection:
    level, counting, measure, years = combo
    return Selection(level=level, counting=counting, measure=measure, years=years)


@pytest.fixture(scope="module")
def duck(mirror_db: Path) -> Iterator[Engine]:
    with open_engine("duckdb", mirror_db) as engine:
        yield engine


@pytest.mark.parametrize("combo", COMBINATIONS, ids=_id)
def test_every_analysis_runs(duck: Engine, combo: tuple[int, str, str, tuple[int, int] | None]) -> None:
    sel = _selection(combo)
    p = Profiles.compute(duck, sel)
    for name in ANALYSES:
        ok, why = p.available(name)
        if name in ADVICE:  # the programme parts are funding instruments: computed, not offered as advice
            assert not ok and "not offered as advice" in why
        elif name in ("performance", "peers") and sel.level != 2:
            assert not ok and "NUTS 2 regions only" in why
        else:
            assert ok, f"{name}: {why}"
    x = p.activity
    assert (x.sum(axis=1) > 0).all() and (x.sum(axis=0) > 0).all()
    # RCA: the activity-weighted mean RCA of a domain over regions is 1 (sum_r x[r,.] RCA[r,d] = x[.,.])
    weighted = (p.rca.mul(x.sum(axis=1), axis=0)).sum(axis=0) / x.to_numpy().sum()
    assert weighted.to_numpy() == pytest.approx(1.0, rel=1e-9)
    spec = p.specialisation_table()
    assert spec.groupby("region")["share"].sum().to_numpy() == pytest.approx(1.0)
    for method in ("eigenvector", "reflections"):
        eci = p.complexity_result(method).eci
        assert np.isfinite(eci).all() and eci.mean() == pytest.approx(0.0, abs=1e-9)
        assert eci.std(ddof=0) == pytest.approx(1.0, rel=1e-9)
    assert ((p.density.to_numpy() >= 0) & (p.density.to_numpy() <= 100 + 1e-9)).all()
    for method in ("proximity", "association", "cosine"):
        assert np.isfinite(p.relatedness(method).to_numpy()).all()
    assert p.stars["stars"].between(0, 3).all() and set(p.quadrant["region"]) <= set(x.index)
    assert p.concentration.notna().all().all() and not p.critical_mass.empty
    if sel.level == 2:
        assert p.performance is not None and p.performance.table["index"].notna().sum() > 200
        code = "DE21" if "DE21" in x.index else x.index[0]
        assert len(p.peers_of(code, k=5)) == 5


@pytest.mark.parametrize("level", [1, 2, 3])
def test_funding_leaves_out_regions_without_funding_and_says_so(duck: Engine, level: int) -> None:
    sel = Selection(level=level, measure="funding")
    p = Profiles.compute(duck, sel)
    raw = activity_matrix(duck, sel)
    empty = sorted(raw.index[raw.sum(axis=1) == 0])
    assert empty and p.dropped["regions_without_funding"] == empty  # LI00, TR22, ... on the mirror
    assert not set(empty) & set(p.activity.index) and not set(empty) & set(p.rca.index)
    mix = actor_mix(duck, sel).groupby("region")["participations"].sum()
    assert (mix.reindex(empty) > 0).all()  # they do take part: no funding is recorded for them
    assert any(", ".join(empty) in note and "left out" in note for note in p.notes)
    pd.testing.assert_frame_equal(p.activity, raw.drop(index=empty))


runner = CliRunner()
NON_DEFAULT = ["--counting", "full", "--measure", "funding", "--years", "2016-2017"]
CLI_SMOKE = [
    ["specialisation", "--level", "3", *NON_DEFAULT],
    ["specialisation", "--measure", "funding"],
    ["relatedness", "--level", "3", "--method", "cosine", *NON_DEFAULT],
    ["density", "--level", "1", *NON_DEFAULT],
    ["complexity", "--level", "3", *NON_DEFAULT],
    ["complexity", "--measure", "funding", "--counting", "full"],
    ["complexity", "--domains", "--method", "reflections", "--level", "1", "--measure", "funding"],
    ["performance", *NON_DEFAULT],
    ["clusters", "--level", "3", "--min-stars", "2", *NON_DEFAULT],
    ["peers", "DE21", "--k", "3", "--engine", "duckdb"],
    ["profile", "DE2", "--level", "1", "--measure", "funding"],
    ["profile", "DE21", *NON_DEFAULT],
    ["profile", "DE212", "--level", "3", "--measure", "funding", "--counting", "fractional"],
]


@pytest.mark.parametrize("args", CLI_SMOKE, ids=lambda a: " ".join(a))
def test_cli_smoke(mirror_db: Path, args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--format", "json", "--db", str(mirror_db)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows"] and doc["notes"]["selection"]
    if "funding" in args:
        assert "EC funding" in doc["notes"]["selection"]
        if args[0] != "peers" and "--years" not in args:
            assert "no EC funding" in doc["notes"]["left out"]


# -- DuckDB and Spark agree on every analysis ---------------------------------------------------


@pytest.fixture(scope="module")
def spark(mirror_db: Path) -> Iterator[Engine]:
    with open_engine("spark", mirror_db) as engine:
        yield engine


def _close(a: pd.DataFrame | pd.Series, b: pd.DataFrame | pd.Series) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-9)
    else:
        pd.testing.assert_series_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-9)


@pytest.mark.spark
@pytest.mark.parametrize("combo", SPARK_SUBSET, ids=_id)
def test_engines_agree_on_every_analysis(duck: Engine, spark: Engine,
                                         combo: tuple[int, str, str, tuple[int, int] | None]) -> None:
    sel = _selection(combo)
    d, s = Profiles.compute(duck, sel), Profiles.compute(spark, sel)
    assert d.dropped == s.dropped and d.notes == s.notes
    for name in ("activity", "rca", "specialised", "proximity", "density", "concentration", "critical_mass"):
        _close(getattr(d, name), getattr(s, name))
    for part in ("eci", "pci", "diversity", "ubiquity"):
        _close(getattr(d.complexity, part), getattr(s.complexity, part))
    _close(d.stars, s.stars)
    _close(d.quadrant, s.quadrant)
    _close(d.specialisation_table(), s.specialisation_table())
    if sel.level == 2:
        assert d.performance is not None and s.performance is not None
        _close(d.performance.table["index"], s.performance.table["index"])
        _close(d.peers_of("DE21"), s.peers_of("DE21"))


@pytest.mark.spark
def test_cli_on_spark(mirror_db: Path) -> None:
    args = ["specialisation", "--engine", "spark", "--measure", "funding", "--format", "json", "--db", str(mirror_db)]
    on_spark = runner.invoke(app, args)
    assert on_spark.exit_code == 0, on_spark.output
    on_duck = runner.invoke(app, [a if a != "spark" else "duckdb" for a in args])
    rows = {(r["region"], r["domain"]): r["rca"] for r in json.loads(on_duck.stdout)["rows"]}
    got = {(r["region"], r["domain"]): r["rca"] for r in json.loads(on_spark.stdout)["rows"]}
    assert got.keys() == rows.keys() and got == pytest.approx(rows, rel=1e-9)
