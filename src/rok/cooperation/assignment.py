"""Optimal assignment of mentors to mentees under a programme's rules.

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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from rok.errors import InputError

__all__ = ["assign_mentors"]


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
