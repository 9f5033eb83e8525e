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
Binary variables ``x[i, j]`` for every allowed pair (mentee ``i``, mentor ``j``);
maximise ``sum s[i, j] x[i, j]`` subject to ``sum_j x[i, j] = 1`` per mentee (``<= 1``
when not every mentee must be placed), ``sum_i x[i, j] <= cap_j`` per mentor and
``sum_{j in g} sum_i x[i, j] <= limit_g`` per mentor group. Forbidden pairs (same country
under the trans-national rule, explicit exclusions, missing scores) have no variable. This
is a transportation (capacitated b-matching) problem, a min-cost flow (Ahuja, Magnanti &
Orlin 1993, ch. 9-12): its constraint matrix is totally unimodular, also with group limits
(mentor and group constraints form a laminar family on one side), so the LP optimum is
integral. It is solved exactly with ``scipy.optimize.milp`` (HiGHS): as an LP, whose simplex
optimum is a vertex and therefore integral, checked, with a fall-back to the MIP (zero gap).

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
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

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


# -- assignment -----------------------------------------------------------------------------
def assign_mentors(
    scores: pd.DataFrame,
    *,
    capacity: int | Mapping[str, int] = 2,
    mentee_country: Mapping[str, str] | None = None,
    mentor_country: Mapping[str, str] | None = None,
    transnational: bool = True,
    exclusions: Iterable[tuple[str, str]] = (),
    groups: Mapping[str, str] | pd.Series | None = None,
    group_limits: Mapping[str, int] | None = None,
    require_all: bool = True,
) -> pd.DataFrame:
    """Optimal assignment of mentors to mentees: maximum total score under the rules.

    Parameters
    ----------
    scores : mentees (index) x mentors (columns); NaN marks a pair that is not allowed.
    capacity : mentees per mentor, one number for all or a mapping mentor -> number.
    mentee_country, mentor_country : region -> country; by default the first two letters of
        the code (NUTS codes start with the country code).
    transnational : a mentor must be in another country than the mentee (default).
    exclusions : (mentee, mentor) pairs that must not be formed.
    groups, group_limits : mentor -> group, and group -> the most mentees its mentors may
        take together ("mentees per mentor group").
    require_all : every mentee gets exactly one mentor (default); otherwise at most one,
        with as many mentees placed as possible first and the total score maximised among
        those assignments (the score is offset by a constant larger than any score
        difference, a lexicographic objective).

    Returns
    -------
    DataFrame ``mentee, mentor, score``, one row per placed mentee, sorted by mentee.

    Raises
    ------
    InputError
        When the rules cannot all be met, saying what is missing: counting conditions first
        (a mentee without any allowed mentor; fewer places than mentees; group limits; the
        mentees of one country against the places outside it), then the solver's verdict
        with the largest number of mentees that can be placed and some that cannot.

    Notes
    -----
    The model is the transportation problem of the module docstring, solved exactly by
    HiGHS (the LP, integral by total unimodularity, checked; else the MIP with zero gap).
    Determinism: mentees and mentors are put in sorted order before the model is built, so
    the same input (in any order) gives the same model, and HiGHS is deterministic; among several optimal assignments, the one HiGHS finds is
    returned (ties are not broken by an explicit rule).
    """
    table = _check_scores(scores)
    mentees = sorted(table.index)
    mentors = sorted(table.columns)
    table = table.loc[mentees, mentors]
    caps = _capacities(capacity, mentors)
    c_of_mentee = _countries(mentee_country, mentees, "mentee_country")
    c_of_mentor = _countries(mentor_country, mentors, "mentor_country")
    excluded = _exclusions(exclusions, mentees, mentors)
    limits, group_of = _group_limits(groups, group_limits, mentors)

    values = table.to_numpy(dtype=float)
    allowed = np.isfinite(values)
    same = np.array([[c_of_mentee[a] == c_of_mentor[b] for b in mentors] for a in mentees], dtype=bool)
    if transnational:
        allowed &= ~same
    for a, b in excluded:
        allowed[mentees.index(a), mentors.index(b)] = False

    if require_all:
        _check_counts(mentees, mentors, caps, allowed, values, same, transnational, excluded, c_of_mentee,
                      c_of_mentor, limits, group_of)
    rows, cols = np.nonzero(allowed)
    x = _solve(rows, cols, values[rows, cols], len(mentees), len(mentors), caps, limits, group_of, mentors,
               exact=require_all)
    if x is None:
        # Which mentees are the problem: place as many as possible and name the others.
        y = _solve(rows, cols, values[rows, cols], len(mentees), len(mentors), caps, limits, group_of, mentors,
                   exact=False)
        placed = {mentees[rows[k]] for k in np.flatnonzero(y > 0.5)} if y is not None else set()
        left = [m for m in mentees if m not in placed]
        raise InputError(
            f"no assignment meets all rules at once (capacity, group limits, trans-national rule, "
            f"exclusions): at most {len(placed)} of {len(mentees)} mentees can be placed; left out e.g. "
            f"{', '.join(left[:5])}. Raise the capacity or group limits, add mentors, or relax exclusions "
            f"or the trans-national rule")
    chosen = np.flatnonzero(x > 0.5)
    out = pd.DataFrame({"mentee": [mentees[rows[k]] for k in chosen],
                        "mentor": [mentors[cols[k]] for k in chosen],
                        "score": values[rows[chosen], cols[chosen]]})
    return out.sort_values(["mentee", "mentor"], kind="mergesort").reset_index(drop=True)


def _solve(rows: np.ndarray, cols: np.ndarray, s: np.ndarray, n_a: int, n_b: int, caps: np.ndarray,
           limits: dict[str, int], group_of: dict[str, str], mentors: list[str], *,
           exact: bool) -> np.ndarray | None:
    """x for the allowed pairs (rows[k], cols[k]) or None when infeasible."""
    n = len(rows)
    if n == 0:
        return None if exact and n_a > 0 else np.zeros(0)
    k = np.arange(n)
    if exact:
        c = -s
    else:  # place as many as possible first, then maximise the score
        bonus = 1.0 + 2.0 * n_a * float(np.max(np.abs(s)))
        c = -(s + bonus)
    blocks = [sparse.csr_matrix((np.ones(n), (rows, k)), shape=(n_a, n)),
              sparse.csr_matrix((np.ones(n), (cols, k)), shape=(n_b, n))]
    lower = [np.ones(n_a) if exact else np.zeros(n_a), np.zeros(n_b)]
    upper = [np.ones(n_a), caps.astype(float)]
    names = sorted(limits)
    if names:
        index = {g: i for i, g in enumerate(names)}
        member = np.array([index.get(group_of.get(mentors[j], ""), -1) for j in cols])
        keep = member >= 0
        blocks.append(sparse.csr_matrix((np.ones(int(keep.sum())), (member[keep], k[keep])),
                                        shape=(len(names), n)))
        lower.append(np.zeros(len(names)))
        upper.append(np.array([limits[g] for g in names], dtype=float))
    a = sparse.vstack(blocks).tocsr()
    constraint = LinearConstraint(a, np.concatenate(lower), np.concatenate(upper))
    # The matrix is totally unimodular: the simplex optimum (a vertex) is integral. Solve the LP
    # first (fast); should a solution not be integral after all, solve it as a MIP.
    res = milp(c, constraints=constraint, integrality=np.zeros(n), bounds=Bounds(0, 1))
    if res.status == 0 and res.x is not None and np.abs(res.x - np.round(res.x)).max() > 1e-6:
        res = milp(c, constraints=constraint, integrality=np.ones(n), bounds=Bounds(0, 1),
                   options={"mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:
        if res.status == 2:  # infeasible
            return None
        raise InputError(f"the assignment solver failed: {res.message}")
    return np.round(res.x)


def _check_scores(scores: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise InputError("scores must be a DataFrame mentees x mentors")
    if scores.shape[1] == 0:
        raise InputError("the mentor list is empty: give at least one mentor")
    if scores.shape[0] == 0:
        raise InputError("the mentee list is empty: give at least one mentee")
    for axis, what in ((scores.index, "mentees"), (scores.columns, "mentors")):
        if axis.has_duplicates:
            raise InputError(f"duplicate {what} in scores", value=axis[axis.duplicated()][0])
    both = sorted(set(scores.index) & set(scores.columns))
    if both:
        raise InputError(f"{', '.join(map(str, both))} cannot be both mentee and mentor", value=both[0])
    try:
        table = scores.astype(float)
    except (TypeError, ValueError):
        raise InputError("scores must be numbers (NaN for pairs not allowed)") from None
    if np.isinf(table.to_numpy()).any():
        raise InputError("scores must be finite numbers (NaN for pairs not allowed)")
    return table


def _capacities(capacity: int | Mapping[str, int], mentors: list[str]) -> np.ndarray:
    if isinstance(capacity, Mapping | pd.Series):
        missing = [m for m in mentors if m not in capacity]
        if missing:
            raise InputError(f"no capacity given for mentors {', '.join(missing[:5])}", value=missing[0])
        values = [capacity[m] for m in mentors]
    else:
        values = [capacity] * len(mentors)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise InputError("capacity must be a non-negative whole number of mentees per mentor", value=v)
    return np.array(values, dtype=int)


def _countries(given: Mapping[str, str] | None, codes: list[str], what: str) -> dict[str, str]:
    if given is None:
        return {c: str(c)[:2].upper() for c in codes}
    missing = [c for c in codes if c not in given]
    if missing:
        raise InputError(f"{what} has no country for {', '.join(missing[:5])}", value=missing[0])
    return {c: str(given[c]) for c in codes}


def _exclusions(exclusions: Iterable[tuple[str, str]], mentees: list[str],
                mentors: list[str]) -> list[tuple[str, str]]:
    out = []
    for pair in exclusions:
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise InputError("exclusions must be (mentee, mentor) pairs", value=pair) from None
        if a not in mentees and b in mentees and a in mentors:
            a, b = b, a  # given as (mentor, mentee): the pair is the same
        if a not in mentees or b not in mentors:
            raise InputError("an exclusion names a region that is not a mentee or not a mentor "
                             "(expected (mentee, mentor) pairs)", value=pair)
        out.append((a, b))
    return sorted(set(out))


def _group_limits(groups: Mapping[str, str] | pd.Series | None, limits: Mapping[str, int] | None,
                  mentors: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    if not limits:
        return {}, {}
    if groups is None:
        raise InputError("group_limits need groups (mentor -> group)")
    group_of = {m: str(groups[m]) for m in mentors if m in groups and pd.notna(groups[m])}
    known = sorted(set(group_of.values()))
    out = {}
    for g, v in limits.items():
        if str(g) not in known:
            raise InputError(f"group_limits names a group no mentor belongs to; mentor groups: "
                             f"{', '.join(known) or 'none'}", value=g)
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise InputError("a group limit must be a non-negative whole number of mentees", value=v)
        out[str(g)] = int(v)
    return out, group_of


def _check_counts(mentees: list[str], mentors: list[str], caps: np.ndarray, allowed: np.ndarray,
                  values: np.ndarray, same: np.ndarray, transnational: bool,
                  excluded: list[tuple[str, str]], c_of_mentee: dict[str, str], c_of_mentor: dict[str, str],
                  limits: dict[str, int], group_of: dict[str, str]) -> None:
    """Necessary conditions with a message that says what is missing."""
    n = len(mentees)
    usable = caps > 0
    for i, a in enumerate(mentees):
        if not (allowed[i] & usable).any():
            why = []
            if transnational and same[i].any():
                why.append(f"{int(same[i].sum())} in its country {c_of_mentee[a]}")
            n_excl = sum(1 for x, _ in excluded if x == a)
            if n_excl:
                why.append(f"{n_excl} excluded")
            n_nan = int(np.isnan(values[i]).sum())
            if n_nan:
                why.append(f"{n_nan} without a score")
            n_zero = int((~usable).sum())
            if n_zero:
                why.append(f"{n_zero} with capacity 0")
            raise InputError(f"no allowed mentor for mentee {a} among {len(mentors)} mentors "
                             f"({'; '.join(why) or 'none allowed'})", value=a)
    places = int(caps.sum())
    if places < n:
        same_cap = len(set(caps.tolist())) == 1
        how = (f"capacity {int(caps[0])} × {len(mentors)} mentors = {places} places" if same_cap
               else f"capacities of {len(mentors)} mentors sum to {places} places")
        raise InputError(f"{n - places} mentees cannot be placed: {how} for {n} mentees; "
                         f"raise the capacity to at least {math.ceil(n / len(mentors))} or add mentors")
    if limits:
        parts, total = [], 0
        for g in sorted(set(group_of.values()) | set(limits)):
            g_places = int(sum(caps[j] for j, m in enumerate(mentors) if group_of.get(m) == g))
            if g in limits:
                total += min(limits[g], g_places)
                parts.append(f"{g}: limit {limits[g]}, {g_places} places")
            else:
                total += g_places
        free = int(sum(caps[j] for j, m in enumerate(mentors) if m not in group_of))
        total += free
        if free:
            parts.append(f"mentors without a group: {free} places")
        if total < n:
            raise InputError(f"{n - total} mentees cannot be placed: the group limits leave {total} places "
                             f"for {n} mentees ({'; '.join(parts)})")
    if transnational:  # the mentees of one country need places outside it (Hall's condition)
        for country in sorted(set(c_of_mentee.values())):
            own = [i for i, a in enumerate(mentees) if c_of_mentee[a] == country]
            outside = int(sum(caps[j] for j, b in enumerate(mentors) if c_of_mentor[b] != country))
            if len(own) > outside:
                raise InputError(f"{len(own) - outside} mentees of country {country} cannot be placed: "
                                 f"{len(own)} mentees need a mentor in another country, and mentors outside "
                                 f"{country} have {outside} places; raise the capacity, add mentors or "
                                 f"pass transnational=False")


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
    is specialised, the mentee not yet but related; with the mentee's density),
    ``mentor_strengths`` (the mentor's RCA in those domains), ``existing_ties`` (text) and
    ``ties_weight`` (the co-participation weight of the pair, both directions summed).
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

    weight_of = _tie_weights(ties)
    mm = (m.fillna(0) > 0).astype(float)
    dens = profiles.density.reindex(columns=mm.columns)
    rca = profiles.rca.reindex(columns=mm.columns)
    rows: list[dict[str, Any]] = []
    for mentee, mentor, score in pairs.itertuples(index=False):
        pair = mm.reindex([mentor, mentee]).fillna(0.0)
        density_row = dens.reindex([mentee]).fillna(0.0).iloc[0]
        gain = pair.iloc[0] * (1.0 - pair.iloc[1]) * density_row
        gain = gain[gain > 0]
        order = sorted(gain.index, key=lambda d: (-gain[d], str(d)))[:n_domains]
        if order:
            work = "; ".join(f"{profiles.domain_name(d)} (density {density_row[d]:.0f})" for d in order)
            strengths = "; ".join(f"{profiles.domain_name(d)}: RCA {rca.at[mentor, d]:.2f}" for d in order)
        else:
            work = "none: the mentor has no specialisation the mentee lacks and is related to"
            strengths = "none in the mentee's related domains"
        if weight_of is None:
            tie_w, tie_text = float("nan"), "ties not given"
        else:
            tie_w = float(weight_of.get(tuple(sorted((mentee, mentor))), 0.0))
            tie_text = "no ties yet" if tie_w == 0 else f"co-participation weight {tie_w:g}"
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


def _tie_weights(ties: pd.DataFrame | None) -> dict[tuple[str, str], float] | None:
    if ties is None:
        return None
    lacking = [c for c in ("source", "target", "weight") if c not in ties.columns]
    if lacking:
        raise InputError(f"ties lacks columns {lacking}; expected region edges source, target, weight",
                         column=lacking[0])
    out: dict[tuple[str, str], float] = {}
    for s, t, w in zip(ties["source"], ties["target"], ties["weight"], strict=True):
        key = tuple(sorted((str(s), str(t))))
        out[key] = out.get(key, 0.0) + float(w)  # type: ignore[index]
    return out


def _complementarity(profiles: Profiles) -> pd.DataFrame:
    """``complementarity_matrix`` of :mod:`rok.cooperation.complementarity`, or the same formula."""
    try:
        from rok.cooperation.complementarity import complementarity_matrix
    except ImportError:
        complementarity_matrix = None
    if complementarity_matrix is not None:
        return complementarity_matrix(profiles.rca, profiles.specialised, profiles.density)
    # Fallback, same definition: C[a->b] = mean_d M_a[d] min(RCA_a[d], 2)/2 (1 - M_b[d]) RD_b[d]/100.
    m = (profiles.specialised.fillna(0) > 0).astype(float)
    r = profiles.rca.reindex(index=m.index, columns=m.columns).fillna(0.0)
    rd = profiles.density.reindex(index=m.index, columns=m.columns).fillna(0.0)
    give = m * r.clip(upper=2.0) / 2.0
    take = (1.0 - m) * rd / 100.0
    c = give.to_numpy() @ take.to_numpy().T / max(m.shape[1], 1)
    return pd.DataFrame(c, index=m.index, columns=m.index)

