"""The API reference as a page of the site, made from the OpenAPI document on the server.

The interactive explorers that web frameworks offer load their scripts and styles from a CDN,
which the platform must never need (it works offline, and its Content-Security-Policy allows
only its own scripts). This page needs no script: per operation its method and path, summary,
parameters with their type and limits, the request body and the responses, with links to the
machine-readable document (``/api/v1/openapi.json``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

_LIMITS = (("minimum", "≥ {}"), ("maximum", "≤ {}"), ("minLength", "at least {} characters"),
           ("maxLength", "at most {} characters"), ("pattern", "matches {}"))


def _type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """A short text for a JSON schema: its type, enumeration, limits and default."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            kinds = [_type(s, components) for s in schema[key] if s.get("type") != "null"]
            nullable = any(s.get("type") == "null" for s in schema[key])
            return " or ".join(kinds) + (" (optional)" if nullable else "")
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}), components)}"
    text = str(schema.get("type", "any"))
    if "enum" in schema:
        text += ": " + " | ".join(str(v) for v in schema["enum"])
    limits = [fmt.format(schema[k]) for k, fmt in _LIMITS if k in schema]
    if limits:
        text += " (" + ", ".join(limits) + ")"
    if "default" in schema and schema["default"] is not None:
        text += f"; default {schema['default']}"
    return text


def _anchor(method: str, path: str) -> str:
    return f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "").strip("-")


def _operation(method: str, path: str, op: dict[str, Any], components: dict[str, Any]) -> str:
    out = [f'<h3 id="{escape(_anchor(method, path))}"><code>{method.upper()} {escape(path)}</code></h3>',
           f"<p>{escape(op.get('summary') or '')}</p>"]
    params = op.get("parameters") or []
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p.get('in', ''))}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{escape(_type(p.get('schema', {}), components))}</td>"
            f"<td>{escape(p.get('description') or p.get('schema', {}).get('description') or '')}</td></tr>"
            for p in params)
        out.append('<div class="tw"><table><thead><tr><th scope="col">parameter</th><th scope="col">in</th>'
                   '<th scope="col">required</th><th scope="col">type</th><th scope="col">meaning</th></tr>'
                   f"</thead><tbody>{rows}</tbody></table></div>")
    body = (op.get("requestBody") or {}).get("content") or {}
    for media, spec in body.items():
        out.append(f"<p>Body: <code>{escape(media)}</code>, {escape(_type(spec.get('schema', {}), components))}"
                   "</p>")
    codes = ", ".join(f"{escape(str(code))} {escape(r.get('description', ''))}"
                      for code, r in sorted((op.get("responses") or {}).items()))
    out.append(f'<p class="note">Responses: {codes}.</p>')
    return "".join(out)


def reference_html(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The sections of the reference page for an OpenAPI document ``doc``."""
    components = doc.get("components", {})
    intro = (f'<p class="lead">{escape(doc.get("info", {}).get("description", ""))}</p>'
             '<p>JSON by default, CSV with <code>format=csv</code>; lists take <code>limit</code> and '
             "<code>offset</code>; every answer has an ETag (send it back as <code>If-None-Match</code>); "
             "errors are <code>application/problem+json</code>. Changes need a signed-in session and its CSRF "
             'token in <code>X-CSRF-Token</code>. The machine-readable document: <a href="/api/v1/openapi.json">'
             "/api/v1/openapi.json</a>.</p>")
    ops = [(path, method, op) for path, item in doc.get("paths", {}).items()
           for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")]
    index = "".join(f'<li><a href="#{escape(_anchor(m, p))}">'
                    f"<code>{m.upper()} {escape(p)}</code></a> {escape(op.get('summary') or '')}</li>"
                    for p, m, op in ops)
    body = "".join(_operation(m, p, op, components) for p, m, op in ops)
    return [{"html": intro}, {"title": f"Operations ({len(ops)})", "id": "operations", "html": f"<ul>{index}</ul>"},
            {"title": "Reference", "id": "reference", "html": body}]


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    from rok.web.pages import render

    return render(request, "REST API", reference_html(request.app.openapi()))
