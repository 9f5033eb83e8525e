"""End to end through the command line: ``rok ingest ...`` and ``rok status``.

Bad input of every kind the issue lists (a truncated ZIP, a missing required column, a wrong
delimiter, a non-numeric amount, an unknown NUTS code, a duplicate primary key, a non-UTF-8
file, an empty file) must give a non-zero exit and a one-line message naming the file, line,
column and value, never a traceback, and must leave the warehouse holding exactly the data it
held before. With ``--skip-bad-rows`` a bad row among good ones is recorded in ``rejects`` and
the others are loaded.

A small warehouse is built once per module through the CLI from the fixtures of the reader
tests (CORDIS bulk, Eurostat SDMX-CSV, a mapped table) and a tiny NUTS 2021 GeoJSON
(``fixtures/cli``), so placement runs for real but offline. Each test works on a copy.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

from rok.cli.main import app

FIXTURES = Path(__file__).parent / "fixtures"
H2020 = FIXTURES / "cordis_bulk" / "cordis-h2020projects-csv"
SDMX = FIXTURES / "eurostat" / "nama_10r_2gdp_sdmx2.csv"
SDMX_LABELS = FIXTURES / "eurostat" / "tgs00042_sdmx2_labels.csv"
FUNDING = FIXTURES / "table" / "foerderkatalog.csv"
FUNDING_MAP = FIXTURES / "table" / "foerderkatalog.toml"
PATENTS = FIXTURES / "table" / "regional_indicators.csv"
PATENTS_MAP = FIXTURES / "table" / "regional_indicators.toml"
NUTS = FIXTURES / "cli" / "NUTS_RG_60M_2021_4326.geojson"
ORG = "organization.csv"

#: The loads that build the module's warehouse, in order (command, input, extra options).
GOOD_LOADS: dict[str, list[str]] = {
    "nuts": ["nuts", str(NUTS)],
    "cordis": ["cordis", str(H2020)],
    "eurostat": ["eurostat", str(SDMX)],
    "table": ["table", str(FUNDING), "--mapping", str(FUNDING_MAP)],
}

SOURCES = {"nuts": "gisco-nuts-2021", "cordis": "cordis-h2020-bulk", "eurostat": "eurostat:nama_10r_2gdp",
           "table": "foerderkatalog"}

runner = CliRunner()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- helpers ---------------------------------------------------------------------------------------
def rok(cache: Path, *args: object) -> Result:
    """Run ``rok`` in-process with the gazetteer cache in ``cache`` (never the user's home)."""
    env = {"ROK_CACHE": str(cache), "ROK_DB": None, "ROK_MIRROR": None, "FORCE_COLOR": None}
    return runner.invoke(app, [str(a) for a in args], env=env)


def text(stream: str) -> str:
    return _ANSI.sub("", stream)


def assert_clean_failure(result: Result) -> str:
    """A non-zero exit through ``typer.Exit`` with an ``error:`` line; returns the message."""
    assert result.exit_code != 0, result.output
    # CliRunner catches any exception: a crash would show up here, not as a printed traceback
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    output = text(result.output)
    assert "Traceback" not in output
    message = text(result.stderr)
    assert message.startswith("error: "), output
    return message


def _value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"  # NaN != NaN would make equal tables compare unequal
    return value


def _order(row: tuple[Any, ...]) -> tuple[tuple[bool, str, str], ...]:
    return tuple((v is None, type(v).__name__, str(v)) for v in row)


def snapshot(db: Path, *, without: tuple[str, ...] = ()) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table of the warehouse: its columns and all its rows, sorted (columns in ``without`` left out)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        result = {}
        for table in tables:
            columns = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] not in without]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = [tuple(_value(v) for v in row) for row in con.execute(f'SELECT {names} FROM "{table}"').fetchall()]
            result[table] = (columns, sorted(rows, key=_order))
        return result
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def copy_fixture(src: Path, dest_dir: Path) -> Path:
    """A copy of a fixture file or directory in ``dest_dir``, under the same name."""
    dest = dest_dir / src.name
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        dest_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    return dest


def make_zip(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(src.iterdir()):
            archive.write(member, member.name)
    return dest


Edit = Callable[[bytes], bytes]


def sub(old: str | bytes, new: str | bytes) -> Edit:
    """Replace the first ``old`` (which must be there) by ``new``."""
    old_b = old.encode() if isinstance(old, str) else old
    new_b = new.encode() if isinstance(new, str) else new

    def edit(data: bytes) -> bytes:
        assert old_b in data, old_b
        return data.replace(old_b, new_b, 1)

    return edit


def append_line(line_no: int) -> Edit:
    """Append a copy of physical line ``line_no`` (1-based)."""
    return lambda data: data + data.split(b"\n")[line_no - 1] + b"\n"


def _rows(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def _write_rows(rows: list[list[str]], delimiter: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def drop_column(name: str, delimiter: str) -> Edit:
    """Remove a column from the header and from every row."""

    def edit(data: bytes) -> bytes:
        rows = _rows(data, delimiter)
        at = rows[0].index(name)
        return _write_rows([r[:at] + r[at + 1:] for r in rows], delimiter)

    return edit


def redelimit(old: str, new: str) -> Edit:
    return lambda data: _write_rows(_rows(data, old), new)


def empty(_: bytes) -> bytes:
    return b""


def first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def edited(src: Path, edit: Edit, member: str | None = None, *, as_zip: bool = False) -> Callable[[Path], Path]:
    """A builder of a bad input: a copy of ``src`` (or of its ``member``) changed by ``edit``."""

    def build(tmp: Path) -> Path:
        path = copy_fixture(src, tmp / "in")
        target = path / member if member else path
        target.write_bytes(edit(target.read_bytes()))
        return make_zip(path, tmp / f"{path.name}.zip") if as_zip else path

    return build


def zipped(edit: Edit) -> Callable[[Path], Path]:
    """A builder of a CORDIS ZIP whose bytes are changed by ``edit``."""

    def build(tmp: Path) -> Path:
        archive = make_zip(H2020, tmp / "cordis-h2020projects-csv.zip")
        archive.write_bytes(edit(archive.read_bytes()))
        return archive

    return build


def written(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return build


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One gazetteer cache for the module (built once, about 5 s)."""
    return tmp_path_factory.mktemp("rok-cache")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> Path:
    """A warehouse with NUTS 2021 regions, a CORDIS bulk download, Eurostat data and a mapped table."""
    db = tmp_path_factory.mktemp("base") / "rok.duckdb"
    for args in GOOD_LOADS.values():
        result = rok(cache, "ingest", *args, "--db", db)
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(base: Path, tmp_path: Path) -> Path:
    """A private copy of the module's warehouse."""
    path = tmp_path / "wh" / base.name
    path.parent.mkdir()
    for file in base.parent.glob(base.name + "*"):  # the file and a write-ahead log, if any
        shutil.copyfile(file, path.parent / file.name)
    return path


def test_base_warehouse_has_data(db: Path) -> None:
    counts = {t: len(rows) for t, (_, rows) in snapshot(db).items()}
    assert counts["regions"] == 15 and counts["projects"] == 3 and counts["loads"] == 4
    assert counts["participations"] == 9 + 4 and counts["indicators"] == 3 and counts["indicators_nuts2021"] == 3
    assert counts["organisations"] > 0 and counts["rejects"] == 0
    methods = dict(query(db, "SELECT org_id, place_method FROM organisations"))
    assert methods["999902"] == "cordis-nuts" and methods["999905"] == "cordis-nuts"  # DEA22, NL224


# -- bad input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bad:
    """A bad input for one command, and what the message must say.

    ``row_level``: with ``--skip-bad-rows`` the bad row becomes a reject (else the load stops
    anyway). ``good_rows``: for row-level cases, the rows of ``table`` the load keeps.
    """

    command: str
    build: Callable[[Path], Path]
    file: str  # what the message must name as the file
    line: int | None = None
    column: str | None = None
    value: str | None = None
    says: tuple[str, ...] = ()
    row_level: bool = False
    table: str = ""
    good_rows: int = 0

    def args(self, path: Path) -> list[object]:
        if self.command == "table":
            mapping = PATENTS_MAP if path.name.startswith("regional_indicators") else FUNDING_MAP
            return ["ingest", "table", path, "--mapping", mapping]
        return ["ingest", self.command, path]

    def fragments(self) -> list[str]:
        found = [self.file, *self.says]
        if self.line is not None:
            found.append(f"line {self.line}")
        if self.column is not None:
            found.append(f"column {self.column!r}")
        if self.value is not None:
            found.append(f"value {self.value!r}")
        return found


_ORG_FILE = f"cordis-h2020projects-csv/{ORG}"
_FUNDING_HEADER = "FKZ;Ressort;Zuwendungsempfaenger-ID;Zuwendungsempfaenger;Land;Foerdersumme in EUR;Abgeschlossen"
_SDMX_HEADER = "STRUCTURE;STRUCTURE_ID;ACTION;freq;unit;geo;TIME_PERIOD;OBS_VALUE;OBS_FLAG;CONF_STATUS"
_NOT_JSON = b'{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",, "properties": {}}\n]}\n'

BAD: dict[str, Bad] = {
    # 1. a truncated ZIP (and an empty one)
    "cordis-truncated-zip": Bad("cordis", zipped(first_half), "cordis-h2020projects-csv.zip",
                                says=("truncated",)),
    # 2. a missing required column
    "cordis-missing-column": Bad("cordis", edited(H2020, drop_column("organisationID", ";"), ORG), _ORG_FILE,
                                 line=1, column="organisationID", says=("missing required column",)),
    "cordis-zip-missing-column": Bad("cordis", edited(H2020, drop_column("role", ";"), ORG, as_zip=True),
                                     f"cordis-h2020projects-csv.zip:{ORG}", line=1, column="role",
                                     says=("missing required column",)),
    "eurostat-missing-column": Bad("eurostat", edited(SDMX, drop_column("OBS_VALUE", ",")), SDMX.name,
                                   line=1, column="OBS_VALUE", says=("missing required column",)),
    "table-missing-column": Bad("table", edited(FUNDING, drop_column("FKZ", ";")), FUNDING.name,
                                line=1, column="FKZ", says=("missing required column",)),
    # 3. a wrong delimiter
    # (commas are a valid CORDIS layout: the Horizon Europe files are comma separated)
    "cordis-wrong-delimiter": Bad("cordis", edited(H2020, redelimit(";", "\t"), ORG), _ORG_FILE, line=1,
                                  column="projectID", says=("wrong delimiter", "separated by '\\t'")),
    "eurostat-wrong-delimiter": Bad("eurostat", edited(SDMX, redelimit(",", ";")), SDMX.name, line=1,
                                    says=(f"value '{_SDMX_HEADER[:40]}",)),
    "table-wrong-delimiter": Bad("table", edited(FUNDING, redelimit(";", ",")), FUNDING.name, line=1,
                                 column="FKZ", says=("wrong delimiter", "value 'FKZ,Ressort,")),
    # 4. a non-numeric amount
    "cordis-non-numeric": Bad("cordis", edited(H2020, sub('"1200000,5";"1200000,5";', '"12x5";"1200000,5";'), ORG),
                              _ORG_FILE, line=2, column="ecContribution", value="12x5", says=("expected a number",),
                              row_level=True, table="participations", good_rows=8),
    "eurostat-non-numeric": Bad("eurostat", edited(SDMX, sub(",268019.3,", ",268O19.3,")), SDMX.name, line=2,
                                column="OBS_VALUE", value="268O19.3", says=("expected a number",),
                                row_level=True, table="indicators", good_rows=2),
    "table-non-numeric": Bad("table", edited(FUNDING, sub(";456000,00;", ";456.000,00 EUR;")), FUNDING.name,
                             line=3, column="Foerdersumme in EUR", value="456.000,00 EUR",
                             says=("expected a number",), row_level=True, table="participations", good_rows=3),
    # 5. an unknown NUTS code
    "cordis-unknown-nuts": Bad("cordis", edited(H2020, sub('"EL522"', '"XX12"'), ORG), _ORG_FILE, line=3,
                               column="nutsCode", value="XX12", says=("unknown NUTS code",),
                               row_level=True, table="participations", good_rows=8),
    "eurostat-unknown-nuts": Bad("eurostat", edited(SDMX, sub(",DE21,2022,285001.5,", ",QQ11,2022,285001.5,")),
                                 SDMX.name, line=3, column="geo", value="QQ11", says=("unknown NUTS code",),
                                 row_level=True, table="indicators", good_rows=2),
    "table-unknown-nuts": Bad("table", edited(PATENTS, sub("\nde22,", "\nqq22,")), PATENTS.name, line=3,
                              column="NUTS", value="qq22", says=("unknown NUTS code",),
                              row_level=True, table="indicators", good_rows=3),
    # 6. a duplicate primary key
    "cordis-duplicate-key": Bad("cordis", edited(H2020, append_line(2), ORG), _ORG_FILE, line=11, column="projectID",
                                value="700101|999901|coordinator", says=("duplicate primary key", "first seen on line 2"),
                                row_level=True, table="participations", good_rows=9),
    "eurostat-duplicate-key": Bad("eurostat", edited(SDMX, append_line(3)), SDMX.name, line=6, column="geo",
                                  value="DE21|nama_10r_2gdp|MIO_EUR|2022", says=("duplicate primary key",),
                                  row_level=True, table="indicators", good_rows=3),
    "table-duplicate-key": Bad("table", edited(FUNDING, append_line(2)), FUNDING.name, line=6, column="FKZ",
                               value="01IS17059|ZE-100234|participant", says=("duplicate primary key",),
                               row_level=True, table="participations", good_rows=4),
    # 7. a non-UTF-8 file
    "cordis-latin-1": Bad("cordis", edited(H2020, sub('"UNIVERSITETET I BERGEN"', '"Universit\xe9tet i Bergen"'.encode("latin-1")), ORG),
                          _ORG_FILE, line=2, column="char 53", value="e9", says=("not valid utf-8",)),
    "eurostat-latin-1": Bad("eurostat", edited(SDMX_LABELS, lambda d: d.decode().encode("latin-1")), SDMX_LABELS.name,
                            line=4, column="char 164", value="e9", says=("not valid utf-8",)),
    "table-latin-1": Bad("table", edited(FUNDING, lambda d: d.decode().encode("latin-1")), FUNDING.name,
                         line=2, column="char 46", value="e4", says=("not valid utf-8",)),
    # 8. an empty file
    "cordis-empty-member": Bad("cordis", edited(H2020, empty, ORG), _ORG_FILE, line=1, value="", says=("file is empty",)),
    "cordis-empty-zip": Bad("cordis", zipped(empty), "cordis-h2020projects-csv.zip", says=("ZIP",)),
    "eurostat-empty": Bad("eurostat", edited(SDMX, empty), SDMX.name, line=1, value="", says=("file is empty",)),
    "table-empty": Bad("table", edited(FUNDING, empty), FUNDING.name, line=1, value="", says=("file is empty",)),
    "nuts-empty": Bad("nuts", edited(NUTS, empty), NUTS.name, says=("file is empty",)),
    # 9. GeoJSON that is not JSON, or not NUTS
    "nuts-not-json": Bad("nuts", written(NUTS.name, _NOT_JSON), NUTS.name, line=3, column="char 22",
                         says=("not valid JSON",)),
    "nuts-unknown-code": Bad("nuts", edited(NUTS, sub('"NUTS_ID": "NL224"', '"NUTS_ID": "XX224"')), NUTS.name,
                             column="feature 11.NUTS_ID", value="XX224", says=("unknown NUTS code",)),
    "nuts-duplicate-code": Bad("nuts", edited(NUTS, sub('"NUTS_ID": "NL224"', '"NUTS_ID": "NL22"')), NUTS.name,
                               column="NUTS_ID", value="NL22", says=("duplicate primary key",)),
    # and a path that is not there
    "cordis-no-such-file": Bad("cordis", lambda tmp: tmp / "cordis-h2020projects-csv.zip", "cordis-h2020projects-csv.zip",
                               says=("not found",)),
    "eurostat-no-such-file": Bad("eurostat", lambda tmp: tmp / "eurostat_none.csv", "eurostat_none.csv",
                                 says=("no such file",)),
}
ROW_LEVEL = [k for k, case in BAD.items() if case.row_level]
FILE_LEVEL = [k for k, case in BAD.items() if not case.row_level and case.command != "nuts"]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_fails_cleanly_and_changes_nothing(case: str, db: Path, tmp_path: Path, cache: Path) -> None:
    bad = BAD[case]
    path = bad.build(tmp_path)
    before = snapshot(db)
    message = assert_clean_failure(rok(cache, *bad.args(path), "--db", db))
    assert bad.file in message
    message = message.replace(str(tmp_path), "<tmp>")  # what is said, not where the test ran
    for fragment in bad.fragments():
        assert fragment in message, (fragment, message)
    assert snapshot(db) == before


@pytest.mark.parametrize("case", FILE_LEVEL)
def test_file_level_errors_stop_even_with_skip_bad_rows(case: str, db: Path, tmp_path: Path, cache: Path) -> None:
    bad = BAD[case]
    before = snapshot(db)
    message = assert_clean_failure(rok(cache, *bad.args(bad.build(tmp_path)), "--skip-bad-rows", "--db", db))
    assert bad.file in message
    assert snapshot(db) == before


@pytest.mark.parametrize("case", ROW_LEVEL)
def test_skip_bad_rows_records_the_reject_and_loads_the_rest(case: str, db: Path, tmp_path: Path, cache: Path) -> None:
    bad = BAD[case]
    path = bad.build(tmp_path)
    result = rok(cache, *bad.args(path), "--skip-bad-rows", "--db", db)
    assert result.exit_code == 0, result.output
    [(load_id, status, read, kept, rejected)] = query(
        db, "SELECT load_id, status, rows_read, rows_kept, rows_rejected FROM loads WHERE load_id = (SELECT max(load_id) FROM loads)")
    assert status == "ok-with-rejects" and rejected == 1 and kept == read - 1
    rejects = query(db, 'SELECT load_id, file, line, "column", value, reason FROM rejects')
    assert len(rejects) == 1
    r_load, r_file, r_line, r_column, r_value, r_reason = rejects[0]
    assert (r_load, r_line, r_column, r_value) == (load_id, bad.line, bad.column, bad.value)
    assert r_file.endswith(bad.file) and all(s in r_reason for s in bad.says[:1])
    good = query(db, f"SELECT count(*) FROM {bad.table} WHERE load_id = {load_id}")[0][0]
    assert good == bad.good_rows


def test_skip_bad_rows_keeps_the_good_rows_named(db: Path, tmp_path: Path, cache: Path) -> None:
    """The example of the issue: one non-numeric amount among good rows."""
    path = BAD["cordis-non-numeric"].build(tmp_path)
    assert rok(cache, "ingest", "cordis", path, "--skip-bad-rows", "--db", db).exit_code == 0
    rows = query(db, "SELECT project_id, org_id, role, ec_contribution FROM participations "
                     "WHERE source = 'cordis-h2020-bulk' ORDER BY ALL")
    assert ("H2020:700101", "999901", "coordinator", 1200000.5) not in rows  # the bad row
    assert ("H2020:700101", "999903", "participant", 650000.0) in rows
    assert ("H2020:700103", "999901", "participant", 1798765.0) in rows
    status = json.loads(rok(cache, "status", "--format", "json", "--db", db).stdout)
    [reject] = status["rejects"]
    assert (reject["line"], reject["column"], reject["value"]) == (2, "ecContribution", "12x5")


def test_a_good_load_after_a_failed_one_still_works(db: Path, tmp_path: Path, cache: Path) -> None:
    """A failure leaves nothing behind that blocks the corrected file (no half-recorded load)."""
    bad = BAD["cordis-non-numeric"]
    assert rok(cache, *bad.args(bad.build(tmp_path)), "--db", db).exit_code != 0
    fixed = edited(H2020, sub('"1200000,5";"1200000,5";', '"1200000,75";"1200000,5";'), ORG)(tmp_path / "fixed")
    result = rok(cache, "ingest", "cordis", fixed, "--db", db)
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT count(*), max(status) FROM loads WHERE load_id > 4") == [(1, "ok")]
    assert query(db, "SELECT ec_contribution FROM participations "
                     "WHERE project_id = 'H2020:700101' AND org_id = '999901'") == [(1200000.75,)]


# -- messages must survive text that looks like Rich markup -------------------------------------------
@pytest.mark.parametrize("value", ["[/x]", "[red]12x5"], ids=["closing-tag", "style-tag"])
def test_message_keeps_a_value_that_looks_like_markup(value: str, db: Path, tmp_path: Path, cache: Path) -> None:
    path = edited(H2020, sub('"1200000,5";"1200000,5";', f'"{value}";"1200000,5";'), ORG)(tmp_path)
    before = snapshot(db)
    message = assert_clean_failure(rok(cache, "ingest", "cordis", path, "--db", db))
    assert f"value {value!r}" in message
    assert snapshot(db) == before


def test_status_shows_a_reject_whose_value_looks_like_markup(db: Path, tmp_path: Path, cache: Path) -> None:
    path = edited(H2020, sub('"1200000,5";"1200000,5";', '"[/x]";"1200000,5";'), ORG)(tmp_path)
    assert rok(cache, "ingest", "cordis", path, "--skip-bad-rows", "--db", db).exit_code == 0
    result = rok(cache, "status", "--db", db)
    assert result.exit_code == 0, repr(result.exception)
    assert "[/x]" in text(result.stdout)


def test_eurostat_wrong_delimiter_is_named(db: Path, tmp_path: Path, cache: Path) -> None:
    path = BAD["eurostat-wrong-delimiter"].build(tmp_path)
    message = assert_clean_failure(rok(cache, "ingest", "eurostat", path, "--db", db))
    assert "delimiter" in message.replace(str(tmp_path), "<tmp>")


# -- idempotent and forced loads -------------------------------------------------------------------
@pytest.mark.parametrize("load", list(GOOD_LOADS))
def test_same_file_again_is_skipped_and_changes_nothing(load: str, db: Path, cache: Path) -> None:
    before = snapshot(db)
    result = rok(cache, "ingest", *GOOD_LOADS[load], "--db", db)
    assert result.exit_code == 0, result.output
    assert "unchanged" in text(result.stdout)
    assert snapshot(db) == before  # loads included: nothing recorded either


@pytest.mark.parametrize("load", list(GOOD_LOADS))
def test_forced_load_changes_only_provenance(load: str, db: Path, cache: Path) -> None:
    before = snapshot(db, without=("load_id",))
    result = rok(cache, "ingest", *GOOD_LOADS[load], "--force", "--db", db)
    assert result.exit_code == 0, result.output
    after = snapshot(db, without=("load_id",))
    assert len(after.pop("loads")[1]) == len(before.pop("loads")[1]) + 1
    assert after == before
    [(status, source)] = query(db, "SELECT status, source FROM loads WHERE load_id = 5")
    assert status == "ok" and source == SOURCES[load]


def test_zip_and_directory_of_the_same_download_give_the_same_data(db: Path, tmp_path: Path, cache: Path) -> None:
    before = snapshot(db, without=("load_id",))
    archive = make_zip(H2020, tmp_path / "cordis-h2020projects-csv.zip")
    assert rok(cache, "ingest", "cordis", archive, "--db", db).exit_code == 0
    after = snapshot(db, without=("load_id",))
    assert len(after.pop("loads")[1]) == len(before.pop("loads")[1]) + 1
    assert after == before


# -- status ----------------------------------------------------------------------------------------
def test_status_json(db: Path, cache: Path) -> None:
    before = snapshot(db)
    result = rok(cache, "status", "--format", "json", "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"tables", "loads", "placement"} <= set(report)
    counts = {t: len(rows) for t, (_, rows) in before.items()}
    assert all(report["tables"][t] == counts[t] for t in report["tables"])
    assert [load["source"] for load in report["loads"]] == list(reversed(SOURCES.values()))
    assert report["placement"]["nuts_version"] == 2021 and report["placement"]["organisations"]["placed"] > 0
    assert snapshot(db) == before


def test_status_text(db: Path, cache: Path) -> None:
    result = rok(cache, "status", "--db", db)
    assert result.exit_code == 0, result.output
    out = text(result.stdout)
    assert "regions" in out and "cordis-nuts" in out and "indicators: 3 rows" in out


def test_status_text_prints_no_nan(db: Path, cache: Path) -> None:
    result = rok(cache, "status", "--db", db)
    assert result.exit_code == 0, result.output
    tables = text(result.stdout).split("last loads", 1)[1]  # after the title with the warehouse path
    assert not re.search(r"\bnan\b", tables), tables


def test_status_without_a_warehouse(tmp_path: Path, cache: Path) -> None:
    missing = tmp_path / "nowhere" / "rok.duckdb"
    message = assert_clean_failure(rok(cache, "status", "--db", missing))
    assert str(missing) in message and "no warehouse" in message
    assert not missing.exists() and not missing.parent.exists()


def test_status_unknown_format(db: Path, cache: Path) -> None:
    message = assert_clean_failure(rok(cache, "status", "--format", "xml", "--db", db))
    assert "'xml'" in message


def test_a_file_that_is_not_a_warehouse(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "rok.duckdb"
    path.write_bytes(b"not a database\n" * 100)
    for args in (["status"], ["ingest", "eurostat", SDMX]):
        message = assert_clean_failure(rok(cache, *args, "--db", path))
        assert str(path) in message
    assert path.read_bytes() == b"not a database\n" * 100
