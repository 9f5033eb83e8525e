"""Human labels for what the pages show: performance indicators, actor types, groups, roles."""

from __future__ import annotations

__all__ = ["INDICATOR_LABELS", "INDICATOR_SCALE", "specialisation_rule", "work_on_label", "ACTOR_LABELS", "MAP_INDICATORS", "indicator_label", "actor_label"]

#: The performance indicators (keys of rok.analysis.indicators.DEFAULT_SPEC), in plain words.
INDICATOR_LABELS: dict[str, str] = {
    "rd_business": "Business R&D spending (% of GDP)",
    "rd_public": "Public and university R&D spending (% of GDP)",
    "rd_personnel": "R&D personnel (% of employment)",
    "hrst": "People working in science and technology (% of population)",
    "tertiary": "Adults 25-64 with a university degree (%)",
    "hightech": "Jobs in high-tech sectors (% of employment)",
    "fp_participations": "EU research project participations per million inhabitants",
    "fp_funding": "EU research funding received per inhabitant (EUR)",
}

#: Shown multiplied by this factor, so that the label's unit holds (the index uses the raw ratio).
INDICATOR_SCALE: dict[str, float] = {"fp_participations": 1e6}

ACTOR_LABELS: dict[str, str] = {
    "HES": "universities", "REC": "research organisations", "PRC": "firms",
    "PUB": "public bodies", "OTH": "other organisations",
}

#: What the map of Europe can show: key -> (label, unit note).
MAP_INDICATORS: dict[str, str] = {
    "group": "Research performance group",
    "index": "Research performance index (EU-27 = 100)",
    "eci": "Knowledge complexity (ECI)",
    "participations": "EU research participations (Horizon 2020)",
    "ec_eur": "EU research funding received (million EUR)",
    **{f"ind:{k}": v for k, v in INDICATOR_LABELS.items()},
}


def indicator_label(key: str) -> str:
    """The plain label of a performance indicator key (the key itself, spaced, when unknown)."""
    return INDICATOR_LABELS.get(key, key.replace("_", " "))


def actor_label(code: str) -> str:
    return ACTOR_LABELS.get(code, code)


def specialisation_rule(min_mass: float) -> str:
    """When a region counts as specialised in a domain (``M = 1``), in words: RCA at least 1 and,
    with a minimum mass, at least that many participations in the domain."""
    return "RCA ≥ 1" + (f" and at least {min_mass:g} participations" if min_mass else "")


def work_on_label(kind: str) -> str:
    """The heading of the mentoring pairs' domains: what to work on (ranked by relatedness) on a
    knowledge taxonomy; on one of funding instruments only the fact behind them, since
    relatedness is not advice there."""
    return "the mentor's strengths the mentee lacks" if kind == "instrument" else "to work on"
