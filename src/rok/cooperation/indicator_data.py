"""The warehouse rows the measure catalog reads, loaded once and reduced to small matrices.

:class:`WarehouseData` reads the participations (with their project's start year, size and
the organisation's NUTS codes), the project domains and the Eurostat population, GDP and
GERD, then keeps per NUTS level a matrix regions x start years of every additive quantity
(full and fractional participations, EC funding, firm participations, firm participations with
a research actor of the same region) and the pairs (project, region). A measure over a set of
regions is then a sum of a few rows: thousands of series per second, so that every indicator
of every plan can be recomputed after each load (:func:`rok.workspace.tracking.track`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from rok.errors import InputError

__all__ = ["WarehouseData", "warehouse_load_id", "POPULATION", "GERD", "GDP", "RESEARCH_ACTORS", "FIRM"]

POPULATION = ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR")
GERD = ("tgs00042.sectperf=TOTAL", "PC_GDP")
GDP = ("nama_10r_2gdp", "MIO_EUR")
RESEARCH_ACTORS = ("HES", "REC")
FIRM = "PRC"
_ROW_COLUMNS = ("project_id", "org_id", "activity_type", "ec", "n", "year")
ADDITIVE = ("full", "fractional", "ec", "firms", "firms_local")


@dataclass
class _Level:
    """One NUTS level: region codes, the additive matrices (regions x years) and (project, region) pairs."""

    index: dict[str, int]
    sums: dict[str, np.ndarray]
    pair_project: np.ndarray
    pair_region: np.ndarray
    region_of_row: np.ndarray  # per participation: region index at this level, -1 when unplaced


class WarehouseData:
    """The warehouse rows the measures read, loaded once and shared by many series.

    Pass a path to a DuckDB warehouse, an open ``duckdb`` connection, a
    :class:`rok.warehouse.store.Warehouse` or a :class:`rok.measures.engine.Engine`
    (anything with ``.con`` or ``.db``). The file is opened read-only and closed again.
    ``min_year_share``: see :meth:`years`.
    """

    def __init__(self, source: Any, *, min_year_share: float = 0.5) -> None:
        if not 0 <= min_year_share <= 1:
            raise InputError("min_year_share must be in [0, 1]", column="min_year_share", value=min_year_share)
        self.min_year_share = min_year_share
        con, own = _connect(source)
        try:
            self.load_id = warehouse_load_id(con)
            self.participations = con.execute(
                """SELECT p.project_id, p.org_id, coalesce(p.activity_type, 'OTH') AS activity_type,
                          p.ec_contribution AS ec, n.n, pr.start_year AS year,
                          substr(o.nuts1, 1, 2) AS nuts0, o.nuts1, o.nuts2, o.nuts3
                   FROM participations p
                   JOIN (SELECT project_id, count(*) AS n FROM participations GROUP BY 1) n USING (project_id)
                   JOIN projects pr USING (project_id)
                   LEFT JOIN organisations o USING (org_id)
                   WHERE pr.start_year IS NOT NULL"""
            ).df()
            self.project_domains = con.execute("SELECT project_id, taxonomy, code, weight FROM project_domains").df()
            wanted = " OR ".join("(indicator = ? AND unit = ?)" for _ in (POPULATION, GERD, GDP))
            self.indicators = con.execute(
                f"SELECT region, indicator, unit, year, value FROM indicators_nuts2021 "
                f"WHERE value IS NOT NULL AND ({wanted})", [v for pair in (POPULATION, GERD, GDP) for v in pair]).df()
            self.region_codes = {
                r[0] for r in con.execute("SELECT DISTINCT code FROM regions WHERE nuts_version = 2021").fetchall()}
        finally:
            if own:
                con.close()
        p = self.participations
        p["year"] = p["year"].astype("int64")
        self.first_year = int(p["year"].min()) if len(p) else 0
        self.all_years = np.arange(self.first_year, int(p["year"].max()) + 1 if len(p) else 0)
        self._year_idx = (p["year"] - self.first_year).to_numpy()
        self._project_idx, self._projects = pd.factorize(p["project_id"])
        self._project_year = np.zeros(len(self._projects), dtype=np.int64)
        self._project_year[self._project_idx] = self._year_idx
        self._levels: dict[int, _Level] = {}
        self._years: list[int] | None = None
        self._wide: dict[tuple[str, str], tuple[dict[str, int], np.ndarray, np.ndarray]] = {}
        self._weights: dict[tuple[str, str], pd.Series] = {}
        self._domain_sums: dict[tuple[int, str, str, str], np.ndarray] = {}

    # -- regions and years -------------------------------------------------------------------
    def check_regions(self, regions: list[str]) -> list[str]:
        """Known NUTS 2021 codes, de-duplicated; unknown or overlapping codes are an InputError."""
        if not regions:
            raise InputError("a measure needs at least one region", column="regions", value=regions)
        for code in regions:
            if code not in self.region_codes:
                raise InputError("unknown region (not a NUTS 2021 code in the warehouse)", column="region", value=code)
        regions = list(dict.fromkeys(regions))
        for a in regions:
            inner = next((b for b in regions if b != a and b.startswith(a)), None)
            if inner is not None:
                raise InputError(f"regions overlap: {inner} lies in {a}; give each area once", column="regions",
                                 value=inner)
        return regions

    def years(self) -> list[int]:
        """The full start years: those whose participations number at least ``min_year_share``
        of the peak year's (a programme's first and last start years hold few projects)."""
        if self._years is None:
            totals = self.participations.groupby("year").size()
            self._years = [] if totals.empty else sorted(
                int(y) for y in totals.index[totals >= totals.max() * self.min_year_share])
        return self._years

    def _level(self, level: int) -> _Level:
        if level not in self._levels:
            p = self.participations
            codes = p[f"nuts{level}"]
            placed = codes.notna().to_numpy()
            uniq = np.array(sorted(codes[placed].unique()), dtype=object)
            index = {str(c): i for i, c in enumerate(uniq)}
            region = np.full(len(p), -1, dtype=np.int64)
            region[placed] = pd.Index(uniq).get_indexer(codes[placed])
            firm = (p["activity_type"] == FIRM).to_numpy()
            research = p["activity_type"].isin(RESEARCH_ACTORS).to_numpy() & placed
            key = self._project_idx.astype(np.int64) * (len(uniq) + 1) + region
            local = firm & placed & np.isin(key, key[research])
            weights = {"full": np.ones(len(p)), "fractional": 1.0 / p["n"].to_numpy(dtype=float),
                       "ec": p["ec"].fillna(0.0).to_numpy(dtype=float), "firms": firm.astype(float),
                       "firms_local": local.astype(float)}
            sums = {k: self._accumulate(region, placed, w, len(uniq)) for k, w in weights.items()}
            pairs = np.unique(key[placed])
            self._levels[level] = _Level(index, sums, pairs // (len(uniq) + 1), pairs % (len(uniq) + 1), region)
        return self._levels[level]

    def _accumulate(self, region: np.ndarray, placed: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
        out = np.zeros((n, len(self.all_years)))
        np.add.at(out, (region[placed], self._year_idx[placed]), weight[placed])
        return out

    def _select(self, regions: list[str]) -> dict[int, list[int]]:
        """Level -> row indices of ``regions`` (regions without participations are left out)."""
        out: dict[int, list[int]] = {}
        for code in regions:
            level = len(code) - 2
            lvl = self._level(level)
            if code in lvl.index:
                out.setdefault(level, []).append(lvl.index[code])
        return out

    # -- reductions ------------------------------------------------------------------------
    def summed(self, regions: list[str], column: str) -> pd.Series:
        """An additive quantity (``full``, ``fractional``, ``ec``, ``firms``, ``firms_local``)
        summed over ``regions`` per start year (0 where none)."""
        total = np.zeros(len(self.all_years))
        for level, rows in self._select(regions).items():
            total += self._level(level).sums[column][rows].sum(axis=0)
        return pd.Series(total, index=self.all_years)

    def joint_counts(self, regions: list[str]) -> pd.Series:
        """Projects per start year with participants from at least two of ``regions``."""
        projects = [self._level(level).pair_project[np.isin(self._level(level).pair_region, rows)]
                    for level, rows in self._select(regions).items()]
        hits = np.bincount(np.concatenate(projects), minlength=len(self._projects)) if projects else np.zeros(0)
        joint = np.flatnonzero(hits >= 2)
        counts = np.bincount(self._project_year[joint], minlength=len(self.all_years))
        return pd.Series(counts.astype(float), index=self.all_years)

    def domain_summed(self, regions: list[str], taxonomy: str, code: str, counting: str) -> pd.Series:
        """Participations (``counting``) times the project's weight in one domain, per start year."""
        weights = self.domain_weights(taxonomy, code)
        total = np.zeros(len(self.all_years))
        for level, rows in self._select(regions).items():
            key = (level, taxonomy, code, counting)
            if key not in self._domain_sums:
                lvl = self._level(level)
                w = self.participations["project_id"].map(weights).fillna(0.0).to_numpy(dtype=float)
                unit = 1.0 / self.participations["n"].to_numpy(dtype=float) if counting == "fractional" else 1.0
                placed = lvl.region_of_row >= 0
                self._domain_sums[key] = self._accumulate(lvl.region_of_row, placed, w * unit, len(lvl.index))
            total += self._domain_sums[key][rows].sum(axis=0)
        return pd.Series(total, index=self.all_years)

    def domain_weights(self, taxonomy: str, code: str) -> pd.Series:
        """Project -> weight in one domain (empty when the domain is unknown)."""
        key = (taxonomy, code)
        if key not in self._weights:
            pdr = self.project_domains
            rows = pdr[(pdr.taxonomy == taxonomy) & (pdr.code == code)]
            self._weights[key] = rows.groupby("project_id")["weight"].sum()
        return self._weights[key]

    def indicator(self, which: tuple[str, str], regions: list[str]) -> pd.DataFrame:
        """Years x regions of one Eurostat indicator (NaN where missing)."""
        years, values = self.indicator_values(which, regions)
        return pd.DataFrame(values.T, index=pd.Index(years, name="year"), columns=regions)

    def indicator_values(self, which: tuple[str, str], regions: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The years and a regions x years array of one Eurostat indicator (NaN where missing)."""
        if which not in self._wide:  # one pivot per indicator, then every lookup is cheap
            ind = self.indicators
            rows = ind[(ind.indicator == which[0]) & (ind.unit == which[1])]
            wide = rows.pivot_table(index="region", columns="year", values="value", aggfunc="first")
            self._wide[which] = ({str(r): i for i, r in enumerate(wide.index)}, wide.to_numpy(dtype=float),
                                 wide.columns.to_numpy())
        pos, values, years = self._wide[which]
        out = np.full((len(regions), len(years)), np.nan)
        for i, code in enumerate(regions):
            if code in pos:
                out[i] = values[pos[code]]
        return years, out

    def rows(self, regions: list[str]) -> pd.DataFrame:
        """The participations placed in any of ``regions``, with a ``region`` column."""
        parts = []
        for level, rows in self._select(regions).items():
            lvl = self._level(level)
            mask = np.isin(lvl.region_of_row, rows)
            codes = np.array(list(lvl.index))[lvl.region_of_row[mask]]
            parts.append(self.participations.loc[mask, list(_ROW_COLUMNS)].assign(region=codes))
        if not parts:
            return self.participations[list(_ROW_COLUMNS)].iloc[:0].assign(region=pd.Series(dtype=object))
        return pd.concat(parts) if len(parts) > 1 else parts[0]


def warehouse_load_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest successful load of the warehouse (the id measurements record)."""
    row = con.execute("SELECT max(load_id) FROM loads WHERE status LIKE 'ok%'").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _connect(source: Any) -> tuple[duckdb.DuckDBPyConnection, bool]:
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source, False
    if hasattr(source, "con") and isinstance(source.con, duckdb.DuckDBPyConnection):
        return source.con, False
    path = getattr(source, "db", source)
    if not isinstance(path, str | Path) or not Path(path).exists():
        raise InputError("warehouse not found", file=str(path))
    try:
        return duckdb.connect(str(path), read_only=True), True
    except duckdb.Error as exc:
        raise InputError(f"cannot open warehouse: {exc}", file=str(path)) from None
