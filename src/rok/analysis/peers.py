"""Peer regions: the regions most similar in structure (not performance), after the S3 Regional
Benchmarking Tool."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from rok.analysis.performance import IndicatorSpec, check_long, latest_values
from rok.errors import InputError

__all__ = ["STRUCTURAL_INDICATORS", "structural_features", "peers", "all_peers", "standardise"]

#: Structural indicators taken from the warehouse (NUTS 2021 indicator codes and units).
STRUCTURAL_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("population", ("demo_r_d2jan_SEX_T_AGE_TOTAL",), "NR", "Population on 1 January"),
    IndicatorSpec(
        "gdp_pps_per_inhabitant", ("gdp_pc_pps_nuts2",), "PPS_EU27_2020_HAB", "GDP per inhabitant (PPS)"
    ),
    IndicatorSpec(
        "hmt_manufacturing_share",
        ("htec_emp_reg2_NACE_R2_C_HTC_MH_SEX_T",),
        "PC_EMP",
        "Employment in high and medium-high technology manufacturing (% of employment)",
    ),
    IndicatorSpec(
        "tertiary", ("tgs00109.isced11=ED5-8.age=Y25-64.sex=T",), "PC", "Tertiary attainment, 25-64 (%)"
    ),
)
TYPOLOGY_COLUMNS = ("code", "level", "mount_type", "urbn_type", "coast_type", "area_km2")


def structural_features(
    indicators: pd.DataFrame, regions: pd.DataFrame, *, year: int | None = None, level: int = 2
) -> pd.DataFrame:
    """Structural features of the regions of one NUTS level, from warehouse-shaped frames.

    Parameters
    ----------
    indicators : long frame ``region, indicator, year, value, unit`` (``indicators_nuts2021``).
    regions : the ``regions`` table of the same NUTS version (columns ``code, level,
        mount_type, urbn_type, coast_type, area_km2``), with the level-3 rows.
    year : use values of years <= ``year`` (latest per region and indicator).
    level : NUTS level of the result (its typologies come from the level-3 rows below it).

    Returns
    -------
    DataFrame indexed by region code: ``log_population`` (natural log), ``log_density``
    (log inhabitants per km2), ``gdp_pps_per_inhabitant``, ``hmt_manufacturing_share``,
    ``tertiary``, ``urban_share``, ``mountain_share``, ``coastal_share``. NaN where a value is
    missing.

    Notes
    -----
    GISCO classifies only NUTS 3 regions by typology; a region's shares are area-weighted over
    its classified NUTS 3 regions: urban = ``urbn_type`` 1 (predominantly urban), mountain =
    ``mount_type`` 1-3 (4 = non-mountain), coastal = ``coast_type`` 1-2 (3 = non-coastal).
    Population and density enter as logs, so that a few very large regions do not dominate the
    standardised distances.

    References
    ----------
    Navarro, M., Gibaja, J. J., Franco, S., Murciego, A., Gianelle, C., Hegyi, F. B. &
    Kleibrink, A. (2014). Regional benchmarking in the smart specialisation process:
    Identification of reference regions based on structural similarity. S3 Working Paper
    Series No. 03/2014, European Commission, Joint Research Centre, Seville.
    Eurostat (2019). Methodological manual on territorial typologies, 2018 edition.
    Publications Office of the European Union, Luxembourg.
    """
    check_long(indicators)
    missing = [c for c in TYPOLOGY_COLUMNS if c not in regions.columns]
    if missing:
        raise InputError(f"regions lacks columns {missing}; expected the warehouse table regions")
    own = regions[regions["level"] == level].drop_duplicates("code").set_index("code")
    if own.empty:
        raise InputError(f"regions has no row of NUTS level {level}", column="level", value=level)
    values = {s.key: latest_values(indicators, s, year=year)["value"] for s in STRUCTURAL_INDICATORS}
    base = pd.DataFrame(values).reindex(own.index)
    out = pd.DataFrame(index=own.index)
    population = base["population"].where(base["population"] > 0)
    area = own["area_km2"].where(own["area_km2"] > 0)
    out["log_population"] = np.log(population)
    out["log_density"] = np.log(population / area)
    for key in ("gdp_pps_per_inhabitant", "hmt_manufacturing_share", "tertiary"):
        out[key] = base[key]
    out = out.join(_typology_shares(regions, level))
    out.index.name = "region"
    return out


def _typology_shares(regions: pd.DataFrame, level: int) -> pd.DataFrame:
    small = regions[(regions["level"] == 3) & (regions["area_km2"] > 0)].copy()
    small["parent"] = small["code"].str[: 2 + level]
    rules = {
        "urban_share": ("urbn_type", [1], [1, 2, 3]),
        "mountain_share": ("mount_type", [1, 2, 3], [1, 2, 3, 4]),
        "coastal_share": ("coast_type", [1, 2], [1, 2, 3]),
    }
    shares = {}
    for name, (column, yes, known) in rules.items():
        rows = small[small[column].isin(known)]
        hit = rows["area_km2"].where(rows[column].isin(yes), 0.0)
        shares[name] = hit.groupby(rows["parent"]).sum() / rows["area_km2"].groupby(rows["parent"]).sum()
    return pd.DataFrame(shares)


def standardise(features: pd.DataFrame) -> pd.DataFrame:
    """z-scores per column: ``z = (x - mean) / sd`` with the population sd (ddof 0); NaN kept.

    A column with sd 0 (or a single value) carries no information and becomes 0.
    """
    sd = features.std(ddof=0)
    return ((features - features.mean()) / sd.where(sd > 0)).fillna(0.0).where(features.notna())


def peers(
    features: pd.DataFrame,
    region: str,
    *,
    k: int = 10,
    exclude_country: bool = False,
    weights: Mapping[str, float] | None = None,
    missing: Literal["drop", "mean"] = "drop",
) -> pd.DataFrame:
    """The ``k`` regions structurally closest to ``region``.

    Parameters
    ----------
    features : regions (index, NUTS codes) x structural indicators, e.g. :func:`structural_features`.
    region : the region whose peers are wanted.
    k : number of peers.
    exclude_country : leave out regions of the same country (the first two letters of the code).
    weights : per feature, a non-negative weight (default 1 each; absent features weigh 1).
    missing : "drop" leaves out regions lacking any feature (the region itself must have all);
        "mean" gives a missing value the mean of its column (z-score 0).

    Returns
    -------
    DataFrame with ``peer``, ``distance``, ``rank`` (1 = closest) and the peer's feature values,
    closest first (ties broken by code). The region itself is never among its peers.

    Notes
    -----
    Features are standardised over the regions kept (:func:`standardise`), then
    ``d(a, b) = sqrt(sum_i w_i (z[a,i] - z[b,i])^2)``. The S3 Regional Benchmarking Tool
    compares regions on structural conditions (geography, demography, human resources,
    technological and economic structure) rather than performance, so that regions learn from
    others that face similar conditions.

    References
    ----------
    Navarro, M., Gibaja, J. J., Franco, S., Murciego, A., Gianelle, C., Hegyi, F. B. &
    Kleibrink, A. (2014). Regional benchmarking in the smart specialisation process:
    Identification of reference regions based on structural similarity. S3 Working Paper
    Series No. 03/2014, European Commission, Joint Research Centre, Seville.
    """
    table = _checked(features, region, k, missing)
    w = _weights(table.columns, weights)
    z = standardise(table).fillna(0.0)
    dist = np.sqrt((((z - z.loc[region]) ** 2) * w).sum(axis=1))
    candidates = dist.drop(region)
    if exclude_country:
        candidates = candidates[candidates.index.str[:2] != str(region)[:2]]
    order = pd.DataFrame({"peer": candidates.index.astype(str), "distance": candidates.to_numpy()})
    out = order.sort_values(["distance", "peer"]).head(k).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.join(features.reindex(out["peer"]).reset_index(drop=True))


def _checked(features: pd.DataFrame, region: str, k: int, missing: str) -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame) or features.empty:
        raise InputError("features must be a non-empty DataFrame (regions x structural indicators)")
    if features.index.has_duplicates:
        raise InputError(
            "features has duplicate regions", value=features.index[features.index.duplicated()][0]
        )
    if missing not in ("drop", "mean"):
        raise InputError("missing must be 'drop' or 'mean'", value=missing)
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError("k must be a positive integer", value=k)
    if region not in features.index:
        close = difflib.get_close_matches(str(region), [str(c) for c in features.index], n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"unknown region {region!r}: not in the features' index of {len(features)} regions{hint} "
            "Valid codes are that index (features.index); NUTS 2021 codes are listed in the warehouse "
            "table regions (code, level, name)",
            value=region,
        )
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise InputError(f"features has non-numeric columns {bad}", column=str(bad[0]))
    if missing == "mean":
        return features
    if features.loc[region].isna().any():
        lacking = list(features.columns[features.loc[region].isna()])
        raise InputError(
            f"region {region!r} lacks features {lacking}; pass missing='mean' to impute", value=region
        )
    return features.dropna()


def _weights(columns: pd.Index, weights: Mapping[str, float] | None) -> pd.Series:
    w = pd.Series(1.0, index=columns)
    for name, value in (weights or {}).items():
        if name not in columns:
            raise InputError(f"weight for unknown feature {name!r}; features are {list(columns)}", value=name)
        if not value >= 0:
            raise InputError(f"weight of {name!r} must be >= 0", value=value)
        w[name] = float(value)
    return w


def all_peers(
    features: pd.DataFrame,
    *,
    k: int = 10,
    exclude_country: bool = False,
    weights: Mapping[str, float] | None = None,
    missing: Literal["drop", "mean"] = "drop",
) -> pd.DataFrame:
    """:func:`peers` of every region at once (one standardisation, one distance matrix).

    Returns long rows ``region, peer, distance, rank`` (``k`` per region, closest first, ties
    by code), equal to calling :func:`peers` for each region with the same arguments.
    """
    if not isinstance(features, pd.DataFrame) or features.empty:
        raise InputError("features must be a non-empty DataFrame (regions x structural indicators)")
    table = _checked(features, str(features.index[0]), k, "mean") if missing == "mean" else features.dropna()
    if table.empty:
        raise InputError("no region has every feature; pass missing='mean' to impute")
    w = _weights(table.columns, weights).to_numpy()
    z = standardise(table).fillna(0.0).to_numpy() * np.sqrt(w)
    dist = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    codes = table.index.astype(str).to_numpy()
    np.fill_diagonal(dist, np.inf)
    if exclude_country:
        country = np.array([c[:2] for c in codes])
        dist[country[:, None] == country[None, :]] = np.inf
    order = np.lexsort((np.broadcast_to(codes, dist.shape), dist), axis=1)[:, :k]
    rows = []
    for i, region in enumerate(codes):
        for rank, j in enumerate(order[i], start=1):
            if np.isfinite(dist[i, j]):
                rows.append((region, codes[j], float(dist[i, j]), rank))
    return pd.DataFrame(rows, columns=["region", "peer", "distance", "rank"])
