"""Loading sources into the warehouse, and refreshing the tables derived from them.

Each file is read and validated completely before anything is written. A command's loads
and the rebuild of the derived tables are one transaction (:meth:`Warehouse.transaction`
nests): a failed rebuild leaves the warehouse as it was before the loads. After loads, the
copies of one project from several sources are merged (:mod:`rok.warehouse.project_identity`)
and the derived tables are rebuilt:
``organisations`` (merged and placed, :mod:`rok.warehouse.placement`) when CORDIS or NUTS
data changed, ``nuts_correspondence`` and ``indicators_nuts2021``
(:mod:`rok.warehouse.correspondence`) when indicators or NUTS data changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rok.errors import InputError
from rok.sources import (
    cordis_bulk,
    cordis_horizon,
    cordis_mirror,
    cordis_themes,
    eurostat,
    lau,
    nuts,
    nuts_changes,
    table,
)
from rok.sources.batch import Batch
from rok.sources.gazetteer import Gazetteer
from rok.timing import step
from rok.warehouse.correspondence import harmonise_indicators
from rok.warehouse.placement import build_organisations
from rok.warehouse.project_identity import unify_projects
from rok.warehouse.store import LoadResult, Warehouse
from rok.warehouse.taxonomies import record_taxonomies

__all__ = [
    "MIRROR_FILES",
    "ingest_mirror",
    "ingest_cordis",
    "ingest_eurostat",
    "ingest_nuts",
    "ingest_table",
    "refresh",
    "Progress",
]

Progress = Callable[[str, int, int], None]
Reader = Callable[..., Batch]

#: The mirror's files, in load order (boundaries first), with their readers.
MIRROR_FILES: list[tuple[str, Reader]] = [
    *[(f"nuts/2016/NUTS_RG_20M_2016_4326_LEVL_{level}.geojson", nuts.read_nuts) for level in range(4)],
    ("nuts/2021/NUTS_RG_60M_2021_4326.geojson", nuts.read_nuts),
    ("nuts/2021/NUTS_LB_2021_4326.geojson", nuts.read_nuts),
    ("nuts/2024/NUTS_RG_20M_2024_4326.geojson", nuts.read_nuts),
    ("nuts/changes/nuts_changes_1999_2021.csv.gz", nuts_changes.read_nuts_changes),
    ("lau/lau_2019_nuts_2016.csv.gz", lau.read_lau),
    ("cordis/h2020/participations.csv.gz", cordis_mirror.read_h2020_participations),
    ("cordis/h2020/programme_parts.csv.gz", cordis_mirror.read_h2020_programme_parts),
    ("cordis/h2020/programme_parts.csv.gz", cordis_themes.read_h2020_themes),
    ("cordis/horizon", cordis_horizon.read_horizon_projects),
    ("cordis/h2020/organisations_2017.csv.gz", cordis_mirror.read_h2020_organisations),
    ("cordis/fp7/organisations_address.csv.gz", cordis_mirror.read_fp7_addresses),
    ("cordis/reference/cordisref-H2020programmes.csv", cordis_mirror.read_reference),
    ("cordis/reference/cordisref-H2020topics.csv", cordis_mirror.read_reference),
    ("cordis/reference/cordisref-organizationActivityType.csv", cordis_mirror.read_reference),
    ("cordis/reference/cordisref-sicCode.csv", cordis_mirror.read_reference),
    ("eurostat/eurostat_tgs00042_gerd_rd_expenditure.csv", eurostat.read_eurostat),
    ("eurostat/eurostat_nama_10r_2gdp.csv", eurostat.read_eurostat),
    ("eurostat/eurostat_gdp_pc_pps_nuts2.csv", eurostat.read_eurostat),
    ("eurostat/eurostat_tgs00007_employment_rate.csv", eurostat.read_eurostat),
    ("eurostat/eurostat_tgs00109_tertiary_education_25_64.csv", eurostat.read_eurostat),
    ("eurostat/regional_rd_panel_2008_2019.csv.gz", eurostat.read_regional_panel),
]


@dataclass
class IngestReport:
    loads: list[LoadResult]
    missing: list[str]


def _load(wh: Warehouse, reader: Reader, path: Path, *, force: bool, skip_bad_rows: bool, **kwargs: object) -> LoadResult:
    with step("validate"):
        batch = reader(path, skip_bad_rows=skip_bad_rows, **kwargs) if reader is not nuts.read_nuts else reader(path, **kwargs)
    return wh.write(batch, force=force)


def ingest_mirror(
    wh: Warehouse,
    mirror: Path,
    *,
    force: bool = False,
    skip_bad_rows: bool = True,
    gazetteer: Gazetteer | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load every file of the offline mirror, then rebuild the derived tables.

    The mirror is real data with known defects (e.g. an organisation row without an id), so
    by default bad rows are recorded in ``rejects`` and the load goes on
    (``skip_bad_rows=True``); pass False to stop at the first bad value instead.
    """
    with wh.transaction():
        return _ingest_mirror(wh, mirror, force=force, skip_bad_rows=skip_bad_rows, gazetteer=gazetteer,
                              progress=progress)


def _ingest_mirror(wh: Warehouse, mirror: Path, *, force: bool, skip_bad_rows: bool,
                   gazetteer: Gazetteer | None, progress: Progress | None) -> IngestReport:
    loads, missing = [], []
    for number, (relative, reader) in enumerate(MIRROR_FILES, start=1):
        path = mirror / relative
        if progress:
            progress(f"load {relative}", number - 1, len(MIRROR_FILES))
        if not path.exists():
            missing.append(relative)
            continue
        loads.append(_load(wh, reader, path, force=force, skip_bad_rows=skip_bad_rows))
    if progress:
        progress("loaded", len(MIRROR_FILES), len(MIRROR_FILES))
    if not all(load.skipped for load in loads) or not wh.scalar("SELECT count(*) FROM organisations"):
        refresh(wh, gazetteer=gazetteer, progress=progress)
    record_taxonomies(wh)
    return IngestReport(loads, missing)


def _files(path: Path, patterns: tuple[str, ...]) -> list[Path]:
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    if path.is_dir():
        found = sorted({p for pattern in patterns for p in path.glob(pattern)})
        if not found:
            raise InputError(f"no files matching {', '.join(patterns)} in this directory", file=str(path))
        return found
    return [path]


def ingest_cordis(wh: Warehouse, path: Path, *, framework: str | None = None, force: bool = False,
                  skip_bad_rows: bool = False, gazetteer: Gazetteer | None = None,
                  progress: Progress | None = None) -> list[LoadResult]:
    """Load an official CORDIS bulk download (ZIP or directory) and re-place organisations."""
    with wh.transaction():
        result = _load(wh, cordis_bulk.read_cordis_bulk, path, force=force, skip_bad_rows=skip_bad_rows,
                       framework=framework)
        refresh(wh, indicators=False, gazetteer=gazetteer, progress=progress)
    return [result]


def _eurostat_reader(path: Path) -> Reader:
    with open(path, "rb") as handle:
        head = handle.read(2)
    if head == b"\x1f\x8b" or path.name.startswith("regional_rd_panel"):
        return eurostat.read_regional_panel
    return eurostat.read_eurostat


def ingest_eurostat(wh: Warehouse, path: Path, *, force: bool = False, skip_bad_rows: bool = False) -> list[LoadResult]:
    """Load Eurostat SDMX-CSV files (or the wide panel), a file or every CSV in a directory."""
    results = []
    with wh.transaction():
        for file in _files(path, ("*.csv", "*.csv.gz")):
            results.append(_load(wh, _eurostat_reader(file), file, force=force, skip_bad_rows=skip_bad_rows))
        refresh(wh, organisations=False)
    return results


def ingest_nuts(wh: Warehouse, path: Path, *, year: int | None = None, force: bool = False,
                gazetteer: Gazetteer | None = None, progress: Progress | None = None) -> list[LoadResult]:
    """Load GISCO NUTS GeoJSON files (a file or every ``*.geojson`` in a directory)."""
    with wh.transaction():
        results = [wh.write(nuts.read_nuts(f, year=year), force=force)
                   for f in _files(path, ("*.geojson", "**/*.geojson"))]
        refresh(wh, gazetteer=gazetteer, progress=progress)
    return results


def ingest_table(wh: Warehouse, path: Path, mapping: Path, *, force: bool = False, skip_bad_rows: bool = False,
                 gazetteer: Gazetteer | None = None) -> list[LoadResult]:
    """Load any delimited table through a column mapping (see :mod:`rok.sources.table`)."""
    with wh.transaction():
        result = _load(wh, table.read_table, path, force=force, skip_bad_rows=skip_bad_rows, mapping_path=mapping)
        refresh(wh, gazetteer=gazetteer)
    return [result]


def refresh(wh: Warehouse, *, organisations: bool = True, indicators: bool = True,
            gazetteer: Gazetteer | None = None, postcodes: pd.DataFrame | None = None,
            progress: Progress | None = None) -> None:
    """Rebuild the derived tables from what is loaded (skipping what has no inputs yet), in one
    transaction (or the caller's)."""
    with wh.transaction():
        _refresh(wh, organisations=organisations, indicators=indicators, gazetteer=gazetteer,
                 postcodes=postcodes, progress=progress)


def _refresh(wh: Warehouse, *, organisations: bool, indicators: bool, gazetteer: Gazetteer | None,
             postcodes: pd.DataFrame | None, progress: Progress | None) -> None:
    record_taxonomies(wh)
    if organisations:
        unify_projects(wh)
    has_2021 = bool(wh.scalar("SELECT count(*) FROM regions WHERE nuts_version = 2021"))
    if organisations and has_2021 and wh.scalar(
        "SELECT (SELECT count(*) FROM participations) + (SELECT count(*) FROM organisation_sources)"
    ):
        with step("geocode"):
            build_organisations(wh, gazetteer=gazetteer, postcodes=postcodes, progress=progress)
    if indicators and has_2021:
        with step("harmonise"):
            harmonise_indicators(wh, gazetteer)
