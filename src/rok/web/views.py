"""What the pages and the API show, assembled from one version's analyses (no computing of
their own): tables with names beside codes and human labels for indicators."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from rok.analysis.quadrant import QUADRANTS
from rok.errors import InputError
from rok.web.labels import ACTOR_LABELS, INDICATOR_SCALE, indicator_label
from rok.web.state import Analyses

__all__ = ["GROUP_COLOURS", "region_table", "region_summary", "placement_caveat", "performance_reasons", "peers", "partners_of",
           "integration", "complementarity", "untapped", "mentoring_of", "quadrant", "stars", "specialisation",
           "domain_regions", "check_domain", "region_code", "map_values", "communities"]

GROUP_COLOURS = {"leader": "#1a6b3c", "strong": "#5fa35a", "moderate": "#f2b447", "emerging": "#c8453f"}


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def region_table(a: Analyses) -> pd.DataFrame:
    """One row per region: code, name, country, group, index, eci, participations, ec_eur (million)."""
    def make() -> pd.DataFrame:
        p = a.profiles
        perf = p.performance.table if p.performance is not None else pd.DataFrame()
        rows = []
        eci = p.complexity.eci if p.available("complexity")[0] else pd.Series(dtype=float)  # not on instruments
        for code in p.activity.index:
            mass = p.critical_mass.loc[code] if code in p.critical_mass.index else None
            rows.append({"code": code, "name": p.region_name(code), "country": str(p.regions["country"].get(code, "")),
                         "group": perf["group"].get(code) if len(perf) else None,
                         "index": _num(perf["index"].get(code)) if len(perf) else None,
                         "eci": _num(eci.get(code)),
                         "participations": _num(mass["participations"]) if mass is not None else None,
                         "ec_eur": _num(mass["ec_eur"] / 1e6) if mass is not None else None})
        return pd.DataFrame(rows)
    return a.cached_page(("region_table",), make)


def region_summary(a: Analyses, code: str) -> dict[str, Any]:
    p = a.profiles
    code = region_code(a, code)
    row = region_table(a).set_index("code").loc[code]
    out = {"code": code, **{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}}
    if p.performance is not None and code in p.performance.table.index:
        t = p.performance.table.loc[code]
        out["subgroup"] = t["subgroup"]
        out["indicators_missing"] = [indicator_label(k) for k in t["missing"]]
    mass = p.critical_mass.loc[code] if code in p.critical_mass.index else None
    if mass is not None:
        out["organisations"] = _num(mass["organisations"])
        out["organisations_by_type"] = {ACTOR_LABELS[t]: _num(mass.get(t, 0)) for t in ACTOR_LABELS}
        out["rd_personnel_fte"] = _num(mass["rd_personnel_fte"])
        out["gerd_mio_eur"] = _num(mass["gerd_mio_eur"])
    out["placement_caveat"] = placement_caveat(a, code)
    return out


def placement_caveat(a: Analyses, code: str) -> str | None:
    """Cities the region shares with other regions, placed by name alone (:func:`rok.warehouse.city_spread.city_note`)."""
    from rok.warehouse.city_spread import city_note

    return city_note(a.city_placements, code)


def performance_reasons(a: Analyses, code: str) -> pd.DataFrame:
    """Per indicator: label, value, year, score (0-1), reference score, points (they add up to the index)."""
    p = a.profiles
    if p.performance is None:
        return pd.DataFrame()
    c = p.performance.contributions
    own = c[c["region"] == code].copy()
    own.insert(1, "label", [indicator_label(k) for k in own["indicator"]])
    own["value"] = own["value"] * own["indicator"].map(INDICATOR_SCALE).fillna(1.0)  # in the label's unit
    return own.drop(columns=["region"]).sort_values("points", ascending=False, na_position="last")


def peers(a: Analyses, code: str, k: int = 8) -> pd.DataFrame:
    p = a.profiles
    if p.features is None or code not in p.features.index:
        return pd.DataFrame(columns=["peer", "name", "distance", "rank", "group"])
    out = p.peers_of(code, k=k)[["peer", "name", "distance", "rank"]].copy()
    groups = region_table(a).set_index("code")["group"]
    out["group"] = [groups.get(r) for r in out["peer"]]
    return out


def partners_of(a: Analyses, code: str, k: int = 10) -> pd.DataFrame:
    """The region's main collaboration partners (co-participation, fractional weights)."""
    e = a.networks.region_edges
    own = e[((e["source"] == code) | (e["target"] == code)) & ~e["internal"]]
    partner = own["target"].where(own["source"] == code, own["source"])
    top = own.assign(partner=partner).nlargest(k, "weight")
    return pd.DataFrame({"partner": top["partner"], "name": [a.profiles.region_name(r) for r in top["partner"]],
                         "weight": top["weight"], "projects": top["projects"]}).reset_index(drop=True)


INTEGRATION_LABELS = {
    "firm_local_research_share": "Firms' projects with a university or research organisation of the region",
    "firm_research_share": "Firms' projects with any university or research organisation",
    "local_tie_share": "Share of collaboration ties inside the region",
    "share_HES": "Participations by universities", "share_PRC": "Participations by firms",
}


def integration(a: Analyses, code: str, peer_codes: list[str]) -> pd.DataFrame:
    n = a.networks
    if code not in n.integration.index:
        return pd.DataFrame(columns=["measure", "region", "peers_mean"])
    ids = [r for r in peer_codes if r in n.integration.index]
    rows = [{"measure": label, "region": _num(n.integration.loc[code, col]),
             "peers_mean": _num(n.integration.loc[ids, col].mean()) if ids else None}
            for col, label in INTEGRATION_LABELS.items()]
    return pd.DataFrame(rows)


def _domain_names(a: Analyses, text: str) -> str:
    p = a.profiles
    for d in sorted(p.domains.index, key=len, reverse=True):
        if d in text and not d.startswith("PILLAR"):
            text = text.replace(f" {d} ", f" {p.domain_name(d)} ").replace(f">{d} ", f"> {p.domain_name(d)} ")
    return text


def complementarity(a: Analyses, code: str, direction: str = "for", k: int = 10, top_domains: int = 3) -> pd.DataFrame:
    from rok.cooperation.complementarity import DIRECTIONS, complementarity_for

    if direction not in DIRECTIONS:
        raise InputError(f"unknown direction; expected one of {', '.join(DIRECTIONS)}", column="direction",
                         value=direction)
    out = complementarity_for(a.profiles, code, direction=direction, k=k,  # type: ignore[arg-type]
                              top_domains=top_domains)
    out["domains"] = [_domain_names(a, f" {t} ").strip() for t in out["domains"]]
    return out


def untapped(a: Analyses, code: str | None, k: int = 10) -> pd.DataFrame:
    p = a.profiles
    out = a.untapped(region_code(a, code) if code else None, k)
    out.insert(1, "name_a", [p.region_name(r) for r in out["region_a"]])
    out.insert(3, "name_b", [p.region_name(r) for r in out["region_b"]])
    out["top_domains"] = [_domain_names(a, f" {t} ").strip() for t in out["top_domains"]]
    return out


def mentoring_of(a: Analyses, code: str | None = None) -> pd.DataFrame:
    m = a.mentoring
    if code:
        m = m[(m["mentee"] == code) | (m["mentor"] == code)]
    return m.reset_index(drop=True)


def quadrant(a: Analyses, code: str) -> pd.DataFrame:
    p = a.profiles
    q = p.quadrant[p.quadrant["region"] == code].copy()
    q.insert(1, "name", [p.domain_name(d) for d in q["domain"]])
    return q.drop(columns=["region"]).reset_index(drop=True)


def stars(a: Analyses, code: str) -> pd.DataFrame:
    p = a.profiles
    s = p.stars[(p.stars["region"] == code) & (p.stars["stars"] > 0)].copy()
    s.insert(1, "name", [p.domain_name(d) for d in s["domain"]])
    return s[["domain", "name", "stars", "which", "lq", "value"]].sort_values("stars", ascending=False)


def specialisation(a: Analyses, region: str | None = None, domain: str | None = None) -> pd.DataFrame:
    p = a.profiles
    t = p.specialisation_table()
    if region:
        t = t[t["region"] == region_code(a, region)]
    if domain:
        t = t[t["domain"] == check_domain(a, domain)]
    t = t.copy()
    t.insert(1, "region_name", [p.region_name(r) for r in t["region"]])
    t.insert(3, "domain_name", [p.domain_name(d) for d in t["domain"]])
    return t.sort_values("rca", ascending=False).reset_index(drop=True)


def region_code(a: Analyses, code: str) -> str:
    """The region's code (upper case) if the analyses know it; NotFoundError (404) otherwise."""
    from rok.workspace.errors import NotFoundError

    try:
        return str(a.profiles.check_region(code))
    except InputError as exc:
        raise NotFoundError(str(exc).removeprefix(f"value {code!r}: ")) from None


def check_domain(a: Analyses, domain: str) -> str:
    p = a.profiles
    if domain in p.activity.columns:
        return domain
    for d in p.activity.columns:
        if d.lower() == domain.strip().lower():
            return str(d)
    from rok.workspace.errors import NotFoundError

    raise NotFoundError(f"unknown domain; expected one of {', '.join(map(str, p.activity.columns))}", column="domain",
                        value=domain)


def domain_regions(a: Analyses, domain: str) -> pd.DataFrame:
    return specialisation(a, domain=domain)


def communities(a: Analyses) -> dict[str, int]:
    return {str(k): int(v) for k, v in a.networks.region_communities.membership.items()}


def quadrant_name(high_rel: bool, high_cx: bool) -> str:
    return QUADRANTS[(high_rel, high_cx)]


def map_values(a: Analyses, indicator: str) -> tuple[dict[str, Any], str]:
    """Per region the value of ``indicator`` (a key of rok.web.labels.MAP_INDICATORS), and its kind."""
    from rok.web.labels import MAP_INDICATORS

    if indicator not in MAP_INDICATORS:
        raise InputError(f"unknown map indicator; expected one of {', '.join(MAP_INDICATORS)}", column="indicator",
                         value=indicator)
    t = region_table(a).set_index("code")
    if indicator == "group":
        return {c: g for c, g in t["group"].items() if isinstance(g, str)}, "group"
    if indicator.startswith("ind:"):
        p = a.profiles
        key = indicator[4:]
        if p.performance is None or key not in p.performance.values.columns:
            return {}, "number"
        col = p.performance.values[key] * INDICATOR_SCALE.get(key, 1.0)  # in the label's unit
        return {c: float(v) for c, v in col.items() if _num(v) is not None}, "number"
    return {c: float(v) for c, v in t[indicator].items() if _num(v) is not None}, "number"
