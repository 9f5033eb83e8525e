"""CLI of the workspace: clusters, plans, programmes, accounts (thin wrappers over rok.workspace).

Every command takes ``--workspace`` (a SQLite file or a database URL; default
``$ROK_WORKSPACE`` or ``./rok-workspace.sqlite``), ``--format text|json`` and, where it
changes something, ``--user`` (recorded in the audit log; default ``$ROK_USER``). Edits take
``--version``: the version shown by ``show``; a stale one is refused with both versions named.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rok import config
from rok.errors import InputError

__all__ = ["register"]

out = Console(soft_wrap=True)
WsOpt = typer.Option(None, "--workspace", help="Workspace: SQLite file or database URL (default: $ROK_WORKSPACE "
                                               "or ./rok-workspace.sqlite).")
FmtOpt = typer.Option("text", "--format", help="text or json.")
UserOpt = typer.Option(None, "--user", help="Who makes the change, for the audit log (default: $ROK_USER).")
DbOpt = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")
VersionOpt = typer.Option(None, "--version", help="The version you edit (from `show`); a stale one is refused.")
RegionOpt = typer.Option(None, "--region", help="Editor scope: a region (NUTS code); repeatable.")
ClusterOpt = typer.Option(None, "--cluster", help="Editor scope: a cluster id; repeatable.")
PlanOpt = typer.Option(None, "--plan", help="Editor scope: a plan id (covers its later versions); repeatable.")

cluster_app = typer.Typer(help="The cluster registry: propose, import, add, edit, show, profile.", no_args_is_help=True)
plan_app = typer.Typer(help="Plans: agendas and action plans, their indicators and progress.", no_args_is_help=True)
programme_app = typer.Typer(help="Mentoring, twinning and peer-review programmes.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts of the workspace.", no_args_is_help=True)
workspace_app = typer.Typer(help="The workspace database itself.", no_args_is_help=True)


def _fmt(fmt: str) -> str:
    if fmt not in ("text", "json"):
        raise InputError("unknown format; expected text or json", column="--format", value=fmt)
    return fmt


def _open(workspace: str | None, user: str | None = None):  # type: ignore[no-untyped-def]
    from rok.workspace import open_workspace

    return open_workspace(workspace, actor=user)


def _db(db: Path | None) -> Path:
    path = config.db_path(db)
    if not Path(path).exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    return Path(path)


def _emit(data: Any, fmt: str, text: Callable[[], None]) -> None:
    if _fmt(fmt) == "json":
        sys.stdout.write(json.dumps(data, indent=1, default=str, ensure_ascii=False) + "\n")
    else:
        text()


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=escape(title))
    for c in columns:
        table.add_column(escape(c))
    for r in rows:
        table.add_row(*(escape("" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))) for v in r))
    out.print(table)


def _kv(pairs: dict[str, Any]) -> None:
    for k, v in pairs.items():
        out.print(f"[bold]{escape(k)}[/]: {escape('' if v is None else str(v))}", highlight=False)


def _params(items: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError("a parameter is KEY=VALUE", column="--param", value=item)
        key, value = item.split("=", 1)
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _json_file(path: Path | None, what: str) -> Any:
    if path is None:
        return None
    if not path.exists():
        raise InputError("file not found", file=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg})", file=str(path), line=exc.lineno, column=what) from None


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the workspace commands (cluster, plan, programme, user, workspace) to ``app``."""
    app.add_typer(cluster_app, name="cluster")
    app.add_typer(plan_app, name="plan")
    app.add_typer(programme_app, name="programme")
    app.add_typer(user_app, name="user")
    app.add_typer(workspace_app, name="workspace")
    from rok.cli import workspace_clusters, workspace_plans, workspace_programmes

    workspace_clusters.register(cluster_app, friendly)
    workspace_plans.register(plan_app, friendly)
    workspace_programmes.register(programme_app, friendly)

    @workspace_app.command("upgrade")
    @friendly
    def upgrade_cmd(workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """Create or upgrade the workspace schema (also done on every open)."""
        from rok.workspace import Workspace, workspace_url

        ws = Workspace(workspace_url(workspace), migrate=False)
        before, after = ws.upgrade()
        _emit({"workspace": ws.display(), "before": before, "after": after}, fmt,
              lambda: out.print(f"workspace {escape(ws.display())}: revision {before or 'none'} -> {after}"))

    @user_app.command("add")
    @friendly
    def user_add_cmd(name: str = typer.Argument(..., help="Full name."),
                     email: str = typer.Argument(..., help="E-mail address (the login)."),
                     role: str = typer.Option("viewer", "--role", help="admin, programme_manager, editor or viewer."),
                     password_stdin: bool = typer.Option(False, "--password-stdin",
                                                         help="Read the password from the first line of stdin."),
                     region: list[str] = RegionOpt, cluster: list[str] = ClusterOpt, plan: list[str] = PlanOpt,
                     workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Add an account (password hashed with argon2id); an editor's scope with --region/--cluster/--plan."""
        from rok.workspace.accounts import add_user, scopes_of, set_scope

        given = _scope_options(region, cluster, plan)
        if given and role != "editor":
            raise InputError("--region, --cluster and --plan are the scope of an editor; add --role editor",
                             column="--role", value=role)
        password = sys.stdin.readline().rstrip("\n") if password_stdin else None
        with _open(workspace, user) as ws, ws.session() as s:
            u = add_user(s, name, email, role, password)
            for kind, refs in given.items():
                set_scope(s, u, kind, refs, ws.actor)
            data: dict[str, Any] = {"id": u.id, "name": u.name, "email": u.email, "role": u.role,
                                    "password": "set" if u.password_hash else "none",
                                    "scope": _scope_json(scopes_of(s, u.id))}
        _emit(data, fmt, lambda: out.print(f"user {data['id']}: {escape(str(data['name']))} <{data['email']}>, "
                                           f"{data['role']}, password {data['password']}"
                                           + (f", scope {escape(_scope_text(data['scope']))}" if given else "")))

    @user_app.command("scope")
    @friendly
    def user_scope_cmd(email: str = typer.Argument(..., help="The editor's e-mail address."),
                       region: list[str] = RegionOpt, cluster: list[str] = ClusterOpt, plan: list[str] = PlanOpt,
                       clear: list[str] = typer.Option(None, "--clear", help="Empty this kind (region, cluster "
                                                                             "or plan); repeatable."),
                       workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Set what an editor may change: each kind given replaces that kind's list, the others stay."""
        from rok.workspace.accounts import SCOPE_KINDS, find_user, scopes_of, set_scope

        given = _scope_options(region, cluster, plan)
        for kind in clear or []:
            if kind not in SCOPE_KINDS:
                raise InputError(f"unknown scope kind; expected one of {', '.join(SCOPE_KINDS)}", column="--clear",
                                 value=kind)
            if kind in given:
                raise InputError(f"both --clear {kind} and --{kind} given", column="--clear", value=kind)
            given[kind] = []
        if not given:
            raise InputError("nothing to change; give --region, --cluster, --plan or --clear", column="scope")
        with _open(workspace, user) as ws, ws.session() as s:
            u = find_user(s, email)
            if u is None:
                raise InputError("no account with this e-mail", column="email", value=email)
            for kind, refs in given.items():
                set_scope(s, u, kind, refs, ws.actor)
            data: dict[str, Any] = {"id": u.id, "email": u.email, "role": u.role,
                                    "scope": _scope_json(scopes_of(s, u.id))}
        _emit(data, fmt, lambda: out.print(f"user {data['id']} <{escape(data['email'])}>: scope "
                                           f"{escape(_scope_text(data['scope'])) or 'empty'}"))

    @user_app.command("list")
    @friendly
    def user_list_cmd(workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """The accounts, with the scope of each editor."""
        from rok.workspace.accounts import list_users, scopes_of

        with _open(workspace) as ws, ws.session() as s:
            rows: list[dict[str, Any]] = [{"id": u.id, "name": u.name, "email": u.email, "role": u.role,
                                           "scope": _scope_json(scopes_of(s, u.id))} for u in list_users(s)]
        _emit(rows, fmt, lambda: _table("users", ["id", "name", "email", "role", "scope"],
                                        [[r["id"], r["name"], r["email"], r["role"], _scope_text(r["scope"])]
                                         for r in rows]))


def _scope_options(region: list[str] | None, cluster: list[str] | None, plan: list[str] | None) -> dict[str, list[str]]:
    """The kinds given on the command line and their refs."""
    return {kind: refs for kind, refs in (("region", region), ("cluster", cluster), ("plan", plan)) if refs}


def _scope_json(scope: dict[str, set[str]]) -> dict[str, list[Any]]:
    """Regions as codes, clusters and plans as ids, each in display order."""
    from rok.workspace.accounts import sorted_refs

    return {kind: [int(r) if kind != "region" and r.isdigit() else r for r in sorted_refs(refs)]
            for kind, refs in scope.items()}


def _scope_text(scope: dict[str, list[Any]]) -> str:
    """``kind:ref`` pairs (:func:`rok.workspace.accounts.scope_labels`) of a scope as :func:`_scope_json` gives it."""
    from rok.workspace.accounts import scope_labels

    return " ".join(scope_labels({kind: {str(r) for r in refs} for kind, refs in scope.items()}))
