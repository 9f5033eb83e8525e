"""Umbrella bodies among the organisations: associations, networks, platforms and agencies.

Partner search looks for organisations that do research and innovation themselves. Umbrella
bodies (European associations, networks, federations, technology platforms) and programme
agencies or contact points take part in very many projects, mostly in coordination and
dissemination roles, with little funding of their own: ranked by activity alone they would
fill the top of every list. :func:`umbrella_flags` marks them, each with its reason; partner
search ranks them after the others unless asked for them.

An organisation is an umbrella body when any of these holds:

1. its CORDIS activity type is ``OTH`` ("other": associations, networks, NGOs, ...);
2. its name says so (:data:`NAME_PATTERN`): network, federation, confederation, alliance,
   chamber of commerce, technology platform, "European ... platform", or an association
   that calls itself European or international. Firms (``PRC``) are exempt ("Network Rail
   Infrastructure Limited" is a railway company), and so is a national association as such:
   in Spain and Portugal "asociación"/"associação" is the legal form of many research
   centres (CEIT, AIMPLAS, CIC nanoGUNE);
3. it is broad and light: at least ``min_projects`` projects (default 20) in at least
   ``min_domains`` domains (default 6), at least half of its participations funded, with a
   median EC contribution per funded participation below ``light_share`` (default 0.5) of
   the median over all organisations. Funded participations only: partners outside the EU
   often receive no EC contribution at all, which says nothing about their role.

The rule is a heuristic on the data CORDIS has (type, name, participations, funding): it
cannot see an organisation's statutes. It is deliberately conservative (e.g. a university
is never flagged by its name) and every flag carries its reason, so that a user can judge.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["NAME_PATTERN", "umbrella_flags"]

_EUROPEAN = r"(?:european|europe|international|internationale|europ[eé]enne|europea|europeo|europ[äa]ische)"
#: Names of umbrella bodies (case-insensitive).
NAME_PATTERN = re.compile(
    r"\b(?:networks?|netzwerk|r[eé]seau|federations?|f[eé]d[eé]ration|federaci[oó]n|federazione|"
    r"f[oö]deration|confederation|confederaci[oó]n|confederazione|alliance|chambers? of commerce)\b"
    r"|\btechnology platform\b|\beuropean\b.*\bplatform\b"
    rf"|\b{_EUROPEAN}\b.*\bassociation\b|\bassociation\b.*\b{_EUROPEAN}\b",
    re.IGNORECASE,
)


def umbrella_flags(orgs: pd.DataFrame, *, min_projects: int = 20, min_domains: int = 6,
                   light_share: float = 0.5) -> pd.Series:
    """The reason why each organisation is an umbrella body, "" when it is not.

    Parameters
    ----------
    orgs : one row per organisation with ``activity_type``, ``name`` and, for rule 3,
        ``projects`` (distinct projects), ``domains`` (distinct domains), ``funded_share``
        (share of its participations with an EC contribution > 0) and ``median_ec`` (median
        EC contribution of its funded participations). Missing columns skip their rule.
    min_projects, min_domains, light_share : rule 3 (module docstring).

    Returns
    -------
    Series of str aligned with ``orgs`` (reasons joined by "; ").
    """
    n = len(orgs)
    kinds = orgs["activity_type"].fillna("").astype(str).str.upper() if "activity_type" in orgs else pd.Series(
        "", index=orgs.index)
    names = orgs["name"].fillna("").astype(str) if "name" in orgs else pd.Series("", index=orgs.index)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for k in np.flatnonzero((kinds == "OTH").to_numpy()):
        reasons[k].append("type OTH (associations, networks and other bodies)")
    for k in np.flatnonzero((names.str.contains(NAME_PATTERN) & (kinds != "PRC")).to_numpy()):
        word = NAME_PATTERN.search(names.iloc[k])
        reasons[k].append(f"name ('{word.group(0).lower() if word else ''}')")
    if {"projects", "domains", "funded_share", "median_ec"} <= set(orgs.columns):
        funded = orgs["funded_share"].fillna(0.0) >= 0.5
        reference = float(orgs.loc[funded, "median_ec"].median()) if funded.any() else float("nan")
        broad = ((orgs["projects"] >= min_projects) & (orgs["domains"] >= min_domains) & funded
                 & (orgs["median_ec"] < light_share * reference)).to_numpy()
        for k in np.flatnonzero(broad):
            row = orgs.iloc[k]
            reasons[k].append(f"{int(row['projects'])} projects in {int(row['domains'])} domains with a median EC "
                              f"contribution of EUR {row['median_ec']:,.0f} (all organisations: {reference:,.0f})")
    return pd.Series(["; ".join(r) for r in reasons], index=orgs.index, name="umbrella", dtype=object)
