"""Pages of the workspace: sign-in, clusters, plans (draft, edit, endorse, track, export),
programmes and accounts. Every form carries the session's CSRF token."""

from __future__ import annotations

import re
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from rok.errors import InputError
from rok.web.app import check_csrf, require
from rok.web.auth import COOKIE, Viewer
from rok.web.html import fmt, link, table
from rok.web.pages import render
from rok.web.workspace_views import (
    add_plan_indicator,
    cluster_doc,
    create_cluster_from,
    create_plan_from,
    endorse_plan,
    list_cluster_docs,
    list_plan_docs,
    list_programme_docs,
    plan_doc,
    record_progress,
    update_plan,
)

router = APIRouter(include_in_schema=False)
EXPORT = re.compile(r"^plan-(\d{1,9})\.(md|html|docx|pdf)$")


def _set_session(request: Request, response: Response, uid: int | None) -> str:
    cookie, csrf = request.app.state.sessions.dump(uid)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=request.app.state.secure_cookies,
                        max_age=request.app.state.sessions.max_age, path="/")
    return csrf


def _form_csrf(request: Request, csrf: str | None) -> Viewer:
    check_csrf(request, csrf)
    return request.state.viewer


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _csrf_field(request: Request) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(request.state.viewer.csrf)}">'


# -- sign-in -----------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    csrf, cookie = viewer.csrf, None
    if not csrf:  # an anonymous session, so that the form has a token
        cookie, csrf = request.app.state.sessions.dump(None)
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", {"title": "Sign in", "viewer": viewer, "csrf": csrf})
    if cookie:
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=request.app.state.secure_cookies,
                            max_age=request.app.state.sessions.max_age, path="/")
    return response


@router.post("/login")
def login(request: Request, email: str = Form(..., max_length=320), password: str = Form(..., max_length=200),
          csrf: str = Form("", max_length=100)) -> Response:
    from rok.workspace.accounts import find_user, verify_password

    check_csrf(request, csrf)
    limit = request.app.state.login_limit
    keys = (f"ip:{request.client.host if request.client else '-'}", f"email:{email.strip().lower()}")
    wait = limit.blocked(*keys)
    if wait:
        return render(request, "Sign in", [{"html": "<p>Too many failed attempts.</p>"}], status=429,
                      flash=f"Too many failed sign-in attempts; try again in {wait:.0f} s.", flash_error=True)
    with request.app.state.workspace.session() as s:
        user = find_user(s, email)
        ok = user is not None and verify_password(user, password)
        uid = user.id if user is not None and ok else None
    if not ok:
        limit.fail(*keys)
        response = request.app.state.templates.TemplateResponse(
            request, "login.html", {"title": "Sign in", "viewer": request.state.viewer, "csrf": csrf,
                                    "flash": "Wrong e-mail or password.", "flash_error": True}, status_code=401)
        return response
    limit.clear(keys[1])
    response = _back("/")
    _set_session(request, response, uid)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
    check_csrf(request, csrf)
    response = _back("/")
    response.delete_cookie(COOKIE, path="/")
    return response


# -- clusters ----------------------------------------------------------------------------
@router.get("/clusters", response_class=HTMLResponse)
def clusters(request: Request) -> Response:
    with request.app.state.workspace.session() as s:
        rows = list_cluster_docs(s)
    a = request.app.state.data.get()
    t = pd.DataFrame(rows, columns=["id", "name", "regions", "origin", "domains", "members"])
    t["region_names"] = [", ".join(a.profiles.region_name(r) for r in rs) for rs in t["regions"]]
    t["domain_names"] = [", ".join(a.profiles.domain_name(d) for d in ds) for ds in t["domains"]]
    html = table(t, [("name", "cluster", lambda r: link(f"/clusters/{r['id']}", r["name"])),
                     ("region_names", "regions", None), ("domain_names", "domains", None),
                     ("members", "members", "n0")], empty="No cluster registered yet.")
    sections = [{"html": html}]
    v: Viewer = request.state.viewer
    if v.signed_in and v.role != "viewer":
        dopts = "".join(f'<option value="{c}">{escape(n)}</option>' for c, n in a.domains()["name"].items())
        sections.append({"title": "Register a cluster", "html":
                         f'<form class="stack" method="post" action="/clusters">{_csrf_field(request)}'
                         '<div><label for="cname">Name</label><input id="cname" name="name" required maxlength="300">'
                         '</div><div><label for="cregions">Region codes (e.g. DE21)</label><input id="cregions" '
                         f'name="regions" required value="{escape(" ".join(sorted(v.regions)))}"></div>'
                         f'<div><label for="cdomains">Domains</label><select id="cdomains" name="domains" multiple>'
                         f"{dopts}</select></div><div><button type=\"submit\">Register</button></div></form>"})
    return render(request, "Cluster registry", sections)


@router.post("/clusters")
def cluster_create(request: Request, name: str = Form(..., max_length=300), regions: str = Form(..., max_length=500),
                   domains: list[str] = Form([]), csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in and v.role != "viewer", "sign in as an editor to register clusters")
    doc = create_cluster_from(request.app, v, {"name": name, "regions": regions, "domains": domains})
    return _back(f"/clusters/{doc['id']}")


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: int) -> Response:
    with request.app.state.workspace.session() as s:
        doc = cluster_doc(s, cluster_id)
    a = request.app.state.data.get()
    regions = ", ".join(link(f"/regions/{r}", a.profiles.region_name(r)) for r in doc["regions"])
    members = table(pd.DataFrame(doc["members"], columns=["org_id", "name", "actor_type", "region"]),
                    [("name", "organisation", None), ("actor_type", "kind", None), ("region", "region", None)],
                    empty="No member organisation recorded.")
    helix = doc.get("triple_helix") or {}
    return render(request, doc["name"], [
        {"html": f"<p>Regions: {regions}</p><p>Domains: {escape(', '.join(doc['domains']) or '–')}</p>"
                 f"<p>{escape(doc.get('description') or '')}</p>"},
        {"title": "Members", "html": members},
        {"title": "Triple helix", "html": "<ul>" + "".join(f"<li>{escape(str(k))}: {escape(str(v))}</li>"
                                                           for k, v in helix.items()) + "</ul>"}])


# -- plans -------------------------------------------------------------------------------
def plans_for_region(request: Request, code: str) -> str:
    with request.app.state.workspace.session() as s:
        rows = [p for p in list_plan_docs(s, request.state.viewer) if code in p["regions"]]
    html = _plan_table(rows)
    v: Viewer = request.state.viewer
    if v.can_edit_regions([code]):
        html += f'<p><a class="button" href="/plans/new?region={code}">Draft a plan for this region</a></p>'
    return html


def _plan_table(rows: list[dict[str, Any]]) -> str:
    t = pd.DataFrame(rows, columns=["id", "title", "kind", "status", "regions", "plan_version", "version"])
    t["kind"] = [k.replace("_", " ") for k in t["kind"]]
    return table(t, [("title", "plan", lambda r: link(f"/plans/{r['id']}", r["title"])), ("kind", "kind", None),
                     ("status", "status", lambda r: f'<span class="badge b-{r["status"]}">{escape(r["status"])}</span>'),
                     ("plan_version", "version", None)], empty="No plan to show.")


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, region: str = "") -> Response:
    with request.app.state.workspace.session() as s:
        rows = list_plan_docs(s, request.state.viewer)
    if region:
        rows = [p for p in rows if region.upper() in p["regions"]]
    note = "" if request.state.viewer.manager else ('<p class="note">Drafts are shown to programme managers and '
                                                    "to the editors of their regions only.</p>")
    return render(request, "Plans", [{"html": _plan_table(rows) + note}])


@router.get("/plans/new", response_class=HTMLResponse)
def plan_new(request: Request, region: str = "") -> Response:
    v: Viewer = request.state.viewer
    require(v.signed_in and v.role != "viewer", "sign in as an editor to draft plans")
    from rok.workspace.models import PLAN_KINDS

    kinds = "".join(f'<option value="{k}">{k.replace("_", " ")}</option>' for k in PLAN_KINDS)
    form = (f'<form class="stack" method="post" action="/plans">{_csrf_field(request)}'
            '<div><label for="ptitle">Title</label><input id="ptitle" name="title" required maxlength="500"></div>'
            f'<div><label for="pregions">Region codes</label><input id="pregions" name="regions" required '
            f'value="{escape(region.upper())}" maxlength="200"></div>'
            f'<div><label for="pkind">Kind</label><select id="pkind" name="kind">{kinds}</select></div>'
            '<div><button type="submit">Create the draft</button></div></form>')
    return render(request, "Draft a plan", [{"html": form}])


@router.post("/plans")
def plan_create(request: Request, title: str = Form(..., max_length=500), regions: str = Form(..., max_length=200),
                kind: str = Form("regional_action_plan", max_length=40), csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in and v.role != "viewer", "sign in as an editor to draft plans")
    doc = create_plan_from(request.app, v, {"title": title, "regions": regions, "kind": kind})
    return _back(f"/plans/{doc['id']}")


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan(request: Request, plan_id: int) -> Response:
    v: Viewer = request.state.viewer
    with request.app.state.workspace.session() as s:
        doc = plan_doc(s, plan_id, v)
    a = request.app.state.data.get()
    regions = ", ".join(link(f"/regions/{r}", a.profiles.region_name(r)) for r in doc["scope"]["regions"])
    prog = doc["progress"]
    inds = prog["indicators"] + [i for p in prog["priorities"] for i in p["indicators"]]
    rows = [{"id": i["id"], "name": i["name"], "baseline": (i["baseline"] or {}).get("value"),
             "target": (i["target"] or {}).get("value"), "latest": (i["latest"] or {}).get("value"),
             "progress": i["progress"], "outlook": i["outlook"]} for i in inds]
    ind_html = table(pd.DataFrame(rows, columns=["id", "name", "baseline", "target", "latest", "progress", "outlook"]),
                     [("name", "indicator", None), ("baseline", "baseline", "n2"), ("target", "target", "n2"),
                      ("latest", "latest", "n2"), ("progress", "progress", "pct"), ("outlook", "outlook", None)],
                     empty="No indicator yet.")
    head = (f'<p>Status: <span class="badge b-{escape(doc["status"])}">{escape(doc["status"])}</span> · version '
            f'{doc["plan_version"]} · regions: {regions}</p><p>Overall progress: {fmt(prog["progress"], "pct")}</p>'
            + "<p>Export: " + " · ".join(link(f"/plans/{plan_id}/export/plan-{plan_id}.{e}", e.upper())
                                         for e in ("md", "html", "docx", "pdf")) + "</p>")
    sections = [{"html": head}, {"title": "Indicators and progress", "id": "indicators", "html": ind_html}]
    if doc["editable"] and v.signed_in:
        csrf = _csrf_field(request)
        ver = f'<input type="hidden" name="version" value="{doc["version"]}">'
        forms = ""
        if doc["status"] == "draft":
            forms += (f'<form class="inline" method="post" action="/plans/{plan_id}/edit">{csrf}{ver}'
                      f'<div><label for="etitle">Title</label><input id="etitle" name="title" value="{escape(doc["title"])}"'
                      ' maxlength="500"></div><button type="submit">Save</button></form>'
                      f'<h3>Add an indicator</h3><form class="inline" method="post" action="/plans/{plan_id}/indicators">'
                      f'{csrf}{ver}<div><label for="iname">Name</label><input id="iname" name="name" required></div>'
                      '<div><label for="itype">Type</label><select id="itype" name="type"><option>output</option>'
                      '<option>result</option></select></div>'
                      '<div><label for="by">Baseline year</label><input id="by" name="baseline_year" inputmode="numeric" size="5"></div>'
                      '<div><label for="bv">Baseline</label><input id="bv" name="baseline_value" inputmode="decimal" size="7"></div>'
                      '<div><label for="ty">Target year</label><input id="ty" name="target_year" inputmode="numeric" size="5"></div>'
                      '<div><label for="tv">Target</label><input id="tv" name="target_value" inputmode="decimal" size="7"></div>'
                      '<button type="submit">Add</button></form>'
                      f'<h3>Endorse</h3><form method="post" action="/plans/{plan_id}/endorse">{csrf}{ver}'
                      '<button type="submit">Endorse this plan (freezes this version)</button></form>')
        if inds:
            opts = "".join(f'<option value="{i["id"]}">{escape(i["name"])}</option>' for i in inds)
            forms += (f'<h3>Record progress</h3><form class="inline" method="post" action="/plans/{plan_id}/progress">'
                      f'{csrf}<div><label for="mind">Indicator</label><select id="mind" name="indicator">{opts}</select>'
                      '</div><div><label for="myear">Year</label><input id="myear" name="year" inputmode="numeric" '
                      'size="5" required></div><div><label for="mval">Value</label><input id="mval" name="value" '
                      'inputmode="decimal" size="8" required></div><button type="submit">Record</button></form>')
        sections.append({"title": "Edit", "id": "edit", "html": forms})
    flash = request.query_params.get("done")
    return render(request, doc["title"], sections, subtitle=escape(doc["kind"].replace("_", " ")),
                  flash={"saved": "Saved.", "endorsed": "Endorsed.", "recorded": "Progress recorded."}.get(flash or ""))


@router.post("/plans/{plan_id}/edit")
def plan_edit(request: Request, plan_id: int, title: str = Form(..., max_length=500), version: int = Form(...),
              csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in, "sign in first")
    update_plan(request.app, v, plan_id, {"title": title, "version": version})
    return _back(f"/plans/{plan_id}?done=saved")


@router.post("/plans/{plan_id}/indicators")
def plan_indicator(request: Request, plan_id: int, name: str = Form(..., max_length=300),
                   type: str = Form("output", max_length=10), baseline_year: str = Form("", max_length=4),
                   baseline_value: str = Form("", max_length=30), target_year: str = Form("", max_length=4),
                   target_value: str = Form("", max_length=30), version: int = Form(...),
                   csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in, "sign in first")
    add_plan_indicator(request.app, v, plan_id, {"name": name, "type": type, "baseline_year": baseline_year,
                                                 "baseline_value": baseline_value, "target_year": target_year,
                                                 "target_value": target_value, "version": version})
    return _back(f"/plans/{plan_id}?done=saved")


@router.post("/plans/{plan_id}/endorse")
def plan_endorse(request: Request, plan_id: int, version: int = Form(...), csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in, "sign in first")
    endorse_plan(request.app, v, plan_id, version)
    return _back(f"/plans/{plan_id}?done=endorsed")


@router.post("/plans/{plan_id}/progress")
def plan_progress_form(request: Request, plan_id: int, indicator: int = Form(...), year: str = Form(..., max_length=4),
                       value: str = Form(..., max_length=30), csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.signed_in, "sign in first")
    record_progress(request.app, v, plan_id, indicator, {"year": year, "value": value})
    return _back(f"/plans/{plan_id}?done=recorded")


@router.get("/plans/{plan_id}/export/{name}")
def plan_export(request: Request, plan_id: int, name: str) -> Response:
    from rok.report.plan_export import export_plan
    from rok.web.workspace_views import visible_plan
    from rok.workspace.plans import plan_document

    found = EXPORT.match(name)
    if not found or int(found.group(1)) != plan_id:
        raise InputError("export names are plan-<id>.md, .html, .docx or .pdf", column="name", value=name[:80])
    with request.app.state.workspace.session() as s:
        visible_plan(s, plan_id, request.state.viewer)
        doc = plan_document(s, plan_id)
    a = request.app.state.data.get()
    if not doc.get("evidence"):  # a plan entered by hand has no analysis snapshot
        doc["evidence"] = {"load_id": None, "selection": "none (entered by hand, no analysis snapshot)",
                           "generated_at": None}
    for key in ("landscape", "swot", "priorities", "actions", "indicators", "risks"):
        doc[key] = doc.get(key) or []  # hand-made plans leave these empty (None)
    doc["scope"]["names"] = {r: a.profiles.region_name(r) for r in doc["scope"].get("regions", [])
                             if r in a.profiles.regions.index}
    folder = Path(tempfile.mkdtemp(prefix="rok-export-"))
    path = export_plan(doc, folder / name)
    media = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[found.group(2)]
    return FileResponse(path, media_type=media, filename=name)


# -- programmes and accounts -------------------------------------------------------------
def programmes_html(request: Request) -> str:
    with request.app.state.workspace.session() as s:
        rows = list_programme_docs(s)
    t = pd.DataFrame(rows, columns=["id", "name", "type", "pairings", "progress"])
    return table(t, [("name", "programme", lambda r: link(f"/programmes/{r['id']}", r["name"])), ("type", "type", None),
                     ("pairings", "pairs", "n0"), ("progress", "progress", "pct")],
                 empty="No programme in the workspace yet.")


@router.get("/programmes/{programme_id}", response_class=HTMLResponse)
def programme(request: Request, programme_id: int) -> Response:
    from rok.web.workspace_views import programme_doc

    with request.app.state.workspace.session() as s:
        doc = programme_doc(s, programme_id)
    a = request.app.state.data.get()

    def region(code: Any) -> str:
        return link(f"/regions/{code}", a.profiles.region_name(code)) if code in a.profiles.regions.index else escape(
            str(code or "–"))
    pairs = table(pd.DataFrame(doc["pairings"], columns=["id", "mentee", "mentor", "role", "score", "reason"]),
                  [("mentee", "mentee", lambda r: region(r["mentee"])), ("mentor", "mentor", lambda r: region(r["mentor"])),
                   ("score", "score", "n2"), ("reason", "why", None)], empty="No pair yet.")
    acts = table(pd.DataFrame(doc["activities"], columns=["id", "kind", "title", "start", "end", "status", "pairing"]),
                 [("title", "activity", None), ("kind", "kind", None), ("start", "start", None),
                  ("status", "status", None)], empty="No activity yet.")
    prog = doc["progress"]
    head = (f"<p>{escape(doc['type'].replace('_', ' '))} · {escape(str(doc.get('status') or ''))} · "
            f"{escape(str(doc.get('start') or ''))} – {escape(str(doc.get('end') or ''))} · progress "
            f"{fmt(prog['progress'], 'pct')} · milestones {prog['milestones']['done']} of {prog['milestones']['total']}</p>")
    return render(request, doc["name"], [{"html": head}, {"title": "Pairs", "html": pairs},
                                         {"title": "Activities", "html": acts}])


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request) -> Response:
    v: Viewer = request.state.viewer
    require(v.role == "admin", "accounts are managed by admins")
    from rok.workspace.accounts import list_users, scope_labels, scopes_of
    from rok.workspace.models import ROLES, SCOPE_KINDS

    with request.app.state.workspace.session() as s:
        rows = [{"name": u.name, "email": u.email, "role": u.role, "scope": " ".join(scope_labels(scopes_of(s, u.id)))}
                for u in list_users(s)]
    csrf = _csrf_field(request)
    roles = "".join(f"<option>{r}</option>" for r in ROLES)
    kinds = "".join(f"<option>{k}</option>" for k in SCOPE_KINDS)
    forms = (f'<form class="stack" method="post" action="/admin/users">{csrf}'
             '<div><label for="uname">Name</label><input id="uname" name="name" required></div>'
             '<div><label for="uemail">E-mail</label><input id="uemail" name="email" type="email" required></div>'
             f'<div><label for="urole">Role</label><select id="urole" name="role">{roles}</select></div>'
             '<div><label for="upw">Password (8+ characters)</label><input id="upw" name="password" type="password" '
             'required minlength="8"></div><div><button type="submit">Add account</button></div></form>'
             f'<h3>Editor scope</h3><form class="stack" method="post" action="/admin/scopes">{csrf}'
             '<div><label for="semail">E-mail</label><input id="semail" name="email" type="email" required></div>'
             f'<div><label for="skind">Kind</label><select id="skind" name="kind">{kinds}</select></div>'
             '<div><label for="srefs">Codes or ids (space separated; replaces the list)</label><input id="srefs" '
             'name="refs"></div><div><button type="submit">Set scope</button></div></form>')
    t = table(pd.DataFrame(rows), [("name", "name", None), ("email", "e-mail", None), ("role", "role", None),
                                   ("scope", "editor scope", None)])
    return render(request, "Accounts", [{"html": t}, {"title": "Add", "html": forms}])


@router.post("/admin/users")
def user_add(request: Request, name: str = Form(..., max_length=200), email: str = Form(..., max_length=320),
             role: str = Form(..., max_length=40), password: str = Form(..., max_length=200),
             csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.role == "admin", "accounts are managed by admins")
    from rok.workspace.accounts import add_user

    with request.app.state.workspace.session(v.email) as s:
        add_user(s, name, email, role, password)
    return _back("/admin/users")


@router.post("/admin/scopes")
def scope_set(request: Request, email: str = Form(..., max_length=320), kind: str = Form(..., max_length=10),
              refs: str = Form("", max_length=2000), csrf: str = Form("", max_length=100)) -> Response:
    v = _form_csrf(request, csrf)
    require(v.role == "admin", "accounts are managed by admins")
    from rok.workspace.accounts import find_user, set_scope

    with request.app.state.workspace.session(v.email) as s:
        user = find_user(s, email)
        if user is None:
            raise InputError("no account with this e-mail", column="email", value=email)
        set_scope(s, user, kind, refs.split(), v.email)
    return _back("/admin/users")
