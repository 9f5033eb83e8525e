"""Import any delimited table into a warehouse table through a column mapping.

The mapping is a TOML file (YAML with the same keys works when PyYAML is installed). A
national funding database, for example the German *Förderkatalog* exported as CSV with
semicolons, is mapped onto ``participations`` like this::

    # foerderkatalog.toml
    target = "participations"   # or "indicators", "projects", "organisation_sources", ...
    source = "foerderkatalog"   # Batch.source, and the "source" column where the table has one
    delimiter = ";"             # default ","
    encoding = "utf-8"          # default "utf-8"

    [columns]                   # warehouse column = column of the file
    project_id = "FKZ"
    org_id = "Zuwendungsempfaenger-ID"
    ec_contribution = "Foerdersumme in EUR"
    country = "Land"

    [constants]                 # warehouse column = fixed value for every row
    role = "participant"

    [types]                     # optional: warehouse column = str | int | float | date | bool
    ec_contribution = "float"   # (the default comes from the warehouse column type)

Rules: every primary-key column of the target table must be mapped or constant (the
``source`` column is filled from ``source`` unless mapped); every mapped file column must
be in the file's header. Types default from the warehouse (DOUBLE -> float, INTEGER and
BIGINT -> int, DATE -> date, BOOLEAN -> bool, else str); numbers may use a decimal comma.
Region columns (``indicators.region``, ``organisation_sources.nuts_code``) must be NUTS
codes; Eurostat aggregates (EU27_2020, EA20) in ``indicators`` are skipped and noted. A
bad value stops the import with file, line, column and value, or with ``skip_bad_rows``
becomes a reject; repeated primary keys likewise.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok.errors import InputError, located
from rok.sources import nutscodes
from rok.sources.batch import Batch, Reject, sha256_file
from rok.sources.tabular import Col, check_unique, convert, read_delimited

__all__ = ["TARGETS", "TableMapping", "BadValues", "load_mapping", "read_table", "region_problems", "table_schema"]

#: Warehouse tables a mapping may target.
TARGETS = ("projects", "participations", "organisation_sources", "indicators", "domains", "project_domains", "reference")
#: Columns that hold NUTS codes, checked with :func:`rok.sources.nutscodes.check_nuts_code`.
REGION_COLUMNS = {"indicators": "region", "organisation_sources": "nuts_code"}
_KINDS = ("str", "int", "float", "date", "bool")
_TRUE = {"true", "t", "yes", "y", "1", "ja", "oui", "si"}
_FALSE = {"false", "f", "no", "n", "0", "nein", "non"}


@functools.cache
def table_schema(table: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """(column -> value kind, primary-key columns) of a warehouse table, from its DDL."""
    con = duckdb.connect(":memory:")
    try:
        from rok.warehouse.schema import MIGRATIONS

        for migration in MIGRATIONS:
            for statement in migration:
                con.execute(statement)
        rows = con.execute(f"DESCRIBE {table}").fetchall()
    finally:
        con.close()
    kinds = {"DOUBLE": "float", "INTEGER": "int", "BIGINT": "int", "DATE": "date", "BOOLEAN": "bool"}
    columns = {name: kinds.get(str(kind), "str") for name, kind, *_ in rows if name != "load_id"}
    return columns, tuple(r[0] for r in rows if r[3] == "PRI")


@dataclass
class BadValues:
    """Bad values found by several checks, reported together: the first (by line) or all."""

    file: str
    items: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, lines: Iterable[int], column: str | Iterable[str], values: Iterable[object], reason: str) -> None:
        lines = [int(x) for x in lines]
        columns = [column] * len(lines) if isinstance(column, str) else list(column)
        for line, col, value in zip(lines, columns, values, strict=True):
            self.items.append((line, col, "" if value is None or value is pd.NA else str(value), reason))

    def add_rejects(self, rejects: Iterable[Reject]) -> None:
        for r in rejects:
            self.items.append((r.line or 0, r.column or "", r.value or "", r.reason))

    @property
    def lines(self) -> set[int]:
        return {item[0] for item in self.items}

    def settle(self, *, skip_bad_rows: bool, rejects: list[Reject]) -> None:
        """Raise for the first bad value (strict), or record every one as a reject."""
        if not self.items:
            return
        if not skip_bad_rows:
            line, column, value, reason = min(self.items)
            total = len(self.lines)
            more = f" ({total} rows have bad values; use --skip-bad-rows to load the others)" if total > 1 else ""
            raise InputError(reason + more, file=self.file, line=line, column=column, value=value)
        rejects.extend(Reject(self.file, line, column, value, reason) for line, column, value, reason in sorted(self.items))


def region_problems(codes: pd.Series, lines: pd.Series, column: str, bad: BadValues) -> tuple[pd.Series, pd.Series]:
    """Check NUTS codes; return (upper-cased codes, mask of aggregates) and log bad codes.

    Missing codes are left alone (the caller decides whether they may be empty).
    """
    text = codes.astype("string").str.strip()
    unique = [c for c in text.dropna().unique() if c]
    aggregate = {c for c in unique if nutscodes.is_aggregate(c.upper())}
    valid: dict[str, str] = {}
    message = ""
    for code in set(unique) - aggregate:
        try:
            valid[code] = nutscodes.check_nuts_code(code, file=bad.file, line=None, column=column)
        except InputError as exc:  # keep the reason, without the "file, column, value: " prefix
            message = str(exc).removeprefix(located("", file=bad.file, column=column, value=code))
    is_aggregate = text.isin(aggregate).fillna(False).astype(bool)
    wrong = text.notna() & (text != "") & ~is_aggregate & ~text.isin(valid.keys()).fillna(False)
    if wrong.any():
        bad.add(lines[wrong], column, codes[wrong], message)
    upper = text.map(lambda c: valid.get(c, c) if isinstance(c, str) else c)
    return upper.astype(object).where(text.notna() & (text != ""), None), is_aggregate


@dataclass(frozen=True)
class TableMapping:
    """A parsed, checked mapping file."""

    file: str
    target: str
    source: str
    delimiter: str
    encoding: str
    columns: dict[str, str]
    constants: dict[str, Any]
    kinds: dict[str, str]


def _parse_file(path: Path) -> dict[str, Any]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("mapping file not found", file=file) from None
    except UnicodeDecodeError:
        raise InputError("mapping file is not UTF-8 text", file=file) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise InputError(
                "YAML mappings need PyYAML, which is not installed; write the mapping as TOML "
                "(same keys, see rok.sources.table)",
                file=file,
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(f"not valid YAML: {exc}", file=file, line=mark.line + 1 if mark else None) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            raise InputError(f"not valid TOML: {exc}", file=file, line=int(found[1]) if found else None) from None
    if not isinstance(data, dict):
        raise InputError("a mapping must be a table of keys (target, source, columns, ...)", file=file)
    return data


def _section(data: dict[str, Any], key: str, file: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"[{key}] must be a table of warehouse column = value", file=file, column=key)
    return value


def load_mapping(mapping_path: str | Path) -> TableMapping:
    """Read and check a mapping file against the warehouse schema."""
    path = Path(mapping_path)
    file = str(path)
    data = _parse_file(path)
    unknown = sorted(set(data) - {"target", "source", "delimiter", "encoding", "columns", "constants", "types"})
    if unknown:
        raise InputError(f"unknown mapping key {unknown[0]!r}", file=file, column=unknown[0])
    target = data.get("target")
    if target not in TARGETS:
        raise InputError(f"target must be one of {', '.join(TARGETS)}", file=file, column="target", value=target)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InputError('the mapping needs source = "<name of the data source>"', file=file, column="source")
    delimiter = data.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise InputError("delimiter must be one character", file=file, column="delimiter", value=delimiter)
    encoding = data.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except (LookupError, TypeError):
        raise InputError("unknown encoding", file=file, column="encoding", value=encoding) from None
    columns, constants, types = (_section(data, k, file) for k in ("columns", "constants", "types"))
    schema, key = table_schema(target)
    for section, names in (("columns", columns), ("constants", constants), ("types", types)):
        for name in names:
            if name not in schema:
                raise InputError(
                    f"[{section}] names {name!r}, which is not a column of {target} "
                    f"(columns: {', '.join(schema)})", file=file, column=name)
    for name, col in columns.items():
        if not isinstance(col, str) or not col:
            raise InputError("a mapped file column must be a non-empty string", file=file, column=name, value=col)
        if name in constants:
            raise InputError("column is both mapped and constant", file=file, column=name)
    for name, kind in types.items():
        if kind not in _KINDS:
            raise InputError(f"type must be one of {', '.join(_KINDS)}", file=file, column=name, value=kind)
        if name not in columns:
            raise InputError("[types] names a column that is not mapped under [columns]", file=file, column=name)
    filled = set(columns) | set(constants) | ({"source"} if "source" in schema else set())
    for name in key:
        if name not in filled:
            raise InputError(
                f"the mapping for {target} lacks primary-key column {name!r}: map it under "
                f"[columns] or give it under [constants] (key: {', '.join(key)})", file=file, column=name)
    kinds = {name: types.get(name, schema[name]) for name in (*columns, *constants)}
    values = {name: _constant(value, kinds[name], name, file) for name, value in constants.items()}
    return TableMapping(file, target, source.strip(), delimiter, encoding, dict(columns), values, kinds)


def _constant(value: Any, kind: str, name: str, file: str) -> Any:
    try:
        if kind == "str":
            return str(value)
        if kind == "int" and not isinstance(value, bool) and float(value) == int(float(value)):
            return int(float(value))
        if kind == "float" and not isinstance(value, bool):
            return float(value)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "bool" and (isinstance(value, bool) or str(value).lower() in _TRUE | _FALSE):
            return value if isinstance(value, bool) else str(value).lower() in _TRUE
    except (TypeError, ValueError):
        pass
    raise InputError(f"constant is not a valid {kind}", file=file, column=name, value=value)


def _booleans(frame: pd.DataFrame, name: str, source: str, bad: BadValues) -> None:
    text = frame[name].astype("string").str.strip().str.lower()
    known = text.isna() | text.isin(_TRUE | _FALSE)
    if (~known).any():
        bad.add(frame.loc[~known, "_line"], source, frame.loc[~known, name], "expected true or false")
    frame[name] = text.map(lambda v: None if not isinstance(v, str) else v in _TRUE).astype("boolean")


def read_table(path: str | Path, mapping_path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """Read a delimited file into rows of the mapping's target table."""
    mapping = load_mapping(mapping_path)
    file = str(path)
    schema, key = table_schema(mapping.target)
    rejects: list[Reject] = []
    raw = read_delimited(
        path, delimiter=mapping.delimiter, encoding=mapping.encoding, required=list(dict.fromkeys(mapping.columns.values())),
        skip_bad_rows=skip_bad_rows, rejects=rejects,
    )
    rows_read = len(raw.frame) + len(rejects)
    spec = {
        name: Col(col, "str" if mapping.kinds[name] == "bool" else mapping.kinds[name], nullable=name not in key)
        for name, col in mapping.columns.items()
    }
    converted: list[Reject] = []
    frame = convert(raw, spec, skip_bad_rows=True, rejects=converted)
    bad = BadValues(file)
    bad.add_rejects(converted)
    for name in spec:
        if mapping.kinds[name] == "bool":
            _booleans(frame, name, mapping.columns[name], bad)
    for name, value in mapping.constants.items():
        frame[name] = value
    if "source" in schema and "source" not in frame.columns:
        frame["source"] = mapping.source
    notes: list[str] = []
    region = REGION_COLUMNS.get(mapping.target)
    if region is not None and region in frame.columns:
        column = mapping.columns.get(region, region)
        frame[region], aggregate = region_problems(frame[region], frame["_line"], column, bad)
        if mapping.target == "indicators" and aggregate.any():
            names = ", ".join(sorted(frame.loc[aggregate, region].astype(str).unique())[:5])
            notes.append(f"skipped {int(aggregate.sum())} rows of aggregates that are not NUTS regions ({names})")
            frame = frame[~aggregate.to_numpy()]
    bad.settle(skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame = frame[~frame["_line"].isin(bad.lines).to_numpy()].reset_index(drop=True)
    frame = check_unique(
        frame, key, file, skip_bad_rows=skip_bad_rows, rejects=rejects,
        source_columns=[mapping.columns.get(k, k) for k in key],
    )
    out = frame[[c for c in schema if c in frame.columns]].copy()
    if "source" in out.columns:
        out["source"] = out["source"].astype(object)
    return Batch(
        source=mapping.source, file=file, sha256=sha256_file(path), rows_read=rows_read,
        tables={mapping.target: out}, rejects=rejects, notes=notes,
    )

