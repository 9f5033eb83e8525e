"""GISCO NUTS boundaries (GeoJSON, EPSG:4326) -> ``regions`` rows.

Official address: https://gisco-services.ec.europa.eu/distribution/v2/nuts/ (files
``NUTS_RG_{scale}_{year}_4326[_LEVL_{level}].geojson``; label points ``NUTS_LB_...``).
Administrative boundaries (c) EuroGeographics.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import shapely
from shapely.geometry import shape

from rok.errors import InputError
from rok.sources.batch import Batch, sha256_bytes
from rok.sources.nutscodes import check_nuts_code
from rok.sources.tabular import decode, read_bytes
from rok.timing import step

__all__ = ["read_nuts", "nuts_year_from_name", "approx_area_km2"]

_YEAR = re.compile(r"NUTS_(?:RG|LB)_(?:\d+M_)?(\d{4})_")
_KM_PER_DEG = 111.32


def nuts_year_from_name(path: str | Path) -> int | None:
    """The NUTS version in a GISCO file name (``NUTS_RG_60M_2021_4326.geojson`` -> 2021)."""
    match = _YEAR.search(Path(path).name)
    return int(match.group(1)) if match else None


def approx_area_km2(geom: shapely.Geometry) -> float:
    """Area in km2 of a lon/lat geometry, scaling degrees at the geometry's mean latitude.

    Good to about 1% for regions spanning a few degrees of latitude; enough for overlap
    shares and densities (not for cadastral use).
    """
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return float(geom.area * _KM_PER_DEG * _KM_PER_DEG * math.cos(math.radians(lat)))


def read_nuts(path: str | Path, *, year: int | None = None) -> Batch:
    """Read a GISCO NUTS GeoJSON of regions (polygons) or label points.

    Polygons give full ``regions`` rows (code, version, level, names, country, parent derived
    from the code, typologies, centroid, area, WKB geometry). A label-point file
    (``NUTS_LB_...``) gives only the region centres, used to place a region on a map.
    """
    with step("read"):
        return _read_nuts(path, year)


def _read_nuts(path: str | Path, year: int | None) -> Batch:
    file = str(path)
    data = read_bytes(path)
    version = year or nuts_year_from_name(path)
    if version is None:
        raise InputError("cannot tell the NUTS version from the file name; pass --year", file=file)
    if not data.strip():
        raise InputError("file is empty: expected a GeoJSON FeatureCollection", file=file, line=1, value="")
    text = decode(data, file)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=file, line=exc.lineno, column=f"char {exc.colno}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise InputError("not a GeoJSON FeatureCollection (no 'features' list)", file=file, line=1)
    rows = []
    for number, feature in enumerate(features, start=1):
        where = f"feature {number}"
        props = feature.get("properties") or {}
        code = props.get("NUTS_ID")
        if not code:
            raise InputError(f"{where} has no NUTS_ID", file=file, column="NUTS_ID", value=code)
        code = check_nuts_code(str(code), file=file, line=None, column=f"{where}.NUTS_ID")
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: bad geometry ({exc})", file=file, column="geometry", value=code) from None
        level = int(props.get("LEVL_CODE", len(code) - 2))
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        rows.append(
            {
                "code": code,
                "nuts_version": version,
                "level": level,
                "name": props.get("NUTS_NAME"),
                "name_latn": props.get("NAME_LATN"),
                "country": props.get("CNTR_CODE") or code[:2],
                "parent": code[:-1] if level > 0 else None,
                "mount_type": props.get("MOUNT_TYPE"),
                "urbn_type": props.get("URBN_TYPE"),
                "coast_type": props.get("COAST_TYPE"),
                "lon": point.x,
                "lat": point.y,
                "area_km2": None if geom.geom_type == "Point" else approx_area_km2(geom),
                "geometry": None if geom.geom_type == "Point" else shapely.to_wkb(geom),
            }
        )
    frame = pd.DataFrame(rows)
    is_points = bool(len(frame)) and frame["geometry"].isna().all()
    for column in ("mount_type", "urbn_type", "coast_type"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    dups = frame[frame.duplicated(["code", "nuts_version"], keep=False)]
    if len(dups):
        raise InputError("duplicate primary key (NUTS_ID, version)", file=file, column="NUTS_ID", value=dups["code"].iat[0])
    batch = Batch(
        source=f"gisco-nuts-{version}" + ("-labels" if is_points else ""),
        file=file,
        sha256=sha256_bytes(data),
        rows_read=len(frame),
    )
    if is_points:
        batch.tables["region_labels"] = frame[["code", "nuts_version", "lon", "lat"]]
    else:
        batch.tables["regions"] = frame
    return batch
