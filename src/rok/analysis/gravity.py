"""Gravity model of region-pair collaboration, estimated by Poisson pseudo-maximum likelihood.

For every unordered pair of distinct regions ``{i, j}`` with masses ``m_i, m_j > 0``, the
collaboration intensity ``y_ij >= 0`` (co-participation links or a fractional weight: the
caller decides; PPML accepts non-integer ``y``) is modelled as

    E[y_ij | x_ij] = exp(b0 + b1 ln(m_i m_j) + b2 |ln m_i - ln m_j| + b3 ln d_ij
                         + b4 same_country_ij [+ b5 tech_ij])

with ``d_ij`` the great-circle distance (km) between the region centres, ``same_country_ij`` 1
when both codes start with the same two letters, and optionally ``tech_ij`` a technological
proximity of the two regions' profiles. ``b1`` is the elasticity of collaboration with respect
to the joint mass, ``b2`` how much a pair of unequal masses collaborates more (``b2 > 0``) or
less (``b2 < 0``) than a balanced pair of the same joint mass, ``b3`` the distance elasticity
(expected negative), ``exp(b4) - 1`` the relative surplus of collaboration inside a country.

Symmetric mass terms. The flows are undirected: ``{i, j}`` is one observation whatever the
order in which its ends are written. The classical directed terms ``b1 ln m_i + b2 ln m_j``
(origin and destination masses of trade flows) have no meaning here: with ``i`` the region
whose code comes first alphabetically, ``b1`` and ``b2`` would depend on the spelling of the
codes. Every function of the masses in the model is therefore symmetric in ``i`` and ``j``:
``ln(m_i m_j)`` and ``|ln m_i - ln m_j|`` span the same space as ``ln min(m_i, m_j)`` and
``ln max(m_i, m_j)`` (``ln max = (s + a) / 2``, ``ln min = (s - a) / 2`` with ``s`` the sum
and ``a`` the absolute difference), i.e. the symmetric counterpart of the two-mass model; the
classical constrained model ``b1 ln(m_i m_j)`` is nested (``b2 = 0``, terms
``("log_mass_product", "log_distance", "same_country")``). The directed terms ``log_mass_i``
and ``log_mass_j`` remain available for comparison only.

PPML (Santos Silva & Tenreyro 2006) solves the Poisson score equations
``sum_ij (y_ij - mu_ij) x_ij = 0``; it is consistent whenever the conditional mean is right,
whatever the distribution of ``y``, keeps the zero flows (which a log-linear OLS must drop), and
is not biased by heteroskedasticity as log-linearised OLS is.

Standard errors. The pairs of one region are not independent: a region with collaboration
above what its mass predicts lifts all its pairs at once. Heteroskedasticity-robust (HC1)
errors treat the pairs as independent and are too small for such dyadic data. The default is
the dyadic-robust sandwich (Fafchamps & Gubert 2007; Cameron, Gelbach & Miller 2011;
Aronow, Samii & Assenova 2015), which lets the scores of any two pairs that share a region
correlate; HC1 is reported beside it. Two-way clustering on the two ends (Cameron, Gelbach &
Miller 2011) is not offered: with unordered pairs "first end" and "second end" are arbitrary,
so it would depend on the order of the codes and would miss the correlation of ``{i, j}``
with ``{k, i}``; the dyadic estimator is its symmetric generalisation.

Goodness of fit: the squared correlation of observed and fitted flows (the pseudo-R^2 that
Santos Silva & Tenreyro 2006 and Stata's ``ppml`` report) and the deviance R^2 of Cameron &
Windmeijer (1996).

References
----------
Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. The Review of Economics and
Statistics 88(4), 641-658.
Scherngell, T. & Barber, M. J. (2009). Spatial interaction modelling of cross-region R&D
collaborations: empirical evidence from the 5th EU Framework Programme. Papers in Regional
Science 88(3), 531-546.
Hoekman, J., Frenken, K. & Tijssen, R. J. W. (2010). Research collaboration at a distance:
changing spatial patterns of scientific collaboration within Europe. Research Policy 39(5),
662-673.
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). Cluster-robust variance estimation for dyadic
data. Political Analysis 23(4), 564-577.
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with multiway
clustering. Journal of Business & Economic Statistics 29(2), 238-249.
Fafchamps, M. & Gubert, F. (2007). The formation of risk sharing networks. Journal of
Development Economics 83(2), 326-350.
Cameron, A. C. & Windmeijer, F. A. G. (1996). R-squared measures for count data regression
models with applications to health-care utilization. Journal of Business & Economic Statistics
14(2), 209-220.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from rok.errors import InputError

__all__ = [
    "EARTH_RADIUS_KM",
    "DEFAULT_TERMS",
    "DEFAULT_FORMULA",
    "GravityResult",
    "great_circle_km",
    "gravity_data",
    "ppml",
]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
#: Regressors of the basic model (names understood by :func:`ppml`); symmetric in the two regions.
DEFAULT_TERMS = ("log_mass_product", "log_mass_ratio", "log_distance", "same_country")
#: The model of :data:`DEFAULT_TERMS` as text.
DEFAULT_FORMULA = "E[y_ij] = exp(b0 + b1 ln(m_i m_j) + b2 |ln m_i - ln m_j| + b3 ln d_ij + b4 same_country_ij)"
#: Terms :func:`ppml` derives from the columns of :func:`gravity_data`.
DERIVED_TERMS = {
    "log_mass_i": lambda d: np.log(d["mass_i"]),
    "log_mass_j": lambda d: np.log(d["mass_j"]),
    "log_mass_product": lambda d: np.log(d["mass_i"]) + np.log(d["mass_j"]),
    "log_mass_ratio": lambda d: np.abs(np.log(d["mass_i"]) - np.log(d["mass_j"])),
    "log_distance": lambda d: np.log(d["distance_km"]),
}


def great_circle_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64] | float:
    """Great-circle distance in km between points given in degrees (haversine, vectorised).

    ``a = sin^2((phi2 - phi1) / 2) + cos phi1 cos phi2 sin^2((lambda2 - lambda1) / 2)`` and
    ``d = 2 R asin(sqrt(a))`` with ``R = 6371.0088`` km (the IUGG mean radius), longitudes
    ``lambda`` and latitudes ``phi`` in radians. Arrays broadcast; scalars give a float.

    Examples
    --------
    >>> round(great_circle_km(2.3522, 48.8566, -0.1276, 51.5072), 1)  # Paris - London
    343.5
    """
    lam1, phi1, lam2, phi2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if d.ndim == 0 else d


def gravity_data(
    region_edges: pd.DataFrame,
    masses: pd.Series,
    centres: pd.DataFrame,
    *,
    include_zero_pairs: bool = True,
    tech_proximity: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per pair of distinct regions: flow, masses, distance, same country.

    Parameters
    ----------
    region_edges : undirected collaboration edges ``source, target, weight`` (one row per pair;
        self-loops are ignored), e.g. from :mod:`rok.measures.networks`.
    masses : region code -> mass (e.g. participations). Regions of mass 0 are left out; a NaN or
        negative mass is an error, and so is a flow involving a region without positive mass.
    centres : ``region, lon, lat`` (degrees) of the region centres, e.g. GISCO label points
        (warehouse table ``region_labels``).
    include_zero_pairs : all unordered pairs of the regions with mass > 0 (default; PPML needs
        the zeros), or only the pairs with a positive flow.
    tech_proximity : optional regions x regions matrix; adds ``tech_proximity`` = its value for
        the pair (``[source, target]``).

    Returns
    -------
    DataFrame ``source, target, flow, mass_i, mass_j, distance_km, same_country`` (int 0/1)
    [``, tech_proximity``], ``source < target``, sorted by source and target. ``mass_i`` is the
    mass of the source, ``mass_j`` of the target; the country is the code's first two letters.
    """
    mass = _masses(masses)
    flows = _flows(region_edges, mass)
    codes = np.sort(mass.index[mass > 0].astype(str).to_numpy())
    where = _centres(centres, codes)
    i, j = np.triu_indices(len(codes), k=1)
    pairs = pd.DataFrame({"source": codes[i], "target": codes[j]})
    pairs = pairs.merge(flows, on=["source", "target"], how="left")
    pairs["flow"] = pairs["flow"].fillna(0.0)
    if not include_zero_pairs:
        pairs = pairs[pairs["flow"] > 0].reset_index(drop=True)
    if pairs.empty:
        raise InputError("no region pair to model: expected at least two regions with mass > 0 (and a flow)")
    pairs["mass_i"] = mass.reindex(pairs["source"]).to_numpy(dtype=float)
    pairs["mass_j"] = mass.reindex(pairs["target"]).to_numpy(dtype=float)
    src, tgt = where.loc[pairs["source"]], where.loc[pairs["target"]]
    pairs["distance_km"] = great_circle_km(src["lon"], src["lat"], tgt["lon"], tgt["lat"])
    if not (pairs["distance_km"] > 0).all():
        same = pairs[~(pairs["distance_km"] > 0)].iloc[0]
        raise InputError(
            f"regions {same['source']!r} and {same['target']!r} have the same centre: "
            "distance 0 has no logarithm",
            value=f"{same['source']}-{same['target']}",
        )
    pairs["same_country"] = (pairs["source"].str[:2] == pairs["target"].str[:2]).astype("int64")
    if tech_proximity is not None:
        pairs["tech_proximity"] = _tech(tech_proximity, pairs)
    return pairs


def _masses(masses: pd.Series) -> pd.Series:
    if not isinstance(masses, pd.Series):
        raise InputError(f"masses must be a pandas Series region -> mass, got {type(masses).__name__}")
    if masses.index.has_duplicates:
        raise InputError("masses has duplicate regions", value=masses.index[masses.index.duplicated()][0])
    values = pd.to_numeric(masses, errors="coerce").astype(float)
    bad = values.index[values.isna() | (values < 0) | np.isinf(values)]
    if len(bad):
        raise InputError(
            f"masses must be finite and >= 0; {len(bad)} regions are not, e.g. {list(bad[:5])}",
            value=masses[bad[0]],
        )
    values.index = values.index.astype(str)
    return values


def _flows(region_edges: pd.DataFrame, mass: pd.Series) -> pd.DataFrame:
    if not isinstance(region_edges, pd.DataFrame):
        raise InputError("region_edges must be a pandas DataFrame with columns source, target, weight")
    missing = [c for c in ("source", "target", "weight") if c not in region_edges.columns]
    if missing:
        raise InputError(f"region_edges lacks columns {missing}; expected source, target, weight")
    a, b = region_edges["source"].astype(str), region_edges["target"].astype(str)
    weight = pd.to_numeric(region_edges["weight"], errors="coerce")
    if weight.isna().any() or (weight < 0).any() or np.isinf(weight).any():
        raise InputError("region_edges has missing, negative or infinite weights", column="weight")
    first = a <= b
    edges = pd.DataFrame(
        {"source": a.where(first, b), "target": b.where(first, a), "flow": weight.astype(float)}
    )
    edges = edges[(edges["source"] != edges["target"]) & (edges["flow"] > 0)]
    if edges.duplicated(["source", "target"]).any():
        pair = edges[edges.duplicated(["source", "target"])].iloc[0]
        raise InputError(
            f"region_edges lists the pair {pair['source']!r}-{pair['target']!r} twice; "
            "expected one row per unordered pair",
        )
    ends = pd.Index(pd.concat([edges["source"], edges["target"]]).unique())
    massless = sorted(ends[~(mass.reindex(ends).fillna(0.0) > 0).to_numpy()])
    if massless:
        raise InputError(
            f"{len(massless)} regions have collaboration but no positive mass, e.g. {massless[:5]}; "
            "expected a mass > 0 for every region with edges",
            value=massless[0],
        )
    return edges.reset_index(drop=True)


def _centres(centres: pd.DataFrame, codes: npt.NDArray[np.str_]) -> pd.DataFrame:
    if not isinstance(centres, pd.DataFrame):
        raise InputError("centres must be a pandas DataFrame with columns region, lon, lat")
    missing = [c for c in ("region", "lon", "lat") if c not in centres.columns]
    if missing:
        raise InputError(f"centres lacks columns {missing}; expected region, lon, lat")
    table = centres.dropna(subset=["lon", "lat"]).drop_duplicates("region").set_index("region")
    table.index = table.index.astype(str)
    absent = [c for c in codes if c not in table.index]
    if absent:
        raise InputError(
            f"{len(absent)} regions with mass > 0 have no centre (lon, lat), e.g. {absent[:5]}; "
            "add their centres or leave them out of the masses",
            value=absent[0],
        )
    return table.loc[list(codes), ["lon", "lat"]].astype(float)


def _tech(tech_proximity: pd.DataFrame, pairs: pd.DataFrame) -> npt.NDArray[np.float64]:
    matrix = tech_proximity.copy()
    matrix.index, matrix.columns = matrix.index.astype(str), matrix.columns.astype(str)
    regions = set(pairs["source"]) | set(pairs["target"])
    absent = sorted(regions - (set(matrix.index) & set(matrix.columns)))
    if absent:
        raise InputError(f"tech_proximity lacks {len(absent)} regions, e.g. {absent[:5]}", value=absent[0])
    rows = matrix.index.get_indexer(pairs["source"])
    cols = matrix.columns.get_indexer(pairs["target"])
    values = matrix.to_numpy(dtype=float)[rows, cols]
    if not np.isfinite(values).all():
        k = int(np.flatnonzero(~np.isfinite(values))[0])
        raise InputError(
            "tech_proximity has a missing value for the pair "
            f"{pairs['source'].iloc[k]!r}-{pairs['target'].iloc[k]!r}",
        )
    return values


@dataclass(frozen=True)
class GravityResult:
    """A fitted gravity model.

    Attributes
    ----------
    table : ``term, coef, se, z, p, ci_low, ci_high`` with the standard errors of ``cov_type``
        (95% Wald intervals), then ``se_hc1, p_hc1`` (heteroskedasticity-robust HC1, for
        comparison), the constant first.
    n : number of pairs used.
    regions : number of distinct regions in the pairs.
    zero_share : share of the pairs with no collaboration (``y = 0``).
    pseudo_r2 : deviance R^2, ``1 - D(model) / D(constant only)`` (Cameron & Windmeijer 1996).
    r2_corr : squared correlation of observed and fitted flows (the pseudo-R^2 of Santos Silva &
        Tenreyro 2006 and Stata's ``ppml``).
    converged : whether the iteratively reweighted least squares converged.
    cov_type : "dyadic", "HC1" or "cluster:<column>".
    expected : ``source, target, observed, expected, ratio, residual`` per pair: ``expected`` is
        the fitted ``mu_ij``, ``ratio = observed / expected`` (< 1: less collaboration than the
        model expects) and ``residual`` the Pearson residual ``(y - mu) / sqrt(mu)``.
    terms : the regressors after the constant.
    """

    table: pd.DataFrame
    n: int
    pseudo_r2: float
    r2_corr: float
    converged: bool
    cov_type: str
    expected: pd.DataFrame
    regions: int = 0
    zero_share: float = float("nan")
    terms: tuple[str, ...] = DEFAULT_TERMS

    def coef(self, term: str) -> float:
        """The coefficient of ``term``."""
        return float(self.table.set_index("term").loc[term, "coef"])

    def se(self, term: str) -> float:
        """The standard error of ``term`` (of ``cov_type``)."""
        return float(self.table.set_index("term").loc[term, "se"])

    @property
    def formula(self) -> str:
        """The fitted model as text."""
        if tuple(self.terms) == DEFAULT_TERMS:
            return DEFAULT_FORMULA
        return "E[y_ij] = exp(" + " + ".join(f"b{k} {t}" for k, t in enumerate(("const", *self.terms))) + ")"

    def sample(self) -> str:
        """The sample in words: pairs, regions, share of zero flows."""
        return (f"{self.n:,} unordered pairs of {self.regions:,} regions, {100 * self.zero_share:.1f}% of them "
                "without collaboration (kept: PPML)")


def ppml(
    data: pd.DataFrame,
    *,
    terms: Sequence[str] = DEFAULT_TERMS,
    cluster: str | None = "dyadic",
) -> GravityResult:
    """Fit the gravity model by Poisson pseudo-maximum likelihood (formula in the module docstring).

    Parameters
    ----------
    data : pairs with ``flow`` and the regressors, e.g. :func:`gravity_data`.
    terms : regressors after the constant: columns of ``data`` or the derived ``log_mass_product``
        (``ln m_i + ln m_j``), ``log_mass_ratio`` (``|ln m_i - ln m_j|``), ``log_distance`` and, for
        comparison only (they depend on the order of the codes), ``log_mass_i``, ``log_mass_j``.
        Add ``"tech_proximity"`` for the technological-proximity term.
    cluster : standard errors. ``"dyadic"`` (default): dyadic-robust (Aronow, Samii & Assenova
        2015), ``V = H^-1 meat H^-1`` with ``H = sum_p mu_p x_p x_p'``, scores
        ``s_p = x_p (y_p - mu_p)`` and ``meat = G / (G - 1) sum_{p, q share a region} s_p s_q'``
        (``p = q`` included), computed as ``sum_r S_r S_r' - sum_p s_p s_p'`` with ``S_r`` the sum
        of the scores of the pairs involving region ``r`` and ``G`` the number of regions (the
        one-way cluster factor ``G / (G - 1)``; Aronow et al. use none, which gives slightly
        smaller errors). ``None`` or ``"HC1"``: heteroskedasticity-robust,
        ``meat = n / (n - k) sum_p s_p s_p'`` (Santos Silva & Tenreyro 2006). Any other value
        names a column of ``data`` for one-way cluster-robust errors (statsmodels' ``cluster``).
        The dyadic matrix is not always positive semi-definite with few regions; its negative
        eigenvalues are then set to 0 with a ``RuntimeWarning`` (Cameron, Gelbach & Miller 2011).

    Returns
    -------
    :class:`GravityResult`, whose table holds the chosen errors and the HC1 ones beside them.

    Notes
    -----
    statsmodels' GLM gives the same standard errors for ``cov_type="HC1"`` as for ``"HC0"`` (no
    small-sample factor); the HC1 standard errors here are its HC0 ones times ``sqrt(n / (n - k))``.
    statsmodels has no dyadic estimator; the tests check it against the explicit double sum.
    """
    import statsmodels.api as sm  # imported here: statsmodels takes a noticeable time to import

    y, x = _design(data, terms)
    fit = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    mu = np.asarray(fit.fittedvalues, dtype=float)
    kind = "HC1" if cluster is None or cluster == "HC1" else str(cluster)
    cov, cov_type = _covariance(data, x.to_numpy(), y.to_numpy(), mu, kind, fit)
    hc1 = cov if cov_type == "HC1" else _covariance(data, x.to_numpy(), y.to_numpy(), mu, "HC1", fit)[0]
    beta = np.asarray(fit.params, dtype=float)
    se, se_hc1 = np.sqrt(np.diag(cov)), np.sqrt(np.diag(hc1))
    z = beta / se
    q = stats.norm.ppf(0.975)
    table = pd.DataFrame(
        {
            "term": list(x.columns),
            "coef": beta,
            "se": se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
            "se_hc1": se_hc1,
            "p_hc1": 2 * stats.norm.sf(np.abs(beta / se_hc1)),
        }
    )
    observed = y.to_numpy()
    ends = [data[c].to_numpy() for c in ("source", "target") if c in data]
    expected = pd.DataFrame(
        {
            "source": ends[0] if len(ends) == 2 else np.arange(len(y)),
            "target": ends[1] if len(ends) == 2 else np.arange(len(y)),
            "observed": observed,
            "expected": mu,
            "ratio": observed / mu,
            "residual": (observed - mu) / np.sqrt(mu),
        }
    )
    return GravityResult(
        table=table,
        n=int(len(y)),
        pseudo_r2=float(1 - fit.deviance / fit.null_deviance),
        r2_corr=float(np.corrcoef(observed, mu)[0, 1] ** 2),
        converged=bool(fit.converged),
        cov_type=cov_type,
        expected=expected,
        regions=int(len(np.unique(np.concatenate(ends)))) if len(ends) == 2 else 0,
        zero_share=float(np.mean(observed == 0)),
        terms=tuple(terms),
    )


def _design(data: pd.DataFrame, terms: Sequence[str]) -> tuple[pd.Series, pd.DataFrame]:
    if not isinstance(data, pd.DataFrame) or "flow" not in data.columns:
        raise InputError("data must be a DataFrame with a flow column, e.g. from gravity_data")
    if len(data) == 0:
        raise InputError("data has no pairs: nothing to fit")
    if isinstance(terms, str) or not terms or len(set(terms)) != len(terms):
        raise InputError(f"terms must be distinct and not empty, got {list(terms)}")
    columns = {"const": np.ones(len(data))}
    for term in terms:
        if term in data.columns:
            columns[term] = pd.to_numeric(data[term], errors="coerce").to_numpy(dtype=float)
        elif term in DERIVED_TERMS:
            with np.errstate(divide="ignore", invalid="ignore"):
                columns[term] = np.asarray(DERIVED_TERMS[term](data), dtype=float)
        else:
            raise InputError(
                f"unknown term {term!r}: not a column of data nor one of {sorted(DERIVED_TERMS)}",
                value=term,
            )
    x = pd.DataFrame(columns, index=data.index)
    bad = [c for c in x.columns if not np.isfinite(x[c]).all()]
    if bad:
        raise InputError(
            f"term {bad[0]!r} has missing or infinite values (a mass or distance <= 0?)", column=bad[0]
        )
    y = pd.to_numeric(data["flow"], errors="coerce").astype(float)
    if y.isna().any() or (y < 0).any() or np.isinf(y).any():
        raise InputError("flow must be finite and >= 0", column="flow")
    if not (y > 0).any():
        raise InputError("every flow is 0: nothing to fit", column="flow")
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise InputError(f"the terms {list(terms)} are collinear with each other or the constant")
    return y, x


def _covariance(
    data: pd.DataFrame,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    mu: npt.NDArray[np.float64],
    cluster: str,
    fit: object,
) -> tuple[npt.NDArray[np.float64], str]:
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    scores = x * (y - mu)[:, None]
    n, k = x.shape
    if cluster == "HC1":
        meat = scores.T @ scores * n / (n - k)
        return bread @ meat @ bread, "HC1"
    if cluster == "dyadic":
        for column in ("source", "target"):
            if column not in data.columns:
                raise InputError(f"dyadic standard errors need the column {column!r} in data")
        ends = pd.concat([data["source"], data["target"]]).to_numpy()
        codes, groups = np.unique(ends, return_inverse=True)
        sums = np.zeros((len(codes), k))
        np.add.at(sums, groups, np.vstack([scores, scores]))
        meat = sums.T @ sums - scores.T @ scores
        g = len(codes)
        return _clipped(bread @ (meat * g / (g - 1)) @ bread, g), "dyadic"
    if cluster not in data.columns:
        raise InputError(f"cluster {cluster!r} is neither 'dyadic', 'HC1' nor a column of data", value=cluster)
    groups = pd.factorize(data[cluster])[0]
    robust = fit.model.fit(cov_type="cluster", cov_kwds={"groups": groups})  # type: ignore[attr-defined]
    return np.asarray(robust.cov_params(), dtype=float), f"cluster:{cluster}"


def _clipped(cov: npt.NDArray[np.float64], g: int) -> npt.NDArray[np.float64]:
    """``cov`` with negative eigenvalues set to 0 (Cameron, Gelbach & Miller 2011), with a warning."""
    cov = (cov + cov.T) / 2
    values, vectors = np.linalg.eigh(cov)
    if values.min() >= 0:
        return cov
    warnings.warn(
        f"the dyadic covariance over {g} regions is not positive semi-definite; its negative "
        "eigenvalues are set to 0 (few regions, or little correlation between pairs sharing a region)",
        RuntimeWarning,
        stacklevel=4,
    )
    return (vectors * np.clip(values, 0.0, None)) @ vectors.T
