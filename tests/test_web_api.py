"""The web platform in process (FastAPI TestClient) on the mirror warehouse: the REST API, its
errors (problem+json, 4xx never 5xx), ETags, CSV, pages, and who may change what."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="session")
def web_app(mirror_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app on the mirror warehouse and a fresh workspace with an admin, a programme manager,
    an editor of DE21 (Oberbayern) and a viewer (all with password 'password-123')."""
    from rok.web.app import create_app
    from rok.workspace.accounts import add_user, set_scope

    ws = tmp_path_factory.mktemp("web-workspace") / "workspace.sqlite"
    app = create_app(mirror_db, ws, secret="test-secret", warm=False)
    assert app.state.admin_password  # the first run creates an admin with a one-time password
    with app.state.workspace.session("test") as s:
        add_user(s, "Admin Two", "admin2@example.org", "admin", "password-123")
        add_user(s, "Pia Manager", "pm@example.org", "programme_manager", "password-123")
        editor = add_user(s, "Eddi Editor", "editor@example.org", "editor", "password-123")
        add_user(s, "Vera Viewer", "viewer@example.org", "viewer", "password-123")
        s.flush()
        set_scope(s, editor, "region", ["DE21"], "test")
    yield app
    app.state.data.close()


def client_for(app, email: str | None = None):  # type: ignore[no-untyped-def]
    """A TestClient with its own cookies, signed in as ``email`` (None: anonymous)."""
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    if email:
        csrf = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"email": email, "password": "password-123", "csrf": csrf},
                        follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@pytest.fixture(scope="session")
def anon(web_app):  # type: ignore[no-untyped-def]
    return client_for(web_app)


def test_regions_paginated_filtered_json_and_csv(anon):  # type: ignore[no-untyped-def]
    r = anon.get("/api/v1/regions", params={"country": "DE", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 38 and len(body["items"]) == 5  # Germany's NUTS 2 regions with participations
    assert all(item["country"] == "DE" and item["name"] for item in body["items"])
    page2 = anon.get("/api/v1/regions", params={"country": "DE", "limit": 5, "offset": 5}).json()
    assert {i["code"] for i in page2["items"]}.isdisjoint({i["code"] for i in body["items"]})
    csv = anon.get("/api/v1/regions", params={"country": "DE", "format": "csv", "limit": 1000})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("code,name,country,group") and len(lines) == 39


def test_profile_matches_the_analyses(anon, web_app):  # type: ignore[no-untyped-def]
    p = web_app.state.data.get().profiles
    doc = anon.get("/api/v1/regions/de21/profile").json()
    assert doc["code"] == "DE21" and doc["name"] == "Oberbayern"
    assert doc["index"] == pytest.approx(float(p.performance.table.loc["DE21", "index"]))
    points = sum(r["points"] for r in doc["performance_reasons"] if r["points"] is not None)
    assert points == pytest.approx(doc["index"], rel=1e-6)  # the reasons add up to the index
    assert all(not r["label"].islower() for r in doc["performance_reasons"])  # human labels, not keys
    assert [x["peer"] for x in doc["peers"]] == list(p.peers_of("DE21", k=8)["peer"])
    fp = next(r for r in doc["performance_reasons"] if r["indicator"] == "fp_participations")
    assert fp["label"] == "EU research project participations per million inhabitants"
    assert fp["value"] == pytest.approx(1e6 * float(p.performance.values.loc["DE21", "fp_participations"]))


def test_every_analysis_endpoint_answers(anon):  # type: ignore[no-untyped-def]
    for url in ["/api/v1/specialisation?region=DE21", "/api/v1/complexity?of=domains", "/api/v1/domains",
                "/api/v1/networks/regions?region=DE21", "/api/v1/networks/communities", "/api/v1/integration/DE21",
                "/api/v1/complementarity/DE21?direction=mutual&k=5", "/api/v1/untapped?region=DE21&k=5",
                "/api/v1/mentoring?limit=5", "/api/v1/partners?region=DE21&domain=SC1&type=PRC&k=5",
                "/api/v1/clusters", "/api/v1/plans", "/api/v1/indicators", "/api/v1/programmes"]:
        r = anon.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "items" in r.json(), url
    hits = anon.get("/api/v1/partners?region=DE21&domain=SC1&type=PRC&k=5").json()["items"]
    assert len(hits) == 5 and {h["type"] for h in hits} == {"PRC"} and all(h["region"] != "DE21" for h in hits)


def test_etag_and_not_modified(anon):  # type: ignore[no-untyped-def]
    r = anon.get("/api/v1/regions/DE21")
    tag = r.headers["etag"]
    again = anon.get("/api/v1/regions/DE21", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert anon.get("/api/v1/regions/DE22").headers["etag"] != tag


@pytest.mark.parametrize("url, status", [
    ("/api/v1/regions/XX99", 404), ("/api/v1/regions/DE21%2F..%2F..", 404), ("/api/v1/regions?limit=0", 422),
    ("/api/v1/regions?format=xml", 422), ("/api/v1/complementarity/DE21?direction=sideways", 422),
    ("/api/v1/partners?region=DE21&domain=NOPE", 404), ("/api/v1/partners?region=DE21&domain=SC1&type=XYZ", 422),
    ("/api/v1/plans/999999", 404), ("/api/v1/clusters/abc", 422), ("/api/v1/nothing-here", 404),
])
def test_bad_input_is_a_problem_4xx(anon, url, status):  # type: ignore[no-untyped-def]
    r = anon.get(url)
    assert r.status_code == status, r.text[:200]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == status and r.json()["title"]


def test_writes_refuse_bad_bodies(web_app):  # type: ignore[no-untyped-def]
    pm = client_for(web_app, "pm@example.org")
    token = csrf_of(pm.get("/plans/new").text)
    h = {"X-CSRF-Token": token}
    bad_json = pm.post("/api/v1/plans", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert bad_json.status_code == 422
    wrong_type = pm.post("/api/v1/plans", content=b"title=x", headers={**h, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 422
    huge = pm.post("/api/v1/plans", content=b"{" + b" " * 1_200_000 + b"}",
                   headers={**h, "Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.headers["content-type"].startswith("application/problem+json")
    unknown_region = pm.post("/api/v1/plans", json={"title": "x", "regions": ["ZZ99"]}, headers=h)
    assert unknown_region.status_code == 400
    for name in ("..%2F..%2Fetc%2Fpasswd", "plan-1.exe", "plan-2.md"):
        r = pm.get(f"/plans/1/export/{name}")
        assert r.status_code in (400, 404), (name, r.status_code)


def test_security_headers(anon):  # type: ignore[no-untyped-def]
    r = anon.get("/")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in r.text  # the pages need no script at all


def test_pages_show_names_not_codes(anon):  # type: ignore[no-untyped-def]
    for url in ["/", "/?indicator=ind:hrst", "/regions/DE21", "/domains", "/domains/SC1", "/partners",
                "/partners?region=DE21&domain=SC1", "/mentoring", "/network", "/clusters", "/plans", "/login"]:
        r = anon.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    page = anon.get("/regions/DE21").text
    assert "Oberbayern: research profile" in page
    for words in ("Performance and its reasons", "Business R&amp;D spending", "Peer regions", "Complementary regions",
                  "Untapped", "Mentoring", "Integration", "Related opportunities"):
        assert words in page, words
    assert ">hrst<" not in page and ">fp funding<" not in page
    assert 'class="legend"' in page
    assert anon.get("/regions/XX99").status_code == 404
    assert anon.get("/?indicator=nonsense").status_code == 400


def test_region_of_a_shared_city_states_its_placement_caveat(anon):  # type: ignore[no-untyped-def]
    assert anon.get("/api/v1/regions/DE21").json()["placement_caveat"] is None
    uki3 = anon.get("/api/v1/regions/UKI3").json()["placement_caveat"]
    assert "placed by the city name 'London' alone, which spans UKI3, UKI4, UKI5, UKI6, UKI7" in uki3
    page = anon.get("/regions/UKI4").text
    assert "UKI4&#x27;s counts are likely understated" in page or "UKI4's counts are likely understated" in page
    assert "Placement:" not in anon.get("/regions/DE21").text


# -- who may change what -----------------------------------------------------------------
def _plan(client, regions: list[str], title: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/plans/new").text)
    return client.post("/api/v1/plans", json={"title": title, "regions": regions}, headers={"X-CSRF-Token": token})


def test_editor_changes_only_their_region(web_app):  # type: ignore[no-untyped-def]
    editor = client_for(web_app, "editor@example.org")
    own = _plan(editor, ["DE21"], "Oberbayern research agenda")
    assert own.status_code == 201, own.text
    other = _plan(editor, ["DE22"], "Niederbayern agenda")
    assert other.status_code == 403
    pm = client_for(web_app, "pm@example.org")
    theirs = _plan(pm, ["DE22"], "Niederbayern by the manager").json()
    token = csrf_of(editor.get("/plans/new").text)
    r = editor.patch(f"/api/v1/plans/{theirs['id']}", json={"title": "taken over", "version": theirs["version"]},
                     headers={"X-CSRF-Token": token})
    assert r.status_code == 404  # another region's draft: the editor does not even see it
    # through the pages too: the form post is refused
    page = editor.post(f"/plans/{theirs['id']}/edit", data={"title": "taken", "version": theirs["version"],
                                                           "csrf": token})
    assert page.status_code == 404
    # a cluster of another region is refused outright
    cl = editor.post("/api/v1/clusters", json={"name": "Lower Bavarian health", "regions": ["DE22"]},
                     headers={"X-CSRF-Token": token})
    assert cl.status_code == 403
    cl = editor.post("/clusters", data={"name": "Lower Bavarian health", "regions": "DE22", "csrf": token})
    assert cl.status_code == 403
    mine = editor.post("/api/v1/clusters", json={"name": "Munich health", "regions": ["DE21"], "domains": ["SC1"]},
                       headers={"X-CSRF-Token": token})
    assert mine.status_code == 201, mine.text
    form = editor.post("/plans", data={"title": "form plan", "regions": "DE22", "csrf": token})
    assert form.status_code == 403
    with web_app.state.workspace.session() as s:
        from rok.workspace.models import Plan

        assert s.get(Plan, theirs["id"]).title == "Niederbayern by the manager"


def test_admin_sets_an_editor_scope(web_app):  # type: ignore[no-untyped-def]
    admin = client_for(web_app, "admin2@example.org")
    token = csrf_of(admin.get("/admin/users").text)
    r = admin.post("/admin/users", data={"name": "Nina Editor", "email": "nina@example.org", "role": "editor",
                                         "password": "password-123", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    nina = client_for(web_app, "nina@example.org")
    assert _plan(nina, ["DE22"], "Niederbayern agenda").status_code == 403  # no scope yet
    r = admin.post("/admin/scopes", data={"email": "nina@example.org", "kind": "region", "refs": "de22",
                                          "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "region:DE22" in admin.get("/admin/users").text
    assert _plan(nina, ["DE22"], "Niederbayern agenda").status_code == 201  # the next request sees it
    assert _plan(nina, ["DE21"], "Oberbayern agenda").status_code == 403
    for data, status in [({"kind": "galaxy", "refs": "M31"}, 400), ({"kind": "cluster", "refs": "999999"}, 400),
                         ({"kind": "region", "refs": "DE21", "email": "nobody@example.org"}, 400)]:
        r = admin.post("/admin/scopes", data={"email": "nina@example.org", "csrf": token, **data})
        assert r.status_code == status, r.text[:300]
    editor = client_for(web_app, "editor@example.org")
    r = editor.post("/admin/scopes", data={"email": "editor@example.org", "kind": "region", "refs": "DE22",
                                           "csrf": csrf_of(editor.get("/plans/new").text)})
    assert r.status_code == 403
    with web_app.state.workspace.session() as s:
        from rok.workspace.accounts import find_user, scopes_of

        assert scopes_of(s, find_user(s, "nina@example.org").id)["region"] == {"DE22"}
        assert scopes_of(s, find_user(s, "editor@example.org").id)["region"] == {"DE21"}


def test_form_without_csrf_is_refused(web_app):  # type: ignore[no-untyped-def]
    editor = client_for(web_app, "editor@example.org")
    r = editor.post("/plans", data={"title": "no token", "regions": "DE21"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = editor.post("/plans", data={"title": "wrong token", "regions": "DE21", "csrf": "forged"})
    assert r.status_code == 403
    api = editor.post("/api/v1/plans", json={"title": "no token", "regions": ["DE21"]})
    assert api.status_code == 403
    anon = client_for(web_app)
    assert anon.post("/api/v1/plans", json={"title": "x", "regions": ["DE21"]}).status_code == 403


def test_viewer_and_anonymous_never_see_drafts(web_app):  # type: ignore[no-untyped-def]
    pm = client_for(web_app, "pm@example.org")
    draft = _plan(pm, ["DE21"], "Secret draft of Oberbayern").json()
    for who in (None, "viewer@example.org"):
        c = client_for(web_app, who)
        listed = c.get("/api/v1/plans").json()["items"]
        assert draft["id"] not in [p["id"] for p in listed]
        assert c.get(f"/api/v1/plans/{draft['id']}").status_code == 404
        assert c.get(f"/plans/{draft['id']}").status_code == 404
        assert "Secret draft" not in c.get("/plans").text
        assert "Secret draft" not in c.get("/regions/DE21").text
        assert c.get(f"/plans/{draft['id']}/export/plan-{draft['id']}.md").status_code == 404
    viewer = client_for(web_app, "viewer@example.org")
    token = csrf_of(viewer.get("/").text)  # the sign-out form carries the session's token
    assert viewer.post("/api/v1/plans", json={"title": "v", "regions": ["DE21"]},
                       headers={"X-CSRF-Token": token}).status_code == 403
    other_editor_region = client_for(web_app, "editor@example.org").get(f"/api/v1/plans/{draft['id']}")
    assert other_editor_region.status_code == 200  # the editor of DE21 sees drafts of DE21
    assert pm.get(f"/api/v1/plans/{draft['id']}").status_code == 200


def test_login_is_rate_limited(web_app):  # type: ignore[no-untyped-def]
    from rok.web.auth import RateLimit

    c = client_for(web_app)
    csrf = csrf_of(c.get("/login").text)
    codes = [c.post("/login", data={"email": "viewer@example.org", "password": f"wrong-{i}", "csrf": csrf}).status_code
             for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    # even the right password waits now
    right = c.post("/login", data={"email": "viewer@example.org", "password": "password-123", "csrf": csrf},
                   follow_redirects=False)
    assert right.status_code == 429
    web_app.state.login_limit = RateLimit(limit=5, window=300)  # the other tests sign in from the same address


def test_plan_cycle_through_the_pages_is_audited(web_app):  # type: ignore[no-untyped-def]
    from rok.workspace.audit import audit_trail

    editor = client_for(web_app, "editor@example.org")
    token = csrf_of(editor.get("/plans/new?region=DE21").text)
    r = editor.post("/plans", data={"title": "Oberbayern 2030", "regions": "DE21", "kind": "regional_action_plan",
                                    "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    plan_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = editor.get(f"/plans/{plan_id}").text
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    r = editor.post(f"/plans/{plan_id}/indicators", data={
        "name": "Joint projects with mentors", "type": "result", "baseline_year": "2020", "baseline_value": "2",
        "target_year": "2027", "target_value": "10", "version": version, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    page = editor.get(f"/plans/{plan_id}").text
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    assert editor.post(f"/plans/{plan_id}/endorse", data={"version": version, "csrf": token},
                       follow_redirects=False).status_code == 303
    ind = editor.get(f"/api/v1/plans/{plan_id}").json()["progress"]["indicators"][0]["id"]
    for year, value in (("2021", "4"), ("2022", "6")):
        assert editor.post(f"/plans/{plan_id}/progress", data={"indicator": ind, "year": year, "value": value,
                                                               "csrf": token}, follow_redirects=False).status_code == 303
    doc = client_for(web_app).get(f"/api/v1/plans/{plan_id}").json()  # endorsed: public now
    assert doc["status"] == "endorsed"
    assert doc["progress"]["indicators"][0]["progress"] == pytest.approx((6 - 2) / (10 - 2))
    for ext in ("md", "html", "docx", "pdf"):
        r = editor.get(f"/plans/{plan_id}/export/plan-{plan_id}.{ext}")
        assert r.status_code == 200 and len(r.content) > 200, ext
    with web_app.state.workspace.session() as s:
        actors = {e.actor for e in audit_trail(s, "plans", plan_id)}
    assert actors == {"editor@example.org"}


def test_programme_page_and_api(web_app, anon):  # type: ignore[no-untyped-def]
    from rok.workspace.programmes import create_programme

    with web_app.state.workspace.session("test") as s:
        prog = create_programme(s, type="mentoring", name="Twin regions 2026")
        pid = prog.id
    assert "Twin regions 2026" in anon.get(f"/programmes/{pid}").text
    assert f"/programmes/{pid}" in anon.get("/mentoring").text
    assert anon.get(f"/api/v1/programmes/{pid}").json()["name"] == "Twin regions 2026"
    assert anon.get("/programmes/999999").status_code == 404


def test_api_reference_page_is_made_from_the_openapi_document(anon):  # type: ignore[no-untyped-def]
    """The reference page lists every operation, and like every page it loads nothing from
    elsewhere (no CDN) and runs no script."""
    doc = anon.get("/api/v1/openapi.json").json()
    page = anon.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    operations = [(m, p) for p, item in doc["paths"].items() for m in item]
    assert len(operations) >= 20 and f"Operations ({len(operations)})" in html
    assert all(f"{m.upper()} {p}" in html for m, p in operations)
    assert "string: regions | domains; default regions" in html  # the complexity endpoint's ?of=
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html) and "<script" not in html


def test_domain_page_ranks_only_specialised_regions(anon, web_app):  # type: ignore[no-untyped-def]
    """An RCA far above 1 on a fraction of a participation is not a specialisation: the chart of
    the most specialised regions leaves such regions out (the minimum mass), the table of the most
    active regions says which are specialised."""
    from html import unescape

    from rok.web import views

    a = web_app.state.data.get()
    t = views.domain_regions(a, "SC1")
    thin = t[(t["rca"] > 3) & ~t["specialised"]]
    assert len(thin) >= 1  # such regions exist on the mirror (e.g. a tenth of a participation)
    html = unescape(anon.get("/domains/SC1").text)
    chart = html.split("</svg>")[0]
    assert not any(f">{name}<" in chart for name in thin["region_name"])
    best = t[t["specialised"]].sort_values("rca", ascending=False)["region_name"].iloc[0]
    assert f">{best}<" in chart
    assert "at least 5 participations" in html and ">The most active regions<" in html


def test_mentoring_on_programme_parts_states_strengths_not_advice(anon, web_app):  # type: ignore[no-untyped-def]
    """On a taxonomy of funding instruments the mentoring tables head the domains as the mentor's
    strengths the mentee lacks, not as what to work on."""
    assert web_app.state.data.get().profiles.kind == "instrument"
    for url in ("/mentoring", "/regions/PL82"):
        from html import unescape

        text = unescape(anon.get(url).text)
        assert "the mentor's strengths the mentee lacks</th>" in text, url
        assert ">to work on</th>" not in text, url
