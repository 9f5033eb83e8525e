"""Download the official open data rok reads, into a local cache with checksums.

Three sources, each from its official address (standard library only, ``urllib.request``):

* CORDIS project lists: ``https://cordis.europa.eu/data/cordis-{fp7,h2020,HORIZON}projects-csv.zip``
* Eurostat dissemination API (SDMX-CSV):
  ``https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{DATASET}?format=SDMX-CSV&compressed=false``
* GISCO NUTS boundaries:
  ``https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/NUTS_RG_{scale}_{year}_4326[_LEVL_{level}].geojson``

The part of each address before the file name can be replaced with ``base_url=`` or the
environment variables ``ROK_CORDIS_URL``, ``ROK_EUROSTAT_URL`` and ``ROK_GISCO_URL`` (mirrors,
tests). Files are kept in ``cache`` (default ``rok.config.cache_dir() / "downloads"``) next to a
``manifest.json`` recording url, file, sha256, size, download time, ETag and Last-Modified.
A download streams into a temporary file in the cache, hashed on the way, and is renamed into
place only once complete and checked; a failed download leaves no file behind.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rok.config import cache_dir
from rok.errors import InputError, SourceError
from rok.sources.batch import sha256_file

__all__ = [
    "Progress",
    "CORDIS_URL",
    "EUROSTAT_URL",
    "GISCO_URL",
    "MANIFEST",
    "fetch_cordis",
    "fetch_eurostat",
    "fetch_nuts",
]

Progress = Callable[[int, int | None], None]
"""Called as ``progress(bytes_so_far, total_or_None)`` while a download streams."""

CORDIS_URL = "https://cordis.europa.eu/data/"
EUROSTAT_URL = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/"
GISCO_URL = "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/"
MANIFEST = "manifest.json"

_FRAMEWORKS = {
    "fp7": "fp7",
    "h2020": "h2020",
    "horizon": "HORIZON",
    "he": "HORIZON",
    "horizon-europe": "HORIZON",
}
_NUTS_YEARS = (2013, 2016, 2021, 2024)
_NUTS_SCALES = ("01M", "03M", "10M", "20M", "60M")
_NUTS_LEVELS = (0, 1, 2, 3)
_DATASET = re.compile(r"^[A-Za-z0-9_$]+$")
_CHUNK = 1 << 16
_USER_AGENT = "rok/0.1 (python urllib)"


def fetch_cordis(
    framework: str,
    *,
    base_url: str | None = None,
    cache: Path | None = None,
    refresh: bool = False,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download the CORDIS project ZIP of ``framework`` (fp7, h2020, horizon; he = horizon).

    Official addresses: ``https://cordis.europa.eu/data/cordis-fp7projects-csv.zip``,
    ``.../cordis-h2020projects-csv.zip`` and ``.../cordis-HORIZONprojects-csv.zip``;
    ``base_url`` (or ``$ROK_CORDIS_URL``) replaces ``https://cordis.europa.eu/data/``.
    The archive is checked with ``zipfile`` before it is kept. Returns the cached file.
    """
    key = framework.strip().lower() if isinstance(framework, str) else framework
    if key not in _FRAMEWORKS:
        raise InputError(
            "unknown CORDIS framework; expected one of fp7, h2020, horizon (aliases he, horizon-europe)",
            value=framework,
        )
    name = f"cordis-{_FRAMEWORKS[key]}projects-csv.zip"
    url = _base(base_url, "ROK_CORDIS_URL", CORDIS_URL) + name
    return _fetch(url, name, cache, refresh, expected_sha256, progress, timeout, is_zip=True)


def fetch_eurostat(
    dataset: str,
    *,
    base_url: str | None = None,
    cache: Path | None = None,
    refresh: bool = False,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download a Eurostat dataset (e.g. ``tgs00042``, ``nama_10r_2gdp``) as SDMX-CSV.

    Official address:
    ``https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{DATASET}?format=SDMX-CSV&compressed=false``;
    ``base_url`` (or ``$ROK_EUROSTAT_URL``) replaces everything before ``{DATASET}``. The code
    is lower-cased; the file is saved as ``eurostat_{dataset}.csv``. Returns the cached file.
    """
    if not isinstance(dataset, str) or not _DATASET.match(dataset.strip()):
        raise InputError("invalid Eurostat dataset code; expected letters, digits, '_' or '$'", value=dataset)
    code = dataset.strip().lower()
    url = _base(base_url, "ROK_EUROSTAT_URL", EUROSTAT_URL) + f"{code}?format=SDMX-CSV&compressed=false"
    return _fetch(url, f"eurostat_{code}.csv", cache, refresh, expected_sha256, progress, timeout)


def fetch_nuts(
    year: int,
    *,
    scale: str = "20M",
    level: int | None = None,
    base_url: str | None = None,
    cache: Path | None = None,
    refresh: bool = False,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download NUTS region boundaries (GeoJSON, EPSG:4326) from GISCO.

    Official address: ``https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/
    NUTS_RG_{scale}_{year}_4326.geojson`` (all levels) or ``..._4326_LEVL_{level}.geojson``;
    ``base_url`` (or ``$ROK_GISCO_URL``) replaces everything before the file name.
    ``year`` in 2013, 2016, 2021, 2024; ``scale`` in 01M, 03M, 10M, 20M, 60M; ``level`` 0-3.
    """
    if isinstance(year, bool) or year not in _NUTS_YEARS:
        raise InputError(f"unknown NUTS year; expected one of {', '.join(map(str, _NUTS_YEARS))}", value=year)
    unit = scale.strip().upper() if isinstance(scale, str) else scale
    if unit not in _NUTS_SCALES:
        raise InputError(f"unknown NUTS scale; expected one of {', '.join(_NUTS_SCALES)}", value=scale)
    if level is not None and (isinstance(level, bool) or level not in _NUTS_LEVELS):
        raise InputError("unknown NUTS level; expected 0, 1, 2, 3 or None (all levels)", value=level)
    name = f"NUTS_RG_{unit}_{year}_4326" + (f"_LEVL_{level}" if level is not None else "") + ".geojson"
    url = _base(base_url, "ROK_GISCO_URL", GISCO_URL) + name
    return _fetch(url, name, cache, refresh, expected_sha256, progress, timeout)


def _base(explicit: str | None, env: str, default: str) -> str:
    return (explicit or os.environ.get(env) or default).rstrip("/") + "/"


def _fetch(
    url: str,
    name: str,
    cache: Path | None,
    refresh: bool,
    expected_sha256: str | None,
    progress: Progress | None,
    timeout: float,
    *,
    is_zip: bool = False,
) -> Path:
    folder = Path(cache) if cache is not None else cache_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    expected = expected_sha256.strip().lower() if expected_sha256 else None
    entry = _read_manifest(folder).get(name)
    cached: dict[str, Any] | None = None
    damaged = False
    if entry and entry.get("url") == url and target.is_file():
        if sha256_file(target) == entry.get("sha256"):
            cached = entry
        else:
            damaged = True
    usable = cached is not None and (expected is None or cached["sha256"] == expected)
    if usable and not refresh:
        return target

    headers = {"User-Agent": _USER_AGENT}
    if usable and cached is not None:
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
    try:
        result = _download(url, folder, name, headers, progress, timeout)
    except SourceError as exc:
        if damaged:
            raise SourceError(
                f"{exc}; the cached copy {target} is damaged (its sha256 no longer matches {MANIFEST})"
            ) from exc
        raise
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if result is None:  # 304 Not Modified: keep the cached file
        if cached is None:
            raise SourceError("download failed: HTTP 304 Not Modified without a cached copy", file=url)
        _update_manifest(folder, name, {**cached, "checked_at": now})
        return target

    tmp, digest, size, etag, last_modified = result
    try:
        if expected is not None and digest != expected:
            raise SourceError(
                f"sha256 mismatch: expected {expected}, got {digest}; download discarded", file=url
            )
        if is_zip:
            _check_zip(tmp, url)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _update_manifest(
        folder,
        name,
        {
            "url": url,
            "file": name,
            "sha256": digest,
            "size": size,
            "downloaded_at": now,
            "checked_at": now,
            "etag": etag,
            "last_modified": last_modified,
        },
    )
    return target


def _download(
    url: str,
    folder: Path,
    name: str,
    headers: dict[str, str],
    progress: Progress | None,
    timeout: float,
) -> tuple[Path, str, int, str | None, str | None] | None:
    """Stream ``url`` into a temporary file in ``folder``; ``None`` on 304 Not Modified."""
    request = urllib.request.Request(url, headers=headers)
    handle, tmpname = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmpname)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.strip().isdigit() else None
            if progress is not None:
                progress(0, total)
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(size, total)
            if total is not None and size != total:
                raise SourceError(f"download truncated: got {size} of {total} bytes", file=url)
            etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        exc.close()
        if exc.code == 304:
            return None
        raise SourceError(f"download failed: HTTP {exc.code} {exc.reason}", file=url) from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, refused, timeout, cut off
        tmp.unlink(missing_ok=True)
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise SourceError(f"download failed: {type(exc).__name__}: {reason}", file=url) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size, etag, last_modified


def _check_zip(path: Path, url: str) -> None:
    try:
        if not zipfile.is_zipfile(path):
            raise SourceError("downloaded file is not a valid ZIP archive (truncated or damaged)", file=url)
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise SourceError(f"downloaded ZIP archive is damaged: {exc}", file=url) from exc
    if bad is not None:
        raise SourceError(f"downloaded ZIP archive is damaged: member {bad!r} fails its CRC check", file=url)


def _read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def _update_manifest(folder: Path, name: str, entry: dict[str, Any]) -> None:
    files = _read_manifest(folder)
    files[name] = entry
    handle, tmpname = tempfile.mkstemp(dir=folder, prefix=f".{MANIFEST}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "files": files}, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(tmpname, folder / MANIFEST)
    finally:
        Path(tmpname).unlink(missing_ok=True)
