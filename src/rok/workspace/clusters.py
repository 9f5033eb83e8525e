"""The cluster registry: research-driven clusters, their regions, domains and member organisations.

A cluster has a name, its regions (NUTS 2021), its domains (code and taxonomy), the cluster
organisation (the body that manages it, an organisation id of the warehouse when known) and
its members: organisations of the warehouse ``organisations`` table, each with its CORDIS
actor type (HES, REC, PRC, PUB, OTH).

Triple helix (Etzkowitz & Leydesdorff 2000): universities and research organisations (HES,
REC), industry (PRC) and government (PUB). :func:`triple_helix` lists the helices present;
a cluster passes the check when its members are of at least two actor types.

Clusters come from three places: proposed from evidence (:func:`propose_clusters`: cells
with cluster stars, :func:`rok.analysis.clusters.cluster_stars`, and the organisations of
that region active in that domain), imported from a CSV file (:func:`import_clusters_csv`;
every row checked before anything is stored) or added and edited by hand.

The profile of a cluster (:func:`cluster_profile`) is computed from its members'
participations in the warehouse: participations, projects, EC funding, domains, the regions
of their partners and the years.

Reference: Etzkowitz, H. & Leydesdorff, L. (2000). The dynamics of innovation: from National
Systems and "Mode 2" to a Triple Helix of university-industry-government relations.
Research Policy 29(2), 109-123.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from rok.errors import InputError
from rok.workspace.checks import check_regions, known_regions, warehouse_organisations
from rok.workspace.editing import check_version, flush_or_conflict, get, touch
from rok.workspace.models import Cluster, ClusterDomain, ClusterMember

__all__ = ["add_cluster", "edit_cluster", "triple_helix", "propose_clusters", "store_proposal",
           "import_clusters_csv", "cluster_profile", "cluster_summary", "list_clusters", "find_cluster",
           "CSV_COLUMNS"]

HELICES = {"HES": "research", "REC": "research", "PRC": "industry", "PUB": "government", "OTH": "other"}
CSV_COLUMNS = ("cluster", "regions", "domains", "cluster_organisation", "org_id")


def _domains(domains: list[Any], column: str = "domains") -> list[tuple[str, str]]:
    """Domains as (taxonomy, code): ``"h2020-part:SC1"``, ``("h2020-part", "SC1")`` or a dict."""
    out: list[tuple[str, str]] = []
    for d in domains:
        if isinstance(d, dict):
            pair = (str(d.get("taxonomy") or "h2020-part"), str(d.get("code") or ""))
        elif isinstance(d, tuple | list) and len(d) == 2:
            pair = (str(d[0]), str(d[1]))
        else:
            text = str(d).strip()
            pair = tuple(text.split(":", 1)) if ":" in text else ("h2020-part", text)  # type: ignore[assignment]
        if not pair[1]:
            raise InputError("a domain needs a code", column=column, value=d)
        if pair not in out:
            out.append(pair)
    return out


def _members(warehouse: Any, org_ids: list[str], *, file: str | None = None,
             lines: dict[str, int] | None = None, column: str = "members") -> dict[str, dict[str, Any]]:
    found = warehouse_organisations(warehouse, org_ids)
    for org in org_ids:
        if org not in found:
            raise InputError("unknown organisation id (not in the warehouse organisations)", file=file,
                             line=(lines or {}).get(org), column=column, value=org)
    return found


def add_cluster(session: Session, warehouse: Any, *, name: str, regions: list[str], domains: list[Any] = (),  # type: ignore[assignment]
                members: list[str] = (), organisation_id: str | None = None, description: str | None = None,  # type: ignore[assignment]
                origin: str = "manual", evidence: dict[str, Any] | None = None) -> Cluster:
    """Register a cluster; members and the cluster organisation must be warehouse organisations."""
    name = str(name or "").strip()
    if not name:
        raise InputError("the cluster needs a name", column="name", value=name)
    if find_cluster(session, name) is not None:
        raise InputError("a cluster with this name exists already", column="name", value=name)
    regions = check_regions(regions, known_regions(warehouse))
    if not regions:
        raise InputError("the cluster needs at least one region", column="regions", value=regions)
    members = [str(m).strip() for m in members]
    info = _members(warehouse, members + ([organisation_id] if organisation_id else []))
    cluster = Cluster(name=name, regions=regions, organisation_id=organisation_id, description=description,
                      origin=origin, evidence=evidence)
    cluster.domains = [ClusterDomain(taxonomy=t, code=c) for t, c in _domains(list(domains))]
    cluster.members = [ClusterMember(org_id=m, name=info[m]["name"], actor_type=info[m]["actor_type"],
                                     region=info[m]["region"]) for m in dict.fromkeys(members)]
    session.add(cluster)
    session.flush()
    return cluster


def edit_cluster(session: Session, warehouse: Any, cluster_id: int, expected_version: int | None, *,
                 name: str | None = None, regions: list[str] | None = None, domains: list[Any] | None = None,
                 add_members: list[str] = (), remove_members: list[str] = (),  # type: ignore[assignment]
                 organisation_id: str | None = None, description: str | None = None) -> Cluster:
    """Edit a cluster under optimistic versioning (see :mod:`rok.workspace.editing`)."""
    cluster = get(session, Cluster, cluster_id, "cluster")
    check_version(cluster, expected_version)
    if name is not None and name != cluster.name:
        if not name.strip() or find_cluster(session, name) is not None:
            raise InputError("the name is empty or taken by another cluster", column="name", value=name)
        cluster.name = name.strip()
    if regions is not None:
        cluster.regions = check_regions(regions, known_regions(warehouse))
    if domains is not None:
        cluster.domains = [ClusterDomain(taxonomy=t, code=c) for t, c in _domains(domains)]
    have = {m.org_id for m in cluster.members}
    for org in remove_members:
        if org not in have:
            raise InputError(f"organisation is not a member of cluster {cluster.id}", column="remove", value=org)
    new = [str(m) for m in add_members if str(m) not in have]
    info = _members(warehouse, new + ([organisation_id] if organisation_id else []), column="add")
    cluster.members = [m for m in cluster.members if m.org_id not in set(remove_members)] + [
        ClusterMember(org_id=m, name=info[m]["name"], actor_type=info[m]["actor_type"], region=info[m]["region"])
        for m in dict.fromkeys(new)]
    if organisation_id is not None:
        cluster.organisation_id = organisation_id or None
    if description is not None:
        cluster.description = description
    touch(cluster)
    flush_or_conflict(session, cluster, expected_version if expected_version is not None else cluster.version)
    return cluster


def triple_helix(cluster: Cluster) -> dict[str, Any]:
    """Actor types and helices among the members; ``ok`` when there are at least two types."""
    types = sorted({m.actor_type for m in cluster.members})
    helices = sorted({HELICES.get(t, "other") for t in types})
    counts = {t: sum(1 for m in cluster.members if m.actor_type == t) for t in types}
    return {"types": types, "counts": counts, "helices": helices, "ok": len(types) >= 2,
            "complete": {"research", "industry", "government"} <= set(helices)}


def find_cluster(session: Session, name: str) -> Cluster | None:
    return session.scalar(select(Cluster).where(Cluster.name == str(name).strip()))


def list_clusters(session: Session) -> list[Cluster]:
    return list(session.scalars(select(Cluster).order_by(Cluster.id)))


def cluster_summary(cluster: Cluster) -> dict[str, Any]:
    return {"id": cluster.id, "version": cluster.version, "name": cluster.name, "regions": cluster.regions,
            "domains": [f"{d.taxonomy}:{d.code}" for d in cluster.domains],
            "cluster_organisation": cluster.organisation_id, "origin": cluster.origin,
            "description": cluster.description, "members": [
                {"org_id": m.org_id, "name": m.name, "actor_type": m.actor_type, "region": m.region}
                for m in cluster.members],
            "triple_helix": triple_helix(cluster), "evidence": cluster.evidence}


# -- proposals from evidence -------------------------------------------------------------
def propose_clusters(warehouse: str | Path, *, region: str | None = None, min_stars: int = 2,
                     max_members: int = 25, level: int = 2, taxonomy: str = "h2020-part") -> list[dict[str, Any]]:
    """Cluster candidates: region x domain cells with at least ``min_stars`` cluster stars
    (fractional participations, :func:`rok.analysis.clusters.cluster_stars`), each with the
    region's organisations active in the domain (most participations first, at most
    ``max_members``). The cluster organisation is left open: the data do not name it."""
    from rok.analysis.clusters import cluster_stars
    from rok.measures import Selection, activity_matrix, open_engine

    if not 0 <= min_stars <= 3:
        raise InputError("min_stars must be 0..3", column="min_stars", value=min_stars)
    if region is not None:
        check_regions([region], known_regions(warehouse), column="region")
    sel = Selection(level=level, counting="fractional", taxonomy=taxonomy)
    with open_engine("duckdb", Path(warehouse)) as engine:
        stars = cluster_stars(activity_matrix(engine, sel))
    cells = stars[stars["stars"] >= min_stars]
    if region is not None:
        cells = cells[cells["region"] == region.upper()]
    if cells.empty:
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        orgs = con.execute(
            f"""SELECT o.nuts{level} AS region, d.code AS domain, p.org_id, o.name,
                       coalesce(o.activity_type, 'OTH') AS actor_type, count(*) AS participations
                FROM participations p JOIN project_domains d USING (project_id)
                JOIN organisations o USING (org_id)
                WHERE d.taxonomy = ? AND o.nuts{level} IN (SELECT unnest(?::VARCHAR[]))
                GROUP BY ALL""", [taxonomy, sorted(set(cells["region"]))]).df()
        names = dict(con.execute("SELECT code, name FROM domains WHERE taxonomy = ?", [taxonomy]).fetchall())
        rnames = dict(con.execute("SELECT code, name FROM regions WHERE nuts_version = 2021").fetchall())
    out = []
    for cell in cells.itertuples(index=False):
        these = orgs[(orgs.region == cell.region) & (orgs.domain == cell.domain)]
        these = these.sort_values(["participations", "org_id"], ascending=[False, True]).head(max_members)
        out.append({
            "name": f"{rnames.get(cell.region, cell.region)} - {names.get(cell.domain, cell.domain)}",
            "regions": [cell.region], "domains": [f"{taxonomy}:{cell.domain}"],
            "members": [str(o) for o in these.org_id],
            "member_types": {str(k): int(v) for k, v in these.actor_type.value_counts().sort_index().items()},
            "evidence": {"stars": int(cell.stars), "which": cell.which, "lq": round(float(cell.lq), 6),
                         "size_share": round(float(cell.size_share), 6),
                         "focus_share": round(float(cell.focus_share), 6),
                         "activity": round(float(cell.value), 6), "selection": sel.describe(),
                         "load_id": _load_id(warehouse)}})
    return out


def _load_id(warehouse: Any) -> int | None:
    from rok.cooperation.indicators import warehouse_load_id

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return warehouse_load_id(con)


def store_proposal(session: Session, warehouse: Any, proposal: dict[str, Any]) -> Cluster:
    return add_cluster(session, warehouse, name=proposal["name"], regions=proposal["regions"],
                       domains=proposal["domains"], members=proposal["members"], origin="proposed",
                       evidence=proposal.get("evidence"))


# -- CSV import --------------------------------------------------------------------------
def import_clusters_csv(session: Session, warehouse: Any, path: str | Path) -> list[Cluster]:
    """Import clusters from a CSV file, one row per member: ``cluster, regions, domains,
    cluster_organisation, org_id`` (regions and domains separated by ``;``, domains as
    ``taxonomy:code``; the cluster-level columns may be left empty after a cluster's first
    row). Every row is checked first: an unknown organisation id, region or a missing column
    is an InputError naming the file, line, column and value, and nothing is stored."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in ("cluster", "org_id"):
            if col not in header:
                raise InputError(f"missing column; expected {', '.join(CSV_COLUMNS)}", file=str(path), line=1,
                                 column=col)
        rows = [(i + 2, r) for i, r in enumerate(reader)]
    known = known_regions(warehouse)
    specs: dict[str, dict[str, Any]] = {}
    where: dict[str, int] = {}
    for line, row in rows:
        name = (row.get("cluster") or "").strip()
        org = (row.get("org_id") or "").strip()
        if not name:
            raise InputError("empty cluster name", file=str(path), line=line, column="cluster", value=name)
        spec = specs.setdefault(name, {"regions": [], "domains": [], "organisation": None, "members": []})
        if row.get("regions"):
            try:
                spec["regions"] += [r for r in check_regions(row["regions"].split(";"), known)
                                    if r not in spec["regions"]]
            except InputError as exc:
                raise InputError(str(exc).split(": ", 1)[-1], file=str(path), line=line, column="regions",
                                 value=exc.value) from None
        if row.get("domains"):
            spec["domains"] += [d.strip() for d in row["domains"].split(";") if d.strip()]
        if row.get("cluster_organisation"):
            spec["organisation"] = row["cluster_organisation"].strip()
            where.setdefault(spec["organisation"], line)
        if org:
            spec["members"].append(org)
            where.setdefault(org, line)
    found = warehouse_organisations(warehouse, list(where))
    for org, line in sorted(where.items(), key=lambda kv: kv[1]):
        if org not in found:
            column = "org_id" if any(org in s["members"] for s in specs.values()) else "cluster_organisation"
            raise InputError("unknown organisation id (not in the warehouse organisations)", file=str(path),
                             line=line, column=column, value=org)
    for name, spec in specs.items():
        if not spec["regions"]:
            raise InputError("the cluster has no region", file=str(path), column="regions", value=name)
        if find_cluster(session, name) is not None:
            raise InputError("a cluster with this name exists already", file=str(path), column="cluster", value=name)
    return [add_cluster(session, warehouse, name=name, regions=s["regions"], domains=s["domains"],
                        members=s["members"], organisation_id=s["organisation"], origin="imported",
                        evidence={"file": str(path)}) for name, s in specs.items()]


# -- profile -----------------------------------------------------------------------------
def cluster_profile(cluster: Cluster, warehouse: Any, *, top: int = 10) -> dict[str, Any]:
    """The members' participations: totals, by year, by domain, and the partners' regions.

    ``participations``: member participations (full counting); ``projects``: distinct projects
    with a member; ``funding``: the members' EC contribution (EUR, missing as 0);
    ``domains``: participations x project domain weight, per domain of the members' projects;
    ``partner_regions``: the NUTS 2 regions of the other organisations in those projects
    (each partner participation counted once, members excluded), ``top`` largest; ``years``:
    participations by project start year.
    """
    members = [m.org_id for m in cluster.members]
    empty = {"cluster": cluster.id, "members": 0, "participations": 0, "projects": 0, "funding": 0.0,
             "years": {}, "domains": {}, "partner_regions": {}}
    if not members:
        return empty
    if not Path(str(warehouse)).exists():
        raise InputError("warehouse not found", file=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("CREATE TEMP TABLE m AS SELECT unnest(?::VARCHAR[]) AS org_id", [members])
        mine = con.execute("""SELECT p.project_id, p.org_id, p.ec_contribution, pr.start_year FROM participations p
                              JOIN m USING (org_id) LEFT JOIN projects pr USING (project_id)""").df()
        domains = con.execute("""SELECT d.taxonomy || ':' || d.code AS domain, sum(d.weight) AS value
                                 FROM participations p JOIN m USING (org_id) JOIN project_domains d USING (project_id)
                                 GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
        partners = con.execute("""SELECT o.nuts2, count(*) AS n FROM participations q
                                  JOIN organisations o USING (org_id)
                                  WHERE q.project_id IN (SELECT project_id FROM participations JOIN m USING (org_id))
                                    AND q.org_id NOT IN (SELECT org_id FROM m) AND o.nuts2 IS NOT NULL
                                  GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?""", [top]).fetchall()
    years = mine.dropna(subset=["start_year"]).groupby("start_year").size()
    return {"cluster": cluster.id, "members": len(members), "participations": int(len(mine)),
            "projects": int(mine["project_id"].nunique()), "funding": float(mine["ec_contribution"].fillna(0).sum()),
            "years": {int(y): int(n) for y, n in years.items()},
            "domains": {str(d): round(float(v), 6) for d, v in domains},
            "partner_regions": {str(r): int(n) for r, n in partners}}


