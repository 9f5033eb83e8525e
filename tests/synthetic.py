"""Tiny hand-made NUTS geometries for tests: squares in lon/lat, codes of real countries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def square(lon: float, lat: float, size: float = 1.0) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, geometry: dict, name: str | None = None) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": {
        "NUTS_ID": code, "LEVL_CODE": len(code) - 2, "CNTR_CODE": code[:2], "NAME_LATN": name or code,
        "NUTS_NAME": name or code, "MOUNT_TYPE": 4, "URBN_TYPE": 1, "COAST_TYPE": 3}}


def rectangle(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


#: BE: two level-3 regions side by side (lon 4-5 and 5-6, lat 50-51); LU: one region (lon 6-7, lat 49-50).
NUTS_2021 = [
    feature("BE", rectangle(4, 50, 6, 51)), feature("BE1", square(4, 50)), feature("BE10", square(4, 50)),
    feature("BE100", square(4, 50), "Brussel"), feature("BE2", square(5, 50)), feature("BE21", square(5, 50)),
    feature("BE211", square(5, 50), "Antwerpen"),
    feature("LU", square(6, 49)), feature("LU0", square(6, 49)), feature("LU00", square(6, 49)),
    feature("LU000", square(6, 49), "Luxembourg"),
]


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def poisson_matrix(seed: int, regions: int = 300, domains: int = 20) -> pd.DataFrame:
    """Poisson counts around a log-linear rate with a latent region x domain factor."""
    rng = np.random.default_rng(seed)
    log_rate = (
        rng.normal(0, 0.5, (regions, 1))
        + rng.normal(0, 0.5, (1, domains))
        + np.outer(rng.normal(0, 1, regions), rng.normal(0, 0.5, domains))
    )
    x = pd.DataFrame(
        rng.poisson(5 * np.exp(log_rate)).astype(float),
        index=[f"R{i:03d}" for i in range(regions)],
        columns=[f"D{j:02d}" for j in range(domains)],
    )
    return x.loc[x.sum(axis=1) > 0, x.sum(axis=0) > 0]
