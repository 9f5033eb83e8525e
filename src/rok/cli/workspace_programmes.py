"""``rok programme ...``: mentoring, twinning and peer-review programmes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rok.cli.workspace import DbOpt, FmtOpt, UserOpt, VersionOpt, WsOpt, _db, _emit, _kv, _open, _table, out
from rok.errors import InputError

__all__ = ["register"]


def _show(doc: dict[str, Any]) -> None:
    _kv({"programme": f"{doc['id']} {doc['name']} ({doc['type']}, {doc['status']}, edit version {doc['version']})",
         "dates": f"{doc['start'] or '?'} .. {doc['end'] or '?'}", "rules": doc["rules"],
         "host": doc["host"], "topic": doc["topic"]})
    if doc["pairings"]:
        _table("pairings", ["id", "mentee/host", "mentor/peer", "role", "score", "reason"],
               [[p["id"], p["mentee"], p["mentor"], p["role"], p["score"], p["reason"]] for p in doc["pairings"]])
    if doc["activities"]:
        _table("activities", ["id", "kind", "title", "start", "end", "status", "pairing"],
               [[a["id"], a["kind"], a["title"], a["start"], a["end"], a["status"], a["pairing"]]
                for a in doc["activities"]])
    if doc["outcomes"]:
        _table("outcomes", ["kind", "description", "date", "pairing"],
               [[o["kind"], o["description"], o["date"], o["pairing"]] for o in doc["outcomes"]])
    _progress(doc["progress"])


def _progress(p: dict[str, Any]) -> None:
    ms = p["milestones"]
    _kv({"indicator progress": "no value" if p["progress"] is None else f"{100 * p['progress']:.0f}%",
         "milestones reached": f"{ms['done']} of {ms['total']}", "activities": p["activities"],
         "outcomes": p["outcomes"] or "none yet"})


def register(app: typer.Typer, friendly: Any) -> None:
    from rok.cooperation import programmes as cp
    from rok.workspace import programmes as wp

    @app.command("create")
    @friendly
    def create_cmd(name: str = typer.Argument(...),
                   type_: str = typer.Option("mentoring", "--type", help="mentoring, twinning or peer_review."),
                   start: str = typer.Option(None, "--start"), end: str = typer.Option(None, "--end"),
                   widening: bool = typer.Option(False, "--widening", help="Mentees from widening countries only."),
                   mentee_group: list[str] = typer.Option(None, "--mentee-group"),
                   mentor_group: list[str] = typer.Option(None, "--mentor-group"),
                   mentors_per_mentee: int = typer.Option(None, "--mentors-per-mentee",
                                                          help="Default 1 (twinning: 2)."),
                   same_country: bool = typer.Option(False, "--same-country-mentors",
                                                     help="Allow a mentee's mentors to share a country."),
                   capacity: int = typer.Option(None, "--capacity", help="Mentees per mentor and round."),
                   host: str = typer.Option(None, "--host", help="Peer review: the host region."),
                   topic: str = typer.Option(None, "--topic", help="Peer review: the topic domain code."),
                   peers: int = typer.Option(3, "--peers", help="Peer review: number of peers."),
                   db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Create a programme with its eligibility rules and dates."""
        per = mentors_per_mentee or (2 if type_ == "twinning" else 1)
        rules: dict[str, Any] = {"widening": widening or type_ == "twinning",
                                 "mentee_groups": mentee_group or ["emerging", "moderate"],
                                 "mentor_groups": mentor_group or ["leader", "strong"],
                                 "mentors_per_mentee": per, "distinct_countries": not same_country,
                                 "capacity": capacity}
        if type_ == "peer_review":
            rules = {"peers": peers, "min_countries": 2}
        wh = _db(db) if host else None
        with _open(workspace, user) as ws, ws.session() as s:
            prog = wp.create_programme(s, type=type_, name=name, start=start, end=end, rules=rules, host=host,
                                       topic={"code": topic} if topic else None, warehouse=wh)
            doc = wp.programme_document(prog)
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("pair")
    @friendly
    def pair_cmd(programme: str = typer.Argument(..., help="Id or name."), version: int = VersionOpt,
                 mentee: list[str] = typer.Option(None, "--mentee", help="Explicit mentees (else by the rules)."),
                 mentor: list[str] = typer.Option(None, "--mentor", help="Explicit mentors (else by the rules)."),
                 db: Path = DbOpt, workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Compute and store the pairings (mentoring, twinning) or the peers (peer review)."""
        from rok.analysis.profiles import Profiles
        from rok.measures import Selection, open_engine

        path = _db(db)
        with open_engine("duckdb", path) as engine:
            profiles = Profiles.compute(engine, Selection())
        with _open(workspace, user) as ws, ws.session() as s:
            prog = wp.find_programme(s, programme)
            rules = prog.rules or {}
            if prog.type == "peer_review":
                frame = cp.pick_peers(profiles, str(prog.host), str((prog.topic or {}).get("code")),
                                      n=rules.get("peers", 3),
                                      min_countries=rules.get("min_countries", 2))
            else:
                a = mentee or cp.eligible_regions(profiles, widening=rules.get("widening", False),
                                                  groups=rules.get("mentee_groups"))
                b = mentor or cp.eligible_regions(profiles, groups=rules.get("mentor_groups"))
                if not a:
                    raise InputError("no region meets the mentee rules", column="rules", value=rules)
                frame = cp.pair_regions(profiles, a, b, mentors_per_mentee=rules.get("mentors_per_mentee", 1),
                                        distinct_countries=rules.get("distinct_countries", True),
                                        capacity=rules.get("capacity"))
            wp.store_pairings(s, prog, cp.records(frame), version)
            doc = wp.programme_document(prog)
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("add-activity")
    @friendly
    def add_activity_cmd(programme: str = typer.Argument(...), kind: str = typer.Option(..., "--kind",
                         help="staff_exchange, expert_visit, training, workshop, summer_school, study_visit, "
                              "peer_review_meeting, other."),
                         title: str = typer.Option(..., "--title"), start: str = typer.Option(None, "--start"),
                         end: str = typer.Option(None, "--end"), pairing: int = typer.Option(None, "--pairing"),
                         status: str = typer.Option("planned", "--status"),
                         workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Add an activity (optionally of one pairing)."""
        with _open(workspace, user) as ws, ws.session() as s:
            prog = wp.find_programme(s, programme)
            act = wp.add_activity(s, prog, kind=kind, title=title, start=start, end=end, pairing_id=pairing,
                                  status=status)
            data = {"id": act.id, "programme": prog.id, "kind": act.kind, "title": act.title}
        _emit(data, fmt, lambda: out.print(f"activity {data['id']} added to programme {data['programme']}"))

    @app.command("add-outcome")
    @friendly
    def add_outcome_cmd(programme: str = typer.Argument(...), kind: str = typer.Option(..., "--kind",
                        help="proposal, mou, joint_project, policy_change, recommendation, todo."),
                        description: str = typer.Option(..., "--description"),
                        date: str = typer.Option(None, "--date"), pairing: int = typer.Option(None, "--pairing"),
                        reference: str = typer.Option(None, "--reference"),
                        workspace: str = WsOpt, user: str = UserOpt, fmt: str = FmtOpt) -> None:
        """Record an outcome."""
        with _open(workspace, user) as ws, ws.session() as s:
            prog = wp.find_programme(s, programme)
            o = wp.add_outcome(s, prog, kind=kind, description=description, date=date, pairing_id=pairing,
                               reference=reference)
            data = {"id": o.id, "programme": prog.id, "kind": o.kind}
        _emit(data, fmt, lambda: out.print(f"outcome {data['id']} ({data['kind']}) recorded"))

    @app.command("progress")
    @friendly
    def progress_cmd(programme: str = typer.Argument(...), workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """Indicators, milestones, activities and outcomes of a programme."""
        with _open(workspace) as ws, ws.session() as s:
            data = wp.programme_progress(wp.find_programme(s, programme))
        _emit(data, fmt, lambda: _progress(data))

    @app.command("show")
    @friendly
    def show_cmd(programme: str = typer.Argument(...), workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """A programme with its pairings, activities, outcomes and progress."""
        with _open(workspace) as ws, ws.session() as s:
            doc = wp.programme_document(wp.find_programme(s, programme))
        _emit(doc, fmt, lambda: _show(doc))

    @app.command("list")
    @friendly
    def list_cmd(workspace: str = WsOpt, fmt: str = FmtOpt) -> None:
        """The programmes."""
        with _open(workspace) as ws, ws.session() as s:
            rows = [{"id": p.id, "name": p.name, "type": p.type, "status": p.status, "pairings": len(p.pairings),
                     "activities": len(p.activities)} for p in wp.list_programmes(s)]
        _emit(rows, fmt, lambda: _table("programmes", ["id", "name", "type", "status", "pairings", "activities"],
                                        [list(r.values()) for r in rows]))
