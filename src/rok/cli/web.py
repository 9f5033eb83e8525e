"""``rok serve``: the web platform (pages and REST API) on one warehouse and one workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from rok import config

__all__ = ["register"]


def register(app: typer.Typer, friendly: Any) -> None:
    """Add ``serve`` to ``app``."""

    @app.command("serve")
    @friendly
    def serve_cmd(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
                  port: int = typer.Option(8000, "--port", help="Port."),
                  workspace: str = typer.Option(None, "--workspace", help="Workspace file or URL (default: "
                                                                          "$ROK_WORKSPACE or ./rok-workspace.sqlite)."),
                  secure_cookies: bool = typer.Option(False, "--secure-cookies",
                                                      help="Mark the session cookie Secure (behind HTTPS)."),
                  db: Path = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")) -> None:
        """Serve the web pages and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json). Ctrl-C stops it."""
        import uvicorn

        from rok.web.app import create_app

        web = create_app(config.db_path(db), workspace, secure_cookies=secure_cookies)
        if web.state.admin_password:
            typer.echo("first run: created the account admin@localhost.localdomain (role admin) with the one-time "
                       f"password {web.state.admin_password}  (change it after signing in)")
        typer.echo(f"rok is serving on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs; Ctrl-C stops)")
        try:
            uvicorn.run(web, host=host, port=port, log_level="warning")
        finally:
            web.state.data.close()
        # analyses may still be computing in a background thread (inside DuckDB or igraph): leave at once
        # rather than let the interpreter tear down under them
        sys.stdout.flush()
        os._exit(0)
