"""Complementarity between regions, and untapped cooperation.

Region ``A`` is complementary *for* region ``B`` when ``A`` is strong in domains where
``B`` is not yet specialised but which are close to what ``B`` already does (high
relatedness density), so that working with ``A`` helps ``B`` diversify along its own
capabilities (see /work/shared/DESIGN.md, "Complementarity"; relatedness density after
Balland et al. 2019, "Smart specialization policy in the European Union: relatedness,
knowledge complexity and regional diversification", *Regional Studies* 53(9)).

Notation, for regions ``A``, ``B`` and domains ``d`` (the ``n`` domains with at least one
specialisation, those of :attr:`rok.analysis.profiles.Profiles.specialised`):

- ``RCA[A,d]`` revealed comparative advantage, ``M[A,d] = 1`` where ``RCA >= 1``;
- ``RD[B,d]`` relatedness density in 0..100,
  ``RD[B,d] = 100 * sum_j phi[d,j] M[B,j] / sum_j phi[d,j]``;
- strength of ``A`` in ``d``: ``S[A,d] = M[A,d] * min(RCA[A,d], cap) / cap`` (``cap = 2``
  by default): 0 without specialisation, ``1/cap`` at ``RCA = 1``, 1 at ``RCA >= cap``,
  so a single outlying RCA does not dominate;
- gap of ``B`` in ``d``: ``G[B,d] = (1 - M[B,d]) * RD[B,d] / 100`` (0 where ``B`` is
  already specialised, its density where it is not).

The contribution of domain ``d`` and the complementarity of ``A`` for ``B`` are::

    c[A->B, d] = S[A,d] * (1 - M[B,d]) * RD[B,d] / 100
    C[A->B]    = sum_d c[A->B, d] / n                      (in 0..1)

so ``C[A->B] = 1`` would mean ``A`` is strongly specialised in every domain and ``B`` in
none while having full density everywhere; every score is the sum of its domain
contributions divided by ``n`` (:func:`decompose`). ``C`` is not symmetric. For mutual
cooperation: ``C_mean[A,B] = (C[A->B] + C[B->A]) / 2`` and the "both ways" variant
``C_min[A,B] = min(C[A->B], C[B->A])`` (high only when each region has something for the
other).

Untapped cooperation (:func:`untapped`): pairs among the most complementary (mutual score
at or above a quantile of all pairs) whose observed collaboration falls short of what the
gravity model expects (Scherngell & Barber 2009; :mod:`rok.analysis.gravity`), and whose
expected collaboration is large enough to judge (``expected >= min_expected``), ranked by
``complementarity * deficit`` with the Pearson deficit ``(expected - observed) / sqrt(expected)``.
The absolute shortfall ``expected - observed`` grows with the expected collaboration, hence with
the size of the two regions: ranking by it lists the largest regions first whatever their
relative shortfall. The Pearson residual measures the shortfall in units of its standard
deviation under the model's variance (Poisson, ``var = mu``; Cameron & Trivedi 2013, ch. 5.2),
so a small pair with no collaboration at all can outrank a large pair slightly below
expectation. Under a quasi-Poisson variance ``var = phi mu`` (fractional weights are not counts)
every residual is divided by the same ``sqrt(phi)``: the ranking does not change.

References: Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed.
Cambridge University Press.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = [
    "DIRECTIONS",
    "aligned",
    "complementarity_for",
    "complementarity_matrix",
    "contributions",
    "decompose",
    "mutual",
    "strength",
    "untapped",
    "UNTAPPED_RANKINGS",
    "MIN_EXPECTED",
]

DIRECTIONS = ("for", "from", "mutual")
Direction = Literal["for", "from", "mutual"]


def aligned(rca: pd.DataFrame, M: pd.DataFrame, density: pd.DataFrame  # noqa: N803
            ) -> tuple[pd.Index, pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Regions, domains and the float arrays ``RCA``, ``M``, ``RD`` on the same grid.

    The grid is that of ``M`` (regions and domains with a specialisation); ``RCA`` and
    ``RD`` are reindexed onto it (missing cells count 0).
    """
    regions, domains = M.index, M.columns
    if len(regions) == 0 or len(domains) == 0:
        raise InputError("no region or domain with a specialisation: complementarity is undefined")
    r = rca.reindex(index=regions, columns=domains).fillna(0.0).to_numpy(dtype=float)
    m = (M.to_numpy(dtype=float) > 0).astype(float)
    rd = density.reindex(index=regions, columns=domains).fillna(0.0).to_numpy(dtype=float)
    return regions, domains, r, m, rd


def strength(r: np.ndarray, m: np.ndarray, cap: float = 2.0) -> np.ndarray:
    """``S = M * min(RCA, cap) / cap`` (elementwise)."""
    if not cap >= 1.0:
        raise InputError("cap must be at least 1 (the RCA of a specialisation)", column="cap", value=cap)
    return m * np.minimum(r, cap) / cap


def complementarity_matrix(rca: pd.DataFrame, M: pd.DataFrame, density: pd.DataFrame,  # noqa: N803
                           *, cap: float = 2.0) -> pd.DataFrame:
    """``C[A->B] = sum_d S[A,d] (1 - M[B,d]) RD[B,d] / 100 / n`` for all pairs of regions.

    Parameters
    ----------
    rca, M, density
        Regions x domains: RCA, binary specialisation and relatedness density (0..100),
        as in :class:`rok.analysis.profiles.Profiles` (``.rca``, ``.specialised``,
        ``.density``). The grid is that of ``M``.
    cap
        RCA at which strength saturates (module docstring).

    Returns
    -------
    DataFrame regions x regions: row ``A`` (the giver), column ``B`` (the receiver),
    values in 0..1, diagonal NaN. One matrix product (``einsum``): milliseconds for
    hundreds of regions.
    """
    regions, domains, r, m, rd = aligned(rca, M, density)
    s = strength(r, m, cap)
    gap = (1.0 - m) * rd / 100.0
    c = np.einsum("ad,bd->ab", s, gap, optimize=True) / len(domains)
    np.fill_diagonal(c, np.nan)
    return pd.DataFrame(c, index=regions.copy(), columns=regions.copy())


def mutual(C: pd.DataFrame, how: Literal["mean", "min"] = "mean") -> pd.DataFrame:  # noqa: N803
    """Symmetric complementarity: ``(C[A->B] + C[B->A]) / 2`` (``mean``) or ``min`` (both ways)."""
    a = C.to_numpy(dtype=float)
    if how == "mean":
        values = (a + a.T) / 2.0
    elif how == "min":
        values = np.minimum(a, a.T)
    else:
        raise InputError("mutual complementarity must be 'mean' or 'min'", column="how", value=how)
    return pd.DataFrame(values, index=C.index, columns=C.columns)


def contributions(rca: pd.DataFrame, M: pd.DataFrame, density: pd.DataFrame,  # noqa: N803
                  a: str, b: str, *, cap: float = 2.0) -> pd.Series:
    """``c[a->b, d] / n`` per domain (so that the values sum to ``C[a->b]``)."""
    regions, domains, r, m, rd = aligned(rca, M, density)
    i, j = _position(regions, a), _position(regions, b)
    s = strength(r[i], m[i], cap)
    return pd.Series(s * (1.0 - m[j]) * rd[j] / 100.0 / len(domains), index=domains, name="contribution")


def decompose(rca: pd.DataFrame, M: pd.DataFrame, density: pd.DataFrame,  # noqa: N803
              a: str, b: str, *, cap: float = 2.0) -> pd.DataFrame:
    """The domains that make ``C[a->b]``: their contributions sum to the score.

    Returns
    -------
    DataFrame with columns ``domain``, ``contribution`` (``c[a->b,d] / n``), ``rca_a``,
    ``density_b`` and ``specialised_b`` (bool), sorted by contribution (largest first).
    """
    regions, domains, r, m, rd = aligned(rca, M, density)
    i, j = _position(regions, a), _position(regions, b)
    part = contributions(rca, M, density, a, b, cap=cap).to_numpy()
    frame = pd.DataFrame({"domain": domains.to_numpy(), "contribution": part, "rca_a": r[i],
                          "density_b": rd[j], "specialised_b": m[j] > 0})
    return frame.sort_values(["contribution", "domain"], ascending=[False, True], kind="stable").reset_index(drop=True)


def complementarity_for(profiles: object, region: str, *, direction: Direction = "for", k: int = 20,
                        cap: float = 2.0, top_domains: int = 3) -> pd.DataFrame:
    """The ``k`` most complementary partners of ``region``.

    ``direction``: ``"for"`` ranks partners ``P`` by ``C[P->region]`` (what they bring to
    the region), ``"from"`` by ``C[region->P]`` (what the region brings to them),
    ``"mutual"`` by ``(C[P->region] + C[region->P]) / 2``.

    Returns
    -------
    DataFrame with columns ``partner``, ``name``, ``score``, ``rank`` (1 = best) and
    ``domains`` (the ``top_domains`` largest domain contributions as text, with arrows
    ``->``/``<-`` in the mutual case: ``->`` the partner gives, ``<-`` it receives).
    """
    if direction not in DIRECTIONS:
        raise InputError(f"direction must be one of {', '.join(DIRECTIONS)}", column="direction", value=direction)
    if k < 1:
        raise InputError("k must be at least 1", column="k", value=k)
    code = profiles.check_region(region)  # type: ignore[attr-defined]
    rca, m_frame, density = profiles.rca, profiles.specialised, profiles.density  # type: ignore[attr-defined]
    regions, domains, r, m, rd = aligned(rca, m_frame, density)
    if code not in regions:
        raise InputError("the region has no specialisation in the selection: complementarity is undefined",
                         value=code)
    j = regions.get_loc(code)
    s = strength(r, m, cap)
    gap = (1.0 - m) * rd / 100.0
    n = len(domains)
    gives = s * gap[j] / n  # partners x domains: c[P->region, d] / n
    takes = s[j] * gap / n  # partners x domains: c[region->P, d] / n
    if direction == "for":
        parts = gives
    elif direction == "from":
        parts = takes
    else:
        parts = np.concatenate([gives, takes], axis=1) / 2.0
    score = parts.sum(axis=1)
    score[j] = -np.inf
    order = np.lexsort((regions.to_numpy(), -score))[: min(k, len(regions) - 1)]
    labels = list(domains) if direction != "mutual" else [f"->{d}" for d in domains] + [f"<-{d}" for d in domains]
    rows = []
    for rank, i in enumerate(order, start=1):
        top = np.argsort(-parts[i], kind="stable")[:top_domains]
        text = ", ".join(f"{labels[t]} {parts[i, t]:.3f}" for t in top if parts[i, t] > 0)
        rows.append({"partner": regions[i], "name": profiles.region_name(regions[i]),  # type: ignore[attr-defined]
                     "score": float(score[i]), "rank": rank, "domains": text})
    return pd.DataFrame(rows, columns=["partner", "name", "score", "rank", "domains"])


UNTAPPED_RANKINGS = ("residual", "shortfall")
#: Default smallest expected collaboration for a pair to be judged (in the units of the flows).
MIN_EXPECTED = 1.0


def untapped(C_sym: pd.DataFrame, expected: pd.DataFrame, *,  # noqa: N803
             min_complementarity_quantile: float = 0.75, k: int = 50, region: str | None = None,
             rca: pd.DataFrame | None = None, M: pd.DataFrame | None = None,  # noqa: N803
             density: pd.DataFrame | None = None, cap: float = 2.0, top_domains: int = 3,
             min_expected: float = MIN_EXPECTED, rank_by: str = "residual") -> pd.DataFrame:
    """Complementary region pairs that collaborate less than the gravity model expects.

    A pair ``{a, b}`` of ``expected`` (the gravity fit: ``source, target, observed,
    expected``, one row per pair) qualifies when ``C_sym[a,b]`` is at or above the
    ``min_complementarity_quantile`` of all off-diagonal pairs of ``C_sym``,
    ``observed < expected`` and ``expected >= min_expected`` (a pair expected to have almost no
    collaboration cannot fall short of it in any meaningful way; default 1, in the units of the
    flows: with fractional counting about one shared project's worth).

    Ranking (``rank_by``):

    - ``"residual"`` (default): ``deficit = (expected - observed) / sqrt(expected)``, minus the
      Pearson residual of the fit; ``score = complementarity * deficit``. The shortfall relative
      to what the pair's size leads one to expect (module docstring).
    - ``"shortfall"``: ``score = complementarity * (expected - observed)``, the absolute shortfall,
      which favours pairs of large regions (kept for comparison).

    ``region`` keeps only the pairs that involve it. With ``rca``, ``M`` and ``density``
    (those that made ``C_sym``) ``top_domains`` gives the largest contributions both ways
    as text (``a->b SC1 0.012, b->a ICT 0.008``); without them it is empty.

    Returns
    -------
    DataFrame with columns ``region_a``, ``region_b``, ``complementarity``, ``observed``,
    ``expected``, ``ratio`` (observed / expected), ``shortfall`` (expected - observed),
    ``deficit`` (the Pearson deficit), ``score`` and ``top_domains``, at most ``k`` rows, best
    first (ties by region codes).
    """
    if not 0.0 <= min_complementarity_quantile <= 1.0:
        raise InputError("min_complementarity_quantile must be within 0..1", column="min_complementarity_quantile",
                         value=min_complementarity_quantile)
    if rank_by not in UNTAPPED_RANKINGS:
        raise InputError(f"rank_by must be one of {', '.join(UNTAPPED_RANKINGS)}", column="rank_by", value=rank_by)
    if not (np.isfinite(min_expected) and min_expected > 0):
        raise InputError("min_expected must be a positive number", column="min_expected", value=min_expected)
    missing = {"source", "target", "observed", "expected"} - set(expected.columns)
    if missing:
        raise InputError(f"the expected table lacks columns {', '.join(sorted(missing))}")
    columns = ["region_a", "region_b", "complementarity", "observed", "expected", "ratio", "shortfall", "deficit",
               "score", "top_domains"]
    values = C_sym.to_numpy(dtype=float)
    off = values[~np.eye(len(values), dtype=bool)]
    off = off[np.isfinite(off)]
    if off.size == 0:
        return pd.DataFrame(columns=columns)
    threshold = float(np.quantile(off, min_complementarity_quantile))
    index = C_sym.index
    pairs = expected[expected["source"].isin(index) & expected["target"].isin(index)
                     & (expected["source"] != expected["target"])]
    if region is not None:
        code = region.strip().upper()
        if code not in index:
            raise InputError("unknown region for complementarity (no specialisation in the selection)", value=region)
        pairs = pairs[(pairs["source"] == code) | (pairs["target"] == code)]
        swap = pairs["target"] == code
        pairs = pairs.assign(source=np.where(swap, pairs["target"], pairs["source"]),
                             target=np.where(swap, pairs["source"], pairs["target"]))
    i = index.get_indexer(pairs["source"])
    j = index.get_indexer(pairs["target"])
    comp = values[i, j]
    obs = pairs["observed"].to_numpy(dtype=float)
    exp = pairs["expected"].to_numpy(dtype=float)
    keep = (comp >= threshold) & (obs < exp) & (exp >= min_expected)
    out = pd.DataFrame({"region_a": pairs["source"].to_numpy()[keep], "region_b": pairs["target"].to_numpy()[keep],
                        "complementarity": comp[keep], "observed": obs[keep], "expected": exp[keep]})
    out["ratio"] = out["observed"] / out["expected"]
    out["shortfall"] = out["expected"] - out["observed"]
    out["deficit"] = out["shortfall"] / np.sqrt(out["expected"])
    out["score"] = out["complementarity"] * (out["deficit"] if rank_by == "residual" else out["shortfall"])
    out = out.sort_values(["score", "region_a", "region_b"], ascending=[False, True, True], kind="stable").head(k)
    out = out.reset_index(drop=True)
    if rca is not None and M is not None and density is not None:
        out["top_domains"] = [_both_ways(rca, M, density, a, b, cap, top_domains)
                              for a, b in zip(out["region_a"], out["region_b"], strict=True)]
    else:
        out["top_domains"] = ""
    return out[columns]


def _both_ways(rca: pd.DataFrame, M: pd.DataFrame, density: pd.DataFrame, a: str, b: str,  # noqa: N803
               cap: float, top: int) -> str:
    ab = contributions(rca, M, density, a, b, cap=cap)
    ba = contributions(rca, M, density, b, a, cap=cap)
    parts = pd.concat([ab.rename(lambda d: f"{a}->{b} {d}"), ba.rename(lambda d: f"{b}->{a} {d}")]) / 2.0
    parts = parts[parts > 0].sort_values(ascending=False, kind="stable").head(top)
    return ", ".join(f"{label} {value:.3f}" for label, value in parts.items())


def _position(regions: pd.Index, code: str) -> int:
    value = str(code).strip().upper()
    if value not in regions:
        raise InputError("unknown region for complementarity (no specialisation in the selection)", value=code)
    return int(regions.get_loc(value))
