"""The action plan of a draft agenda: joint projects, mentoring, shared facilities, training
and mobility, each with a proposed owner, partners, dates, suggested funding and milestones.

Partners come from the partner search (:class:`rok.cooperation.partners.PartnerIndex`,
preferring organisations without a tie yet, among the research and innovation actors: higher
education, research organisations and firms). The index is the stored one of
:mod:`rok.cooperation.partner_store` (the same file as ``rok partners`` for the same
selection, rebuilt only when the warehouse's loads change), so network distances are those
of the whole organisation network. The proposed owners (the region's most active
organisation in the action's domains) are read from the same index.

Mentoring (:func:`rok.cooperation.mentoring.mentoring_programme`) is proposed for each
region of the scope whose main performance group is moderate or emerging, with one mentor
from the leader and strong groups in another country (a mentor's main group strictly above
the mentee's). A region without a group ("insufficient data") gets no mentoring action: the
draft states why.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rok.cooperation.landscape import H2020_TO_HORIZON
from rok.cooperation.partners import DEFAULT_TYPES
from rok.errors import InputError

_RESEARCH = ("HES", "REC")


def index_selection(selection: Any) -> dict[str, Any]:
    """The selection part of the stored partner index's key: the fields ``rok partners`` keys
    on (level, measure, counting, years, taxonomy), plus the minimum mass and the framework
    where they differ from the defaults (so that the default selection shares its file)."""
    from rok.measures import MIN_MASS

    key: dict[str, Any] = {"level": selection.level, "measure": selection.measure, "counting": selection.counting,
                           "years": selection.years, "taxonomy": selection.taxonomy}
    if selection.min_mass != MIN_MASS:
        key["min_mass"] = selection.min_mass
    if getattr(selection, "framework", None) is not None:
        key["framework"] = selection.framework
    return key

__all__ = ["ActionPlanner", "add_months", "funding_suggestions", "index_selection"]

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
    gaps: list[str] = field(default_factory=list)  # actions not proposed, and why

    @classmethod
    def build(cls, engine: Any, profiles: Any, regions: Sequence[str], *, start: dt.date, k: int = 5,
              cache: Any = None) -> ActionPlanner:
        """Load the stored partner index of the profiles' selection (build and store it when the
        warehouse has changed; ``cache``: its folder, default ``$ROK_CACHE/partners``)."""
        from rok.cooperation.partner_store import load_or_build
        from rok.cooperation.partners import PartnerIndex

        def make() -> PartnerIndex:
            from types import SimpleNamespace

            from rok.measures.networks import org_edges, org_nodes

            graph = SimpleNamespace(org_nodes=org_nodes(engine, profiles.selection),
                                    org_edges=org_edges(engine, profiles.selection))
            return PartnerIndex.from_profiles(engine, profiles, graph)

        index, _ = load_or_build(engine.db, index_selection(profiles.selection), make, cache=cache,
                                 weights=(0.5, 0.3, 0.2), cap=2.0)
        frames = [pd.DataFrame({"pos": part.orgs, "domain": domain, "value": part.value})
                  for domain, part in index.domains.items()]
        cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["pos", "domain", "value"])
        pos = cells["pos"].to_numpy(dtype=int)
        activity = pd.DataFrame({"org_id": index.org_ids[pos].astype(str), "domain": cells["domain"],
                                 "value": cells["value"].astype(float), "region": index.regions[pos],
                                 "type": index.types[pos]})
        names = {str(o): str(n) for o, n in zip(index.org_ids, index.names, strict=True)}
        return cls(profiles, index, activity, names, list(regions), start, k)

    def leading_org(self, region: str, domains: Sequence[str], types: Sequence[str] | None = None) -> str | None:
        """Id of the region's most active organisation in ``domains`` (all domains when empty),
        among the actor ``types`` (all when None)."""
        rows = self.org_activity[self.org_activity["region"] == region]
        if domains:
            rows = rows[rows["domain"].isin(domains)]
        if types is not None:
            rows = rows[rows["type"].isin(types)]
        if rows.empty:
            return None
        totals = rows.groupby("org_id")["value"].sum().sort_values(ascending=False, kind="stable")
        return str(totals.index[0])

    def leading(self, region: str, domains: Sequence[str], types: Sequence[str] | None = None) -> str | None:
        """:meth:`leading_org` as ``name (org id, region)``; None when the region has none."""
        org = self.leading_org(region, domains, types)
        return None if org is None else f"{self.names.get(org) or org} ({org}, {region})"

    def _member(self, region: str, domains: Sequence[str], reasons: str, score: float | None = None
                ) -> dict[str, Any]:
        """A partner region, named by its most active research or innovation actor (higher
        education, research organisation, firm) in ``domains``, else its most active organisation."""
        org = (self.leading_org(region, domains, DEFAULT_TYPES) or self.leading_org(region, domains)
               or self.leading_org(region, []))
        return {"org_id": org, "name": self.names.get(org) if org else None, "type": None, "region": region,
                "country": region[:2], "score": score, "reasons": reasons}

    def _partners(self, region: str, domain: str, types: Sequence[str] = DEFAULT_TYPES) -> list[dict[str, Any]]:
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
            first, self.leading(lead, ["RI"], _RESEARCH) or self.leading(lead, [], _RESEARCH) or self.leading(lead, []),
            self._partners(lead, "RI", _RESEARCH),
            ["Horizon Europe HORIZON.1.3 Research infrastructures (suggested)",
             "ERDF regional programme, research infrastructure investment (suggested)"], 24,
            [("Facilities and access rules listed", 4), ("Access agreement signed", 10), ("First shared use", 14)],
            "researchers given access to shared facilities"))
        out.append(self._action(
            "Training and mobility of researchers",
            "Doctoral networks and staff exchanges with partners active in the Marie Skłodowska-Curie Actions (MSCA).",
            first, self.leading(lead, ["MSCA"], _RESEARCH) or self.leading(lead, [], _RESEARCH)
            or self.leading(lead, []), self._partners(lead, "MSCA"),
            ["Horizon Europe HORIZON.1.2 Marie Skłodowska-Curie Actions (suggested)",
             "Erasmus+ staff mobility (suggested)"], 36,
            [("Exchange scheme agreed", 6), ("First exchanges", 12), ("Network proposal submitted", 18)],
            "researchers exchanged"))
        return out

    def _mentoring(self, priority: str | None, knowledge: bool) -> list[dict[str, Any]]:
        from rok.cooperation.mentoring import mentoring_programme, select_regions
        from rok.cooperation.standing import main_group

        p = self.profiles
        if not p.available("performance")[0] or p.performance is None:
            return []  # the SWOT states why (no performance groups)
        table = p.performance.table
        out: list[dict[str, Any]] = []
        mentees = [r for r in self.regions if main_group(table["group"].get(r)) in ("moderate", "emerging")]
        if not mentees:
            return out  # leader, strong, or no group ("insufficient data": stated in the SWOT's gaps)
        try:  # one assignment for the group's mentees: a mentor each, in another country
            _, mentors = select_regions(table)
            mentors = [m for m in mentors if m in p.activity.index and m not in self.regions]
            pairs = mentoring_programme(p, mentees=mentees, mentors=mentors, capacity=1)
        except InputError as exc:
            self.gaps.append(f"{', '.join(mentees)}: no mentoring action: {exc}")
            return out
        for r in mentees:
            group = main_group(table["group"].get(r))
            found = pairs[pairs["mentee"] == r]
            if found.empty:
                self.gaps.append(f"{r}: no mentoring action: no eligible mentor left in another country")
                continue
            row = found.iloc[0]
            label = table["subgroup"].get(r) or group
            work = (f"Domains to work on: {row.domains_to_work_on}." if knowledge else
                    f"Where the mentor is specialised and {r} is not: {row.domains_to_work_on}. The taxonomy "
                    "classifies funding instruments, so no relatedness ranking is offered as advice: the pair "
                    "chooses its domains.")
            partner = self._member(row.mentor, [], f"mentor region {row.mentor} {row.mentor_name} (its most active "
                                   f"research or innovation actor); pair score {row.score:.3f}", round(float(row.score), 4))
            out.append(self._action(
                f"Mentoring of {r} by {row.mentor} {row.mentor_name}",
                f"{r} is {'an' if group == 'emerging' else 'a'} {label} performer (index {table['index'][r]:.1f}, "
                f"{p.performance.reference} = 100); the optimal mentoring assignment pairs it with {row.mentor} "
                f"({row.standing}). {work}",
                priority, self.leading(r, []), [partner], funding_suggestions([], cross_border=True)
                + ["Horizon Europe HORIZON.4.1 Widening participation, where eligible (suggested)"], 24,
                [("Mentoring agreement", 2), ("Peer review of the regional strategy", 8), ("Learning report", 24)],
                "peer-learning visits held"))
        return out
