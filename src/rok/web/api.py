"""The REST API under /api/v1: JSON (default) or CSV (``format=csv``), paginated (``limit``,
``offset``), with ETags keyed by the warehouse's load history and the workspace version.
Errors are application/problem+json; bad input is 4xx, never 5xx."""

from __future__ import annotations

import hashlib
import io
import math
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from rok.web import views
from rok.web.app import check_csrf, require
from rok.web.auth import Viewer
from rok.web.workspace_views import (
    cluster_doc,
    create_cluster_from,
    create_plan_from,
    endorse_plan,
    list_cluster_docs,
    list_plan_docs,
    list_programme_docs,
    plan_doc,
    programme_doc,
    record_progress,
    update_plan,
)

_PROBLEM = {"application/problem+json": {"schema": {
    "type": "object", "required": ["title", "status"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON (default) or CSV (format=csv)", "content": {"application/json": {}, "text/csv": {}}},
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    **{code: {"description": text, "content": _PROBLEM} for code, text in (
        (400, "Bad input (unknown code, bad value)"), (403, "Not allowed (sign in, role, scope, CSRF token)"),
        (404, "Not found"), (409, "Conflict (changed meanwhile, or frozen)"), (413, "Body too large"),
        (422, "Invalid request (parameters, JSON body, content type)"))},
}
router = APIRouter(prefix="/api/v1", tags=["rok"], responses=RESPONSES)
Code = Path(..., min_length=2, max_length=10, pattern=r"^[A-Za-z0-9]+$", description="NUTS 2021 code, e.g. DE21")
Fmt = Query("json", pattern="^(json|csv)$", description="json or csv")
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=1_000_000)
Direction = Literal["for", "from", "mutual"]


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        return _clean(v.item())
    if isinstance(v, tuple | list):
        return [_clean(x) for x in v]
    return v


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def etag_of(request: Request, extra: str = "") -> str:
    state = request.app.state.data
    a = state.get()
    ws = state.workspace_version(request.app.state.workspace)
    raw = f"{a.key}|{ws}|{request.url.path}|{request.url.query}|{request.state.viewer.role}|{extra}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:20] + '"'


def _not_modified(request: Request, tag: str) -> Response | None:
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    return None


def table(request: Request, frame: pd.DataFrame, fmt: str = "json", limit: int = 100, offset: int = 0,
          meta: dict[str, Any] | None = None) -> Response:
    tag = etag_of(request)
    if (hit := _not_modified(request, tag)) is not None:
        return hit
    page = frame.iloc[offset: offset + limit]
    if fmt == "csv":
        buf = io.StringIO()
        page.to_csv(buf, index=False)
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "ETag": tag, "X-Total-Count": str(len(frame))})
    body = {"total": len(frame), "limit": limit, "offset": offset, "items": _records(page), **(meta or {})}
    return JSONResponse(body, headers={"ETag": tag})


def one(request: Request, doc: dict[str, Any]) -> Response:
    tag = etag_of(request)
    if (hit := _not_modified(request, tag)) is not None:
        return hit
    return JSONResponse(_plain(doc), headers={"ETag": tag})


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and infinities as null, numpy scalars as Python ones, dates as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    value = _clean(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _data(request: Request) -> Any:
    return request.app.state.data.get()


def _writer(request: Request, token: str | None) -> Viewer:
    viewer: Viewer = request.state.viewer
    require(viewer.signed_in, "sign in first (POST /login)")
    require(viewer.role != "viewer", "viewers cannot change anything")
    check_csrf(request, token)
    return viewer


# -- regions and analyses ----------------------------------------------------------------
@router.get("/regions", summary="Regions with their performance group, index, complexity and activity")
def regions(request: Request, country: str | None = Query(None, max_length=2, pattern="^[A-Za-z]{2}$"),
            group: Literal["leader", "strong", "moderate", "emerging"] | None = None,
            q: str | None = Query(None, max_length=100), format: str = Fmt, limit: int = Limit,
            offset: int = Offset) -> Response:
    t = views.region_table(_data(request))
    if country:
        t = t[t["country"] == country.upper()]
    if group:
        t = t[t["group"] == group]
    if q:
        t = t[t["name"].str.contains(q, case=False, regex=False) | t["code"].str.contains(q.upper(), regex=False)]
    return table(request, t, format, limit, offset)


@router.get("/regions/{code}", summary="One region: summary")
def region(request: Request, code: str = Code) -> Response:
    return one(request, views.region_summary(_data(request), code))


@router.get("/regions/{code}/profile", summary="A region's profile: performance and its reasons, strengths, peers")
def profile(request: Request, code: str = Code) -> Response:
    a = _data(request)
    c = views.region_code(a, code)

    def make() -> dict[str, Any]:
        summary = views.region_summary(a, c)
        advice, why = a.profiles.available("quadrant")  # not advice on a taxonomy of funding instruments
        return {**summary, "performance_reasons": _records(views.performance_reasons(a, c)),
                "clusters": _records(views.stars(a, c)),
                "related_opportunities": _records(views.quadrant(a, c)) if advice else [],
                "related_opportunities_note": None if advice else why,
                "peers": _records(views.peers(a, c))}
    tag = etag_of(request)
    if (hit := _not_modified(request, tag)) is not None:
        return hit
    body = a.cached_page(("api-profile", c), lambda: JSONResponse(_plain(make())).body)  # serialised once
    return Response(body, media_type="application/json", headers={"ETag": tag})


@router.get("/specialisation", summary="Activity, share and RCA by region and domain")
def specialisation(request: Request, region: str | None = Query(None, max_length=10),
                   domain: str | None = Query(None, max_length=60), format: str = Fmt, limit: int = Limit,
                   offset: int = Offset) -> Response:
    return table(request, views.specialisation(_data(request), region, domain), format, limit, offset)


@router.get("/complexity", summary="Knowledge complexity: ECI of regions or PCI of domains")
def complexity(request: Request, of: Literal["regions", "domains"] = "regions", format: str = Fmt,
               limit: int = Limit, offset: int = Offset) -> Response:
    t = _data(request).profiles.complexity_table(domains=of == "domains")
    return table(request, t, format, limit, offset)


@router.get("/domains", summary="Domains (programme parts)")
def domains(request: Request, format: str = Fmt, limit: int = Limit, offset: int = Offset) -> Response:
    return table(request, _data(request).domains().reset_index(), format, limit, offset)


@router.get("/networks/regions", summary="Region collaboration network: edges (co-participation)")
def network_edges(request: Request, region: str | None = Query(None, max_length=10), format: str = Fmt,
                  limit: int = Limit, offset: int = Offset) -> Response:
    a = _data(request)
    e = a.networks.region_edges
    if region:
        code = views.region_code(a, region)
        e = e[(e["source"] == code) | (e["target"] == code)]
    return table(request, e.sort_values("weight", ascending=False), format, limit, offset)


@router.get("/networks/communities", summary="Leiden communities of the region network")
def network_communities(request: Request, format: str = Fmt, limit: int = Limit, offset: int = Offset) -> Response:
    a = _data(request)
    m = views.communities(a)
    t = pd.DataFrame({"region": list(m), "name": [a.profiles.region_name(r) for r in m], "community": list(m.values())})
    return table(request, t, format, limit, offset)


@router.get("/integration/{code}", summary="Integration of research actors in the region, against its peers")
def integration(request: Request, code: str = Code, format: str = Fmt) -> Response:
    a = _data(request)
    c = views.region_code(a, code)
    return table(request, views.integration(a, c, list(views.peers(a, c)["peer"])), format, 100, 0)


@router.get("/complementarity/{code}", summary="Regions complementary to the region")
def complementarity(request: Request, code: str = Code, direction: Direction = "for",
                    k: int = Query(20, ge=1, le=200), format: str = Fmt) -> Response:
    a = _data(request)
    return table(request, views.complementarity(a, views.region_code(a, code), direction, k), format, k, 0)


@router.get("/untapped", summary="Complementary pairs collaborating below the gravity model's expectation")
def untapped(request: Request, region: str | None = Query(None, max_length=10), k: int = Query(50, ge=1, le=500),
             format: str = Fmt) -> Response:
    return table(request, views.untapped(_data(request), region, k), format, k, 0)


@router.get("/mentoring", summary="The mentoring assignment with reasons per pair")
def mentoring(request: Request, region: str | None = Query(None, max_length=10), format: str = Fmt,
              limit: int = Limit, offset: int = Offset) -> Response:
    a = _data(request)
    code = views.region_code(a, region) if region else None
    return table(request, views.mentoring_of(a, code), format, limit, offset)


@router.get("/partners", summary="Partner search: organisations elsewhere active in a domain, with reasons")
def partners(request: Request, region: str = Query(..., min_length=2, max_length=10),
             domain: str = Query(..., min_length=1, max_length=60),
             type: list[Literal["HES", "REC", "PRC", "PUB", "OTH"]] | None = Query(None),
             prefer: Literal["new", "existing", "any"] = "new", k: int = Query(20, ge=1, le=200),
             per_region: int | None = Query(None, ge=1, le=200, description="at most this many from one region"),
             format: str = Fmt) -> Response:
    a = _data(request)
    code = views.region_code(a, region)
    hits = a.partner_index.search(region=code, domain=views.check_domain(a, domain), types=type or None,
                                  prefer=prefer, k=k, per_region=per_region)
    hits.insert(4, "region_name", [a.profiles.region_name(r) for r in hits["region"]])
    return table(request, hits, format, k, 0)


# -- workspace ---------------------------------------------------------------------------
@router.get("/clusters", summary="Cluster registry")
def clusters(request: Request, format: str = Fmt, limit: int = Limit, offset: int = Offset) -> Response:
    with request.app.state.workspace.session() as s:
        rows = list_cluster_docs(s)
    return table(request, pd.DataFrame(rows, columns=["id", "name", "regions", "origin", "domains", "members"]),
                 format, limit, offset)


@router.get("/clusters/{cluster_id}", summary="One cluster")
def cluster(request: Request, cluster_id: int = Path(..., ge=1, le=2**31)) -> Response:
    with request.app.state.workspace.session() as s:
        return one(request, cluster_doc(s, cluster_id))


@router.post("/clusters", status_code=201, summary="Register a cluster (editors: in their own regions)")
def cluster_create(request: Request, body: dict[str, Any] = Body(..., examples=[{"name": "x", "regions": ["DE21"]}]),
                   x_csrf_token: str | None = Header(None)) -> Response:
    viewer = _writer(request, x_csrf_token)
    doc = create_cluster_from(request.app, viewer, body)
    return JSONResponse(doc, status_code=201)


@router.get("/plans", summary="Plans (drafts only for signed-in accounts)")
def plans(request: Request, status: Literal["draft", "endorsed", "implementing", "closed"] | None = None,
          region: str | None = Query(None, max_length=10), format: str = Fmt, limit: int = Limit,
          offset: int = Offset) -> Response:
    with request.app.state.workspace.session() as s:
        rows = list_plan_docs(s, request.state.viewer)
    t = pd.DataFrame(rows, columns=["id", "title", "kind", "status", "regions", "plan_version", "version"])
    if status:
        t = t[t["status"] == status]
    if region:
        t = t[[region.upper() in r for r in t["regions"]]]
    return table(request, t, format, limit, offset)


@router.get("/plans/{plan_id}", summary="One plan with its progress")
def plan(request: Request, plan_id: int = Path(..., ge=1, le=2**31)) -> Response:
    with request.app.state.workspace.session() as s:
        return one(request, plan_doc(s, plan_id, request.state.viewer))


@router.post("/plans", status_code=201, summary="Create a draft plan")
def plan_create(request: Request, body: dict[str, Any] = Body(..., examples=[{"title": "x", "regions": ["DE21"]}]),
                x_csrf_token: str | None = Header(None)) -> Response:
    viewer = _writer(request, x_csrf_token)
    return JSONResponse(create_plan_from(request.app, viewer, body), status_code=201)


@router.patch("/plans/{plan_id}", summary="Edit a draft plan's title or kind (with the version read)")
def plan_update(request: Request, plan_id: int = Path(..., ge=1, le=2**31), body: dict[str, Any] = Body(...),
                x_csrf_token: str | None = Header(None)) -> Response:
    viewer = _writer(request, x_csrf_token)
    return JSONResponse(update_plan(request.app, viewer, plan_id, body))


@router.post("/plans/{plan_id}/endorse", summary="Endorse a draft plan")
def plan_endorse(request: Request, plan_id: int = Path(..., ge=1, le=2**31), body: dict[str, Any] = Body(...),
                 x_csrf_token: str | None = Header(None)) -> Response:
    viewer = _writer(request, x_csrf_token)
    return JSONResponse(endorse_plan(request.app, viewer, plan_id, body.get("version")))


@router.post("/plans/{plan_id}/indicators/{indicator_id}/measurements", status_code=201,
             summary="Record a measured value of a manual indicator")
def measurement(request: Request, plan_id: int = Path(..., ge=1, le=2**31),
                indicator_id: int = Path(..., ge=1, le=2**31), body: dict[str, Any] = Body(...),
                x_csrf_token: str | None = Header(None)) -> Response:
    viewer = _writer(request, x_csrf_token)
    return JSONResponse(record_progress(request.app, viewer, plan_id, indicator_id, body), status_code=201)


@router.get("/indicators", summary="Indicators of the plans the caller may see, with progress and outlook")
def indicators(request: Request, format: str = Fmt, limit: int = Limit, offset: int = Offset) -> Response:
    rows = []
    with request.app.state.workspace.session() as s:
        for p in list_plan_docs(s, request.state.viewer):
            doc = plan_doc(s, p["id"], request.state.viewer)
            for ind in doc["progress"]["indicators"] + [i for pr in doc["progress"]["priorities"]
                                                         for i in pr["indicators"]]:
                rows.append({"plan": p["id"], "id": ind["id"], "name": ind["name"], "type": ind["type"],
                             "progress": ind["progress"], "outlook": ind["outlook"]})
    return table(request, pd.DataFrame(rows, columns=["plan", "id", "name", "type", "progress", "outlook"]),
                 format, limit, offset)


@router.get("/programmes", summary="Mentoring, twinning and peer-review programmes")
def programmes(request: Request, format: str = Fmt, limit: int = Limit, offset: int = Offset) -> Response:
    with request.app.state.workspace.session() as s:
        rows = list_programme_docs(s)
    return table(request, pd.DataFrame(rows, columns=["id", "name", "type", "pairings", "progress"]), format, limit,
                 offset)


@router.get("/programmes/{programme_id}", summary="One programme")
def programme(request: Request, programme_id: int = Path(..., ge=1, le=2**31)) -> Response:
    with request.app.state.workspace.session() as s:
        return one(request, programme_doc(s, programme_id))

