"""Tests of rok.sources.fetch against a local HTTP server; nothing here touches the internet."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rok.errors import InputError, SourceError
from rok.sources.fetch import MANIFEST, fetch_cordis, fetch_eurostat, fetch_nuts

SDMX_CSV = (
    "DATAFLOW,LAST UPDATE,freq,unit,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
    "ESTAT:TGS00042(1.0),01/01/24 23:00:00,A,PC_GDP,AT13,2021,3.8,\n"
    "ESTAT:TGS00042(1.0),01/01/24 23:00:00,A,PC_GDP,DE11,2021,5.9,\n"
)
GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"NUTS_ID": "AT13", "LEVL_CODE": 2, "NAME_LATN": "Wien"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[16.2, 48.1], [16.5, 48.1], [16.5, 48.3], [16.2, 48.1]]],
                },
            }
        ],
    }
)
CORDIS = "/cordis/cordis-h2020projects-csv.zip"


def _zip_bytes(text: str = "id;acronym\n101;ALPHA\n102;BETA\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.csv", text)
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path = urlsplit(self.path).path
        self.server.requests.append((self.path, dict(self.headers)))
        mode = self.server.modes.get(path)
        file = self.server.root / path.lstrip("/")
        if mode in (404, 500) or not file.is_file():
            self.send_error(mode if isinstance(mode, int) else 404)
            return
        if mode == "slow":
            time.sleep(1.5)
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
        self.send_header("Content-Length", str(len(body) + (100 if mode == "short" else 0)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout tests): expected
            return

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    root: Path
    modes: dict[str, object]
    requests: list[tuple[str, dict[str, str]]]


@dataclass
class Site:
    server: _Server
    root: Path
    url: str
    modes: dict[str, object] = field(default_factory=dict)

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self.server.requests

    def put(self, path: str, data: bytes | str) -> bytes:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode() if isinstance(data, str) else data
        target.write_bytes(raw)
        return raw

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ROK_CORDIS_URL", "ROK_EUROSTAT_URL", "ROK_GISCO_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROK_CACHE", str(tmp_path / "rok-cache"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "www"
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root, server.modes, server.requests = root, {}, []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    s = Site(server, root, f"http://127.0.0.1:{server.server_address[1]}/", server.modes)
    s.put(CORDIS, _zip_bytes())
    s.put("/eurostat/tgs00042", SDMX_CSV)
    s.put("/gisco/NUTS_RG_20M_2021_4326_LEVL_2.geojson", GEOJSON)
    yield s
    s.stop()
    thread.join(timeout=5)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _manifest(cache: Path) -> dict[str, dict[str, object]]:
    return json.loads((cache / MANIFEST).read_text())["files"]


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name != MANIFEST) if cache.exists() else []


def test_download_writes_file_manifest_and_sha(site: Site, cache: Path) -> None:
    path = fetch_cordis("H2020", base_url=site.url + "cordis", cache=cache)
    raw = (site.root / CORDIS.lstrip("/")).read_bytes()
    assert path == cache / "cordis-h2020projects-csv.zip"
    assert path.read_bytes() == raw
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["project.csv"]
    entry = _manifest(cache)[path.name]
    assert entry["url"] == site.url + CORDIS.lstrip("/")
    assert entry["sha256"] == hashlib.sha256(raw).hexdigest()
    assert entry["size"] == len(raw)
    assert entry["etag"] and entry["last_modified"] and entry["downloaded_at"]
    assert len(site.requests) == 1
    assert _leftovers(cache) == [path.name]


def test_second_call_uses_cache_without_network(site: Site, cache: Path) -> None:
    first = fetch_cordis("h2020", base_url=site.url + "cordis/", cache=cache)
    assert len(site.requests) == 1
    second = fetch_cordis("h2020", base_url=site.url + "cordis/", cache=cache)
    assert second == first and len(site.requests) == 1
    site.stop()  # truly offline now
    assert fetch_cordis("h2020", base_url=site.url + "cordis/", cache=cache) == first


def test_refresh_with_304_keeps_file(site: Site, cache: Path) -> None:
    path = fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache)
    before = (path.read_bytes(), path.stat().st_mtime_ns, _manifest(cache)[path.name]["sha256"])
    again = fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache, refresh=True)
    assert again == path and len(site.requests) == 2
    headers = site.requests[1][1]
    assert headers.get("If-None-Match") == _manifest(cache)[path.name]["etag"]
    assert headers.get("If-Modified-Since") == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert (path.read_bytes(), path.stat().st_mtime_ns, _manifest(cache)[path.name]["sha256"]) == before
    assert "checked_at" in _manifest(cache)[path.name]


def test_refresh_downloads_changed_file(site: Site, cache: Path) -> None:
    fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache)
    new = site.put(CORDIS, _zip_bytes("id;acronym\n103;GAMMA\n"))
    path = fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache, refresh=True)
    assert path.read_bytes() == new
    assert _manifest(cache)[path.name]["sha256"] == hashlib.sha256(new).hexdigest()


def test_corrupted_cache_is_downloaded_again(site: Site, cache: Path) -> None:
    path = fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache)
    good = path.read_bytes()
    path.write_bytes(b"garbage")
    assert fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache).read_bytes() == good
    assert len(site.requests) == 2


def test_corrupted_cache_offline_is_an_error(site: Site, cache: Path) -> None:
    path = fetch_eurostat("tgs00042", base_url=site.url + "eurostat", cache=cache)
    path.write_text("tampered")
    site.stop()
    with pytest.raises(SourceError, match="damaged"):
        fetch_eurostat("tgs00042", base_url=site.url + "eurostat", cache=cache)


def test_expected_sha256(site: Site, cache: Path) -> None:
    raw = (site.root / CORDIS.lstrip("/")).read_bytes()
    good = hashlib.sha256(raw).hexdigest()
    path = fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache, expected_sha256=good.upper())
    assert path.read_bytes() == raw


def test_wrong_expected_sha256_is_an_error_and_nothing_kept(site: Site, cache: Path) -> None:
    wrong = "0" * 64
    with pytest.raises(SourceError) as info:
        fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache, expected_sha256=wrong)
    message = str(info.value)
    actual = hashlib.sha256((site.root / CORDIS.lstrip("/")).read_bytes()).hexdigest()
    assert site.url + CORDIS.lstrip("/") in message and wrong in message and actual in message
    assert _leftovers(cache) == []


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors(site: Site, cache: Path, status: int) -> None:
    site.modes[CORDIS] = status
    with pytest.raises(SourceError, match=str(status)) as info:
        fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache)
    assert site.url + CORDIS.lstrip("/") in str(info.value)
    assert _leftovers(cache) == []


def test_missing_dataset_is_404(site: Site, cache: Path) -> None:
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch_eurostat("nope_1", base_url=site.url + "eurostat", cache=cache)
    assert _leftovers(cache) == []


def test_truncated_zip_is_an_error(site: Site, cache: Path) -> None:
    whole = _zip_bytes("x" * 5000)
    site.put(CORDIS, whole[: len(whole) // 2])
    with pytest.raises(SourceError, match="ZIP"):
        fetch_cordis("h2020", base_url=site.url + "cordis", cache=cache)
    assert _leftovers(cache) == []


def test_connection_cut_short_is_an_error(site: Site, cache: Path) -> None:
    site.modes["/eurostat/tgs00042"] = "short"
    with pytest.raises(SourceError):
        fetch_eurostat("tgs00042", base_url=site.url + "eurostat", cache=cache)
    assert _leftovers(cache) == []


def test_connection_refused_is_an_error(cache: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError, match=f"127.0.0.1:{port}"):
        fetch_nuts(2021, base_url=f"http://127.0.0.1:{port}/gisco", cache=cache)
    assert _leftovers(cache) == []


def test_timeout_is_an_error(site: Site, cache: Path) -> None:
    site.modes["/eurostat/tgs00042"] = "slow"
    with pytest.raises(SourceError, match="download failed"):
        fetch_eurostat("tgs00042", base_url=site.url + "eurostat", cache=cache, timeout=0.3)
    assert _leftovers(cache) == []


def test_eurostat_and_nuts(site: Site, cache: Path) -> None:
    csv = fetch_eurostat("TGS00042", base_url=site.url + "eurostat", cache=cache)
    assert csv.name == "eurostat_tgs00042.csv" and csv.read_text() == SDMX_CSV
    assert site.requests[-1][0] == "/eurostat/tgs00042?format=SDMX-CSV&compressed=false"
    geo = fetch_nuts(2021, scale="20m", level=2, base_url=site.url + "gisco", cache=cache)
    assert geo.name == "NUTS_RG_20M_2021_4326_LEVL_2.geojson"
    assert json.loads(geo.read_text())["features"][0]["properties"]["NUTS_ID"] == "AT13"
    assert set(_manifest(cache)) == {csv.name, geo.name}


def test_progress_callback(site: Site, cache: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    path = fetch_nuts(
        2021, level=2, base_url=site.url + "gisco", cache=cache, progress=lambda n, t: calls.append((n, t))
    )
    size = path.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert [n for n, _ in calls] == sorted(n for n, _ in calls)


def test_env_var_base_urls_and_default_cache(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ROK_CORDIS_URL", site.url + "cordis")
    monkeypatch.setenv("ROK_EUROSTAT_URL", site.url + "eurostat/")
    monkeypatch.setenv("ROK_GISCO_URL", site.url + "gisco")
    monkeypatch.setenv("ROK_CACHE", str(tmp_path / "envcache"))
    paths = [fetch_cordis("h2020"), fetch_eurostat("tgs00042"), fetch_nuts(2021, level=2)]
    assert all(p.parent == tmp_path / "envcache" / "downloads" and p.is_file() for p in paths)
    assert len(site.requests) == 3


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: fetch_cordis("fp7"), "https://cordis.europa.eu/data/cordis-fp7projects-csv.zip"),
        (
            lambda: fetch_cordis("Horizon-Europe"),
            "https://cordis.europa.eu/data/cordis-HORIZONprojects-csv.zip",
        ),
        (lambda: fetch_cordis("he"), "https://cordis.europa.eu/data/cordis-HORIZONprojects-csv.zip"),
        (
            lambda: fetch_eurostat("nama_10r_2gdp"),
            "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/nama_10r_2gdp?format=SDMX-CSV&compressed=false",
        ),
        (
            lambda: fetch_nuts(2024),
            "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/NUTS_RG_20M_2024_4326.geojson",
        ),
        (
            lambda: fetch_nuts(2016, scale="01M", level=0),
            "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/NUTS_RG_01M_2016_4326_LEVL_0.geojson",
        ),
    ],
)
def test_official_addresses_without_network(monkeypatch: pytest.MonkeyPatch, call, expected: str) -> None:
    seen: list[str] = []

    def offline(request: urllib.request.Request, timeout: float = 0) -> None:
        seen.append(request.full_url)
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(SourceError, match="offline"):
        call()
    assert seen == [expected]


@pytest.mark.parametrize(
    ("call", "value"),
    [
        (lambda c: fetch_cordis("fp6", cache=c), "fp6"),
        (lambda c: fetch_nuts(2010, cache=c), "2010"),
        (lambda c: fetch_nuts(2021, scale="5M", cache=c), "5M"),
        (lambda c: fetch_nuts(2021, level=4, cache=c), "4"),
        (lambda c: fetch_eurostat("../etc/passwd", cache=c), "../etc/passwd"),
        (lambda c: fetch_eurostat("", cache=c), ""),
    ],
)
def test_bad_arguments_are_input_errors(cache: Path, call, value: str) -> None:
    with pytest.raises(InputError) as info:
        call(cache)
    assert not isinstance(info.value, SourceError)
    assert repr(value) in str(info.value) or value == ""
    assert "expected" in str(info.value)


def test_unknown_framework_names_allowed_values() -> None:
    with pytest.raises(InputError, match="fp7, h2020, horizon") as info:
        fetch_cordis("FP6")
    assert "'FP6'" in str(info.value)
