"""Integration of research actors in regional economies: who takes part, whether firms work
with the region's own universities and research organisations, and how much of a region's
collaboration stays inside it.

Notation. A participation ``p`` is an organisation ``o(p)`` taking part in a project ``j(p)``
(one per organisation and project, whatever its roles), of CORDIS activity type ``a(p)`` in
{HES, REC, PRC, PUB, OTH} (higher education, research organisation, private for-profit firm,
public body, other; a missing type counts as OTH), placed in region ``r(p)`` (or unplaced).
``R = {HES, REC}`` are the research actors. Under full counting each participation weighs
``u(p) = 1``; under fractional counting ``u(p) = 1 / n_j``, ``n_j`` the number of
organisations in project ``j`` (placed or not), so that every project weighs 1 in all.

For a region ``r`` (``P_r`` its participations, ``F_r = {p in P_r : a(p) = PRC}``):

- ``participations[r] = sum_{p in P_r} u(p)``, ``organisations[r] = |{o(p) : p in P_r}|``;
- actor mix ``share_a[r] = sum_{p in P_r, a(p) = a} u(p) / participations[r]``;
- ``firm_participations[r] = sum_{p in F_r} u(p)``;
- ``L(p) = 1`` when some other participation ``q`` of the same project is a research actor of
  the same region (``j(q) = j(p)``, ``a(q) in R``, ``r(q) = r(p)``), else 0;
  ``firm_with_local_research[r] = sum_{p in F_r} u(p) L(p)`` and
  ``firm_local_research_share[r] = firm_with_local_research[r] / firm_participations[r]``
  (NaN without firm participations);
- ``A(p) = 1`` when the project has a research actor anywhere (placed or not):
  ``firm_with_research[r]`` and ``firm_research_share[r]`` as above with ``A`` for ``L``: the
  baseline against which the local share reads (a firm can only work with a local research
  actor in a project that has a research actor at all);
- on the region-by-region collaboration edges (weight ``w``, the caller's counting):
  ``local_ties[r] = w(r, r)`` (the self-loop: collaboration between two of the region's
  organisations), ``external_ties[r] = sum_{s != r} w(r, s)`` and
  ``local_tie_share[r] = local_ties[r] / (local_ties[r] + external_ties[r])``;
- ``gatekeeper_share[r] = gatekeepers[r] / organisations[r]`` from brokerage results (Gould &
  Fernandez 1989, regions as groups): the share of the region's organisations in the network
  with a gatekeeper or representative role, i.e. that link the region's organisations to other
  regions (on an undirected network the two roles count the same paths).

References
----------
Ponds, R., van Oort, F. & Frenken, K. (2007). The geographical and institutional proximity of
research collaboration. Papers in Regional Science 86(3), 423-443.
Lata, R., Scherngell, T. & Brenner, T. (2015). Integration processes in European research and
development: a comparative spatial interaction approach using project based research and
development networks, co-patent networks and co-publication networks. Geographical Analysis
47(4), 349-375.
Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to brokerage
in transaction networks. Sociological Methodology 19, 89-126.
DESIGN.md, "Integration of research actors".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = ["ACTOR_TYPES", "RESEARCH_ACTORS", "integration_indicators", "compare_with_peers"]

#: CORDIS activity types, research actors first (as in :mod:`rok.measures.actors`).
ACTOR_TYPES = ("HES", "REC", "PRC", "PUB", "OTH")
#: The types counted as research actors.
RESEARCH_ACTORS = ("HES", "REC")
FIRM = "PRC"
PARTICIPATION_COLUMNS = ("project_id", "org_id", "activity_type", "region")


def integration_indicators(
    participations: pd.DataFrame,
    region_edges: pd.DataFrame,
    *,
    gatekeepers: pd.DataFrame | None = None,
    counting: Literal["full", "fractional"] = "full",
) -> pd.DataFrame:
    """Integration indicators per region (definitions in the module docstring).

    Parameters
    ----------
    participations : one row per participation, columns ``project_id, org_id, activity_type,
        region``. Pass whole consortia: rows of organisations without a region (``region`` NaN)
        count in ``n_j`` and as research actors for ``firm_with_research`` but belong to no
        region. Repeated ``(project_id, org_id)`` rows (several roles) count once.
    region_edges : region collaboration edges ``source, target, weight`` (undirected, one row
        per pair, self-loops for collaboration inside a region; an ``internal`` column, when
        present, must equal ``source == target``), e.g. from :mod:`rok.measures.networks`, at
        the same NUTS level as ``participations``.
    gatekeepers : brokerage counts per region, columns ``region, organisations, gatekeepers``
        (organisations with a gatekeeper or representative role > 0); optional.
    counting : "full" (default) or "fractional" weights ``u(p)`` of the participation-based
        indicators; the tie indicators follow the counting of ``region_edges``.

    Returns
    -------
    DataFrame indexed by region (sorted) with ``participations``, ``organisations``,
    ``share_HES``, ``share_REC``, ``share_PRC``, ``share_PUB``, ``share_OTH``,
    ``firm_participations``, ``firm_with_local_research``, ``firm_local_research_share``,
    ``firm_with_research``, ``firm_research_share``, ``local_ties``, ``external_ties``,
    ``local_tie_share`` and ``gatekeeper_share`` (NaN without ``gatekeepers`` or for a region
    absent from them). ``attrs`` holds ``counting`` and ``unplaced_participations``.

    Raises
    ------
    InputError
        Missing columns, unknown activity types, a project-organisation pair with two types or
        regions, negative or missing edge weights, or edge regions absent from
        ``participations`` (different NUTS levels?).

    References
    ----------
    Ponds, van Oort & Frenken (2007), Papers in Regional Science 86(3); Lata, Scherngell &
    Brenner (2015), Geographical Analysis 47(4); Gould & Fernandez (1989); see the module.
    """
    if counting not in ("full", "fractional"):
        raise InputError("counting must be 'full' or 'fractional'", value=counting)
    rows = _participation_rows(participations, counting)
    placed = rows[rows["region"].notna()]
    out = _actor_mix(placed)
    out = out.join(_firm_indicators(rows, placed), how="left")
    out = out.join(_ties(region_edges, out.index), how="left")
    out["gatekeeper_share"] = _gatekeeper_share(gatekeepers, out.index)
    out.index.name = "region"
    out.attrs.update(counting=counting, unplaced_participations=int(len(rows) - len(placed)))
    return out


def _require(frame: object, columns: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame with columns {list(columns)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lacks columns {missing}; expected {list(columns)}")
    return frame


def _participation_rows(participations: pd.DataFrame, counting: str) -> pd.DataFrame:
    rows = _require(participations, PARTICIPATION_COLUMNS, "participations")[list(PARTICIPATION_COLUMNS)]
    if rows.empty:
        raise InputError("participations is empty: expected at least one participation")
    rows = rows.assign(activity_type=rows["activity_type"].fillna("OTH"))
    unknown = sorted(set(rows["activity_type"]) - set(ACTOR_TYPES))
    if unknown:
        raise InputError(
            f"participations has unknown activity types {unknown[:5]}; expected {list(ACTOR_TYPES)}",
            column="activity_type",
            value=unknown[0],
        )
    rows = rows.drop_duplicates()
    twice = rows.duplicated(["project_id", "org_id"], keep=False)
    if twice.any():
        first = rows[twice].iloc[0]
        raise InputError(
            f"organisation {first['org_id']!r} has two activity types or regions in project "
            f"{first['project_id']!r}; expected one of each per project and organisation",
            column="activity_type/region",
        )
    size = rows.groupby("project_id")["org_id"].transform("size")
    unit = 1.0 if counting == "full" else 1.0 / size
    return rows.assign(unit=unit).reset_index(drop=True)


def _actor_mix(placed: pd.DataFrame) -> pd.DataFrame:
    by_type = placed.pivot_table(
        index="region", columns="activity_type", values="unit", aggfunc="sum", fill_value=0.0
    ).reindex(columns=list(ACTOR_TYPES), fill_value=0.0)
    total = by_type.sum(axis=1)
    out = pd.DataFrame({"participations": total.astype(float)})
    out["organisations"] = placed.groupby("region")["org_id"].nunique().astype("int64")
    for actor in ACTOR_TYPES:
        out[f"share_{actor}"] = by_type[actor] / total
    return out.sort_index()


def _firm_indicators(rows: pd.DataFrame, placed: pd.DataFrame) -> pd.DataFrame:
    research = rows[rows["activity_type"].isin(RESEARCH_ACTORS)]
    local = research[research["region"].notna()][["project_id", "region"]].drop_duplicates()
    local = local.assign(local=1.0)
    firms = placed[placed["activity_type"] == FIRM].merge(local, on=["project_id", "region"], how="left")
    firms["local"] = firms["local"].fillna(0.0)
    firms["any"] = firms["project_id"].isin(set(research["project_id"])).astype(float)
    grouped = firms.assign(
        with_local=firms["unit"] * firms["local"], with_any=firms["unit"] * firms["any"]
    ).groupby("region")
    out = pd.DataFrame(
        {
            "firm_participations": grouped["unit"].sum(),
            "firm_with_local_research": grouped["with_local"].sum(),
        }
    )
    out["firm_local_research_share"] = out["firm_with_local_research"] / out["firm_participations"]
    out["firm_with_research"] = grouped["with_any"].sum()
    out["firm_research_share"] = out["firm_with_research"] / out["firm_participations"]
    regions = pd.Index(placed["region"].unique())
    out = out.reindex(regions)
    counts = ["firm_participations", "firm_with_local_research", "firm_with_research"]
    out[counts] = out[counts].fillna(0.0)
    return out


def _ties(region_edges: pd.DataFrame, regions: pd.Index) -> pd.DataFrame:
    edges = _require(region_edges, ("source", "target", "weight"), "region_edges")
    weight = pd.to_numeric(edges["weight"], errors="coerce")
    if weight.isna().any() or (weight < 0).any():
        bad = edges.loc[weight.isna() | (weight < 0)].iloc[0]
        raise InputError(
            f"region_edges has a missing or negative weight for {bad['source']!r}-{bad['target']!r}; "
            "expected weights >= 0",
            column="weight",
            value=bad["weight"],
        )
    self_loop = edges["source"] == edges["target"]
    if "internal" in edges.columns and not (edges["internal"].astype(bool) == self_loop).all():
        raise InputError(
            "region_edges.internal disagrees with source == target; expected internal for self-loops only",
            column="internal",
        )
    stray = sorted((set(edges["source"]) | set(edges["target"])) - set(regions))
    if stray:
        raise InputError(
            f"region_edges has {len(stray)} regions without placed participations, e.g. {stray[:5]}: "
            "are the edges and the participations at the same NUTS level?",
            value=stray[0],
        )
    local = weight[self_loop].groupby(edges.loc[self_loop, "source"]).sum()
    outside = ~self_loop
    ends = pd.concat([edges.loc[outside, "source"], edges.loc[outside, "target"]])
    external = pd.concat([weight[outside], weight[outside]]).groupby(ends.to_numpy()).sum()
    out = pd.DataFrame(
        {
            "local_ties": local.reindex(regions, fill_value=0.0).astype(float),
            "external_ties": external.reindex(regions, fill_value=0.0).astype(float),
        }
    )
    total = out["local_ties"] + out["external_ties"]
    out["local_tie_share"] = out["local_ties"] / total.where(total > 0)
    return out


def _gatekeeper_share(gatekeepers: pd.DataFrame | None, regions: pd.Index) -> pd.Series:
    if gatekeepers is None:
        return pd.Series(np.nan, index=regions, dtype=float)
    table = _require(gatekeepers, ("region", "organisations", "gatekeepers"), "gatekeepers")
    if table["region"].duplicated().any():
        raise InputError(
            "gatekeepers has duplicate regions", value=table["region"][table["region"].duplicated()].iloc[0]
        )
    table = table.set_index("region")
    organisations = pd.to_numeric(table["organisations"], errors="coerce")
    count = pd.to_numeric(table["gatekeepers"], errors="coerce")
    if ((count < 0) | (count > organisations)).any():
        bad = table.index[(count < 0) | (count > organisations)][0]
        raise InputError(f"gatekeepers of region {bad!r} is not between 0 and its organisations", value=bad)
    share = count / organisations.where(organisations > 0)
    return share.reindex(regions).astype(float)


def compare_with_peers(
    indicators: pd.DataFrame,
    peers_table: pd.DataFrame,
    region: str,
    *,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The region's indicators beside those of its peer regions.

    Parameters
    ----------
    indicators : indicators indexed by region, e.g. :func:`integration_indicators`.
    peers_table : peers with a ``peer`` column: the long table of
        :func:`rok.analysis.peers.all_peers` (rows with ``region == region`` are used) or the
        table of :func:`rok.analysis.peers.peers` for ``region`` (no ``region`` column).
    region : the region compared.
    columns : indicators to compare (default: every numeric column).

    Returns
    -------
    DataFrame indexed by indicator with ``value`` (the region's), ``peer_mean``,
    ``peer_median`` (over peers with a value), ``n_peers`` (peers with a value), ``rank``
    (the region's rank among itself and those peers, 1 = highest value, ties share the best
    rank: ``rank = 1 + |{peers with value > the region's}|``; NaN when the region has no value)
    and ``out_of`` (``n_peers + 1``).

    Notes
    -----
    Peers absent from ``indicators`` are left out (``n_peers`` says how many remain). A high
    rank is not always good: a high ``local_tie_share`` can mean a well-knit or an inward-looking
    region.
    """
    if region not in indicators.index:
        raise InputError(f"region {region!r} is not in the indicators' index", value=region)
    table = _require(peers_table, ("peer",), "peers_table")
    if "region" in table.columns:
        table = table[table["region"] == region]
    peer_codes = [p for p in dict.fromkeys(table["peer"]) if p != region]
    if not peer_codes:
        raise InputError(f"peers_table has no peer of region {region!r}", value=region)
    present = [p for p in peer_codes if p in indicators.index]
    if columns is None:
        columns = [c for c in indicators.columns if pd.api.types.is_numeric_dtype(indicators[c])]
    unknown = [c for c in columns if c not in indicators.columns]
    if unknown:
        raise InputError(f"indicators lacks columns {unknown}", column=str(unknown[0]))
    own = indicators.loc[region, list(columns)].astype(float)
    others = indicators.loc[present, list(columns)].astype(float)
    out = pd.DataFrame(
        {
            "value": own,
            "peer_mean": others.mean(),
            "peer_median": others.median(),
            "n_peers": others.notna().sum().astype("int64"),
        }
    )
    above = (others > own).sum()
    out["rank"] = (1 + above).astype(float).where(own.notna())
    out["out_of"] = out["n_peers"] + 1
    out.index.name = "indicator"
    return out
