"""Mentoring programmes, twinning and peer reviews: who takes part, and who is paired with whom.

Three types of programme (stored in the workspace, :mod:`rok.workspace.programmes`):

- ``mentoring``: mentees from the lower research-performance groups, mentors from the higher
  ones, paired by :func:`rok.cooperation.mentoring.assign_mentors` (score from
  complementarity, structural similarity and shared domains; optimal under mentor capacity
  and the trans-national rule).
- ``twinning`` (after Horizon Europe Twinning): a widening region with at least two leading
  partners from two other countries (``mentors_per_mentee=2, distinct_countries=True``);
  activities are staff exchanges, expert visits, training, workshops and summer schools.
- ``peer_review`` (after Interreg Europe peer reviews): a host region asks for a review on a
  topic; peers come from at least two countries other than the host's, chosen by structural
  similarity (S3 Regional Benchmarking, Navarro et al. 2014) and strength in the topic
  (:func:`pick_peers`); the outputs are recommendations and a to-do list.

Eligibility (:func:`eligible_regions`): a widening-country list (Horizon Europe: the member
states of Regulation (EU) 2021/695 art. 2(25), and the outermost regions) and/or
performance groups; the programme's dates bound its activities.

Several mentors per mentee (:func:`pair_regions`) are assigned in rounds: each round is an
optimal assignment (HiGHS) of one more mentor to every mentee, excluding the mentors it
already has and, with ``distinct_countries``, every mentor in a country it already has a
mentor from. Sequential rounds are optimal round by round, not jointly over all rounds (a
joint model would need side constraints that break the transportation structure).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rok.errors import InputError

if TYPE_CHECKING:
    from rok.analysis.profiles import Profiles

__all__ = ["WIDENING_COUNTRIES", "OUTERMOST_REGIONS", "eligible_regions", "pair_regions", "pick_peers"]

#: Horizon Europe widening member states (NUTS country codes; Regulation (EU) 2021/695).
WIDENING_COUNTRIES = ("BG", "CY", "CZ", "EE", "EL", "HR", "HU", "LT", "LV", "MT", "PL", "PT", "RO", "SI", "SK")
#: Outermost regions (TFEU art. 349), NUTS 2021 level 2, also eligible as widening.
OUTERMOST_REGIONS = ("ES70", "FRY1", "FRY2", "FRY3", "FRY4", "FRY5", "PT20", "PT30")


def eligible_regions(profiles: Profiles, *, widening: bool | Sequence[str] = False,
                     groups: Iterable[str] | None = None, countries: Iterable[str] | None = None) -> list[str]:
    """Regions (sorted codes) meeting every rule given.

    ``widening``: True for :data:`WIDENING_COUNTRIES` and :data:`OUTERMOST_REGIONS`, or an
    explicit list of country codes; ``groups``: research-performance groups (leader, strong,
    moderate, emerging; NUTS 2 only); ``countries``: country codes.
    """
    from rok.cooperation.mentoring import PERFORMANCE_GROUPS

    regions = [str(r) for r in profiles.activity.index]
    if widening:
        listed = WIDENING_COUNTRIES if widening is True else tuple(str(c).upper() for c in widening)  # type: ignore[union-attr]
        regions = [r for r in regions if r[:2] in listed or (widening is True and r in OUTERMOST_REGIONS)]
    if countries is not None:
        wanted = {str(c).upper() for c in countries}
        regions = [r for r in regions if r[:2] in wanted]
    if groups is not None:
        groups = list(groups)
        for g in groups:
            if g not in PERFORMANCE_GROUPS:
                raise InputError(f"unknown performance group; expected some of {', '.join(PERFORMANCE_GROUPS)}",
                                 column="groups", value=g)
        if profiles.performance is None:
            raise InputError("performance groups are computed for NUTS 2 only", column="groups")
        table = profiles.performance.table
        regions = [r for r in regions if r in table.index and table.at[r, "group"] in groups]
    return sorted(regions)


def pair_regions(profiles: Profiles, mentees: Sequence[str], mentors: Sequence[str], *,
                 mentors_per_mentee: int = 1, distinct_countries: bool = True, capacity: int | None = None,
                 transnational: bool = True) -> pd.DataFrame:
    """Pairs for a mentoring or twinning programme, with reasons.

    Returns the columns of :func:`rok.cooperation.mentoring.mentoring_programme` plus
    ``round`` (1 for the first mentor of each mentee, 2 for the second, ...). ``capacity``
    is per round (default: the fewest places that fit).
    """
    from rok.cooperation.complementarity import complementarity_matrix
    from rok.cooperation.mentoring import check_lists, mentoring_programme

    if not isinstance(mentors_per_mentee, int) or mentors_per_mentee < 1:
        raise InputError("mentors per mentee must be a positive whole number", column="mentors_per_mentee",
                         value=mentors_per_mentee)
    a, b = check_lists(mentees, mentors, list(profiles.activity.index))
    if distinct_countries and len({m[:2] for m in b} - ({x[:2] for x in a} if transnational else set())) \
            < mentors_per_mentee:
        raise InputError(f"{mentors_per_mentee} mentors from different countries need mentors in at least "
                         f"{mentors_per_mentee} countries other than the mentees'", column="mentors",
                         value=",".join(b))
    known = list(profiles.activity.index)
    comp = complementarity_matrix(profiles.rca, profiles.specialised, profiles.density).reindex(
        index=known, columns=known, fill_value=0.0)
    rounds: list[pd.DataFrame] = []
    excluded: set[tuple[str, str]] = set()
    for k in range(1, mentors_per_mentee + 1):
        pairs = mentoring_programme(profiles, mentees=a, mentors=b, capacity=capacity, transnational=transnational,
                                    exclusions=sorted(excluded), complementarity=comp)
        pairs.insert(0, "round", k)
        rounds.append(pairs)
        for mentee, mentor in zip(pairs["mentee"], pairs["mentor"], strict=True):
            excluded.add((mentee, mentor))
            if distinct_countries:
                excluded.update((mentee, m) for m in b if m[:2] == mentor[:2])
    return pd.concat(rounds, ignore_index=True).sort_values(["mentee", "round"], kind="mergesort").reset_index(
        drop=True)


def pick_peers(profiles: Profiles, host: str, domain: str, *, n: int = 3, min_countries: int = 2,
               max_per_country: int = 1, weights: tuple[float, float] = (0.5, 0.5)) -> pd.DataFrame:
    """Peers for a peer review of ``host`` on ``domain``.

    Candidates: regions outside the host's country with structural features.
    ``score = w_s * sim' + w_t * strength`` with ``sim = 1 / (1 + d)`` (``d`` the Euclidean
    distance on z-scored structural features, :func:`rok.analysis.peers.peers`), ``sim'`` its
    min-max rescaling over the candidates, and ``strength = min(RCA[r, domain], 2) / 2``
    (0 without activity in the domain). Peers are taken by score, at most
    ``max_per_country`` per country, until ``n`` are found; fewer than ``min_countries``
    countries is an InputError.

    Returns
    -------
    DataFrame ``peer, name, country, score, similarity, distance, rca, activity, reason``.
    """
    from rok.analysis.peers import peers as structural_peers

    host = profiles.check_region(host)
    if domain not in profiles.rca.columns:
        raise InputError(f"unknown topic domain; expected one of {', '.join(map(str, profiles.rca.columns))}",
                         column="domain", value=domain)
    if n < min_countries or min_countries < 2:
        raise InputError("a peer review needs at least 2 peers from at least 2 countries", column="n", value=n)
    if profiles.features is None or host not in profiles.features.index:
        raise InputError("no structural indicators for the host region (NUTS 2 only)", column="host", value=host)
    near = structural_peers(profiles.features, host, k=len(profiles.features), exclude_country=True, missing="mean")
    near = near[near["peer"].isin(profiles.rca.index)].reset_index(drop=True)
    sim = 1.0 / (1.0 + near["distance"].to_numpy(dtype=float))
    lo, hi = sim.min(initial=0.0), sim.max(initial=0.0)
    sim_scaled = (sim - lo) / (hi - lo) if hi > lo else sim * 0.0
    rca = profiles.rca.reindex(near["peer"])[domain].fillna(0.0).to_numpy(dtype=float)
    act = profiles.activity.reindex(near["peer"])[domain].fillna(0.0).to_numpy(dtype=float)
    strength = np.where(act > 0, np.minimum(rca, 2.0) / 2.0, 0.0)
    score = weights[0] * sim_scaled + weights[1] * strength
    table = pd.DataFrame({"peer": near["peer"], "score": score, "similarity": sim, "distance": near["distance"],
                          "rca": rca, "activity": act})
    table = table.sort_values(["score", "peer"], ascending=[False, True], kind="mergesort")
    chosen, per_country = [], {}  # type: ignore[var-annotated]
    for row in table.itertuples(index=False):
        c = row.peer[:2]
        if per_country.get(c, 0) >= max_per_country:
            continue
        chosen.append(row)
        per_country[c] = per_country.get(c, 0) + 1
        if len(chosen) == n:
            break
    if len({r.peer[:2] for r in chosen}) < min_countries:
        raise InputError(f"fewer than {min_countries} countries other than {host[:2]} have candidate peers",
                         column="host", value=host)
    out = pd.DataFrame(chosen)
    out.insert(1, "name", [profiles.region_name(p) for p in out["peer"]])
    out.insert(2, "country", out["peer"].str[:2])
    out["reason"] = [f"structural distance {d:.2f} (similarity {s:.2f}); RCA {r:.2f} in {domain}"
                     + ("" if a > 0 else ", no activity in the topic") for d, s, r, a in
                     zip(out["distance"], out["similarity"], out["rca"], out["activity"], strict=True)]
    return out.reset_index(drop=True)



def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (floats, NaN as None) for storing as JSON."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else (v.item() if hasattr(v, "item") else v))
             for k, v in row.items()} for row in frame.to_dict(orient="records")]
