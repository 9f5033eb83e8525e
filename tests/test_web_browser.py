"""The web platform in headless Chromium (Playwright, Debian's chromium): the paths of an editor
and of a viewer, screenshots at 1280 and 390 px, no horizontal overflow, and axe-core."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.test_web_api import web_app  # noqa: F401  (the session fixture)

pytestmark = [pytest.mark.mirror, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def server(web_app):  # type: ignore[no-untyped-def]  # noqa: F811
    """The app on a loopback port (uvicorn in a thread), analyses computed first."""
    import uvicorn

    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    web_app.state.data.get().warm()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def pw():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(pw, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Chromium with a fresh user-data-dir."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=ARGS, headless=True)
    yield context
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _check(page, shots: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshots at both widths; the page never scrolls sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} overflows by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _search_partners(page, shots: Path, who: str) -> None:  # type: ignore[no-untyped-def]
    page.click("nav >> text=Partner search")
    page.select_option("#region", "DE21")
    page.select_option("#domain", "SC1")
    page.check("input[name=type][value=PRC]")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#results table")
    assert page.locator("#results tbody tr").count() >= 5
    _check(page, shots, f"{who}-partners")


def test_editor_map_region_partners_plan(server, browser, tmp_path):  # type: ignore[no-untyped-def]
    shots = tmp_path
    page = browser.new_page()
    _sign_in(page, server, "editor@example.org")
    _check(page, shots, "editor-map")
    page.select_option("#indicator", "ind:rd_business")  # the indicator picker, without a script
    page.click("form.inline button[type=submit]")
    assert "Business R&D spending" in page.inner_text(".legend-title")
    page.click("#regions >> text=Oberbayern")
    page.wait_for_selector("h1:has-text('Oberbayern')")
    _check(page, shots, "editor-region")
    _search_partners(page, shots, "editor")
    page.goto(f"{server}/regions/DE21#plans")
    page.click("text=Draft a plan for this region")
    page.fill("#ptitle", "Oberbayern health partnerships 2030")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("h1:has-text('Oberbayern health partnerships 2030')")
    page.fill("#iname", "Joint projects with partner regions")
    page.select_option("#itype", "result")
    for field, value in (("#by", "2020"), ("#bv", "3"), ("#ty", "2027"), ("#tv", "12")):
        page.fill(field, value)
    page.click("form[action$='/indicators'] button")
    page.wait_for_selector("td:has-text('Joint projects with partner regions')")
    page.click("form[action$='/endorse'] button")
    page.wait_for_selector("text=Endorsed.")
    for year, value in (("2021", "5"), ("2022", "7")):
        page.fill("#myear", year)
        page.fill("#mval", value)
        page.click("form[action$='/progress'] button")
        page.wait_for_selector("text=Progress recorded.")
    assert "44%" in page.inner_text("#indicators")  # (7 - 3) / (12 - 3)
    _check(page, shots, "editor-plan")
    page.close()


def test_viewer_reads_but_cannot_draft(server, browser, tmp_path):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.context.clear_cookies()
    _sign_in(page, server, "viewer@example.org")
    page.goto(f"{server}/regions/DE21")
    assert page.locator("text=Draft a plan for this region").count() == 0
    _search_partners(page, tmp_path, "viewer")
    page.goto(f"{server}/plans")
    assert "draft" not in page.inner_text("main table").lower() if page.locator("main table").count() else True
    response = page.goto(f"{server}/plans/new?region=DE21")
    assert response is not None and response.status == 403
    _check(page, tmp_path, "viewer-forbidden")
    page.context.clear_cookies()
    page.close()


def test_accessibility_with_axe(server, pw, tmp_path):  # type: ignore[no-untyped-def]
    """axe-core (from the axe-playwright-python package) on the main pages: no serious or critical violation."""
    axe = pytest.importorskip("axe_playwright_python")
    source = (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    # axe is injected as a script, which the pages' CSP forbids (they have none of their own)
    context = pw.chromium.launch_persistent_context(str(tmp_path / "axe"), executable_path=CHROMIUM, args=ARGS,
                                                    headless=True, bypass_csp=True)
    page = context.new_page()
    problems = []
    for path in ("/", "/regions/DE21", "/partners?region=DE21&domain=SC1", "/mentoring", "/network", "/plans",
                 "/login", "/domains/SC1", "/api/v1/docs"):
        page.goto(server + path)
        page.evaluate(source)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(f"{path}: {v['id']} ({v['impact']}) {len(v['nodes'])}x: {v['nodes'][0]['target']}")
    context.close()
    assert not problems, "\n".join(problems)
