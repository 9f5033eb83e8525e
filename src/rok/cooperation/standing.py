"""Performance standing of regions for mentoring: main group, order of groups, eligibility.

The research performance index (:mod:`rok.analysis.performance`, after the Regional
Innovation Scoreboard; Hollanders & Es-Sadki 2021) puts each NUTS 2 region in one of four
groups, from the highest: leader, strong, moderate, emerging. A group label may carry a
subgroup sign (``"strong+"``, ``"strong-"``: upper and lower third of the group, as the RIS
does since 2021) or say that the region could not be classified (``"insufficient data"``,
or no label at all).

Mentoring rule (:func:`higher_group`): a region may mentor another only when its *main*
group (the label without the sign) is strictly higher; a subgroup is not a step
(``strong+`` does not mentor ``strong-``). A region without a main group is not eligible on
either side: nothing can be said about its standing, so it can be neither shown to be
ahead of a mentee nor behind a mentor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = ["PERFORMANCE_GROUPS", "main_group", "group_rank", "higher_group", "standing", "eligible_pairs",
           "group_and_index", "standing_text"]

#: Performance groups from the highest to the lowest (:mod:`rok.analysis.performance`).
PERFORMANCE_GROUPS = ("leader", "strong", "moderate", "emerging")
_SIGNS = "+-\u2212\u2013"  # plus, hyphen-minus, minus sign, en dash


def main_group(label: Any) -> str | None:
    """The main group of a label: ``"strong+"`` -> ``"strong"``; None when there is none.

    Missing labels, NaN and labels that are not a performance group after the sign is removed
    (``"insufficient data"``, ``"n/a"``) give None: not eligible.

    Examples
    --------
    >>> main_group("Strong+"), main_group("emerging -"), main_group("insufficient data")
    ('strong', 'emerging', None)
    """
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    text = str(label).strip().lower().rstrip(_SIGNS).strip()
    return text if text in PERFORMANCE_GROUPS else None


def group_rank(label: Any) -> int | None:
    """0 for leader ... 3 for emerging (of the main group); None without a main group."""
    group = main_group(label)
    return None if group is None else PERFORMANCE_GROUPS.index(group)


def higher_group(mentor: Any, mentee: Any) -> bool:
    """Whether the mentor's main group is strictly above the mentee's (both must have one)."""
    a, b = group_rank(mentor), group_rank(mentee)
    return a is not None and b is not None and a < b


def standing(performance_table: pd.DataFrame) -> pd.DataFrame:
    """Per region: ``group`` (the label as given), ``main_group``, ``rank`` (0 leader .. 3
    emerging, NaN without a main group) and ``index``.

    ``performance_table`` is ``Profiles.performance.table`` (indexed by region) or a frame with a
    ``region`` column, with ``group`` and (optionally) ``index``. A region whose index is missing
    has no main group, whatever its label.
    """
    table = performance_table.set_index("region") if "region" in performance_table.columns else performance_table
    if "group" not in table.columns:
        raise InputError("the performance table lacks the column 'group'", column="group")
    index = (pd.to_numeric(table["index"], errors="coerce") if "index" in table.columns
             else pd.Series(np.nan, index=table.index))
    main = table["group"].map(main_group)
    if "index" in table.columns:
        main = main.where(index.notna(), None)
    rank = main.map(lambda g: np.nan if g is None else float(PERFORMANCE_GROUPS.index(g)))
    out = pd.DataFrame({"group": table["group"].where(table["group"].notna(), None), "main_group": main,
                        "rank": rank.astype(float), "index": index.astype(float)})
    out.index = out.index.astype(str)
    out.index.name = "region"
    return out


def eligible_pairs(ranks: pd.DataFrame, mentees: list[str], mentors: list[str]) -> pd.DataFrame:
    """Mentees x mentors: True where the mentor's main group is strictly above the mentee's.

    Raises InputError for a listed region without a main group, and for a mentee that no mentor
    is above."""
    rank = ranks["rank"].reindex(mentees + mentors)
    lacking = [r for r in mentees + mentors if not np.isfinite(rank[r])]
    if lacking:
        labels = ", ".join(f"{r} ({_label(ranks, r)})" for r in lacking[:5])
        raise InputError(f"{len(lacking)} listed regions have no performance group and are not eligible for "
                         f"mentoring: {labels}; leave them out (the rule: a mentor's group above its mentee's)",
                         value=lacking[0])
    above = rank[mentors].to_numpy()[None, :] < rank[mentees].to_numpy()[:, None]
    stuck = [r for r, row in zip(mentees, above, strict=True) if not row.any()]
    if stuck:
        raise InputError(f"no mentor is in a higher performance group than mentee {stuck[0]} "
                         f"({_label(ranks, stuck[0])})" + (f" nor {len(stuck) - 1} other mentees" if len(stuck) > 1
                                                             else "") + "; add mentors of a higher group",
                         value=stuck[0])
    return pd.DataFrame(above, index=pd.Index(mentees, name="mentee"), columns=pd.Index(mentors, name="mentor"))


def _label(ranks: pd.DataFrame, region: str) -> str:
    if region not in ranks.index or ranks.at[region, "group"] is None:
        return "no performance index"
    return str(ranks.at[region, "group"])


def group_and_index(ranks: pd.DataFrame | None, region: str) -> tuple[str | None, float]:
    """The group label (as given) and the index of ``region``; None and NaN when unknown."""
    if ranks is None or region not in ranks.index:
        return None, float("nan")
    group = ranks.at[region, "group"]
    return (None if group is None else str(group)), float(ranks.at[region, "index"])


def standing_text(g_a: str | None, i_a: float, g_b: str | None, i_b: float) -> str:
    """The two regions' standing in words (mentee ``a``, mentor ``b``)."""
    if g_a is None or g_b is None:
        return "performance groups unknown (computed for NUTS 2 only)"
    verdict = "above" if higher_group(g_b, g_a) else "NOT above"
    return f"mentor {g_b} (index {i_b:.0f}) {verdict} mentee {g_a} (index {i_a:.0f})"
