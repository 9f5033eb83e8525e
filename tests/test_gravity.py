"""Gravity model by PPML: haversine by hand, pair data by hand, recovery of a known model,
agreement with statsmodels' formula interface and a direct scipy optimisation, robust standard
errors, bad input, and the real mirror."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize

from rok.analysis.gravity import EARTH_RADIUS_KM, gravity_data, great_circle_km, ppml
from rok.errors import InputError


def test_great_circle_by_hand() -> None:
    # Paris (2.3522 E, 48.8566 N) - London (0.1276 W, 51.5072 N)
    assert great_circle_km(2.3522, 48.8566, -0.1276, 51.5072) == pytest.approx(343.53, abs=0.01)
    # a quarter of the equator, and a quarter meridian: pi R / 2
    quarter = math.pi * EARTH_RADIUS_KM / 2
    assert great_circle_km(0, 0, 90, 0) == pytest.approx(quarter)
    assert great_circle_km(10, 0, 10, 90) == pytest.approx(quarter)
    assert great_circle_km(5, 5, 5, 5) == 0.0
    out = great_circle_km(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([90.0, 180.0]), 0.0)
    assert isinstance(out, np.ndarray) and out.tolist() == pytest.approx([quarter, 2 * quarter])


CENTRES = pd.DataFrame(
    {"region": ["AA1", "AA2", "BB1", "CC1"], "lon": [0.0, 0.0, 1.0, 5.0], "lat": [0.0, 1.0, 0.0, 5.0]}
)
MASSES = pd.Series({"AA1": 10.0, "AA2": 20.0, "BB1": 5.0, "CC1": 0.0})


def test_gravity_data_by_hand() -> None:
    edges = pd.DataFrame(
        {"source": ["AA1", "BB1", "AA1"], "target": ["AA1", "AA1", "AA2"], "weight": [7.0, 2.0, 3.0]}
    )
    out = gravity_data(edges, MASSES, CENTRES)
    # CC1 (mass 0) is left out; the self-loop AA1-AA1 is ignored; BB1-AA1 is reordered;
    # AA2-BB1 has no edge and enters with flow 0
    assert out[["source", "target", "flow", "mass_i", "mass_j", "same_country"]].values.tolist() == [
        ["AA1", "AA2", 3.0, 10.0, 20.0, 1],
        ["AA1", "BB1", 2.0, 10.0, 5.0, 0],
        ["AA2", "BB1", 0.0, 20.0, 5.0, 0],
    ]
    one_degree = math.pi * EARTH_RADIUS_KM / 180
    assert out["distance_km"].tolist() == pytest.approx(
        [one_degree, one_degree, math.sqrt(2) * one_degree], rel=1e-4
    )
    positive = gravity_data(edges, MASSES, CENTRES, include_zero_pairs=False)
    assert positive["flow"].tolist() == [3.0, 2.0]
    tech = pd.DataFrame(
        np.arange(9.0).reshape(3, 3), index=["AA1", "AA2", "BB1"], columns=["AA1", "AA2", "BB1"]
    )
    assert gravity_data(edges, MASSES, CENTRES, tech_proximity=tech)["tech_proximity"].tolist() == [1, 2, 5]


def test_gravity_data_bad_input() -> None:
    edges = pd.DataFrame({"source": ["AA1"], "target": ["AA2"], "weight": [3.0]})
    with pytest.raises(InputError, match="no region pair"):
        gravity_data(edges.iloc[:0], pd.Series({"AA1": 1.0}), CENTRES)
    with pytest.raises(InputError, match=r"no centre.*\['AA2'\]"):
        gravity_data(edges, MASSES, CENTRES[CENTRES["region"] != "AA2"])
    with pytest.raises(InputError, match=r"finite and >= 0.*\['AA2'\]"):
        gravity_data(edges, MASSES.replace(20.0, -1.0), CENTRES)
    with pytest.raises(InputError, match=r"finite and >= 0.*\['AA2'\]"):
        gravity_data(edges, MASSES.replace(20.0, np.nan), CENTRES)
    with pytest.raises(InputError, match=r"collaboration but no positive mass.*\['AA2'\]"):
        gravity_data(edges, MASSES.replace(20.0, 0.0), CENTRES)
    with pytest.raises(InputError, match=r"collaboration but no positive mass.*\['AA2'\]"):
        gravity_data(edges, MASSES.drop("AA2"), CENTRES)
    twice = pd.DataFrame({"source": ["AA1", "AA2"], "target": ["AA2", "AA1"], "weight": [3.0, 3.0]})
    with pytest.raises(InputError, match="pair 'AA1'-'AA2' twice"):
        gravity_data(twice, MASSES, CENTRES)
    with pytest.raises(InputError, match="lacks columns"):
        gravity_data(edges.drop(columns="weight"), MASSES, CENTRES)
    same_place = CENTRES.assign(lat=0.0, lon=0.0)
    with pytest.raises(InputError, match="same centre"):
        gravity_data(edges, MASSES, same_place)
    with pytest.raises(InputError, match="tech_proximity lacks"):
        gravity_data(
            edges, MASSES, CENTRES, tech_proximity=pd.DataFrame([[1.0]], index=["AA1"], columns=["AA1"])
        )


TRUE = {"const": -3.0, "log_mass_product": 0.75, "log_mass_ratio": -0.2, "log_distance": -0.6, "same_country": 0.5}
FORMULA = ("flow ~ I(np.log(mass_i) + np.log(mass_j)) + I(np.abs(np.log(mass_i) - np.log(mass_j)))"
           " + np.log(distance_km) + same_country")


def design(data: pd.DataFrame) -> np.ndarray:
    """The default design matrix, written out."""
    li, lj = np.log(data["mass_i"].to_numpy()), np.log(data["mass_j"].to_numpy())
    return np.column_stack([np.ones(len(data)), li + lj, np.abs(li - lj), np.log(data["distance_km"]),
                            data["same_country"]])


def synthetic(seed: int = 7, n_regions: int = 60, tech: float | None = None) -> pd.DataFrame:
    """Pairs drawn from a known gravity model with Poisson noise."""
    rng = np.random.default_rng(seed)
    codes = [
        f"{c}{k:02d}" for c, k in zip(np.repeat(list("ABC"), n_regions // 3), range(n_regions), strict=True)
    ]
    centres = pd.DataFrame(
        {"region": codes, "lon": rng.uniform(-8, 25, n_regions), "lat": rng.uniform(38, 60, n_regions)}
    )
    masses = pd.Series(np.exp(rng.normal(5, 1, n_regions)), index=codes)
    proximity = rng.uniform(0, 1, (n_regions, n_regions))
    proximity = pd.DataFrame((proximity + proximity.T) / 2, index=codes, columns=codes)
    skeleton = gravity_data(
        pd.DataFrame(columns=["source", "target", "weight"]), masses, centres, tech_proximity=proximity
    )
    li, lj = np.log(skeleton["mass_i"]), np.log(skeleton["mass_j"])
    eta = TRUE["const"] + TRUE["log_mass_product"] * (li + lj) + TRUE["log_mass_ratio"] * np.abs(li - lj)
    eta += (
        TRUE["log_distance"] * np.log(skeleton["distance_km"])
        + TRUE["same_country"] * skeleton["same_country"]
    )
    if tech is not None:
        eta += tech * skeleton["tech_proximity"]
    # a region effect shared by all pairs of a region: the dyadic dependence of real networks
    effect = pd.Series(rng.normal(0, 0.3, n_regions), index=codes)
    eta += effect[skeleton["source"]].to_numpy() + effect[skeleton["target"]].to_numpy()
    flows = rng.poisson(np.exp(eta))
    edges = skeleton.loc[flows > 0, ["source", "target"]].assign(weight=flows[flows > 0].astype(float))
    return gravity_data(edges, masses, centres, tech_proximity=proximity if tech is not None else None)


@pytest.mark.filterwarnings("ignore:the dyadic covariance")
def test_ppml_recovers_a_known_model() -> None:
    data = synthetic()
    assert len(data) == 60 * 59 // 2 and (data["flow"] == 0).any()
    fit = ppml(data)
    assert fit.converged and fit.n == len(data) and fit.cov_type == "dyadic"
    assert fit.regions == 60 and fit.zero_share == pytest.approx((data["flow"] == 0).mean())
    assert "1770 unordered pairs of 60 regions" in fit.sample().replace(",", "")
    table = fit.table.set_index("term")
    assert list(table.index) == list(TRUE)
    for term, beta in TRUE.items():
        assert abs(table.loc[term, "coef"] - beta) < 3 * table.loc[term, "se"], term
        assert table.loc[term, "ci_low"] < table.loc[term, "coef"] < table.loc[term, "ci_high"]
    assert 0 < fit.pseudo_r2 < 1 and 0 < fit.r2_corr < 1
    expected = fit.expected
    assert list(expected.columns) == ["source", "target", "observed", "expected", "ratio", "residual"]
    assert expected["observed"].sum() == pytest.approx(expected["expected"].sum())  # Poisson + constant
    with_tech = ppml(synthetic(tech=1.2), terms=(*TRUE.keys() - {"const"}, "tech_proximity"))
    t = with_tech.table.set_index("term").loc["tech_proximity"]
    assert abs(t["coef"] - 1.2) < 3 * t["se"]


@pytest.mark.filterwarnings("ignore:the dyadic covariance")
def test_ppml_matches_statsmodels_formula_and_scipy() -> None:
    data = synthetic(seed=11)
    fit = ppml(data, cluster="HC1")
    reference = smf.glm(FORMULA, data=data, family=sm.families.Poisson()).fit(cov_type="HC1")
    assert fit.table["coef"].to_numpy() == pytest.approx(reference.params.to_numpy(), abs=1e-6)
    # the sandwich HC1 of ppml is statsmodels' HC1
    # statsmodels' GLM "HC1" is HC0 (no small-sample factor); ours multiplies by n / (n - k)
    n, k = len(data), 5
    assert fit.table["se"].to_numpy() == pytest.approx(
        reference.bse.to_numpy() * math.sqrt(n / (n - k)), rel=1e-9
    )
    assert fit.cov_type == "HC1" and fit.table["se_hc1"].tolist() == fit.table["se"].tolist()
    # the default (dyadic) fit has the same coefficients and reports the same HC1 errors beside its own
    dyadic = ppml(data)
    assert dyadic.table["coef"].to_numpy() == pytest.approx(fit.table["coef"].to_numpy(), abs=1e-12)
    assert dyadic.table["se_hc1"].to_numpy() == pytest.approx(fit.table["se"].to_numpy(), rel=1e-12)
    # a direct maximisation of the Poisson log-likelihood sum(y eta - exp(eta))
    x = design(data)
    y = data["flow"].to_numpy()
    result = optimize.minimize(
        lambda b: np.exp(x @ b).sum() - y @ (x @ b),
        np.r_[math.log(y.mean()), 0, 0, 0, 0],
        jac=lambda b: x.T @ (np.exp(x @ b) - y),
        hess=lambda b: x.T @ (x * np.exp(x @ b)[:, None]),
        method="Newton-CG",
        options={"xtol": 1e-12},
    )
    assert result.success
    assert fit.table["coef"].to_numpy() == pytest.approx(result.x, abs=1e-6)


@pytest.mark.filterwarnings("ignore:the dyadic covariance")
def test_ppml_non_integer_flows_and_derived_terms() -> None:
    data = synthetic(seed=5)
    half = ppml(data.assign(flow=data["flow"] / 2))
    full = ppml(data)
    # scaling y shifts only the constant, by ln(1/2)
    diff = half.table["coef"].to_numpy() - full.table["coef"].to_numpy()
    assert diff == pytest.approx([math.log(0.5), 0, 0, 0, 0], abs=1e-6)
    product = ppml(data, terms=("log_mass_product", "log_distance"))
    assert list(product.table["term"]) == ["const", "log_mass_product", "log_distance"]


def test_dyadic_and_cluster_errors() -> None:
    data = synthetic(seed=7, n_regions=60)  # a draw whose dyadic matrix is positive definite
    fit = ppml(data, cluster="dyadic")
    # brute force: meat = sum over all (p, q) of pairs sharing a region (p = q too) of s_p s_q'
    x = design(data)
    y, mu = data["flow"].to_numpy(), fit.expected["expected"].to_numpy()
    s = x * (y - mu)[:, None]
    src, tgt = data["source"].to_numpy(), data["target"].to_numpy()
    share = (
        (src[:, None] == src[None, :])
        | (src[:, None] == tgt[None, :])
        | (tgt[:, None] == src[None, :])
        | (tgt[:, None] == tgt[None, :])
    )
    meat = s.T @ share.astype(float) @ s
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    cov = bread @ (meat * 60 / 59) @ bread
    assert fit.table["se"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-9)
    assert fit.cov_type == "dyadic"
    # with 9 regions the dyadic matrix of another draw has a negative eigenvalue: clipped to 0
    with pytest.warns(RuntimeWarning, match="not positive semi-definite"):
        clipped = ppml(synthetic(seed=3, n_regions=9), cluster="dyadic")
    assert np.isfinite(clipped.table["se"]).all()
    by_source = ppml(data, cluster="source")
    groups = pd.factorize(data["source"])[0]
    reference = smf.glm(FORMULA, data=data, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    assert by_source.table["se"].to_numpy() == pytest.approx(reference.bse.to_numpy(), rel=1e-6)
    assert by_source.cov_type == "cluster:source"


def test_dyadic_by_hand_on_six_regions() -> None:
    """The dyadic sandwich written out pair by pair (no matrix shortcut) on 6 regions, 15 pairs."""
    codes = ["AA1", "AA2", "BB1", "BB2", "CC1", "CC2"]
    centres = pd.DataFrame({"region": codes, "lon": [0.0, 1.0, 4.0, 5.5, 9.0, 11.0],
                            "lat": [50.0, 50.5, 48.0, 49.0, 45.0, 44.0]})
    masses = pd.Series([30.0, 10.0, 50.0, 8.0, 20.0, 5.0], index=codes)
    edges = pd.DataFrame({"source": ["AA1", "AA1", "AA1", "AA2", "BB1", "BB1", "BB1", "CC1", "AA2", "BB2"],
                          "target": ["AA2", "BB1", "CC1", "BB1", "BB2", "CC1", "CC2", "CC2", "CC1", "CC2"],
                          "weight": [9.0, 6.0, 2.0, 3.0, 5.0, 4.0, 1.0, 2.0, 1.0, 1.0]})
    data = gravity_data(edges, masses, centres)
    terms = ("log_mass_product", "log_distance")
    with pytest.warns(RuntimeWarning, match="not positive semi-definite"):  # 6 regions: as expected
        fit = ppml(data, terms=terms)
    x = np.column_stack([np.ones(15), np.log(data["mass_i"] * data["mass_j"]), np.log(data["distance_km"])])
    y, mu = data["flow"].to_numpy(), fit.expected["expected"].to_numpy()
    ends = list(zip(data["source"], data["target"], strict=True))
    meat = np.zeros((3, 3))
    for p in range(15):
        for q in range(15):
            if set(ends[p]) & set(ends[q]):
                meat += np.outer(x[p] * (y[p] - mu[p]), x[q] * (y[q] - mu[q]))
    hessian = sum(mu[p] * np.outer(x[p], x[p]) for p in range(15))
    bread = np.linalg.inv(hessian)
    cov = bread @ meat @ bread * 6 / 5
    values, vectors = np.linalg.eigh(cov)
    assert values.min() < 0  # clipped at 0 (Cameron, Gelbach & Miller 2011)
    cov = vectors @ np.diag(np.clip(values, 0, None)) @ vectors.T
    assert fit.table["se"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-10)
    hc1 = bread @ sum(np.outer(x[p], x[p]) * (y[p] - mu[p]) ** 2 for p in range(15)) @ bread * 15 / 12
    assert fit.table["se_hc1"].to_numpy() == pytest.approx(np.sqrt(np.diag(hc1)), rel=1e-10)


@pytest.mark.filterwarnings("ignore:the dyadic covariance")
def test_symmetric_in_the_order_of_the_codes() -> None:
    """Renaming the regions so that their alphabetical order is reversed (country kept) changes
    which end of a pair is 'i': the symmetric model gives identical coefficients and errors, the
    directed two-mass terms do not."""
    rng = np.random.default_rng(2)
    codes = [f"{c}{k:02d}" for c in ("AA", "BB", "CC") for k in range(10)]
    centres = pd.DataFrame({"region": codes, "lon": rng.uniform(-8, 25, 30), "lat": rng.uniform(38, 60, 30)})
    masses = pd.Series(np.exp(rng.normal(4, 1, 30)), index=codes)
    skeleton = gravity_data(pd.DataFrame(columns=["source", "target", "weight"]), masses, centres)
    li, lj = np.log(skeleton["mass_i"]), np.log(skeleton["mass_j"])
    eta = -4 + 0.7 * (li + lj) - 0.3 * np.abs(li - lj) - 0.5 * np.log(skeleton["distance_km"])
    flows = rng.poisson(np.exp(eta + 0.6 * skeleton["same_country"]))
    edges = skeleton.loc[flows > 0, ["source", "target"]].assign(weight=flows[flows > 0].astype(float))
    rename = {c: c[:2] + f"{99 - int(c[2:]):02d}" for c in codes}  # AA00 -> AA99: order reversed in a country
    renamed = gravity_data(edges.replace(rename), masses.rename(rename), centres.replace({"region": rename}))
    assert (renamed["mass_i"].to_numpy() != skeleton["mass_i"].to_numpy()).any()  # the ends did swap
    one, two = ppml(gravity_data(edges, masses, centres)), ppml(renamed)
    for column in ("coef", "se", "se_hc1"):
        assert one.table[column].to_numpy() == pytest.approx(two.table[column].to_numpy(), rel=1e-9)
    directed = ("log_mass_i", "log_mass_j", "log_distance", "same_country")
    a = ppml(gravity_data(edges, masses, centres), terms=directed).table["coef"].to_numpy()
    b = ppml(renamed, terms=directed).table["coef"].to_numpy()
    assert abs(a[1] - b[1]) > 1e-3  # the directed terms depend on the spelling of the codes


def test_ppml_bad_input() -> None:
    data = synthetic(seed=1, n_regions=9)
    with pytest.raises(InputError, match="unknown term 'gdp'"):
        ppml(data, terms=("log_mass_i", "gdp"))
    with pytest.raises(InputError, match="terms must be"):
        ppml(data, terms="log_distance")
    with pytest.raises(InputError, match="collinear"):
        ppml(data.assign(twin=data["same_country"] * 2), terms=("same_country", "twin"))
    with pytest.raises(InputError, match="every flow is 0"):
        ppml(data.assign(flow=0.0))
    with pytest.raises(InputError, match="flow must be"):
        ppml(data.assign(flow=-1.0))
    with pytest.raises(InputError, match="'log_mass_product' has missing"):
        ppml(data.assign(mass_i=0.0))
    with pytest.raises(InputError, match="neither 'dyadic', 'HC1' nor a column"):
        ppml(data, cluster="country")
    with pytest.raises(InputError, match="no pairs"):
        ppml(data.iloc[:0])


# --- real mirror ----------------------------------------------------------------------------

EDGES_NUTS2 = """
WITH p AS (SELECT DISTINCT project_id, org_id FROM participations),
     o AS (SELECT org_id, nuts2 AS region FROM organisations WHERE nuts2 IS NOT NULL),
     pr AS (SELECT p.project_id, p.org_id, o.region FROM p JOIN o USING (org_id))
SELECT least(a.region, b.region) AS source, greatest(a.region, b.region) AS target,
       count(*)::DOUBLE AS weight, count(DISTINCT a.project_id) AS projects,
       least(a.region, b.region) = greatest(a.region, b.region) AS internal
FROM pr a JOIN pr b ON a.project_id = b.project_id AND a.org_id < b.org_id
GROUP BY 1, 2
"""
MASSES_NUTS2 = """
SELECT o.nuts2 AS region, count(*)::DOUBLE AS participations
FROM (SELECT DISTINCT project_id, org_id FROM participations) p JOIN organisations o USING (org_id)
WHERE o.nuts2 IS NOT NULL GROUP BY 1
"""


@pytest.mark.mirror
def test_mirror_gravity(mirror_db: Path) -> None:
    with duckdb.connect(str(mirror_db), read_only=True) as con:
        edges = con.sql(EDGES_NUTS2).df()
        masses = con.sql(MASSES_NUTS2).df().set_index("region")["participations"]
        centres = con.sql("SELECT code AS region, lon, lat FROM region_labels WHERE nuts_version = 2021").df()
    data = gravity_data(edges, masses, centres)
    n = len(masses)
    assert len(data) == n * (n - 1) // 2 and (data["flow"] == 0).any()
    assert data["flow"].sum() == edges.loc[~edges["internal"], "weight"].sum()
    fit = ppml(data)
    distance = fit.table.set_index("term").loc["log_distance"]
    print(f"\nNUTS 2 gravity ({fit.cov_type}), {fit.sample()}, pseudo R2 {fit.r2_corr:.3f}:\n"
          + fit.table.to_string(index=False))
    assert fit.converged and 0 < fit.pseudo_r2 < 1 and 0 < fit.r2_corr < 1 and fit.regions == n
    assert distance["coef"] < 0 and np.isfinite(distance["se"]) and distance["se"] > 0
    assert distance["ci_high"] < 0
    # pairs of one region are correlated: the dyadic errors exceed the HC1 ones on the real network
    assert (fit.table["se"] > fit.table["se_hc1"]).all()


@pytest.mark.mirror
def test_cli_gravity_states_both_errors_and_the_sample(mirror_db: Path) -> None:
    import json

    from typer.testing import CliRunner

    from rok.cli.main import app

    result = CliRunner().invoke(app, ["gravity", "--format", "json", "--db", str(mirror_db)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    table = {row["term"]: row for row in doc["rows"]}
    assert list(table) == ["const", "log_mass_product", "log_mass_ratio", "log_distance", "same_country"]
    assert all(row["se"] > row["se_hc1"] > 0 for row in table.values())
    notes = doc["notes"]
    assert "unordered pairs of" in notes["sample"] and "without collaboration" in notes["sample"]
    assert notes["period"].startswith("projects starting 20") and "dyadic" in notes["standard_errors"]
    assert "squared correlation" in notes["pseudo_r2"] and "fractional" in notes["selection"]
