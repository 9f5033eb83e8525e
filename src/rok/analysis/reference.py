"""The reference of the research performance index: an area's aggregate of each indicator
(EU-27 by default), as the Regional Innovation Scoreboard compares regions with the EU."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd

from rok.analysis.indicators import EU27
from rok.errors import InputError

__all__ = ["reference_countries", "aggregate"]


def reference_countries(reference: str | Iterable[str], known: set[str]) -> tuple[str, tuple[str, ...]]:
    """(label, country codes) of ``reference``: "eu27", "all" (every code in ``known``), or
    country codes (comma-separated text or an iterable), each one of ``known`` or of the EU-27."""
    if isinstance(reference, str):
        text = reference.strip()
        if text.lower() == "eu27":
            return "EU-27 (2020)", EU27
        if text.lower() == "all":
            return "all countries in the data", tuple(sorted(known))
        codes = [c.strip().upper() for c in text.split(",")]
    else:
        codes = [str(c).strip().upper() for c in reference]
    codes = [c for c in codes if c]
    if not codes:
        raise InputError("empty reference; expected eu27, all or country codes such as DE,FR", column="--reference",
                         value=str(reference))
    allowed = set(known) | set(EU27)
    for code in codes:
        if code not in allowed:
            raise InputError(f"unknown country {code!r} in the reference; expected eu27, all or comma-separated "
                             f"country codes among {', '.join(sorted(allowed))}", column="--reference", value=code)
    unique = tuple(sorted(set(codes)))
    return ", ".join(unique), unique


def aggregate(
    regional: pd.DataFrame,
    national: pd.DataFrame,
    countries: tuple[str, ...],
    weigh: Callable[[pd.DataFrame], pd.Series],
) -> tuple[float, int]:
    """``sum(value * weight) / sum(weight)`` over the reference area, and the number of regions
    and national rows that went into it.

    ``regional`` and ``national`` are rows region, year, value (one per region: its value in the
    window); ``weigh`` gives the weight of each (region, year). A country of ``countries`` with a
    national value and weight counts by them; the others by their regions that have both.
    """
    national = national[national["region"].isin(countries)].copy()
    national["w"] = weigh(national) if len(national) else pd.Series(dtype=float)
    national = national.dropna(subset=["value", "w"])
    own = regional[regional["region"].str[:2].isin(countries) & ~regional["region"].str[:2].isin(national["region"])]
    own = own.assign(w=weigh(own) if len(own) else pd.Series(dtype=float)).dropna(subset=["value", "w"])
    parts = pd.concat([own, national], ignore_index=True)
    parts = parts[parts["w"] > 0]
    total = float(parts["w"].sum())
    if not total > 0:
        return math.nan, 0
    return float((parts["value"] * parts["w"]).sum() / total), len(parts)
