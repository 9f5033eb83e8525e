"""``rok regions``: the regions the warehouse knows, with their names and how well they are covered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import typer

from rok import config
from rok.cli import resolve
from rok.cli.output import check_format, emit
from rok.errors import InputError

__all__ = ["register", "region_table"]

_PLACED = """
WITH p AS (
    SELECT o.country, o.nuts1, o.nuts2, o.nuts3, p.org_id
    FROM participations p JOIN organisations o USING (org_id)
)
SELECT country, count(*) AS participations,
       count(nuts1) AS placed_1, count(nuts2) AS placed_2, count(nuts3) AS placed_3
FROM p GROUP BY country
"""


def region_table(db: Path | str, *, level: int | None = 2, country: str | None = None, search: str | None = None,
                 version: int = resolve.CURRENT) -> pd.DataFrame:
    """Regions of NUTS ``version`` with names, participations placed in them and the placed share.

    ``participations`` counts the participations of organisations placed in the region (at its
    level, NUTS 2021). An organisation that could not be placed is known only by its country,
    so the placed share is the country's: ``country_placed_share = placed participations of the
    country at the region's level / all participations of organisations of the country``.
    """
    path = Path(db)
    if not path.exists():
        raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
    with duckdb.connect(str(path), read_only=True) as con:
        regions = con.execute("SELECT code, level, name, name_latn, nuts_version, country FROM regions "
                              "WHERE nuts_version = ? ORDER BY code", [version]).df()
        versions = sorted(int(v) for (v,) in con.execute("SELECT DISTINCT nuts_version FROM regions").fetchall())
        counts = {lvl: con.execute(f"SELECT nuts{lvl} AS code, count(*) AS n FROM participations "
                                   f"JOIN organisations USING (org_id) WHERE nuts{lvl} IS NOT NULL GROUP BY 1").df()
                  for lvl in (1, 2, 3)}
        countries = con.execute(_PLACED).df().set_index("country")
    if regions.empty:
        raise InputError(f"no regions of this NUTS version; the warehouse has {', '.join(map(str, versions))}",
                         column="--version", value=version)
    table = regions
    if level is not None:
        table = table[table["level"] == level]
    if country:
        table = table[table["country"] == country.strip().upper()]
    if search:
        key = resolve.fold(search)
        code = search.strip().upper()
        hit = [code and c.startswith(code) or key in resolve.fold(f"{n or ''} / {nl or ''}")
               for c, n, nl in zip(table["code"], table["name"], table["name_latn"], strict=True)]
        table = table[hit]
    table = table.copy()
    placed = pd.concat([counts[lvl].assign(level=lvl) for lvl in (1, 2, 3)])
    placed_n = dict(zip(zip(placed["code"], placed["level"], strict=True), placed["n"], strict=True))
    current = version == resolve.CURRENT
    table["participations"] = [
        (int(countries["participations"].get(c, 0)) if lvl == 0 else int(placed_n.get((code, lvl), 0)))
        if current else None for code, lvl, c in zip(table["code"], table["level"], table["country"], strict=True)]
    table["country_participations"] = [int(countries["participations"].get(c, 0)) for c in table["country"]]
    table["country_placed_share"] = [
        (float(countries.loc[c, f"placed_{max(lvl, 1)}"] / countries.loc[c, "participations"])
         if c in countries.index and countries.loc[c, "participations"] else None) if current else None
        for lvl, c in zip(table["level"], table["country"], strict=True)]
    table["participations"] = pd.array(table["participations"], dtype="Int64")
    return table.reset_index(drop=True)


def register(app: typer.Typer, friendly: Any) -> None:
    """Add ``rok regions`` to ``app``."""

    @app.command("regions")
    @friendly
    def regions_cmd(level: int = typer.Option(2, "--level", help="NUTS level 0-3 (default 2); -1 for all levels."),
                    country: str = typer.Option(None, "--country", help="Two-letter country code, e.g. PL."),
                    search: str = typer.Option(None, "--search", help="Part of a name (any case, accents optional) "
                                                                      "or the start of a code."),
                    version: int = typer.Option(resolve.CURRENT, "--version", help="NUTS version (default 2021)."),
                    fmt: str = typer.Option("text", "--format", help="text, csv or json."),
                    db: Path = typer.Option(None, "--db", help="Warehouse file (default: $ROK_DB or ./rok.duckdb).")) -> None:
        """Regions with their codes and names, and how many participations are placed in them."""
        check_format(fmt)
        if level not in (-1, 0, 1, 2, 3):
            raise InputError("expected --level 0, 1, 2, 3 or -1 (all)", column="--level", value=level)
        path = config.db_path(db)
        table = region_table(path, level=None if level == -1 else level, country=country, search=search,
                             version=version)
        if table.empty:
            raise InputError(f"no NUTS {version} region{'' if level == -1 else f' of level {level}'} matches"
                             + (f" country {country}" if country else "") + (f" {search!r}" if search else "")
                             + ("; try --level -1 for all levels" if level != -1 else ""))
        if fmt == "text":
            table = table.assign(name=[n if not isinstance(latn, str) or latn == n else f"{n} / {latn}"
                                       for n, latn in zip(table["name"], table["name_latn"], strict=True)])
            table = table.drop(columns=["name_latn", "nuts_version", "country_participations"]
                               + (["level"] if level != -1 else []))
        emit(table, fmt, schema="regions", limit=None if fmt != "text" else 80,
             title=f"NUTS {version} regions" + (f" of level {level}" if level != -1 else ""),
             notes={"participations": "participations of organisations placed in the region (NUTS 2021)",
                    "country_placed_share": "share of the country's participations whose organisation is placed "
                                            "at the region's level (an unplaced organisation is known only by "
                                            "its country)"})
