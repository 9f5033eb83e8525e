from __future__ import annotations

import gzip

import pytest

from rok.errors import InputError, SourceError
from rok.sources.batch import Reject
from rok.sources.tabular import (
    Col,
    check_unique,
    convert,
    decode,
    parse_delimited,
    read_bytes,
    read_delimited,
)


def test_decode_reports_line_column_and_byte():
    data = "a,b\n1,ok\n2,Universit\xe9\n".encode("latin-1")
    with pytest.raises(InputError) as info:
        decode(data, "f.csv")
    assert info.value.line == 3
    assert info.value.column == "char 12"
    assert info.value.value == "e9"
    assert "f.csv, line 3" in str(info.value)


def test_decode_strips_bom():
    assert decode("\ufeffa;b".encode(), "f") == "a;b"


def test_wrong_delimiter_is_named():
    with pytest.raises(InputError, match="wrong delimiter: expected ';' but the header is separated by ','"):
        parse_delimited("id,name\n1,x\n", "f.csv", delimiter=";", required=["id"])


def test_missing_column_lists_header():
    with pytest.raises(InputError) as info:
        parse_delimited("id;name\n1;x\n", "f.csv", delimiter=";", required=["id", "country"])
    assert info.value.column == "country" and info.value.line == 1
    assert "header has: id, name" in str(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty") as info:
        read_delimited(path, required=["a"])
    assert info.value.line == 1 and str(path) in str(info.value)


def test_damaged_gzip(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n" * 100)[:30])
    with pytest.raises(SourceError, match="damaged or truncated gzip"):
        read_bytes(path)


def test_short_row_names_first_missing_column_and_skip_mode():
    text = "a;b;c\n1;2;3\n4;5\n6;7;8\n"
    with pytest.raises(InputError) as info:
        parse_delimited(text, "f.csv", delimiter=";")
    assert (info.value.line, info.value.column) == (3, "c")
    rejects: list[Reject] = []
    raw = parse_delimited(text, "f.csv", delimiter=";", skip_bad_rows=True, rejects=rejects)
    assert list(raw.frame["_line"]) == [2, 4]
    assert rejects[0].line == 3


def test_multiline_quoted_field_keeps_true_line_numbers():
    raw = parse_delimited('a,b\n1,"two\nlines"\n3,x\n', "f.csv")
    assert list(raw.frame["_line"]) == [2, 4]


def test_convert_types_missing_values_and_namibia():
    raw = parse_delimited("n;x;d;c\n1;2,5;2020-01-31;NA\n2;NA;;DE\n", "f.csv", delimiter=";")
    frame = convert(raw, {"n": Col("n", "int", False), "x": Col("x", "float"), "d": Col("d", "date"), "c": Col("c")})
    assert list(frame["n"]) == [1, 2]
    assert frame["x"].iloc[0] == 2.5 and frame["x"].isna().iloc[1]
    assert str(frame["d"].iloc[0]) == "2020-01-31" and frame["d"].iloc[1] is None
    assert list(frame["c"]) == ["NA", "DE"]  # "NA" is Namibia in a text column


def test_convert_bad_number_strict_and_skip():
    raw = parse_delimited("id,amount\n1,10\n2,12x5\n3,7.5\n", "f.csv")
    with pytest.raises(InputError) as info:
        convert(raw, {"id": Col("id"), "amount": Col("amount", "float")})
    assert (info.value.line, info.value.column, info.value.value) == (3, "amount", "12x5")
    rejects: list[Reject] = []
    frame = convert(raw, {"id": Col("id"), "amount": Col("amount", "float")}, skip_bad_rows=True, rejects=rejects)
    assert list(frame["id"]) == ["1", "3"]
    assert rejects == [Reject("f.csv", 3, "amount", "12x5", "expected a number")]


def test_int_rejects_fractions():
    raw = parse_delimited("n\n1.5\n", "f.csv")
    with pytest.raises(InputError, match="whole number"):
        convert(raw, {"n": Col("n", "int")})


def test_check_unique_reports_both_lines():
    raw = parse_delimited("k,v\na,1\nb,2\na,3\n", "f.csv")
    frame = convert(raw, {"k": Col("k"), "v": Col("v")})
    with pytest.raises(InputError) as info:
        check_unique(frame, ["k"], "f.csv")
    assert info.value.line == 4 and "first seen on line 2" in str(info.value)
    rejects: list[Reject] = []
    kept = check_unique(frame, ["k"], "f.csv", skip_bad_rows=True, rejects=rejects)
    assert list(kept["v"]) == ["1", "2"] and rejects[0].line == 4


def test_check_unique_with_missing_key_values():
    raw = parse_delimited("k,v\n,1\n,2\n", "f.csv")
    frame = convert(raw, {"k": Col("k"), "v": Col("v")})
    with pytest.raises(InputError, match="duplicate primary key") as info:
        check_unique(frame, ["k"], "f.csv")
    assert info.value.line == 3
