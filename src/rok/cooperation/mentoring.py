"""Mentoring programme: who mentors whom, on what, and why.

Mentees are regions of the lower research-performance groups, mentors regions of the
higher ones (:func:`select_regions`, or explicit lists for a real programme). Every
candidate pair gets a score (:func:`pair_scores`) and an optimal assignment is computed
under the programme's rules (:func:`assign_mentors`); :func:`mentoring_programme` puts it
together from :class:`~rok.analysis.profiles.Profiles` and adds the reasons per pair.

Score of the pair (mentee ``b``, mentor ``a``)
----------------------------------------------
``score = w1 * comp + w2 * sim + w3 * shared`` with default weights ``(0.5, 0.3, 0.2)``:

- ``comp``: complementarity of the mentor towards the mentee, ``C[a -> b]`` (row giver,
  column receiver; see :mod:`rok.cooperation.complementarity`:
  ``C[a->b] = mean_d M_a[d] * min(RCA_a[d], 2)/2 * (1 - M_b[d]) * RD_b[d]/100``), min-max
  rescaled to 0..1 over the candidate pairs. It is high when the mentor is specialised in
  domains the mentee lacks but is close to (high relatedness density, Balland et al.
  2019): the mentor has something to teach that the mentee can absorb.
- ``sim``: structural similarity ``1 / (1 + d)``, ``d`` the Euclidean distance between the
  two regions' z-scored structural features (population, density, GDP per inhabitant,
  industry, education, territorial typology; the S3 Regional Benchmarking Tool, Navarro et
  al. 2014). Regions alike in structure learn more easily from each other: policies that
  work in one are more likely to transfer. Missing features get the column mean (z = 0).
- ``shared``: shared domains, the Jaccard index of the two rows of the binary
  specialisation matrix ``M``: ``|M_a & M_b| / |M_a | M_b|`` (0 when both are empty): a
  common language and existing communities to meet in.

Assignment
----------
An optimal assignment (maximum total score) under mentor capacity, group limits, the
trans-national rule and exclusions, solved exactly as a transportation problem
(:func:`rok.cooperation.assignment.assign_mentors`).

References
----------
- Ahuja, R. K., Magnanti, T. L. & Orlin, J. B. (1993). *Network Flows: Theory,
  Algorithms, and Applications*. Prentice Hall.
- Balland, P.-A., Boschma, R., Crespo, J. & Rigby, D. L. (2019). Smart specialization
  policy in the European Union: relatedness, knowledge complexity and regional
  diversification. *Regional Studies* 53(9), 1252-1268.
- Navarro, M., Gibaja, J. J., Franco, S., Murciego, A., Gianelle, C., Hegyi, F. B. &
  Kleibrink, A. (2014). *Regional benchmarking in the smart specialisation process:
  identification of reference regions based on structural similarity*. S3 Working Paper
  03/2014, JRC-IPTS.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rok.cooperation.assignment import assign_mentors
from rok.cooperation.standing import (
    PERFORMANCE_GROUPS,
    eligible_pairs,
    group_and_index,
    standing,
    standing_text,
)
from rok.errors import InputError

if TYPE_CHECKING:
    from rok.analysis.profiles import Profiles

__all__ = [
    "PERFORMANCE_GROUPS",
    "DEFAULT_WEIGHTS",
    "pair_terms",
    "pair_scores",
    "assign_mentors",
    "select_regions",
    "check_lists",
    "mentoring_programme",
]

#: Weights of complementarity, structural similarity and shared domains.
DEFAULT_WEIGHTS = (0.5, 0.3, 0.2)

_COLUMNS = ["mentee", "mentee_name", "mentee_group", "mentee_index", "mentor", "mentor_name", "mentor_group",
            "mentor_index", "score", "complementarity", "similarity", "shared_domains", "standing",
            "domains_to_work_on", "mentor_strengths", "existing_ties", "ties_weight"]


# -- scores ---------------------------------------------------------------------------------
def pair_terms(
    mentees: Sequence[str],
    mentors: Sequence[str],
    *,
    complementarity: pd.DataFrame,
    features: pd.DataFrame | None,
    M: pd.DataFrame,  # noqa: N803 - the usual name of the specialisation matrix
) -> dict[str, pd.DataFrame]:
    """The three terms of the pair score, each a frame mentees x mentors.

    Returns ``complementarity`` (raw ``C[mentor -> mentee]``), ``complementarity_scaled``
    (min-max to 0..1 over these pairs; 0 everywhere when all are equal), ``similarity``
    (``1 / (1 + d)``, ``d`` Euclidean on z-scores of ``features``, standardised over all
    rows of ``features``; missing values and regions absent from ``features`` get z = 0;
    all 0 when ``features`` is None) and ``shared_domains`` (Jaccard of the rows of ``M``; a
    region absent from ``M`` has no specialisation). See the module docstring.
    """
    mentees, mentors = list(mentees), list(mentors)
    if not isinstance(complementarity, pd.DataFrame):
        raise InputError("complementarity must be a DataFrame regions x regions (row giver, column receiver)")
    lacking = [r for r in mentors if r not in complementarity.index] + [
        r for r in mentees if r not in complementarity.columns]
    if lacking:
        raise InputError(f"the complementarity matrix lacks {len(lacking)} of the regions, e.g. "
                         f"{', '.join(sorted(set(lacking))[:5])}", value=lacking[0])
    raw = complementarity.loc[mentors, mentees].T.astype(float)
    raw.index.name, raw.columns.name = "mentee", "mentor"
    lo, hi = np.nanmin(raw.to_numpy()), np.nanmax(raw.to_numpy())
    scaled = (raw - lo) / (hi - lo) if hi > lo else raw * 0.0

    if features is None:
        sim = pd.DataFrame(0.0, index=raw.index, columns=raw.columns)
    else:
        num = features.select_dtypes("number")
        sd = num.std(ddof=0)
        z = ((num - num.mean()) / sd.where(sd > 0)).fillna(0.0)
        za = z.reindex(mentees).fillna(0.0).to_numpy()
        zb = z.reindex(mentors).fillna(0.0).to_numpy()
        dist = np.sqrt(((za[:, None, :] - zb[None, :, :]) ** 2).sum(axis=2))
        sim = pd.DataFrame(1.0 / (1.0 + dist), index=raw.index, columns=raw.columns)

    m = (M.fillna(0) > 0).astype(float)
    ma = m.reindex(mentees).fillna(0.0).to_numpy()
    mb = m.reindex(mentors).fillna(0.0).to_numpy()
    inter = ma @ mb.T
    union = ma.sum(axis=1)[:, None] + mb.sum(axis=1)[None, :] - inter
    jac = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    shared = pd.DataFrame(jac, index=raw.index, columns=raw.columns)
    return {"complementarity": raw, "complementarity_scaled": scaled, "similarity": sim,
            "shared_domains": shared}


def pair_scores(
    mentees: Sequence[str],
    mentors: Sequence[str],
    *,
    complementarity: pd.DataFrame,
    features: pd.DataFrame | None,
    M: pd.DataFrame,  # noqa: N803
    weights: Sequence[float] = DEFAULT_WEIGHTS,
) -> pd.DataFrame:
    """Score of every (mentee, mentor) pair, a frame mentees x mentors.

    ``score = w1 * comp_scaled + w2 * similarity + w3 * shared_domains`` (terms as in
    :func:`pair_terms`, each in 0..1); ``weights`` are used as given (non-negative, not all
    zero), so with weights summing to 1 the score is in 0..1.
    """
    w = _check_weights(weights)
    t = pair_terms(mentees, mentors, complementarity=complementarity, features=features, M=M)
    return w[0] * t["complementarity_scaled"] + w[1] * t["similarity"] + w[2] * t["shared_domains"]


def _check_weights(weights: Sequence[float]) -> tuple[float, float, float]:
    try:
        w = tuple(float(v) for v in weights)
    except (TypeError, ValueError):
        raise InputError("weights must be three numbers (complementarity, similarity, shared domains)",
                         value=weights) from None
    if len(w) != 3 or not all(math.isfinite(v) and v >= 0 for v in w) or sum(w) == 0:
        raise InputError("weights must be three non-negative numbers, not all zero "
                         "(complementarity, similarity, shared domains)", value=weights)
    return w  # type: ignore[return-value]


# -- regions --------------------------------------------------------------------------------
def select_regions(
    performance_table: pd.DataFrame,
    *,
    mentee_groups: Iterable[str] = ("emerging", "moderate"),
    mentor_groups: Iterable[str] = ("leader", "strong"),
) -> tuple[list[str], list[str]]:
    """Mentees and mentors (sorted codes) by performance group.

    ``performance_table`` is ``Profiles.performance.table`` (indexed by region) or
    ``Profiles.performance_table()`` (a ``region`` column), with columns ``index`` and
    ``group``. Regions are selected by their main group (``"strong+"`` is strong,
    :func:`rok.cooperation.standing.main_group`); regions without a performance index or
    without a main group (``"insufficient data"``) are left out.
    """
    table = standing(performance_table)
    mentee_groups, mentor_groups = tuple(mentee_groups), tuple(mentor_groups)
    for g in mentee_groups + mentor_groups:
        if g not in PERFORMANCE_GROUPS:
            raise InputError(f"unknown performance group; expected some of {', '.join(PERFORMANCE_GROUPS)}",
                             value=g)
    both = sorted(set(mentee_groups) & set(mentor_groups))
    if both:
        raise InputError(f"group {', '.join(both)} is given for both mentees and mentors", value=both[0])
    if not mentor_groups:
        raise InputError("no mentor group given")
    if not mentee_groups:
        raise InputError("no mentee group given")
    mentees = sorted(str(r) for r in table.index[table["main_group"].isin(mentee_groups)])
    mentors = sorted(str(r) for r in table.index[table["main_group"].isin(mentor_groups)])
    if not mentors:
        raise InputError(f"no region is in the mentor groups {', '.join(mentor_groups)}")
    if not mentees:
        raise InputError(f"no region is in the mentee groups {', '.join(mentee_groups)}")
    return mentees, mentors


def check_lists(mentees: Iterable[str], mentors: Iterable[str],
                known: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Explicit mentee and mentor lists, checked: codes upper-cased and de-duplicated (order kept).

    Raises InputError for an empty list, a region in both lists (named) or a code not in
    ``known`` (named, with close matches).
    """
    if isinstance(mentees, str) or isinstance(mentors, str):
        raise InputError("mentees and mentors must be lists of region codes, not one string")
    a = list(dict.fromkeys(str(c).strip().upper() for c in mentees))
    b = list(dict.fromkeys(str(c).strip().upper() for c in mentors))
    if not b:
        raise InputError("the mentor list is empty: give at least one mentor")
    if not a:
        raise InputError("the mentee list is empty: give at least one mentee")
    both = [c for c in a if c in set(b)]
    if both:
        raise InputError(f"{', '.join(both)} {'is' if len(both) == 1 else 'are'} in both the mentee and the "
                         f"mentor list; a region is either mentee or mentor", value=both[0])
    if known is not None:
        pool = [str(k) for k in known]
        known_set = set(pool)
        for code in a + b:
            if code not in known_set:
                near = difflib.get_close_matches(code, pool, n=5)
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                role = "mentee" if code in a else "mentor"
                raise InputError(f"unknown {role} region {code}: not a region of the selection{hint}",
                                 value=code)
    return a, b


# -- programme ------------------------------------------------------------------------------
def mentoring_programme(
    profiles: Profiles,
    *,
    mentees: Iterable[str] | None = None,
    mentors: Iterable[str] | None = None,
    capacity: int | Mapping[str, int] | None = None,
    transnational: bool = True,
    exclusions: Iterable[tuple[str, str]] = (),
    ties: pd.DataFrame | None = None,
    complementarity: pd.DataFrame | None = None,
    weights: Sequence[float] = DEFAULT_WEIGHTS,
    mentee_groups: Iterable[str] = ("emerging", "moderate"),
    mentor_groups: Iterable[str] = ("leader", "strong"),
    group_limits: Mapping[str, int] | None = None,
    n_domains: int = 3,
    require_higher_group: bool = True,
) -> pd.DataFrame:
    """A mentoring assignment for every mentee, with the reasons per pair.

    Parameters
    ----------
    profiles : the region profiles (NUTS 2 for the performance groups and features).
    mentees, mentors : explicit lists (both or neither); by default the regions of
        ``mentee_groups`` and ``mentor_groups`` (:func:`select_regions`).
    capacity : mentees per mentor; by default ``ceil(mentees / mentors)``.
    transnational, exclusions, group_limits : rules of :func:`assign_mentors`; the groups
        are the mentors' performance groups.
    ties : region edges ``source, target, weight`` (co-participation); None when unknown.
    complementarity : a precomputed matrix (row giver, column receiver); by default
        computed from the profiles by :mod:`rok.cooperation.complementarity`.
    weights : of complementarity, similarity and shared domains (:func:`pair_scores`).
    n_domains : how many domains to work on are given per pair.
    require_higher_group : a mentor's main performance group must be strictly above its
        mentee's (:func:`rok.cooperation.standing.higher_group`; default). Regions without a
        main group ("insufficient data") are then not eligible: left out of the automatic
        selection, an error when named in explicit lists. Without performance groups (not
        NUTS 2) the rule cannot be applied and explicit lists are taken as given.

    Returns
    -------
    DataFrame ``mentee, mentee_name, mentee_group, mentee_index, mentor, mentor_name,
    mentor_group, mentor_index`` (the performance group as labelled, and the index),
    ``score, complementarity`` (raw ``C[mentor -> mentee]``), ``similarity, shared_domains,
    standing`` (the groups and indices compared, as text), ``domains_to_work_on`` (the top
    ``n_domains`` domains by ``M_mentor[d] * (1 - M_mentee[d]) * RD_mentee[d]``: the mentor
    is specialised, the mentee not yet but related; with the mentee's density. On a taxonomy
    of funding instruments, where relatedness is not advice, by ``M_mentor[d] * (1 -
    M_mentee[d]) * RCA_mentor[d]`` instead: the mentor's specialisations the mentee lacks,
    strongest first, with the mentor's RCA),
    ``mentor_strengths`` (the mentor's RCA in those domains), ``existing_ties`` (text: the
    joint projects and the weight) and ``ties_weight`` (the co-participation weight of the
    pair, both directions summed).
    """
    known = list(profiles.activity.index)
    if (mentees is None) != (mentors is None):
        raise InputError("give both mentees and mentors, or neither (then they come from the performance groups)")
    if mentees is None or mentors is None:
        perf = profiles.performance
        if perf is None:
            raise InputError("mentees and mentors come from the performance groups, computed for NUTS 2 "
                             "only; use level 2 or give explicit lists")
        a, b = select_regions(perf.table, mentee_groups=mentee_groups, mentor_groups=mentor_groups)
        a = [r for r in a if r in set(known)]
        b = [r for r in b if r in set(known)]
        a, b = check_lists(a, b, known)
    else:
        a, b = check_lists(mentees, mentors, known)
    if not isinstance(n_domains, int) or n_domains < 1:
        raise InputError("n_domains must be a positive whole number", value=n_domains)
    if capacity is None:
        capacity = math.ceil(len(a) / len(b))

    if complementarity is None:  # regions without any specialisation give and receive nothing: 0
        complementarity = _complementarity(profiles).reindex(index=known, columns=known, fill_value=0.0)
    m = profiles.specialised
    terms = pair_terms(a, b, complementarity=complementarity, features=profiles.features, M=m)
    w = _check_weights(weights)
    scores = (w[0] * terms["complementarity_scaled"] + w[1] * terms["similarity"]
              + w[2] * terms["shared_domains"])
    ranks = standing(profiles.performance.table) if profiles.performance is not None else None
    if require_higher_group and ranks is not None:
        scores = scores.where(eligible_pairs(ranks, a, b))
    group_of = None
    if group_limits:
        if ranks is None:
            raise InputError("group limits need the performance groups (NUTS 2 only)")
        group_of = ranks["main_group"].dropna()
    pairs = assign_mentors(scores, capacity=capacity, transnational=transnational, exclusions=exclusions,
                           groups=group_of, group_limits=group_limits)

    weight_of, projects_of = _tie_weights(ties)
    mm = (m.fillna(0) > 0).astype(float)
    dens = profiles.density.reindex(columns=mm.columns)
    rca = profiles.rca.reindex(columns=mm.columns)
    related = getattr(profiles, "kind", "knowledge") != "instrument"  # relatedness is advice on knowledge only
    rows: list[dict[str, Any]] = []
    for mentee, mentor, score in pairs.itertuples(index=False):
        pair = mm.reindex([mentor, mentee]).fillna(0.0)
        if related:
            density_row = dens.reindex([mentee]).fillna(0.0).iloc[0]
            gain = pair.iloc[0] * (1.0 - pair.iloc[1]) * density_row
        else:  # what the mentor is specialised in and the mentee is not, by the mentor's RCA: a fact
            gain = pair.iloc[0] * (1.0 - pair.iloc[1]) * rca.reindex([mentor]).fillna(0.0).iloc[0]
        gain = gain[gain > 0]
        order = sorted(gain.index, key=lambda d: (-gain[d], str(d)))[:n_domains]
        if order and related:
            work = "; ".join(f"{profiles.domain_name(d)} (density {density_row[d]:.0f})" for d in order)
        elif order:
            work = "; ".join(f"{profiles.domain_name(d)} (the mentor's RCA {rca.at[mentor, d]:.2f})" for d in order)
        elif related:
            work = "none: the mentor has no specialisation the mentee lacks and is related to"
        else:
            work = "none: the mentor has no specialisation the mentee lacks"
        strengths = ("; ".join(f"{profiles.domain_name(d)}: RCA {rca.at[mentor, d]:.2f}" for d in order) if order
                     else "none in the mentee's related domains" if related else "none the mentee lacks")
        if weight_of is None:
            tie_w, tie_text = float("nan"), "ties not given"
        else:
            low, high = sorted((mentee, mentor))
            tie_w = float(weight_of.get((low, high), 0.0))
            shared = projects_of.get((low, high)) if projects_of is not None else None
            tie_text = ("no joint projects yet" if tie_w == 0 else
                        f"{shared:,} joint project{'' if shared == 1 else 's'} (co-participation weight {tie_w:.2f})"
                        if shared else
                        f"co-participation weight {tie_w:.2f}")
        g_a, i_a = group_and_index(ranks, mentee)
        g_b, i_b = group_and_index(ranks, mentor)
        rows.append({"mentee": mentee, "mentee_name": profiles.region_name(mentee), "mentee_group": g_a,
                     "mentee_index": i_a, "mentor": mentor, "mentor_name": profiles.region_name(mentor),
                     "mentor_group": g_b, "mentor_index": i_b, "score": float(score),
                     "standing": standing_text(g_a, i_a, g_b, i_b),
                     "complementarity": float(terms["complementarity"].at[mentee, mentor]),
                     "similarity": float(terms["similarity"].at[mentee, mentor]),
                     "shared_domains": float(terms["shared_domains"].at[mentee, mentor]),
                     "domains_to_work_on": work, "mentor_strengths": strengths,
                     "existing_ties": tie_text, "ties_weight": tie_w})
    return pd.DataFrame(rows, columns=_COLUMNS)


def _tie_weights(ties: pd.DataFrame | None) -> tuple[dict[tuple[str, str], float] | None,
                                                     dict[tuple[str, str], int] | None]:
    """Per unordered pair: the summed weight, and the distinct joint projects when ``ties`` has a
    ``projects`` column (region edges hold one row per pair, ``source <= target``, so the count
    is that row's; rows given both ways are summed for the weight and the larger count kept)."""
    if ties is None:
        return None, None
    lacking = [c for c in ("source", "target", "weight") if c not in ties.columns]
    if lacking:
        raise InputError(f"ties lacks columns {lacking}; expected region edges source, target, weight",
                         column=lacking[0])
    out: dict[tuple[str, str], float] = {}
    projects: dict[tuple[str, str], int] | None = {} if "projects" in ties.columns else None
    counts = ties["projects"] if projects is not None else [0] * len(ties)
    for s, t, w, n in zip(ties["source"], ties["target"], ties["weight"], counts, strict=True):
        low, high = sorted((str(s), str(t)))
        out[(low, high)] = out.get((low, high), 0.0) + float(w)
        if projects is not None:
            projects[(low, high)] = max(projects.get((low, high), 0), int(n))
    return out, projects


def _complementarity(profiles: Profiles) -> pd.DataFrame:
    """``complementarity_matrix`` of :mod:`rok.cooperation.complementarity` on the profiles."""
    from rok.cooperation.complementarity import complementarity_matrix

    return complementarity_matrix(profiles.rca, profiles.specialised, profiles.density)
