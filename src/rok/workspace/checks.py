"""Checks shared by the workspace modules: enumerations, dates, region codes, warehouse lookups."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rok.errors import InputError

__all__ = ["one_of", "as_date", "check_regions", "known_regions", "warehouse_organisations"]

_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")


def one_of(value: Any, allowed: Sequence[str], column: str) -> str:
    if value not in allowed:
        raise InputError(f"expected one of {', '.join(allowed)}", column=column, value=value)
    return str(value)


def as_date(value: Any, column: str) -> dt.date | None:
    """An ISO date (``2026-03-01``) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError("not a date (expected YYYY-MM-DD)", column=column, value=value) from None


def check_regions(codes: Iterable[Any], known: set[str] | None, column: str = "regions") -> list[str]:
    """Region codes, upper-cased and de-duplicated; unknown ones (not in ``known``, or not shaped
    like a NUTS code when ``known`` is None) are an InputError naming the code."""
    out: list[str] = []
    for raw in codes:
        code = str(raw).strip().upper()
        if known is not None and code not in known:
            near = difflib.get_close_matches(code, sorted(known), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise InputError(f"unknown region (not a NUTS 2021 code of the warehouse){hint}", column=column,
                             value=code)
        if known is None and not _NUTS.match(code):
            raise InputError("unknown region: not a NUTS code", column=column, value=code)
        if code not in out:
            out.append(code)
    return out


def known_regions(warehouse: Any) -> set[str] | None:
    """The NUTS 2021 codes of a warehouse (path, WarehouseData or None -> None: format check only)."""
    if warehouse is None:
        return None
    codes = getattr(warehouse, "region_codes", None)
    if codes is not None:
        return set(codes)
    import duckdb

    if not Path(str(warehouse)).exists():
        raise InputError("warehouse not found", file=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT DISTINCT code FROM regions WHERE nuts_version = 2021").fetchall()}


def warehouse_organisations(warehouse: Any, org_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The warehouse's organisations among ``org_ids``: id -> name, actor type, NUTS 2, country."""
    import duckdb

    ids = sorted({str(o) for o in org_ids})
    if not ids:
        return {}
    if not Path(str(warehouse)).exists():
        raise InputError("warehouse not found", file=str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT org_id, name, coalesce(activity_type, 'OTH'), nuts2, country FROM organisations "
            "WHERE org_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()
    return {str(r[0]): {"name": r[1], "actor_type": r[2], "region": r[3], "country": r[4]} for r in rows}
