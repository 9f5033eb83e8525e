"""Co-participation networks: organisation-organisation and region-region collaboration.

Two organisations collaborate when they take part in the same project. For a selection
(period on the projects' start year, optionally one domain of the taxonomy) let ``P_j``
be the set of distinct organisations of project ``j`` and ``n_j = |P_j|`` (an
organisation listed twice in a project, under two roles, counts once; unplaced
organisations count too). A project with one organisation adds no edge.

Organisation network, undirected, one row per pair ``a < b`` (string order):

- ``projects[a,b] = sum_j [a in P_j][b in P_j]``: shared projects;
- full counting:        ``weight[a,b] = projects[a,b]`` (each co-participation counts 1);
- fractional counting:  ``weight[a,b] = sum_{j: a,b in P_j} 1 / (n_j - 1)``.

Fractional weights follow Newman (2001): each participant's unit weight in a project is
spread equally over its ``n_j - 1`` partners, so an organisation's strength
``sum_b weight[a,b]`` is its number of projects with at least two organisations, and
``2 * sum_{a<b} weight[a,b]`` is the number of participations in such projects.

Region network at NUTS ``level`` (``r(a)`` the region of organisation ``a``), undirected,
one row per region pair ``s <= t``, summing the organisation pairs of each project:

- ``weight[s,t] = sum_j sum_{a<b in P_j: {r(a), r(b)} = {s, t}} u_j`` with ``u_j = 1``
  (full: organisation co-participations) or ``u_j = 1 / (n_j - 1)`` (fractional);
- ``projects[s,t]``: distinct projects with at least one such pair;
- ``internal``: ``s == t``, a self-loop, i.e. collaboration inside a region (a measure of
  local integration); kept as rows so that callers can separate them. A region's
  strength counts its self-loop twice, as usual for undirected graphs.

Pairs with an unplaced organisation (no region at the level) are left out of the region
network; ``n_j`` still counts that organisation, so its share is lost rather than moved
to the placed partners. :func:`network_coverage` says how many pairs were left out.

Only co-participations are counted: a funding selection raises :class:`InputError`
(money is not shared along edges in any one defensible way).

References
----------
Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths, weighted
networks, and centrality. *Physical Review E*, 64(1), 016132.
"""

from __future__ import annotations

from typing import TypedDict

import ibis
import pandas as pd

from rok.errors import InputError
from rok.measures.engine import Engine
from rok.measures.selection import Selection

__all__ = [
    "NetworkCoverage",
    "org_edges_expr",
    "org_edges",
    "org_nodes",
    "region_edges_expr",
    "region_edges",
    "region_nodes",
    "network_coverage",
]


def org_edges_expr(engine: Engine, sel: Selection, *, domain: str | None = None) -> ibis.Table:
    """The Ibis expression of :func:`org_edges` (source, target, weight, projects), unexecuted."""
    pairs = _pairs(_members(engine, sel, domain), sel)
    edges = pairs.group_by("source", "target").aggregate(
        weight=pairs.unit.sum().cast("float64"), projects=pairs.count().cast("int64")
    )
    return edges.order_by("source", "target")


def org_edges(engine: Engine, sel: Selection | None = None, *, domain: str | None = None) -> pd.DataFrame:
    """Organisation co-participation network (formulas in the module docstring).

    Parameters
    ----------
    engine
        Where to run (:func:`rok.measures.open_engine`).
    sel
        Period, counting and taxonomy; default ``Selection()`` (fractional counting, all
        years). The level is not used: every organisation counts, placed or not.
    domain
        A domain code of ``sel.taxonomy``: only projects in that domain (or a domain
        below it in the taxonomy) count. ``None``: all projects.

    Returns
    -------
    DataFrame with columns ``source`` and ``target`` (organisation ids, ``source <
    target``), ``weight`` (float: full or fractional) and ``projects`` (int, shared
    projects), one row per linked pair, sorted by source and target.

    Raises
    ------
    InputError
        Funding selection, unknown domain, or no project in the selection.

    Examples
    --------
    >>> with open_engine("duckdb") as engine:  # doctest: +SKIP
    ...     org_edges(engine, Selection(counting="full", years=(2018, 2020)), domain="SC1")
    """
    sel = sel or Selection()
    frame = engine.execute(org_edges_expr(engine, sel, domain=domain))
    if frame.empty:
        _require_projects(engine, sel, domain)
    return _typed(frame, ["source", "target", "weight", "projects"])


def region_edges_expr(engine: Engine, sel: Selection, *, domain: str | None = None) -> ibis.Table:
    """The Ibis expression of :func:`region_edges`, unexecuted."""
    pairs = _pairs(_members(engine, sel, domain), sel)
    pairs = pairs.filter(pairs.source_region.notnull() & pairs.target_region.notnull())
    first = pairs.source_region <= pairs.target_region
    pairs = pairs.mutate(
        low=ibis.ifelse(first, pairs.source_region, pairs.target_region),
        high=ibis.ifelse(first, pairs.target_region, pairs.source_region),
    )
    edges = pairs.group_by(source=pairs.low, target=pairs.high).aggregate(
        weight=pairs.unit.sum().cast("float64"), projects=pairs.project_id.nunique().cast("int64")
    )
    edges = edges.mutate(internal=edges.source == edges.target)
    return edges.order_by("source", "target")


def region_edges(engine: Engine, sel: Selection | None = None, *, domain: str | None = None) -> pd.DataFrame:
    """Region co-participation network at NUTS ``sel.level`` (formulas in the module docstring).

    Returns
    -------
    DataFrame with columns ``source`` and ``target`` (NUTS 2021 codes, ``source <=
    target``), ``weight`` (float: organisation co-participations, full or fractional),
    ``projects`` (int: distinct projects linking the two regions) and ``internal`` (bool:
    a self-loop, collaboration inside the region), sorted by source and target. Pairs
    with an unplaced organisation are left out (see :func:`network_coverage`).

    Raises
    ------
    InputError
        Funding selection, unknown domain, or no project in the selection.
    """
    sel = sel or Selection()
    frame = engine.execute(region_edges_expr(engine, sel, domain=domain))
    if frame.empty:
        _require_projects(engine, sel, domain)
    frame = _typed(frame, ["source", "target", "weight", "projects", "internal"])
    return frame.astype({"internal": "bool"})


def org_nodes(engine: Engine, sel: Selection | None = None, *, domain: str | None = None) -> pd.DataFrame:
    """The organisations of the selection, for :func:`org_edges`.

    Returns
    -------
    DataFrame with columns ``org_id``, ``name``, ``activity_type``, ``country``,
    ``region`` (the organisation's NUTS code at ``sel.level``, None when unplaced) and
    ``participations`` (int: projects of the selection, single-organisation ones
    included), one row per organisation with at least one, sorted by ``org_id``.
    """
    sel = sel or Selection()
    members = _members(engine, sel, domain)
    counts = members.group_by("org_id").aggregate(participations=members.count().cast("int64"))
    orgs = engine.table("organisations")
    orgs = orgs.select("org_id", "name", "activity_type", "country", region=orgs[f"nuts{sel.level}"])
    nodes = counts.left_join(orgs, "org_id").drop("org_id_right").order_by("org_id")
    frame = engine.execute(nodes)
    if frame.empty:
        _require_projects(engine, sel, domain)
    frame = frame[["org_id", "name", "activity_type", "country", "region", "participations"]]
    return frame.reset_index(drop=True).astype({"participations": "int64"})


def region_nodes(engine: Engine, sel: Selection | None = None, *, domain: str | None = None) -> pd.DataFrame:
    """The regions of the selection at NUTS ``sel.level``, for :func:`region_edges`.

    Returns
    -------
    DataFrame with columns ``region``, ``participations`` (int: distinct project x
    organisation participations, full counting) and ``organisations`` (int: distinct
    organisations), one row per region with a placed participant, sorted by region.
    """
    sel = sel or Selection()
    members = _members(engine, sel, domain)
    placed = members.filter(members.region.notnull())
    nodes = placed.group_by("region").aggregate(
        participations=placed.count().cast("int64"), organisations=placed.org_id.nunique().cast("int64")
    )
    frame = engine.execute(nodes.order_by("region"))
    if frame.empty:
        _require_projects(engine, sel, domain)
    return _typed(frame, ["region", "participations", "organisations"]).astype({"participations": "int64"})


class NetworkCoverage(TypedDict):
    """What :func:`network_coverage` returns (a plain dict)."""

    selection: str
    projects: int
    single_org_projects: int
    participations: int
    org_pairs: int
    org_edges: int
    unplaced_pairs: int
    region_pairs: int
    region_edges: int
    internal_edges: int
    weight: float
    unplaced_weight: float


def network_coverage(
    engine: Engine, sel: Selection | None = None, domain: str | None = None
) -> NetworkCoverage:
    """What the networks of the selection count and leave out, for outputs to state it.

    Returns
    -------
    dict with
        ``selection``: the selection and domain in words;
        ``projects``: projects of the selection with a participant;
        ``single_org_projects``: of those, the ones with one organisation (no edge);
        ``participations``: distinct project x organisation participations;
        ``org_pairs``: organisation co-participations (project, pair ``a < b``);
        ``org_edges``: rows of :func:`org_edges` (distinct pairs);
        ``unplaced_pairs``: co-participations left out of the region network because an
        organisation has no region at the level;
        ``region_pairs``: those kept (``org_pairs - unplaced_pairs``);
        ``region_edges`` and ``internal_edges``: rows of :func:`region_edges`, and its
        self-loops;
        ``weight``: the sum of :func:`org_edges` weights (under ``sel.counting``);
        ``unplaced_weight``: the part of it left out of the region network.
    """
    sel = sel or Selection()
    members = _members(engine, sel, domain)
    pairs = _pairs(members, sel)
    placed = pairs.source_region.notnull() & pairs.target_region.notnull()
    sizes = members.group_by("project_id").aggregate(n=members.n.max())
    summary = (
        sizes.aggregate(projects=sizes.count(), single_org_projects=sizes.count(where=sizes.n == 1))
        .cross_join(members.aggregate(participations=members.count()))
        .cross_join(
            pairs.aggregate(
                org_pairs=pairs.count(),
                unplaced_pairs=pairs.count(where=~placed),
                weight=pairs.unit.sum(),
                unplaced_weight=pairs.unit.sum(where=~placed),
            )
        )
        .cross_join(_count_rows(org_edges_expr(engine, sel, domain=domain), "org_edges"))
        .cross_join(_count_rows(region_edges_expr(engine, sel, domain=domain), "region_edges", "internal"))
    )
    row = engine.execute(summary).iloc[0]
    ints = ["projects", "single_org_projects", "participations", "org_pairs", "org_edges", "unplaced_pairs"]
    counts = {key: int(_number(row[key])) for key in [*ints, "region_edges", "internal_edges"]}
    return {
        "selection": _describe(sel, domain),
        "projects": counts["projects"],
        "single_org_projects": counts["single_org_projects"],
        "participations": counts["participations"],
        "org_pairs": counts["org_pairs"],
        "org_edges": counts["org_edges"],
        "unplaced_pairs": counts["unplaced_pairs"],
        "region_pairs": counts["org_pairs"] - counts["unplaced_pairs"],
        "region_edges": counts["region_edges"],
        "internal_edges": counts["internal_edges"],
        "weight": _number(row["weight"]),
        "unplaced_weight": _number(row["unplaced_weight"]),
    }


# -- building blocks -------------------------------------------------------------------------


def _members(engine: Engine, sel: Selection, domain: str | None) -> ibis.Table:
    """Distinct (project_id, org_id) of the selection, with ``n`` (organisations of the
    project) and ``region`` (NUTS code at ``sel.level``, NULL when unplaced)."""
    if sel.measure != "participations":
        raise InputError(
            "networks count co-participations; use --measure participations",
            column="measure",
            value=sel.measure,
        )
    p = engine.table("participations")
    rows = p.select("project_id", "org_id").distinct()
    if sel.years is not None:
        projects = engine.table("projects")
        rows = rows.semi_join(projects.filter(projects.start_year.between(*sel.years)), "project_id")
    if domain is not None:
        codes = _domain_codes(engine, sel.taxonomy, domain)
        tags = engine.table("project_domains")
        rows = rows.semi_join(
            tags.filter((tags.taxonomy == sel.taxonomy) & tags.code.isin(codes)), "project_id"
        )
    sizes = rows.group_by("project_id").aggregate(n=rows.count())
    orgs = engine.table("organisations")
    orgs = orgs.select(org=orgs.org_id, region=orgs[f"nuts{sel.level}"])
    rows = rows.join(sizes, "project_id")
    return rows.left_join(orgs, rows.org_id == orgs.org).drop("org")


def _pairs(members: ibis.Table, sel: Selection) -> ibis.Table:
    """One row per project and organisation pair ``source < target``, with the pair's ``unit``
    (1 under full counting, ``1 / (n - 1)`` under fractional) and both organisations' regions."""
    shared = members.filter(members.n >= 2)
    left = shared.select("project_id", "n", source=shared.org_id, source_region=shared.region)
    right = shared.select(pid=shared.project_id, target=shared.org_id, target_region=shared.region)
    pairs = left.join(right, [left.project_id == right.pid, left.source < right.target]).drop("pid")
    if sel.counting == "fractional":
        return pairs.mutate(unit=1.0 / (pairs.n - 1).cast("float64"))
    return pairs.mutate(unit=ibis.literal(1.0, type="float64"))


def _domain_codes(engine: Engine, taxonomy: str, domain: str) -> list[str]:
    """``domain`` and the codes below it in ``taxonomy``; InputError naming the valid codes."""
    table = engine.table("domains")
    known = engine.execute(table.filter(table.taxonomy == taxonomy).select("code", "parent"))
    codes = sorted(str(code) for code in known["code"])
    if domain not in codes:
        expected = f"one of {', '.join(codes)}" if codes else f"none: taxonomy {taxonomy!r} has no domains"
        raise InputError(
            f"unknown domain in taxonomy {taxonomy}; expected {expected}", column="domain", value=domain
        )
    children: dict[str, list[str]] = {}
    for code, parent in zip(known["code"], known["parent"], strict=True):
        if isinstance(parent, str):
            children.setdefault(parent, []).append(str(code))
    found, todo = {domain}, [domain]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def _count_rows(edges: ibis.Table, name: str, internal: str | None = None) -> ibis.Table:
    """A one-row table with the number of rows of ``edges`` (and of its ``internal`` ones)."""
    if internal is None:
        return edges.aggregate(**{name: edges.count()})
    return edges.aggregate(**{name: edges.count(), "internal_edges": edges.count(where=edges[internal])})


def _require_projects(engine: Engine, sel: Selection, domain: str | None) -> None:
    """Raise :class:`InputError` when the selection holds no project with a participant."""
    members = _members(engine, sel, domain)
    if int(engine.execute(members.aggregate(n=members.count()))["n"].iloc[0]) == 0:
        raise InputError(
            f"no projects in the selection: {_describe(sel, domain)}; "
            "check the period against the projects' start years"
        )


def _describe(sel: Selection, domain: str | None) -> str:
    what = sel.describe()
    return f"{what}, domain {domain}" if domain is not None else f"{what}, all domains"


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame[columns].reset_index(drop=True)
    kinds = {"weight": "float64", "projects": "int64", "organisations": "int64"}
    return frame.astype({c: kinds[c] for c in columns if c in kinds})


def _number(value: object) -> float:
    """A sum over no rows is NULL: count it as 0."""
    return 0.0 if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
