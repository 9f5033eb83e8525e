"""Drafting a research agenda (one region) or a joint action plan (a cluster, a consortium).

:func:`draft_agenda` proposes, from the warehouse, the parts of a smart-specialisation
strategy after the RIS3 guide (Foray et al. 2012): a SWOT with the numbers behind each
item (:mod:`rok.cooperation.swot`), priorities, an action plan (objectives, actions linked
to priorities, timeframe, owners, partners, funding sources, milestones), indicators with
measured baselines (S3 monitoring, Gianelle & Kleibrink 2015: result indicators per
priority, output indicators per action with baseline 0), risks, governance and the
Horizon Europe landscape of each priority (:mod:`rok.cooperation.landscape`). The chapters
of the actions follow the Regions of Knowledge joint action plans: research projects,
mentoring, shared research facilities, skills and mobility.

What is measured and what is proposed
-------------------------------------
Every number in the SWOT, the priorities' evidence and the indicators' baselines is
measured on the warehouse (the load id is recorded). Owners, partners, dates and funding
sources are **proposals** for the user to confirm: the owner is the region's most active
organisation in the priority's domains, partners come from the partner search
(:mod:`rok.cooperation.partners`), dates are a default schedule (start the first day of
the next month, 36 months), funding instruments are suggestions from the programme
correspondence. Budgets and targets are left empty (``None``): the data cannot set them.

Priorities
----------
- region: the specialisations with critical mass (the SWOT strengths, at most three); on a
  knowledge taxonomy also the related domain of highest density;
- a cluster of one region: as a region, within the cluster's domains when it names some (the
  cluster's domains themselves when none of them has a starred specialisation);
- cluster and consortium: complementary domains within the group (some members specialised,
  ``RCA >= 1``, others not: ranked by the givers' largest RCA, then the receivers' count)
  and shared strengths (every member specialised), restricted to the cluster's domains
  when it names some.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok.cooperation.agenda_actions import ActionPlanner, add_months
from rok.cooperation.swot import full_years, swot
from rok.errors import InputError
from rok.measures import Engine, Selection, open_engine

__all__ = ["draft_agenda", "taxonomy_is_knowledge"]


def taxonomy_is_knowledge(engine: Engine, taxonomy: str) -> tuple[bool, str | None]:
    """Whether relatedness-based advice fits ``taxonomy``, and the note when it does not.

    Uses ``rok.measures.taxonomy_kind(engine, taxonomy)`` where it exists; otherwise
    ``h2020-part`` (the programme parts) is an instrument taxonomy and others are knowledge.
    """
    try:
        from rok.measures import taxonomy_kind  # type: ignore[attr-defined]

        kind = str(taxonomy_kind(engine, taxonomy))
    except ImportError:
        kind = "instrument" if taxonomy == "h2020-part" else "knowledge"
    if kind == "knowledge":
        return True, None
    return False, (f"taxonomy {taxonomy} classifies funding instruments, not fields of knowledge: relatedness-based "
                   "opportunities and priorities are omitted; a knowledge taxonomy with placed participants "
                   "(e.g. EuroSciVoc fields) would support them")


def _precheck(region: str | None, cluster: Any, consortium: Sequence[str] | None) -> None:
    """The checks that need no data: exactly one scope, no duplicate in a consortium."""
    given = [x is not None for x in (region, cluster, consortium)]
    if sum(given) != 1:
        raise InputError("give exactly one of region, cluster or consortium")
    if consortium is not None and not isinstance(consortium, str):
        codes = [str(c).strip().upper() for c in consortium]
        dup = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if dup is not None:
            raise InputError(f"duplicate region {dup} in the consortium", column="consortium", value=dup)


def _scope(profiles: Any, region: str | None, cluster: Any, consortium: Sequence[str] | None) -> dict[str, Any]:
    given = [x is not None for x in (region, cluster, consortium)]
    if sum(given) != 1:
        raise InputError("give exactly one of region, cluster or consortium")
    if region is not None:
        return {"type": "region", "regions": [profiles.check_region(region)], "clusters": [], "domains": None}
    if consortium is not None:
        if isinstance(consortium, str):
            consortium = [c for c in consortium.split(",") if c.strip()]
        codes = [str(c).strip().upper() for c in consortium]
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise InputError(f"duplicate region {code} in the consortium", column="consortium", value=code)
            seen.add(code)
        if len(codes) < 2:
            raise InputError("a consortium needs at least two regions", column="consortium", value=",".join(codes))
        return {"type": "consortium", "regions": [profiles.check_region(c) for c in codes], "clusters": [],
                "domains": None}
    get = cluster.get if isinstance(cluster, Mapping) else (lambda k, d=None: getattr(cluster, k, d))
    regions = list(get("regions") or [])
    name = get("name") or get("id")
    if not regions:
        raise InputError("the cluster has no regions", column="cluster", value=name)
    domains = [str(getattr(d, "code", d)) for d in (get("domains") or [])] or None
    unknown = [d for d in domains or [] if d not in profiles.activity.columns]
    if unknown:
        raise InputError("unknown domain in the cluster", column="domains", value=unknown[0])
    return {"type": "cluster", "regions": list(dict.fromkeys(profiles.check_region(c) for c in regions)),
            "clusters": [name], "domains": domains}


def _priorities(profiles: Any, scope: dict[str, Any], cells: dict[str, pd.DataFrame], knowledge: bool,
                load_id: int | None) -> list[dict[str, Any]]:
    p, regions = profiles, scope["regions"]
    out: list[dict[str, Any]] = []

    def evidence(domain: str, **extra: Any) -> dict[str, Any]:
        ev: dict[str, Any] = {}
        for r in regions:
            prefix = "" if len(regions) == 1 else f"{r}_"
            ev[f"{prefix}rca"] = round(float(p.rca.at[r, domain]), 6)
            ev[f"{prefix}activity"] = round(float(p.activity.at[r, domain]), 6)
        return {**ev, **extra, "load_id": load_id}

    if len(regions) == 1:
        r = regions[0]
        chosen = cells[r] if not scope["domains"] else cells[r][cells[r]["domain"].isin(scope["domains"])]
        if chosen.empty and scope["domains"]:  # a one-region cluster in domains without a starred specialisation
            for d in scope["domains"][:3]:
                out.append({"title": f"{p.domain_name(d)}", "domains": [d],
                            "rationale": f"a domain of the cluster; {r} has RCA {p.rca.at[r, d]:.2f} in {d} and no "
                                         f"cluster star there: building critical mass is the task",
                            "evidence": evidence(d)})
            return out
        for row in chosen.head(3).itertuples(index=False):
            mass = ("with critical mass" if row.size_star or row.focus_star
                    else "strongly specialised but small, critical mass still to build")
            out.append({"title": f"{p.domain_name(row.domain)}", "domains": [row.domain],
                        "rationale": f"{r} is specialised in {row.domain} (RCA {row.lq:.2f}), {mass}: "
                                     f"{row.stars} cluster star(s) ({row.which}), {row.size_share:.1%} of Europe's "
                                     f"activity in the domain",
                        "evidence": evidence(row.domain, stars=int(row.stars), share_of_europe=round(row.size_share, 6),
                                             share_of_region=round(row.focus_share, 6))})
        if knowledge and not scope["domains"] and r in p.density.index:
            free = p.density.loc[r][p.specialised.loc[r].reindex(p.density.columns).fillna(0) == 0]
            if len(free):
                d = str(free.idxmax())
                out.append({"title": f"{p.domain_name(d)} (related diversification)", "domains": [d],
                            "rationale": f"not yet specialised (RCA {p.rca.at[r, d]:.2f}) but related to the "
                                         f"region's strengths: relatedness density {free[d]:.0f} of 100",
                            "evidence": evidence(d, density=round(float(free[d]), 6))})
        return out
    rca = p.rca.reindex(index=regions)
    domains = scope["domains"] or [d for d in p.activity.columns if p.activity.loc[regions, d].sum() > 0]
    joint, shared = [], []
    for d in domains:
        givers = [r for r in regions if rca.at[r, d] >= 1.0]
        takers = [r for r in regions if rca.at[r, d] < 1.0]
        if givers and takers:
            joint.append((max(rca.at[g, d] for g in givers), len(takers), d, givers, takers))
        elif givers:
            shared.append((min(rca.at[g, d] for g in givers), d))
    joint.sort(key=lambda t: (-t[0], -t[1], t[2]))
    shared.sort(key=lambda t: (-t[0], t[1]))
    for top, _, d, givers, takers in joint[:3]:
        out.append({"title": f"{p.domain_name(d)} (complementary)", "domains": [d],
                    "rationale": f"{', '.join(givers)} specialised in {d} (largest RCA {top:.2f}); "
                                 f"{', '.join(takers)} not yet: knowledge to share within the group",
                    "evidence": evidence(d)})
    for low, d in shared[:2]:
        out.append({"title": f"{p.domain_name(d)} (shared strength)", "domains": [d],
                    "rationale": f"every member is specialised in {d} (smallest RCA {low:.2f}): critical mass together",
                    "evidence": evidence(d)})
    return out


def _indicators(data: Any, scope: dict[str, Any], priorities: list[dict[str, Any]], actions: list[dict[str, Any]],
                taxonomy: str, today: dt.date) -> list[dict[str, Any]]:
    """Result indicators per priority and for the scope, baselines from the measure catalog;
    output indicators per action (manual, baseline 0). Participation series take as baseline
    the last full programme year (:func:`rok.cooperation.swot.full_years`), others their latest year;
    ``history`` keeps the whole measured series (for the charts of the exports)."""
    from rok.cooperation.indicators import MEASURES, measure_series

    regions = scope["regions"]
    last_full = full_years(data.participations)[-1]
    out: list[dict[str, Any]] = []

    def add(key: str, name: str, priority: str | None, **params: Any) -> None:
        series = measure_series(data, key, regions, **params)
        m = MEASURES[key]
        if series.empty:
            baseline = None
        else:
            year = last_full if key != "gerd_pct_gdp" and last_full in series.index else int(series.index.max())
            baseline = {"year": int(year), "value": round(float(series[year]), 6)}
        history = [{"year": int(y), "value": round(float(v), 6)} for y, v in series.items()]
        out.append({"name": name, "type": "result", "unit": m.unit, "direction": m.direction,
                    "source": {"measure": key, "params": dict(params)}, "baseline": baseline, "target": None,
                    "priority": priority, "history": history})

    for pr in priorities:
        for d in pr["domains"]:
            add("domain_participations", f"FP participations in {d}", pr["title"], domain=d, taxonomy=taxonomy,
                counting="full")
    add("fp_participations_per_inhabitant", "FP participations per million inhabitants", None)
    add("gerd_pct_gdp", "GERD, % of GDP", None)
    add("firm_local_research_share", "Firms' participations with a research partner of their region", None)
    if len(regions) >= 2:
        add("joint_projects", "Joint FP projects between the regions", None)
    for action in actions:
        out.append({"name": f"{action['title']}: {action['output']}", "type": "output", "unit": action["output"],
                    "direction": "increase", "source": {"manual": True}, "baseline": {"year": today.year, "value": 0},
                    "target": None, "priority": action["priority"]})
        del action["output"]
    return out


def draft_agenda(source: Engine | str | Path, *, region: str | None = None, cluster: Any = None,
                 consortium: Sequence[str] | None = None, selection: Selection | None = None,
                 profiles: Any = None, horizon: Any = None, mirror: str | Path | None = None,
                 partners_per_action: int = 5, today: dt.date | None = None) -> dict[str, Any]:
    """A draft agenda (region) or joint action plan (cluster, consortium); see the module docstring.

    Parameters
    ----------
    source : an open :class:`~rok.measures.Engine` or the path of a DuckDB warehouse.
    region, cluster, consortium : exactly one: a NUTS 2 code; a cluster (mapping or object
        with ``name``, ``regions`` and optionally ``domains``); a list of two or more codes.
    selection : the profiles' selection (default ``Selection()``: NUTS 2, fractional).
    profiles, horizon : precomputed :class:`~rok.analysis.profiles.Profiles` and
        :class:`~rok.cooperation.landscape.HorizonData`, to draft many plans quickly.
    mirror : where the Horizon Europe files are when the warehouse lacks them.

    Returns
    -------
    The draft document (keys ``kind, title, scope, evidence, swot, priorities, actions,
    indicators, risks, governance, landscape, notes``).

    Raises
    ------
    InputError : no or several scopes, unknown or duplicate regions, a consortium of one.
    """
    if isinstance(source, Engine):
        return _draft(source, region, cluster, consortium, selection, profiles, horizon, mirror,
                      partners_per_action, today)
    path = Path(source)
    if not path.exists():
        raise InputError("warehouse not found", file=str(path))
    with open_engine("duckdb", path) as engine:
        return _draft(engine, region, cluster, consortium, selection, profiles, horizon, mirror,
                      partners_per_action, today)


def _draft(engine: Engine, region: str | None, cluster: Any, consortium: Sequence[str] | None,
           selection: Selection | None, profiles: Any, horizon: Any, mirror: str | Path | None,
           k: int, today: dt.date | None) -> dict[str, Any]:
    from rok.analysis.profiles import Profiles
    from rok.cooperation.landscape import landscapes, load_horizon

    sel = selection or (profiles.selection if profiles is not None else Selection())
    if sel.level != 2:
        raise InputError("agendas are drafted for NUTS 2 regions (performance, peers and mentoring are NUTS 2)",
                         column="level", value=sel.level)
    _precheck(region, cluster, consortium)
    db = Path(engine.db)
    # the warehouse rows and the Horizon Europe files load on other threads (DuckDB releases the
    # GIL) while the profiles are computed on the engine's own connection
    with ThreadPoolExecutor(max_workers=2) as pool:
        data_job = pool.submit(_warehouse_data, db)
        horizon_job = pool.submit(load_horizon, db, mirror) if horizon is None else None
        p = profiles if profiles is not None else Profiles.compute(engine, sel)
        scope = _scope(p, region, cluster, consortium)
        data = data_job.result()
        horizon = horizon_job.result() if horizon_job is not None else horizon
    regions = scope["regions"]
    knowledge, note = taxonomy_is_knowledge(engine, sel.taxonomy)
    notes = [note] if note else []
    items, cells = [], {}
    rows = data.participations  # the SWOT's organisation and trend numbers keep to the selection's years
    if sel.years is not None:
        rows = rows[rows["year"].between(*sel.years)]
    for r in regions:
        found, extra = swot(p, r, rows, knowledge_taxonomy=knowledge)
        if len(regions) > 1:
            for item in found:
                item["text"] = f"{r}: {item['text']}"
                item["region"] = r
        items.extend(found)
        cells[r] = extra["strength_cells"]
    notes.append("SWOT references: the median over NUTS 2 regions (Europe) and over the 10 structural peers; "
                 "complementarity weights a partner's strengths by the region's relatedness density")
    priorities = _priorities(p, scope, cells, knowledge, data.load_id)
    if not priorities:
        notes.append("no priority: no region of the scope has a specialisation with critical mass in the selection")
    today = today or dt.date.today()
    start = add_months(today.replace(day=1), 1)
    searched = [d for pr in priorities for d in pr["domains"]] + ["RI", "MSCA"]
    planner = ActionPlanner.build(engine, p, data, regions, start=start, k=k, domains=searched)
    actions = planner.actions(priorities, knowledge=knowledge)
    indicators = _indicators(data, scope, priorities, actions, sel.taxonomy, today)
    names = ", ".join(f"{r} {p.region_name(r)}" for r in regions)
    kind = "research_agenda" if scope["type"] == "region" else "joint_action_plan"
    what = scope["clusters"][0] if scope["type"] == "cluster" else names
    title = f"{'Research agenda' if kind == 'research_agenda' else 'Joint action plan'}: {what}"
    risks = [{"text": i["text"], "mitigation": _mitigation(i["text"]), "evidence": i["evidence"]}
             for i in items if i["category"] == "threat"]
    lead = planner.leading(regions[0], [])
    governance = {"lead": lead, "steering_group": [planner.leading(r, []) for r in regions],
                  "monitoring": "indicators recomputed from the warehouse after each load; yearly review of "
                                "progress against baselines and targets (S3 monitoring)",
                  "status": "proposed: to be agreed by the partners"}
    return {"kind": kind, "title": title,
            "scope": {"type": scope["type"], "regions": regions, "clusters": scope["clusters"],
                      "names": {r: p.region_name(r) for r in regions}},
            "evidence": {"load_id": data.load_id, "selection": sel.describe(),
                         "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
            "swot": items, "priorities": priorities, "actions": actions, "indicators": indicators,
            "risks": risks, "governance": governance, "landscape": landscapes(horizon, priorities), "notes": notes}


def _warehouse_data(db: Path) -> Any:
    """The measure catalog's warehouse rows, read on a quiet read-only connection (no progress bar)."""
    from rok.cooperation.indicators import WarehouseData

    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        return WarehouseData(con)


def _mitigation(text: str) -> str:
    if text.startswith(("concentrated", "every")) or "concentrated" in text:
        return "diversify into related domains through the joint projects and mentoring actions"
    if "few organisations" in text:
        return "bring more of the region's organisations, firms in particular, into the actions"
    return "monitor the participation indicators yearly and widen the partnership"


def scope_regions(draft: Mapping[str, Any]) -> Iterable[str]:
    """The region codes a draft covers."""
    return list(draft["scope"]["regions"])
