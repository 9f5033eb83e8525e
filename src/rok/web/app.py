"""The web application: ``create_app`` wires the data state, the workspace, sessions, security
headers, error responses (application/problem+json, 4xx for bad input) and the routes."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from rok.errors import RokError
from rok.web.auth import COOKIE, RateLimit, Sessions, Viewer, load_viewer, new_password
from rok.web.state import DataState

__all__ = ["create_app", "ensure_admin", "problem", "MAX_BODY"]

HERE = Path(__file__).parent
MAX_BODY = 1_000_000
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
log = logging.getLogger("rok.web")


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class Guard:
    """Pure ASGI middleware: who is asking (``request.state.viewer``), bodies above MAX_BODY refused
    before they are read, and security headers on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            response = problem(413, "Payload too large", f"bodies are limited to {MAX_BODY} bytes")
            await _secured(response)(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = current_viewer(Request(scope))

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers") or [])
                names = {k.lower() for k, _ in raw}
                raw += [(k, v) for k, v in _HEADERS if k not in names]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_secured)


_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-cache")]


def _secured(response: Response) -> Response:
    for k, v in _HEADERS:
        response.headers.setdefault(k.decode(), v.decode())
    return response


def _status_of(exc: Exception) -> int:
    from rok.workspace.errors import ConflictError, FrozenError, NotFoundError

    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | FrozenError):
        return 409
    if isinstance(exc, PermissionError):
        return 403
    return 400


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def ensure_admin(workspace: Any) -> str | None:
    """Create the first admin when the workspace has no account; return its one-time password."""
    from rok.workspace.accounts import add_user, list_users

    with workspace.session("rok serve") as s:
        if list_users(s):
            return None
        password = new_password()
        add_user(s, "Administrator", "admin@localhost.localdomain", "admin", password)
        return password


def create_app(db: str | Path, workspace: str | Path | None = None, *, secret: str | None = None,
               secure_cookies: bool = False, warm: bool = True, settle: float = 2.0) -> FastAPI:
    """The rok web application on warehouse ``db`` and the workspace ``workspace`` (URL or file)."""
    from rok.workspace.db import Workspace, workspace_url

    data = DataState(db, settle=settle)
    ws = Workspace(workspace_url(workspace))
    app = FastAPI(title="rok: Regions of Knowledge", version="1",
                  description="Research profiles, networks and cooperation of Europe's regions (REST API, JSON and CSV).",
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.data = data
    app.state.workspace = ws
    app.state.sessions = Sessions(secret or os.environ.get("ROK_SECRET") or secrets.token_urlsafe(32))
    app.state.secure_cookies = secure_cookies
    app.state.login_limit = RateLimit(limit=5, window=300)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.admin_password = ensure_admin(ws)
    app.add_middleware(Guard)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(RokError)
    async def rok_error(request: Request, exc: RokError) -> Response:
        status = _status_of(exc)
        title = {400: "Bad request", 403: "Forbidden", 404: "Not found", 409: "Conflict"}[status]
        return error_response(request, status, title, str(exc))

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError) -> Response:
        return error_response(request, 403, "Forbidden", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return error_response(request, 422, "Invalid input", detail[:1000])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of every route on this path, not only the first route's
            from starlette.routing import Match

            methods = {m for r in request.app.routes if r.matches(request.scope)[0] != Match.NONE
                       for m in (getattr(r, "methods", None) or ())}
            headers["Allow"] = ", ".join(sorted(methods))
        return error_response(request, exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # a fault of rok, never of the input
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "Internal error", "an unexpected error; it has been logged")

    from rok.web import api, api_docs, pages, pages_work

    app.include_router(api.router)
    app.include_router(api_docs.router)  # the reference page, made on the server: no CDN, no script
    app.include_router(pages.router)
    app.include_router(pages_work.router)
    data.prerender = pages.prerender
    if warm:
        def start() -> None:
            data.current.warm()
            pages.prerender(data.current)
        threading.Thread(target=start, daemon=True).start()
    return app


def current_viewer(request: Request) -> Viewer:
    app = request.app
    data = app.state.sessions.load(request.cookies.get(COOKIE))
    if not data:
        return Viewer()
    if data.get("uid") is None:
        return Viewer(csrf=data["csrf"])
    with app.state.workspace.session() as s:
        v = load_viewer(s, int(data["uid"]), data["csrf"])
    return v or Viewer()


def error_response(request: Request, status: int, title: str, detail: str = "",
                   headers: dict[str, str] | None = None) -> Response:
    if _wants_html(request):
        templates = request.app.state.templates
        response = templates.TemplateResponse(request, "error.html", {"status": status, "title": title,
                                                                      "detail": detail, "viewer": getattr(
                                                                          request.state, "viewer", Viewer())},
                                              status_code=status)
    else:
        response = problem(status, title, detail)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionError(message)


def check_csrf(request: Request, token: str | None) -> None:
    viewer: Viewer = request.state.viewer
    if not viewer.csrf or not token or not secrets.compare_digest(viewer.csrf, token):
        raise PermissionError("the form has no valid CSRF token; reload the page and try again")

