"""The action plan of a draft agenda: joint projects, mentoring, shared facilities, training
and mobility, each with a proposed owner, partners, dates, suggested funding and milestones.

Partners come from the partner search (:class:`rok.cooperation.partners.PartnerIndex`,
preferring organisations without a tie yet). The index needs the network distance from the
scope's organisations up to two steps only, so instead of the whole organisation network
(about 800,000 edges on the mirror, a second to build) it gets a breadth-first tree of it
(:func:`bfs_edges`): for every project of a scope organisation, an edge from one scope
organisation of the project to each other member; then, for every project of those
first-step organisations, an edge from one of them to each member not reached yet. Every
edge is a real co-participation, and a breadth-first tree keeps the distance from its roots,
so distances 0, 1 and 2 are exactly those of the full network; "more than two steps" is
the same answer too.

Mentoring (:func:`rok.cooperation.mentoring.mentoring_programme`) is proposed for each
region of the scope in the moderate or emerging performance group, with one mentor from the
leader and strong groups in another country.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rok.cooperation.landscape import H2020_TO_HORIZON
from rok.errors import InputError

__all__ = ["ActionPlanner", "add_months", "bfs_edges", "funding_suggestions"]

_HE_TITLES = {"HORIZON.1.1": "European Research Council", "HORIZON.1.2": "Marie Skłodowska-Curie Actions",
              "HORIZON.1.3": "Research infrastructures", "HORIZON.2.1": "Cluster 1 Health",
              "HORIZON.2.2": "Cluster 2 Culture, creativity and inclusive society",
              "HORIZON.2.3": "Cluster 3 Civil security for society", "HORIZON.2.4": "Cluster 4 Digital, industry and space",
              "HORIZON.2.5": "Cluster 5 Climate, energy and mobility",
              "HORIZON.2.6": "Cluster 6 Food, bioeconomy, natural resources, agriculture and environment",
              "HORIZON.3.1": "European Innovation Council", "HORIZON.3.2": "European innovation ecosystems",
              "HORIZON.4.1": "Widening participation and spreading excellence",
              "HORIZON.4.2": "Reforming and enhancing the European R&I system", "EURATOM2027": "Euratom programme"}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the day capped at the month's length)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def funding_suggestions(domains: Sequence[str], *, cross_border: bool) -> list[str]:
    """Suggested instruments for actions in ``domains`` (suggestions, not eligibility checks)."""
    out = []
    for d in domains:
        for part in H2020_TO_HORIZON.get(d, ((), None))[0]:
            text = f"Horizon Europe {part} {_HE_TITLES.get(part, '')}".strip() + " (suggested)"
            if text not in out:
                out.append(text)
    out.append("ERDF regional programme, under the region's smart-specialisation strategy (suggested)")
    if cross_border:
        out.append("Interreg Europe or Interreg transnational cooperation (suggested)")
    return out


def bfs_edges(participations: pd.DataFrame, regions: Sequence[str], level: int = 2) -> pd.DataFrame:
    """Edges ``source, target`` of a two-level breadth-first tree of the co-participation
    network rooted at the organisations of ``regions`` (see the module docstring)."""
    project, _ = pd.factorize(participations["project_id"])
    org, ids = pd.factorize(participations["org_id"].astype(str))
    reached = np.zeros(len(ids), dtype=bool)
    reached[np.unique(org[participations[f"nuts{level}"].isin(list(regions)).to_numpy()])] = True
    frontier = reached.copy()
    sources, targets = [], []
    for _ in range(2):
        rows = frontier[org]
        anchor = np.full(project.max() + 1 if len(project) else 0, -1, dtype=np.int64)
        order = np.argsort(-org[rows], kind="stable")  # the smallest org code written last wins
        anchor[project[rows][order]] = org[rows][order]
        hit = (anchor[project] >= 0) & ~reached[org]
        new, first = np.unique(org[hit], return_index=True)
        sources.append(anchor[project[hit]][first])
        targets.append(new)
        frontier = np.zeros(len(ids), dtype=bool)
        frontier[new] = True
        reached |= frontier
    return pd.DataFrame({"source": ids[np.concatenate(sources)], "target": ids[np.concatenate(targets)]})


@dataclass
class ActionPlanner:
    """What the actions are drawn from: profiles, partner index, organisation activity."""

    profiles: Any
    index: Any
    org_activity: pd.DataFrame  # org_id, domain, value, region, name
    names: dict[str, str]
    regions: list[str]
    start: dt.date
    k: int

    @classmethod
    def build(cls, engine: Any, profiles: Any, data: Any, regions: Sequence[str], *, start: dt.date,
              k: int = 5, domains: Sequence[str] | None = None) -> ActionPlanner:
        """Build from the profiles and the warehouse rows; ``domains``: the only domains partners are
        searched in (default: all; the agenda passes its priorities' and RI, MSCA)."""
        from rok.cooperation.complementarity import complementarity_matrix
        from rok.cooperation.partners import PartnerIndex, organisation_activity

        sel = profiles.selection
        activity = organisation_activity(engine, sel).astype({"org_id": str})
        orgs = engine.table("organisations")  # names, types and regions only: no need for org_nodes' counts
        nodes = engine.execute(orgs.select("org_id", "name", "activity_type", "country",
                                           region=orgs[f"nuts{sel.level}"])).astype({"org_id": str})
        edges = bfs_edges(data.participations, regions, sel.level)
        comp = complementarity_matrix(profiles.rca, profiles.specialised, profiles.density)
        unit = "participations (fractional)" if sel.counting == "fractional" else "participations"
        searched = activity if domains is None else activity[activity["domain"].isin(list(domains))]
        index = PartnerIndex.build(searched, nodes, edges, comp, rca=profiles.rca, specialised=profiles.specialised,
                                   unit="EUR" if sel.measure == "funding" else unit)
        info = nodes.set_index("org_id")
        activity = activity.join(info[["region", "name"]], on="org_id")
        names = {str(o): str(n) for o, n in zip(nodes["org_id"], nodes["name"], strict=True)}
        return cls(profiles, index, activity, names, list(regions), start, k)

    def leading_org(self, region: str, domains: Sequence[str]) -> str | None:
        """Id of the region's most active organisation in ``domains`` (all domains when empty)."""
        rows = self.org_activity[self.org_activity["region"] == region]
        if domains:
            rows = rows[rows["domain"].isin(domains)]
        if rows.empty:
            return None
        totals = rows.groupby("org_id")["value"].sum().sort_values(ascending=False, kind="stable")
        return str(totals.index[0])

    def leading(self, region: str, domains: Sequence[str]) -> str | None:
        """:meth:`leading_org` as ``name (org id, region)``; None when the region has none."""
        org = self.leading_org(region, domains)
        return None if org is None else f"{self.names.get(org) or org} ({org}, {region})"

    def _member(self, region: str, domains: Sequence[str], reasons: str, score: float | None = None
                ) -> dict[str, Any]:
        """A partner region, named by its most active organisation in ``domains``."""
        org = self.leading_org(region, domains) or self.leading_org(region, [])
        return {"org_id": org, "name": self.names.get(org) if org else None, "type": None, "region": region,
                "country": region[:2], "score": score, "reasons": reasons}

    def _partners(self, region: str, domain: str, types: list[str] | None = None) -> list[dict[str, Any]]:
        try:
            hits = self.index.search(region=region, domain=domain, types=types, prefer="new", k=self.k)
        except InputError:
            return []
        return [{"org_id": str(h.org_id), "name": h.name, "type": h.type, "region": h.region, "country": h.country,
                 "score": round(float(h.score), 4), "reasons": h.reasons} for h in hits.itertuples(index=False)]

    def _action(self, title: str, description: str, priority: str | None, owner: str | None,
                partners: list[dict[str, Any]], funding: list[str], months: int, steps: list[tuple[str, int]],
                output: str) -> dict[str, Any]:
        end = add_months(self.start, months) - dt.timedelta(days=1)
        return {"title": title, "description": description, "priority": priority,
                "owner": owner or "to be named by the partners", "partners": partners,
                "start": self.start.isoformat(), "end": end.isoformat(), "budget": None, "funding_sources": funding,
                "status": "proposed",
                "milestones": [{"title": t, "due": (end if m >= months else add_months(self.start, m)).isoformat()}
                               for t, m in steps],
                "output": output}

    def _lead_region(self, domain: str) -> str:
        rca = self.profiles.rca
        return max(self.regions, key=lambda r: (float(rca.at[r, domain]), r)) if domain in rca.columns else self.regions[0]

    def actions(self, priorities: list[dict[str, Any]], *, knowledge: bool = True) -> list[dict[str, Any]]:
        """The actions of the plan; ``knowledge``: whether the taxonomy supports relatedness-based
        advice (else the mentoring pairs' density-ranked domains are not offered)."""
        p = self.profiles
        out = []
        for pr in priorities:
            d = pr["domains"][0]
            lead = self._lead_region(d)
            partners = [self._member(r, [d], f"member of the group; the most active organisation in {d} in {r}")
                        for r in self.regions if r != lead]
            partners += [h for h in self._partners(lead, d) if h["region"] not in self.regions]
            out.append(self._action(
                f"Joint research projects in {p.domain_name(d)}",
                f"Prepare joint proposals in {d} with complementary partners found by the partner search "
                f"(organisations without a tie to {lead} first). Dates are a default schedule to be set by the partners.",
                pr["title"], self.leading(lead, [d]), partners,
                funding_suggestions([d], cross_border=True), 36,
                [("Partners confirmed", 3), ("Proposal submitted to a call", 9), ("Project started", 15),
                 ("Results reported", 36)], "joint proposals submitted"))
        first = priorities[0]["title"] if priorities else None
        out += self._mentoring(first, knowledge)
        all_domains = [d for pr in priorities for d in pr["domains"]]
        lead = self.regions[0]
        out.append(self._action(
            "Shared research facilities",
            f"Open and share research infrastructures for {', '.join(all_domains) or 'the priorities'}; partners are "
            "research organisations and universities active in Research Infrastructures (RI).",
            first, self.leading(lead, ["RI"]) or self.leading(lead, []), self._partners(lead, "RI", ["REC", "HES"]),
            ["Horizon Europe HORIZON.1.3 Research infrastructures (suggested)",
             "ERDF regional programme, research infrastructure investment (suggested)"], 24,
            [("Facilities and access rules listed", 4), ("Access agreement signed", 10), ("First shared use", 14)],
            "researchers given access to shared facilities"))
        out.append(self._action(
            "Training and mobility of researchers",
            "Doctoral networks and staff exchanges with partners active in the Marie Skłodowska-Curie Actions (MSCA).",
            first, self.leading(lead, ["MSCA"]) or self.leading(lead, []), self._partners(lead, "MSCA"),
            ["Horizon Europe HORIZON.1.2 Marie Skłodowska-Curie Actions (suggested)",
             "Erasmus+ staff mobility (suggested)"], 36,
            [("Exchange scheme agreed", 6), ("First exchanges", 12), ("Network proposal submitted", 18)],
            "researchers exchanged"))
        return out

    def _mentoring(self, priority: str | None, knowledge: bool) -> list[dict[str, Any]]:
        from rok.cooperation.mentoring import mentoring_programme, select_regions

        p = self.profiles
        if p.performance is None:
            return []
        table = p.performance.table
        out = []
        for r in self.regions:
            if table["group"].get(r) not in ("moderate", "emerging"):
                continue
            _, mentors = select_regions(table)
            mentors = [m for m in mentors if m in p.activity.index and m not in self.regions]
            pairs = mentoring_programme(p, mentees=[r], mentors=mentors, capacity=1)
            if pairs.empty:
                continue
            row = pairs.iloc[0]
            work = (f"Domains to work on: {row.domains_to_work_on}." if knowledge else
                    "Domains to work on are for the pair to choose: the taxonomy classifies instruments, so the "
                    "relatedness-ranked domains of the assignment are not offered as advice.")
            partner = self._member(row.mentor, [], f"mentor region {row.mentor} {row.mentor_name} (its most active "
                                   f"organisation); pair score {row.score:.3f}", round(float(row.score), 4))
            out.append(self._action(
                f"Mentoring of {r} by {row.mentor} {row.mentor_name}",
                f"{r} is {'an' if table['group'][r] == 'emerging' else 'a'} {table['group'][r]} performer (index {table['index'][r]:.1f}); the optimal mentoring "
                f"assignment pairs it with {row.mentor}. {work}",
                priority, self.leading(r, []), [partner], funding_suggestions([], cross_border=True)
                + ["Horizon Europe HORIZON.4.1 Widening participation, where eligible (suggested)"], 24,
                [("Mentoring agreement", 2), ("Peer review of the regional strategy", 8), ("Learning report", 24)],
                "peer-learning visits held"))
        return out
