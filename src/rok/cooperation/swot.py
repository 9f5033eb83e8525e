"""SWOT of a region from the warehouse: every item with the measured numbers behind it.

After the RIS3 guide (Foray et al. 2012, step 1: analysis of the regional context, SWOT)
on research-and-innovation data. Comparisons use two references: **Europe**, the median
over all NUTS 2 regions with a value (robust to the largest capital regions), and the
**peers**, the median over the region's ``k`` structural peers (S3 Regional Benchmarking
Tool, Navarro et al. 2014; :meth:`rok.analysis.profiles.Profiles.peers_of`).

Strengths
    - specialisations with critical mass: domains with ``RCA[r,d] >= 1`` whose cell has at
      least one cluster star (size, specialisation LQ >= 2 or focus; European Cluster
      Observatory, :mod:`rok.analysis.clusters`), ranked by stars then RCA; evidence RCA,
      share of the region's activity ``x[r,d]/x[r,.]``, share of Europe's ``x[r,d]/x[.,d]``,
      stars and activity (the profiles' selection);
    - FP participations per million inhabitants (the performance index value,
      full counting over the warehouse's projects / latest population) above both references.
Weaknesses
    - performance indicators (:data:`rok.analysis.performance.DEFAULT_SPEC`) below both
      references; a performance group below "strong" (index < 100);
    - thin integration of firms: the share of firms' participations with a research actor
      (HES, REC) of the same region in the same project below both references
      (:func:`rok.analysis.integration.integration_indicators`' ``firm_local_research_share``,
      full counting, the projects starting in the selection's period).
Opportunities
    - related domains: the highest relatedness densities (Balland et al. 2019) among domains
      the region is not specialised in, only on a knowledge taxonomy (an instrument taxonomy
      such as the H2020 programme parts says how regions use a programme, not what they
      know; the items are then omitted with a note);
    - complementary partners: the regions ``A`` with the largest ``C[A->r]``
      (:func:`rok.cooperation.complementarity.complementarity_for`).
Threats
    - concentration of the region's portfolio: ``HHI[r] = sum_d (x[r,d]/x[r,.])^2`` above the
      European median;
    - dependence on few organisations: the top three organisations' share of the region's
      participations (full counting) above the European median;
    - declining trend: the region's share of all participations per project start year,
      over the years whose total is at least half the peak year's (the programme's full
      years), with a negative least-squares slope and a last value below the first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rok.analysis.concentration import herfindahl
from rok.analysis.peers import peers as find_peers
from rok.analysis.performance import DEFAULT_SPEC

__all__ = ["swot", "region_frames", "full_years"]

Item = dict[str, Any]
_REGION_METRICS = ("top3_share", "firm_local_research_share")


def _num(value: Any, digits: int = 6) -> float | int | None:
    """A JSON-safe number: an int when whole, else a rounded float (None for NaN)."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, digits)


def _item(category: str, text: str, **evidence: Any) -> Item:
    return {"category": category, "text": text, "evidence": {k: _num(v) for k, v in evidence.items()}}


def full_years(participations: pd.DataFrame) -> list[int]:
    """Start years whose participations number at least half of the peak year's."""
    totals = participations.groupby("year").size()
    return sorted(int(y) for y in totals.index[totals >= totals.max() / 2])


def region_frames(participations: pd.DataFrame, level: int = 2) -> pd.DataFrame:
    """Per region (NUTS ``level``): ``participations``, ``top3_share``, ``firm_participations``,
    ``firm_local_research_share`` (full counting, repeated project-organisation rows once)."""
    col = f"nuts{level}"
    rows = participations.drop_duplicates(["project_id", "org_id"])
    placed = rows[rows[col].notna()]
    per_org = placed.groupby([col, "org_id"]).size().rename("n").reset_index()
    per_org = per_org.sort_values([col, "n", "org_id"], ascending=[True, False, True])
    top3 = per_org.groupby(col).head(3).groupby(col)["n"].sum()
    total = per_org.groupby(col)["n"].sum()
    research = placed[placed["activity_type"].isin(("HES", "REC"))][["project_id", col]].drop_duplicates()
    firms = placed[placed["activity_type"] == "PRC"]
    hit = firms.merge(research.assign(local=True), on=["project_id", col], how="left")
    hit["local"] = hit["local"].eq(True)
    local = hit.groupby(col)["local"].agg(["mean", "size"])
    out = pd.DataFrame({"participations": total, "top3_share": top3 / total})
    out["firm_participations"] = local["size"].reindex(out.index).fillna(0)
    out["firm_local_research_share"] = local["mean"].reindex(out.index)
    out.index.name = "region"
    return out


def _trend(participations: pd.DataFrame, region: str, level: int) -> dict[str, float] | None:
    years = full_years(participations)
    if len(years) < 3:
        return None
    rows = participations[participations["year"].isin(years)]
    total = rows.groupby("year").size().reindex(years)
    own = rows[rows[f"nuts{level}"] == region].groupby("year").size().reindex(years, fill_value=0)
    share = (own / total).astype(float)
    slope = float(np.polyfit(np.array(years, dtype=float), share.to_numpy(), 1)[0])
    return {"first_year": years[0], "last_year": years[-1], "share_first": float(share.iloc[0]),
            "share_last": float(share.iloc[-1]), "slope_per_year": slope}


def swot(profiles: Any, region: str, participations: pd.DataFrame, *, knowledge_taxonomy: bool,
         peers_k: int = 10, top: int = 5, name: Callable[[str], str] | None = None) -> tuple[list[Item], dict[str, Any]]:
    """The SWOT items of ``region`` (definitions in the module docstring) and the numbers kept
    for the priorities (``strength_cells``: the starred specialisations, best first).

    ``participations``: one row per participation with ``project_id, org_id, activity_type,
    year`` and ``nuts{level}`` (e.g. ``rok.cooperation.indicators.WarehouseData.participations``).
    """
    p, r = profiles, region
    level = p.selection.level
    label = name or p.domain_name
    items: list[Item] = []
    peers = (list(find_peers(p.features, r, k=peers_k, missing="mean")["peer"])
             if p.features is not None and r in p.features.index else [])

    def refs(series: pd.Series) -> tuple[float, float]:
        values = series.dropna()
        return float(values.median()), float(values.reindex(peers).dropna().median()) if peers else math.nan

    # strengths: starred specialisations
    stars = p.stars[(p.stars["region"] == r) & (p.stars["lq"] >= 1.0) & (p.stars["stars"] >= 1)]
    stars = stars.sort_values(["stars", "lq", "domain"], ascending=[False, False, True]).head(top)
    for row in stars.itertuples(index=False):
        items.append(_item("strength", f"{label(row.domain)} ({row.domain}): specialised (RCA {row.lq:.2f}), "
                           f"{row.focus_share:.1%} of the region's activity and {row.size_share:.1%} of Europe's; "
                           f"{row.stars} cluster star(s): {row.which}",
                           rca=row.lq, share_of_region=row.focus_share, share_of_europe=row.size_share,
                           stars=row.stars, activity=row.value))
    perf = p.performance
    if perf is not None and r in perf.values.index:
        fp = perf.values["fp_participations"] * 1e6
        value, (europe, peer) = fp.get(r, math.nan), refs(fp)
        if value > europe and value > peer:
            items.append(_item("strength", f"FP participations per million inhabitants {value:,.0f}, above the "
                               f"European median {europe:,.0f} and the peers' median {peer:,.0f}",
                               participations_per_million=value, europe_median=europe, peers_median=peer,
                               peers=len(peers)))
        # weaknesses: performance indicators below both references
        for spec in DEFAULT_SPEC:
            if spec.key.startswith("fp_") or spec.key not in perf.values.columns:
                continue
            column = perf.values[spec.key]
            value = column.get(r, math.nan)
            if pd.isna(value):
                continue
            europe, peer = refs(column)
            if value < europe and value < peer:
                year = int(perf.years[spec.key].get(r))
                items.append(_item("weakness", f"{spec.label}: {value:.2f} ({year}), below the European median "
                                   f"{europe:.2f} and the peers' median {peer:.2f}", value=value, year=year,
                                   europe_median=europe, peers_median=peer))
        index = perf.table["index"].get(r, math.nan)
        group = perf.table["group"].get(r)
        if group in ("moderate", "emerging"):
            items.append(_item("weakness", f"research performance index {index:.1f}: {group} performer (reference "
                               f"mean of the regions = 100)", performance_index=index))
    frames = region_frames(participations, level)
    if r in frames.index:
        column = frames["firm_local_research_share"]
        value, (europe, peer) = column.get(r, math.nan), refs(column)
        if not pd.isna(value) and value < europe and value < peer:
            items.append(_item("weakness", f"thin integration of firms: {value:.1%} of firms' participations "
                               f"({frames.at[r, 'firm_participations']:.0f}) share a project with a research actor "
                               f"of the region; European median {europe:.1%}, peers' median {peer:.1%}",
                               firm_local_research_share=value, firm_participations=frames.at[r, "firm_participations"],
                               europe_median=europe, peers_median=peer))
    # opportunities
    if knowledge_taxonomy and r in p.density.index:
        free = p.density.loc[r][p.specialised.loc[r].reindex(p.density.columns).fillna(0) == 0]
        for domain, dens in free.sort_values(ascending=False).head(3).items():
            items.append(_item("opportunity", f"related domain {label(domain)} ({domain}): relatedness density "
                               f"{dens:.0f} of 100 while not yet specialised (RCA {p.rca.at[r, domain]:.2f})",
                               density=dens, rca=p.rca.at[r, domain]))
    if r in p.specialised.index:
        from rok.cooperation.complementarity import complementarity_for

        for row in complementarity_for(p, r, direction="for", k=3).itertuples(index=False):
            items.append(_item("opportunity", f"complementary partner {row.partner} {row.name}: strong where "
                               f"{r} is not yet specialised ({row.domains}); complementarity {row.score:.3f}",
                               complementarity=row.score, rank=row.rank))
    # threats
    hhi = herfindahl(p.activity[p.activity.sum(axis=1) > 0], axis=1)
    if r in hhi.index:
        europe = float(hhi.median())
        if hhi[r] > europe:
            items.append(_item("threat", f"concentrated portfolio: Herfindahl index over domains {hhi[r]:.3f}, "
                               f"above the European median {europe:.3f}", hhi=hhi[r], europe_median=europe,
                               domains_active=int((p.activity.loc[r] > 0).sum())))
    if r in frames.index:
        europe = float(frames["top3_share"].median())
        value = float(frames.at[r, "top3_share"])
        if value > europe:
            items.append(_item("threat", f"dependence on few organisations: the top three take {value:.1%} of the "
                               f"region's participations (European median {europe:.1%})", top3_share=value,
                               europe_median=europe, participations=frames.at[r, "participations"]))
    trend = _trend(participations, r, level)
    if trend and trend["slope_per_year"] < 0 and trend["share_last"] < trend["share_first"]:
        items.append(_item("threat", f"declining share of Europe's participations: {trend['share_first']:.3%} in "
                           f"{trend['first_year']}, {trend['share_last']:.3%} in {trend['last_year']} (slope "
                           f"{trend['slope_per_year']:.5%} per year)", **trend))
    return items, {"strength_cells": stars, "peers": peers}
