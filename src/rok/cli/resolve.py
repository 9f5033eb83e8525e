"""Turning what a person types into warehouse codes: regions and domains.

A REGION may be given as

- a NUTS 2021 code in any case (``pl82``);
- an older (or newer) NUTS code, mapped to NUTS 2021 with a one-line note on stderr. The
  mapping is read from ``nuts_code_history`` where that table exists, else from
  ``nuts_correspondence`` (area overlap of the GISCO boundaries; slivers under 10% of the old
  region's area, from generalised boundaries, are ignored). An old code that was split gives
  an error naming the new codes;
- a name, national or Latin, matched without regard to case and accents
  (``podkarpackie``, ``Łódzkie``, ``lodzkie``, ``Bruxelles`` in ``Région de Bruxelles-Capitale``);
  an exact name first, then a unique part of a name; several matches or none give an error
  with suggestions.

A DOMAIN may be given as a code in any case (``sc3``) or a name by the same rules
(``Secure, clean and efficient energy``, ``energy``).

The tables are read once per warehouse and process, through a read-only connection that is
closed before the command opens its engine.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok import config
from rok.errors import InputError

__all__ = ["Lookup", "lookup", "fold", "region", "domain", "CURRENT"]

CURRENT = 2021  # the NUTS version organisations are placed in
_SLIVER = 0.10  # share of an old region's area below which an overlap is boundary noise
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "ss", "æ": "ae",
                          "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "þ": "th", "ð": "d", "ħ": "h"})
_cache: dict[str, Lookup] = {}


def fold(text: str) -> str:
    """Lower case, accents and special letters folded to ASCII, punctuation to single spaces."""
    text = unicodedata.normalize("NFKD", str(text).translate(_SPECIAL))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@dataclass
class Lookup:
    """Regions (every NUTS version), domains and the code history of one warehouse."""

    regions: pd.DataFrame  # code, nuts_version, level, name, name_latn, country
    domains: pd.DataFrame  # taxonomy, code, name
    history: pd.DataFrame  # old_code, old_version, new_code, new_version, kind, share
    activity: pd.DataFrame  # start_year, taxonomy, domain, participations (what data exist)
    path: str = ""
    notes: list[str] = field(default_factory=list)
    _orgs: pd.DataFrame | None = None
    _names: dict[str, str] | None = None

    @classmethod
    def read(cls, db: Path | str) -> Lookup:
        path = Path(db)
        if not path.exists():
            raise InputError("no warehouse here yet; run `rok ingest mirror` first", file=str(path))
        with duckdb.connect(str(path), read_only=True) as con:
            tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
            regions = con.execute("SELECT code, nuts_version, level, name, name_latn, country FROM regions").df()
            domains = con.execute("SELECT taxonomy, code, name FROM domains").df()
            history = _history(con, tables)
            activity = con.execute(
                "SELECT p.start_year, d.taxonomy, d.code AS domain, count(*) AS participations "
                "FROM participations t JOIN projects p USING (project_id) "
                "JOIN project_domains d USING (project_id) GROUP BY ALL").df()
        return cls(regions, domains, history, activity, str(path))

    def organisations(self) -> pd.DataFrame:
        """Organisations indexed by id: name, city, country, nuts1-3 (NUTS 2021), read once."""
        if self._orgs is None:
            with duckdb.connect(self.path, read_only=True) as con:
                self._orgs = con.execute("SELECT org_id, name, short_name, city, country, nuts1, nuts2, nuts3 "
                                         "FROM organisations").df().set_index("org_id")
        return self._orgs

    def organisation_label(self, org_id: str, level: int = 2) -> str:
        """``Name (City, CODE Region)``, with what is known."""
        orgs = self.organisations()
        if org_id not in orgs.index:
            return str(org_id)
        row = orgs.loc[org_id]
        name = row["name"] if isinstance(row["name"], str) and row["name"] else f"organisation {org_id}"
        region = row.get(f"nuts{level}")
        where = [p for p in (row["city"] if isinstance(row["city"], str) else "",
                             f"{region} {self.region_name(region)}" if isinstance(region, str) else
                             (f"{row['country']}, not placed" if isinstance(row["country"], str) else "not placed"))
                 if p]
        return f"{name} ({', '.join(where)})"

    # -- selections -------------------------------------------------------------------------
    def check_selection(self, years: tuple[int, int] | None, taxonomy: str = "h2020-part",
                        domain: str | None = None) -> None:
        """An error that says what data exist when the period, taxonomy or domain hold none."""
        data = self.activity
        taxonomies = sorted(data["taxonomy"].unique())
        if taxonomy not in taxonomies:
            raise InputError(f"no data in this taxonomy; the warehouse has {', '.join(taxonomies) or 'none'}",
                             column="--taxonomy", value=taxonomy)
        rows = data[data["taxonomy"] == taxonomy]
        if domain is not None:
            rows = rows[rows["domain"] == domain]
        inside = rows if years is None else rows[rows["start_year"].between(*years)]
        if inside["participations"].sum() > 0:
            return
        what = f"domain {domain} {self.domain_name(domain, taxonomy)}" if domain else "any domain"
        period = "" if years is None else f" with projects starting {years[0]}-{years[1]}"
        raise InputError(f"no participations in the selection ({what}{period}); "
                         f"{self.existing(taxonomy, years, domain)}")

    def existing(self, taxonomy: str = "h2020-part", years: tuple[int, int] | None = None,
                 domain: str | None = None) -> str:
        """What the warehouse holds: start years with participations, and domains with data."""
        rows = self.activity[self.activity["taxonomy"] == taxonomy]
        parts = [f"data exist for projects starting {_span(rows)}"]
        if domain is not None:
            parts.append(f"{domain} has data for start years {_span(rows[rows['domain'] == domain])}")
        if years is not None:
            rows = rows[rows["start_year"].between(*years)]
        domains = ", ".join(sorted(d for d in rows["domain"].unique() if not str(d).startswith("PILLAR:")))
        when = f" in {years[0]}-{years[1]}" if years is not None else ""
        parts.append(f"domains with data{when}: {domains}" if domains else f"no domain has data{when}")
        if not domains and years is not None:
            parts.append(self.existing(taxonomy).split("; ", 1)[1])
        return "; ".join(parts)

    # -- names ------------------------------------------------------------------------------
    def current(self, level: int | None = None) -> pd.DataFrame:
        table = self.regions[self.regions["nuts_version"] == CURRENT]
        return table if level is None else table[table["level"] == level]

    def region_name(self, code: str) -> str:
        """Latin name of a NUTS 2021 region (else of the newest version that has it), or ''.

        Of a name in two languages (``Région de Bruxelles-Capitale/Brussels Hoofdstedelijk
        Gewest``) the first; ``rok regions`` shows them whole."""
        if self._names is None:
            rows = self.regions.assign(pref=(self.regions["nuts_version"] == CURRENT).astype(int)).sort_values(
                ["pref", "nuts_version"])  # the preferred row last, so that it wins
            self._names = {}
            for code_, name, latn in zip(rows["code"], rows["name"], rows["name_latn"], strict=True):
                full = str(latn if isinstance(latn, str) and latn else name or "")
                self._names[str(code_)] = full.split("/")[0].strip() or full
        return self._names.get(str(code), "")

    def domain_name(self, code: str, taxonomy: str = "h2020-part") -> str:
        rows = self.domains[(self.domains["taxonomy"] == taxonomy) & (self.domains["code"] == code)]
        return "" if rows.empty else str(rows.iloc[0]["name"])

    # -- regions ----------------------------------------------------------------------------
    def region(self, text: str, level: int | None = None, *, fixed: bool = False) -> str:
        """The NUTS 2021 code meant by ``text`` (see the module docstring).

        With ``level``, a region of another level is an error naming the regions of ``level``
        in it (or containing it); ``fixed``: the command has no ``--level`` to suggest.
        """
        value = str(text).strip()
        if not value:
            raise InputError("empty region; give a NUTS code or a name", value=text)
        code = value.upper().replace(" ", "")
        if code not in set(self.current()["code"]):
            code = self._old_code(code) or self._by_name(value, level)
        return self._at_level(code, value, level, fixed)

    def _at_level(self, code: str, text: str, level: int | None, fixed: bool = False) -> str:
        """``code`` if it is at ``level`` (or no level is asked), else an error naming the right codes."""
        found = self.current()[self.current()["code"] == code]
        have = int(found.iloc[0]["level"])
        if level is None or have == level:
            return code
        label = f"{code} {self.region_name(code)} is a NUTS {have} region"
        if have < level:
            inside = self.current(level)
            inside = inside[inside["code"].str.startswith(code)]
            listed = ", ".join(f"{c} {self.region_name(c)}" for c in inside["code"].head(12))
            more = f" and {len(inside) - 12} more" if len(inside) > 12 else ""
            option = "" if fixed else f"give --level {have}, or "
            raise InputError(f"{label}; {option}give one of its NUTS {level} regions: {listed}{more}", value=text)
        option = "" if fixed else f"--level {have} or "
        raise InputError(f"{label}, in {code[:level + 2]} {self.region_name(code[:level + 2])} (NUTS {level}); "
                         f"give {option}{code[:level + 2]}", value=text)

    def _old_code(self, code: str) -> str | None:
        rows = self.history[(self.history["old_code"] == code) & (self.history["old_version"] != CURRENT)]
        if rows.empty:
            return None
        version = int(rows["old_version"].min())
        targets = self._in_current(rows[rows["old_version"] == version])
        label = f"{code} (NUTS {version})"
        if len(targets) == 1:
            new = next(iter(targets))
            self.note(f"{label} is {new} {self.region_name(new)} in NUTS {CURRENT}")
            return new
        if not targets:
            raise InputError(f"{label} has no successor in NUTS {CURRENT} in this warehouse", value=code)
        listed = ", ".join(f"{c} {self.region_name(c)}" + (f" ({s:.0%})" if s == s else "")
                           for c, s in sorted(targets.items(), key=lambda item: -item[1]))
        raise InputError(f"{label} was split in NUTS {CURRENT}; give one of: {listed}", value=code)

    def _in_current(self, rows: pd.DataFrame, depth: int = 0) -> dict[str, float]:
        """NUTS 2021 successors of ``rows`` with their shares, following intermediate versions."""
        current = set(self.current()["code"])
        out: dict[str, float] = {}
        for new, version, share in zip(rows["new_code"], rows["new_version"], rows["share"], strict=True):
            share = float(share) if share == share and share is not None else float("nan")
            if int(version) == CURRENT and new in current:
                out[str(new)] = max(out.get(str(new), 0.0), share) if share == share else share
            elif depth < 4:
                later = self.history[(self.history["old_code"] == new) & (self.history["old_version"] == version)]
                for code, part in self._in_current(later, depth + 1).items():
                    out[code] = share * part if share == share and part == part else float("nan")
        return out

    def _by_name(self, text: str, level: int | None) -> str:
        key = fold(text)
        table = self.current()
        names = _name_keys(table)
        exact = names[names["key"] == key]
        found = _pick(exact, level)
        if found is None:
            part = names[names["key"].str.contains(rf"\b{re.escape(key)}", regex=True)] if key else names.iloc[:0]
            found = _pick(part, level)
            if found is None and not part.empty:
                raise InputError(f"several regions match; give one of: {self._listing(part, level)}", value=text)
        if found is None:
            if not exact.empty:
                raise InputError(f"several regions have this name; give one of: {self._listing(exact, level)}",
                                 value=text)
            close = difflib.get_close_matches(key, list(dict.fromkeys(names["key"])), n=5, cutoff=0.75)
            near = names[names["key"].isin(close)]
            hint = f"; did you mean {self._listing(near, level)}?" if not near.empty else ""
            versions = ", ".join(str(v) for v in sorted(self.regions["nuts_version"].unique()))
            what = (f"not a NUTS code of the versions in this warehouse ({versions}) nor a region name"
                    if re.fullmatch(r"[A-Za-z]{2}[0-9A-Za-z]{0,3}", text.strip()) else "no region with this name")
            raise InputError(f"unknown region: no region with this code or name: {what}{hint} "
                             "(see `rok regions --search TEXT`)", value=text)
        return found

    def _listing(self, rows: pd.DataFrame, level: int | None) -> str:
        rows = rows.drop_duplicates("code").sort_values("code")
        if level is not None and (rows["level"] == level).any():
            rows = rows[rows["level"] == level]
        shown = [f"{r.code} {self.region_name(r.code)} (NUTS {r.level})" for r in rows.head(8).itertuples()]
        return ", ".join(shown) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")

    # -- domains ----------------------------------------------------------------------------
    def domain(self, text: str, taxonomy: str = "h2020-part") -> str:
        """The domain code of ``taxonomy`` meant by ``text``: a code in any case or a name."""
        table = self.domains[self.domains["taxonomy"] == taxonomy]
        value = str(text).strip()
        by_code = table[table["code"].str.casefold() == value.casefold()]
        if len(by_code) == 1:
            return str(by_code.iloc[0]["code"])
        key = fold(value)
        keys = table.assign(key=[fold(n) for n in table["name"]])
        for rows in (keys[keys["key"] == key],
                     keys[keys["key"].str.contains(rf"\b{re.escape(key)}", regex=True)] if key else keys.iloc[:0]):
            if len(rows) == 1:
                return str(rows.iloc[0]["code"])
            if len(rows) > 1:
                listed = "; ".join(f"{r.code} ({r.name})" for r in rows.itertuples())
                raise InputError(f"several domains match; give one of: {listed}", value=text)
        close = difflib.get_close_matches(key, list(keys["key"]), n=3, cutoff=0.6)
        near = keys[keys["key"].isin(close)]
        codes = ", ".join(f"{r.code} ({r.name})" for r in near.itertuples()) or ", ".join(table["code"])
        raise InputError(f"unknown domain: no domain of taxonomy {taxonomy} with this code or name; "
                         f"{'did you mean' if not near.empty else 'known codes:'} {codes}", value=text)

    def note(self, text: str) -> None:
        """A one-line note on stderr (kept in ``notes`` for the outputs)."""
        import sys

        self.notes.append(text)
        sys.stderr.write(f"note: {text}\n")


def _span(rows: pd.DataFrame) -> str:
    years = rows.dropna(subset=["start_year"])
    years = years[years["participations"] > 0]["start_year"]
    return f"{int(years.min())}-{int(years.max())}" if len(years) else "none (no start year)"


def _history(con: Any, tables: set[str]) -> pd.DataFrame:
    """Old code -> NUTS 2021 code(s), from ``nuts_code_history`` or else ``nuts_correspondence``."""
    columns = ["old_code", "old_version", "new_code", "new_version", "kind", "share"]
    if "nuts_code_history" in tables:
        frame = con.execute("SELECT old_code, old_version, new_code, new_version, kind, share "
                            "FROM nuts_code_history WHERE old_version <> new_version OR old_code <> new_code").df()
        return frame[columns]
    if "nuts_correspondence" in tables:
        frame = con.execute(
            f"SELECT from_code AS old_code, from_version AS old_version, to_code AS new_code, "
            f"to_version AS new_version, method AS kind, share_of_from AS share FROM nuts_correspondence "
            f"WHERE to_version = {CURRENT} AND from_version <> {CURRENT} AND share_of_from >= {_SLIVER}").df()
        return frame[columns]
    return pd.DataFrame(columns=columns)


def _name_keys(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (code, folded name); names with ' / ' give each alternative too."""
    rows = []
    for r in table.itertuples():
        seen: set[str] = set()
        for name in (r.name, r.name_latn):
            if not isinstance(name, str) or not name:
                continue
            for variant in [name, *name.split("/")]:
                key = fold(variant)
                if key and key not in seen:
                    seen.add(key)
                    rows.append((r.code, int(r.level), key))
    return pd.DataFrame(rows, columns=["code", "level", "key"])


def _pick(rows: pd.DataFrame, level: int | None) -> str | None:
    """The single code among ``rows`` (at ``level`` when several levels share the name)."""
    codes = rows.drop_duplicates("code")
    if codes.empty:
        return None
    if level is not None and len(codes) > 1:
        at_level = codes[codes["level"] == level]
        if len(at_level) == 1:
            return str(at_level.iloc[0]["code"])
    if len(codes) == 1:
        return str(codes.iloc[0]["code"])
    # one region repeated down the levels (e.g. LU, LU0, LU00, LU000): the deepest is the most precise
    if codes["code"].map(lambda c: all(str(c).startswith(str(o)) or str(o).startswith(str(c))
                                       for o in codes["code"])).all():
        return str(codes.sort_values("level").iloc[-1 if level is None else 0]["code"])
    return None


def lookup(db: Path | str | None = None) -> Lookup:
    """The :class:`Lookup` of the warehouse ``db`` (default: ``$ROK_DB``), read once per process."""
    path = str(config.db_path(db))
    if path not in _cache:
        _cache[path] = Lookup.read(path)
    return _cache[path]


def region(text: str | None, db: Path | str | None = None, level: int | None = None) -> str | None:
    """The NUTS 2021 code meant by ``text`` (None stays None)."""
    return None if text is None else lookup(db).region(text, level)


def domain(text: str | None, db: Path | str | None = None, taxonomy: str = "h2020-part") -> str | None:
    """The domain code meant by ``text`` (None stays None)."""
    return None if text is None else lookup(db).domain(text, taxonomy)
