"""Generic table import through a TOML column mapping."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

from rok.errors import InputError
from rok.sources.batch import sha256_file
from rok.sources.table import load_mapping, read_table, table_schema
from rok.warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "table"
FUNDING = FIXTURES / "foerderkatalog.csv"
FUNDING_MAP = FIXTURES / "foerderkatalog.toml"
HEADER = "FKZ;Ressort;Zuwendungsempfaenger-ID;Zuwendungsempfaenger;Land;Foerdersumme in EUR;Abgeschlossen\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _funding(tmp_path: Path, *rows: str) -> Path:
    return _write(tmp_path, "funding.csv", HEADER + "".join(r + "\n" for r in rows))


def _error(call: object, *args: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)  # type: ignore[operator]
    return err.value


def test_schema_from_ddl() -> None:
    columns, key = table_schema("participations")
    assert key == ("project_id", "org_id", "role")
    assert columns["ec_contribution"] == "float" and columns["ord"] == "int"
    assert columns["end_of_participation"] == "bool" and "load_id" not in columns
    assert set(table_schema("indicators")[1]) == {"region", "indicator", "unit", "year", "source"}


def test_funding_database() -> None:
    batch = read_table(FUNDING, FUNDING_MAP)
    frame = batch.tables["participations"]
    assert batch.source == "foerderkatalog" and batch.file == str(FUNDING)
    assert batch.sha256 == sha256_file(FUNDING) and batch.rows_read == 4 and not batch.rejects
    assert list(frame.columns) == [
        "project_id", "org_id", "role", "country", "ec_contribution", "end_of_participation", "source"]
    tum = frame[frame.org_id == "ZE-100234"].iloc[0]
    assert tum.project_id == "01IS17059" and tum.role == "participant" and tum.source == "foerderkatalog"
    assert tum.ec_contribution == pytest.approx(1234567.89) and bool(tum.end_of_participation) is True
    assert frame.ec_contribution.tolist()[2] == pytest.approx(98000.5)
    assert pd.isna(frame.ec_contribution.iloc[3]) and pd.isna(frame.end_of_participation.iloc[2])
    with Warehouse(":memory:") as wh:
        result = wh.write(batch)
        assert result.rows_kept == 4
        back = wh.query("SELECT * FROM participations ORDER BY project_id, org_id")
        assert len(back) == 4 and back.ec_contribution.iloc[0] == pytest.approx(1234567.89)
        assert back.end_of_participation.tolist()[:2] == [True, False]
        assert wh.scalar("SELECT source FROM loads") == "foerderkatalog"
        assert wh.write(batch).skipped  # same content again: nothing to do


def test_indicators_mapping() -> None:
    batch = read_table(FIXTURES / "regional_indicators.csv", FIXTURES / "regional_indicators.toml")
    frame = batch.tables["indicators"]
    assert sorted(frame.region) == ["AT13", "DE21", "DE21", "DE22"]  # upper-cased, EU27_2020 skipped
    assert any("EU27_2020" in note for note in batch.notes)
    assert set(frame.unit) == {"NR"} and set(frame.source) == {"regio-patents"}
    assert frame.year.dtype == "Int64" and frame[frame.region == "DE22"].value.iloc[0] == 88
    with Warehouse(":memory:") as wh:
        wh.write(batch)
        assert wh.scalar("SELECT value FROM indicators WHERE region = 'DE21' AND year = 2019") == pytest.approx(512.3)
        assert wh.scalar("SELECT count(*) FROM indicators WHERE value IS NULL") == 1


def test_organisations_with_dates_and_nuts(tmp_path: Path) -> None:
    mapping = _write(tmp_path, "orgs.toml", 'target = "organisation_sources"\nsource = "national-registry"\n'
                     '[columns]\norg_id = "id"\nname = "name"\nnuts_code = "nuts"\nupdated = "stand"\n')
    data = _write(tmp_path, "orgs.csv", "id,name,nuts,stand\n1,Uni A,de21h,2024-03-01\n2,Uni B,,2023-12-31\n")
    frame = read_table(data, mapping).tables["organisation_sources"]
    assert frame.nuts_code.tolist()[0] == "DE21H" and frame.nuts_code.iloc[1] is None
    assert frame.updated.tolist() == [dt.date(2024, 3, 1), dt.date(2023, 12, 31)]
    assert set(frame.source) == {"national-registry"}
    with Warehouse(":memory:") as wh:
        wh.write(read_table(data, mapping))
        assert wh.scalar("SELECT updated FROM organisation_sources WHERE org_id = '1'") == dt.date(2024, 3, 1)


# -- bad data ----------------------------------------------------------------------------
def test_missing_mapped_column(tmp_path: Path) -> None:
    data = _write(tmp_path, "f.csv", "FKZ;Zuwendungsempfaenger-ID;Land;Abgeschlossen\n01;ZE-1;DE;ja\n")
    err = _error(read_table, data, FUNDING_MAP)
    assert (err.file, err.line, err.column) == (str(data), 1, "Foerdersumme in EUR")


def test_non_numeric_amount_and_skip(tmp_path: Path) -> None:
    data = _funding(tmp_path, "01;B;ZE-1;A;DE;100,5;ja", "02;B;ZE-2;B;DE;viel;ja", "03;B;ZE-3;C;DE;7;vielleicht")
    err = _error(read_table, data, FUNDING_MAP)
    assert (err.file, err.line, err.column, err.value) == (str(data), 3, "Foerdersumme in EUR", "viel")
    assert "expected a number" in str(err) and "2 rows have bad values" in str(err)
    batch = read_table(data, FUNDING_MAP, skip_bad_rows=True)
    assert batch.tables["participations"].project_id.tolist() == ["01"]
    assert [(r.line, r.column) for r in batch.rejects] == [(3, "Foerdersumme in EUR"), (4, "Abgeschlossen")]
    assert batch.rows_kept == 1
    with Warehouse(":memory:") as wh:
        wh.write(batch)
        assert wh.scalar("SELECT count(*) FROM rejects") == 2


def test_missing_key_value(tmp_path: Path) -> None:
    err = _error(read_table, _funding(tmp_path, "01;B;;A;DE;1;ja"), FUNDING_MAP)
    assert (err.line, err.column) == (2, "Zuwendungsempfaenger-ID")


def test_unknown_nuts_code(tmp_path: Path) -> None:
    data = _write(tmp_path, "ind.csv", "NUTS,Jahr,Merkmal,Wert\nDE21,2020,x,1\nXX12,2020,x,2\n")
    err = _error(read_table, data, FIXTURES / "regional_indicators.toml")
    assert (err.file, err.line, err.column, err.value) == (str(data), 3, "NUTS", "XX12")
    assert "unknown NUTS code" in str(err)
    batch = read_table(data, FIXTURES / "regional_indicators.toml", skip_bad_rows=True)
    assert batch.tables["indicators"].region.tolist() == ["DE21"] and batch.rejects[0].value == "XX12"


def test_duplicate_key(tmp_path: Path) -> None:
    data = _funding(tmp_path, "01;B;ZE-1;A;DE;1;ja", "02;B;ZE-1;A;DE;1;ja", "01;B;ZE-1;A;DE;2;ja")
    err = _error(read_table, data, FUNDING_MAP)
    assert (err.file, err.line, err.column) == (str(data), 4, "FKZ")
    assert "duplicate primary key" in str(err) and "first seen on line 2" in str(err)
    batch = read_table(data, FUNDING_MAP, skip_bad_rows=True)
    assert len(batch.tables["participations"]) == 2 and batch.rejects[0].line == 4


def test_empty_file(tmp_path: Path) -> None:
    data = _write(tmp_path, "empty.csv", "")
    err = _error(read_table, data, FUNDING_MAP)
    assert err.file == str(data) and "empty" in str(err)
    header_only = read_table(_funding(tmp_path), FUNDING_MAP)
    assert header_only.rows_read == 0 and header_only.tables["participations"].empty


def test_not_utf8(tmp_path: Path) -> None:
    data = tmp_path / "latin1.csv"
    data.write_bytes((HEADER + "01;B;ZE-1;Universität;DE;1;ja\n").encode("latin-1"))
    err = _error(read_table, data, FUNDING_MAP)
    assert (err.file, err.line) == (str(data), 2) and "utf-8" in str(err).lower()
    latin = _write(tmp_path, "latin1.toml", FUNDING_MAP.read_text().replace('"utf-8"', '"latin-1"'))
    assert read_table(data, latin).tables["participations"].project_id.tolist() == ["01"]


def test_wrong_delimiter(tmp_path: Path) -> None:
    data = _write(tmp_path, "comma.csv", HEADER.replace(";", ",") + "01,B,ZE-1,A,DE,1,ja\n")
    err = _error(read_table, data, FUNDING_MAP)
    assert (err.file, err.line) == (str(data), 1) and "wrong delimiter" in str(err)


# -- bad mappings ------------------------------------------------------------------------
def _mapping(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    return _write(tmp_path, name, text)


def test_bad_toml(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, 'target = "participations"\nsource = "x"\ncolumns = [project_id = "FKZ"\n')
    err = _error(read_table, FUNDING, mapping)
    assert (err.file, err.line) == (str(mapping), 3) and "not valid TOML" in str(err)


def test_mapping_lacks_key_column(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, 'target = "participations"\nsource = "x"\ndelimiter = ";"\n'
                       '[columns]\nproject_id = "FKZ"\norg_id = "Zuwendungsempfaenger-ID"\n')
    err = _error(read_table, FUNDING, mapping)
    assert (err.file, err.column) == (str(mapping), "role") and "primary-key column 'role'" in str(err)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ('target = "organisations"\nsource = "x"\n', "target", "target must be one of"),
        ('target = "projects"\n[columns]\nproject_id = "a"\n', "source", "needs source"),
        ('target = "projects"\nsource = "x"\n[columns]\nproject_id = "a"\nbudget = "b"\n', "budget", "not a column of projects"),
        ('target = "projects"\nsource = "x"\n[columns]\nproject_id = "a"\n[types]\nproject_id = "text"\n', "project_id", "type must be"),
        ('target = "projects"\nsource = "x"\ndelimiter = ";;"\n[columns]\nproject_id = "a"\n', "delimiter", "one character"),
        ('target = "projects"\nsource = "x"\ncolumn = {}\n', "column", "unknown mapping key"),
        ('target = "projects"\nsource = "x"\n[columns]\nproject_id = "a"\n[constants]\nstart_year = "soon"\n',
         "start_year", "not a valid int"),
    ],
)
def test_bad_mappings(tmp_path: Path, text: str, column: str, words: str) -> None:
    mapping = _mapping(tmp_path, text)
    err = _error(load_mapping, mapping)
    assert err.file == str(mapping) and err.column == column and words in str(err)


def test_constants_typed(tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, 'target = "projects"\nsource = "x"\n[columns]\nproject_id = "a"\n'
                                    '[constants]\nstart_date = 2021-01-01\nstart_year = "2021"\nframework = "national"\n'))
    assert mapping.constants == {"start_date": dt.date(2021, 1, 1), "start_year": 2021, "framework": "national"}


def test_yaml_without_pyyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError
    mapping = _mapping(tmp_path, "target: participations\n", "m.yaml")
    err = _error(read_table, FUNDING, mapping)
    assert err.file == str(mapping) and "TOML" in str(err) and "PyYAML" in str(err)


def test_missing_mapping_file(tmp_path: Path) -> None:
    err = _error(read_table, FUNDING, tmp_path / "nope.toml")
    assert err.file == str(tmp_path / "nope.toml") and "not found" in str(err)
