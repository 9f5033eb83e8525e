"""Indicator values of split, merged and recoded NUTS regions, re-allocated to NUTS 2021.

Given the population intersections of :mod:`rok.warehouse.nuts_history` (old region ``o``,
2021 region ``n``, ``s_o = P(o ∩ n) / P(o)``, ``s_n = P(o ∩ n) / P(n)``), a value published
for old regions becomes a value of ``n`` when the old regions with a value in that cell
(indicator, unit, year, source) cover ``n``: ``sum_o s_n >= 0.98``.

* Extensive values (counts, euros, persons: units ``NR``, ``THS``, ``MIO_*``, ``FTE``,
  ``HC``): ``x_n = sum_o s_o x_o`` ("population share"). A split gives each part the old
  region's value times its population share; a merge adds the parts.
* Ratios are recomputed as ``r_n = sum_o s_o w_o r_o / sum_o s_o w_o`` where ``w_o`` is
  the ratio's denominator in region ``o``: for a share whose numerator the panel holds
  (``PC_POP`` of ``THS``, ``PC_EMP_FTE`` of ``FTE``, ``PC_EMP_HC`` of ``HC``), ``w = x / r``
  ("ratio from re-allocated numerator and denominator"); for ``PC_GDP`` the regional GDP
  (``nama_10r_2gdp``, MIO_EUR); per inhabitant (``*_HAB``) the population
  (``demo_r_d2jan``). Where a contributor lacks its denominator, or the ratio has none
  in the panel (e.g. employment rates), ``w_o`` is the old region's population and the
  value is marked "ratio weighted by population share". For a split this carries the old
  ratio to each part: the ratio of the parts is not known, only assumed equal.

Every value keeps its method in ``indicators_nuts2021.method``, e.g.
``split (population share)``. A cell with a value published under its 2021 code is left
to that value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rok.warehouse.store import Warehouse

__all__ = ["reallocate", "is_extensive", "COVERAGE"]

COVERAGE = 0.98
_EXTENSIVE = ("NR", "THS", "FTE", "HC")
_NUMERATOR_UNIT = {"PC_POP": "THS", "PC_EMP_FTE": "FTE", "PC_EMP_HC": "HC"}
_GDP = ("nama_10r_2gdp", "MIO_EUR")
_POPULATION = ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR")


def is_extensive(unit: str) -> bool:
    """Counts, money and persons add up over regions; ratios, shares and rates do not."""
    return unit in _EXTENSIVE or unit.startswith(("MIO_", "THS_", "NR_"))


def _denominators(ind: pd.DataFrame) -> pd.DataFrame:
    """Per (indicator, unit, region, year) the ratio's denominator where the data give it."""
    key = ["region", "year"]
    out = []
    for unit, num_unit in _NUMERATOR_UNIT.items():
        ratio = ind[ind["unit"] == unit]
        num = ind[ind["unit"] == num_unit][["indicator", *key, "value"]].rename(columns={"value": "num"})
        both = ratio.merge(num, on=["indicator", *key])
        out.append(both.assign(w=both["num"] / both["value"])[["indicator", "unit", *key, "w"]])
    for unit_test, (indicator, unit) in ((lambda u: u == "PC_GDP", _GDP), (lambda u: u.endswith("_HAB"), _POPULATION)):
        ratio = ind[ind["unit"].map(unit_test)]
        den = ind[(ind["indicator"] == indicator) & (ind["unit"] == unit)].groupby(key, as_index=False)["value"].first()
        both = ratio.merge(den.rename(columns={"value": "w"}), on=key)
        out.append(both[["indicator", "unit", *key, "w"]])
    frame = pd.concat(out, ignore_index=True)
    frame = frame[np.isfinite(frame["w"]) & (frame["w"] > 0)]
    return frame.drop_duplicates(["indicator", "unit", *key])


def reallocate(wh: Warehouse, parts: pd.DataFrame) -> pd.DataFrame:
    """Rows for ``indicators_nuts2021`` from values published under old codes (see module doc)."""
    columns = ["region", "indicator", "year", "value", "unit", "flag", "source", "from_region", "from_version", "method"]
    if parts.empty:
        return pd.DataFrame(columns=columns)
    ind = wh.query("SELECT region, indicator, year, value, unit, flag, source FROM indicators WHERE value IS NOT NULL")
    codes21 = set(wh.query("SELECT code FROM regions WHERE nuts_version = 2021")["code"])
    newest = parts.groupby("old_code")["old_version"].max()
    old = ind[~ind["region"].isin(codes21) & ind["region"].isin(newest.index)]
    old = old.assign(old_version=old["region"].map(newest))
    joined = old.merge(parts[["old_code", "old_version", "new_code", "share_old", "share_new", "pop_old", "kind"]],
                       left_on=["region", "old_version"], right_on=["old_code", "old_version"])
    joined = joined.merge(_denominators(ind), on=["indicator", "unit", "region", "year"], how="left")
    cell = ["indicator", "unit", "year", "source", "new_code"]
    joined["extensive"] = joined["unit"].map(is_extensive)
    joined["has_w"] = joined["w"].notna()
    all_w = joined.groupby(cell)["has_w"].transform("all")
    joined["weight"] = np.where(all_w, joined["w"], joined["pop_old"]) * joined["share_old"]
    joined["x"] = np.where(joined["extensive"], joined["value"] * joined["share_old"], joined["value"] * joined["weight"])
    grouped = joined.assign(all_w=all_w).groupby(cell, as_index=False).agg(
        x=("x", "sum"), weight=("weight", "sum"), coverage=("share_new", "sum"), extensive=("extensive", "first"),
        all_w=("all_w", "first"), n=("region", "size"), kinds=("kind", lambda k: sorted(set(k))),
        from_region=("region", lambda r: "+".join(sorted(r))), from_version=("old_version", "max"),
        flag=("flag", lambda f: ",".join(sorted({str(v) for v in f if isinstance(v, str) and v})) or None))
    grouped = grouped[grouped["coverage"] >= COVERAGE]
    grouped["value"] = np.where(grouped["extensive"], grouped["x"], grouped["x"] / grouped["weight"])
    kind = [k[0] if n == 1 else ("merge" if k == ["merge"] else "split and merge")
            for k, n in zip(grouped["kinds"], grouped["n"], strict=True)]
    how = np.where(grouped["extensive"], "population share",
                   np.where(grouped["all_w"], "ratio from re-allocated numerator and denominator",
                            "ratio weighted by population share"))
    grouped["method"] = [f"{k} ({h})" if k != "recode" else "recode (NUTS history)" for k, h in zip(kind, how, strict=True)]
    return grouped.rename(columns={"new_code": "region"})[columns]
