"""Every command's output on the real mirror: text fits 80 (and 200) columns; CSV and JSON carry
typed values (numbers as numbers, no thousands separators, no exponent strings) and a schema."""

from __future__ import annotations

import csv
import functools
import io
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import rok.cli.analysis as cli_analysis
import rok.cli.cooperation as cli_cooperation
import rok.cli.networks as cli_networks
from rok.cli.main import app
from rok.cli.output import format_cell, render

pytestmark = pytest.mark.mirror
runner = CliRunner()

# (command, formats): every command with its text output and, where it has them, CSV and JSON
COMMANDS = [
    (["status"], ("text", "json")),
    (["regions"], ("text", "csv", "json")),
    (["regions", "--level", "-1", "--country", "PL"], ("text", "csv", "json")),
    (["specialisation", "--region", "Podkarpackie"], ("text", "csv", "json")),
    (["specialisation"], ("text", "csv")),
    (["relatedness"], ("text", "csv", "json")),
    (["density", "--region", "pl82"], ("text", "csv", "json")),
    (["complexity"], ("text", "csv", "json")),
    (["complexity", "--domains"], ("text", "csv", "json")),
    (["performance"], ("text", "csv", "json")),
    (["clusters"], ("text", "csv", "json")),
    (["peers", "Lombardia"], ("text", "csv", "json")),
    (["profile", "PL82"], ("text", "csv", "json")),
    (["network", "regions"], ("text", "csv", "json")),
    (["network", "organisations", "--domain", "SC3"], ("text", "json")),
    (["centrality"], ("text", "csv", "json")),
    (["centrality", "--network", "organisations", "--domain", "SC3"], ("text", "json")),
    (["communities"], ("text", "csv", "json")),
    (["communities", "--members"], ("text", "csv")),
    (["communities", "--network", "organisations", "--domain", "SC3"], ("text", "json")),
    (["brokerage", "--domain", "SC3"], ("text", "csv", "json")),
    (["integration"], ("text", "csv", "json")),
    (["integration", "DE21"], ("text", "json")),
    (["gravity"], ("text", "csv", "json")),
    (["gravity", "--pairs"], ("text", "json")),
    (["mentoring"], ("text", "csv", "json")),
    (["complementarity", "DE21"], ("text", "csv", "json")),
    (["untapped"], ("text", "csv", "json")),
    (["partners", "PL82", "--domain", "energy"], ("text", "csv", "json")),
]
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
EXPONENT = re.compile(r"^-?\d+(\.\d+)?[eE][+-]?\d+$")


@pytest.fixture(scope="module", autouse=True)
def computed_once():  # type: ignore[no-untyped-def]
    """The same selection is computed once for all commands and formats (the rendering is tested)."""
    patch = pytest.MonkeyPatch()
    profiles = functools.lru_cache(maxsize=8)(cli_analysis.compute)
    networks = functools.lru_cache(maxsize=8)(cli_networks.compute)
    for module in (cli_analysis, cli_cooperation):
        patch.setattr(module, "compute", profiles)
    patch.setattr(cli_networks, "compute", networks)
    yield
    patch.undo()


def run(args: list[str], fmt: str, db: object, width: int = 80) -> str:
    extra = ["--format", fmt] if fmt != "text" or args[0] == "status" else []
    result = runner.invoke(app, [*args, *extra, "--db", str(db)], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, (args, fmt, result.output)
    return result.stdout


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize(("args", "formats"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_text_fits_the_terminal(mirror_db, args, formats, width):
    text = run(args, "text", mirror_db, width)
    lines = text.splitlines()
    assert len(lines) > 2
    too_long = [line for line in lines if len(line.rstrip()) > width]
    assert not too_long, f"{len(too_long)} lines over {width} columns, e.g. {too_long[0]!r}"


@pytest.mark.parametrize(("args", "formats"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_csv_and_json_are_typed(mirror_db, args, formats):
    if "json" not in formats:
        pytest.skip("no JSON for this command")
    doc = json.loads(run(args, "json", mirror_db))
    assert doc["schema"].startswith("rok.") and doc["schema_version"] == 1
    if args[0] == "status":
        assert isinstance(doc["tables"]["participations"], int)
        return
    assert doc["rows"], args
    assert list(doc["types"]) == doc["columns"] == list(doc["rows"][0])
    numeric = [c for c, kind in doc["types"].items() if kind in ("number", "integer")]
    assert numeric, f"{args}: no numeric column"
    for row in doc["rows"]:
        for column, value in row.items():
            if column in numeric:
                assert value is None or isinstance(value, (int, float)) and not isinstance(value, bool), (column, value)
            elif isinstance(value, str):
                assert not THOUSANDS.match(value) and not EXPONENT.match(value), (column, value)
    if "csv" not in formats:
        return
    text = run(args, "csv", mirror_db)
    cells = list(csv.reader(io.StringIO(text)))
    assert cells[0] == doc["columns"]
    assert not [v for row in cells[1:] for v in row if THOUSANDS.match(v) or EXPONENT.match(v)]
    frame = pd.read_csv(io.StringIO(text), keep_default_na=True)
    for column in numeric:
        assert pd.api.types.is_numeric_dtype(frame[column]), (args, column, frame[column].head().tolist())


def test_numbers_read_without_exponents():
    assert format_cell(73970.0) == "73,970"
    assert format_cell(1961407782.4) == "1,961,407,782"
    assert format_cell(0.0003204) == "0.0003204"
    assert format_cell(3) == "3"
    assert format_cell(float("nan")) == ""


@pytest.mark.parametrize("width", [40, 80, 200])
def test_render_falls_back_to_records_when_no_table_fits(width):
    from rich.console import Console

    frame = pd.DataFrame({f"a rather long column name {i}": [123456.5, 2.25] for i in range(12)})
    frame.insert(0, "region", ["DE21", "PL82"])
    console = Console(width=width, record=True, file=io.StringIO())
    render(frame, console, title="wide")
    text = console.export_text()
    assert all(len(line.rstrip()) <= width for line in text.splitlines())
    shown = text.count("123,45")  # 123,456 rounded for reading
    if width == 40:  # no table fits: one record per row, every value shown
        assert shown == 12 and "region: DE21" in text
    elif width == 80:  # the first columns fit; the others are named as not shown
        assert 0 < shown < 12 and "not shown at this width" in text
    else:
        assert shown == 12 and "not shown" not in text
