"""Reader for the official CORDIS bulk downloads of FP7, Horizon 2020 and Horizon Europe.

A download (``cordis-h2020projects-csv.zip`` or the directory it unpacks to) holds
``project.csv`` and ``organization.csv`` and optionally ``euroSciVoc.csv`` and ``topics.csv``;
other members are ignored. Members are semicolon-separated, double-quoted UTF-8. Both the
current layout of ``organization.csv`` (``organisationID``, ``nutsCode``, ``geolocation`` ...)
and the older one (``id``, no NUTS code) are read. Every bad value is reported with file,
line, column and value (or becomes a reject with ``skip_bad_rows``); nothing is written here.
"""

from __future__ import annotations

import math
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from rok.errors import InputError, SourceError, located
from rok.sources.batch import Batch, Reject, sha256_bytes, sha256_file
from rok.sources.cordis_horizon import euroscivoc_tables
from rok.sources.nutscodes import check_nuts_code
from rok.sources.tabular import Col, RawTable, check_unique, convert, decode, parse_delimited
from rok.timing import step

__all__ = ["read_cordis_bulk", "FRAMEWORKS"]

#: Accepted spellings of a framework programme -> its canonical (upper-case) name.
FRAMEWORKS = {"FP7": "FP7", "H2020": "H2020", "HORIZON": "HORIZON", "HE": "HORIZON", "HORIZON EUROPE": "HORIZON"}
_NAME_HINTS = (("FP7", r"fp7"), ("H2020", r"h2020|horizon[ _-]?2020"), ("HORIZON", r"horizon(?![ _-]?2020)"))
_MEMBERS = ("project.csv", "organization.csv", "euroscivoc.csv", "topics.csv")
_TAXONOMY = "euroscivoc"
_DTYPES = {"int": "Int64", "float": "Float64"}

# target column -> (source column alternatives, kind, nullable)
_Spec = dict[str, tuple[tuple[str, ...], str, bool]]
_PROJECT: _Spec = {
    "grant_id": (("id",), "str", False), "rcn": (("rcn",), "int", True),
    "acronym": (("acronym",), "str", True), "title": (("title",), "str", True),
    "start_date": (("startDate",), "date", True), "end_date": (("endDate",), "date", True),
    "total_cost": (("totalCost",), "float", True), "ec_max_contribution": (("ecMaxContribution",), "float", True),
    "funding_scheme": (("fundingScheme",), "str", True), "topic": (("topics",), "str", True),
    "fp": (("frameworkProgramme",), "str", True),
}
_ORGANISATION: _Spec = {
    "grant_id": (("projectID",), "str", False), "org_id": (("organisationID", "id"), "str", False),
    "role": (("role",), "str", False), "name": (("name",), "str", True),
    "short_name": (("shortName",), "str", True), "activity_type": (("activityType",), "str", True),
    "street": (("street",), "str", True), "postcode": (("postCode",), "str", True),
    "city": (("city",), "str", True), "country": (("country",), "str", True),
    "nuts_code": (("nutsCode",), "str", True), "geolocation": (("geolocation",), "str", True),
    "vat": (("vatNumber",), "str", True), "url": (("organizationURL", "organizationUrl"), "str", True),
    "updated": (("contentUpdateDate",), "date", True), "updated_raw": (("contentUpdateDate",), "str", True),
    "ord": (("order",), "int", True), "ec_contribution": (("ecContribution",), "float", True),
    "net_ec_contribution": (("netEcContribution",), "float", True), "total_cost": (("totalCost",), "float", True),
    "end_of_participation": (("endOfParticipation",), "str", True),
}
_SCIVOC: _Spec = {
    "grant_id": (("projectID",), "str", False), "code": (("euroSciVocCode",), "str", False),
    "path": (("euroSciVocPath",), "str", True), "name": (("euroSciVocTitle",), "str", True),
}
_TOPICS: _Spec = {"grant_id": (("projectID",), "str", False), "topic": (("topic",), "str", False)}


class _Reader:
    """State of one read: the member files, the mode, the rejects and the row count."""

    def __init__(self, members: dict[str, tuple[str, bytes]], skip_bad_rows: bool) -> None:
        self.members, self.skip = members, skip_bad_rows
        self.rejects: list[Reject] = []
        self.rows_read = 0

    def parse(self, member: str, required: list[str], one_of: tuple[str, ...] = ()) -> RawTable:
        """Decode and split a member; ``one_of`` lists alternative names of one required column."""
        file, data = self.members[member]
        before = len(self.rejects)
        with step("read"):
            text = decode(data, file)
            head = text.split("\n", 1)[0]  # semicolons until 2023, commas in the Horizon Europe files since
            raw = parse_delimited(text, file, delimiter=";" if head.count(";") >= head.count(",") else ",",
                                  required=required, skip_bad_rows=self.skip, rejects=self.rejects)
        if one_of and not any(name in raw.header for name in one_of):
            raise InputError(f"missing required column {one_of[0]!r} (or {', '.join(map(repr, one_of[1:]))}); "
                             f"header has: {', '.join(raw.header)}", file=file, line=1, column=one_of[0])
        self.rows_read += len(raw.frame) + len(self.rejects) - before
        return raw

    def typed(self, raw: RawTable, spec: _Spec) -> tuple[pd.DataFrame, dict[str, str]]:
        """Convert the columns present; absent optional ones become empty. Returns frame, target->source."""
        present = {t: next((s for s in alts if s in raw.header), alts[0]) for t, (alts, _, _) in spec.items()}
        cols = {t: Col(present[t], kind, nullable) for t, (_, kind, nullable) in spec.items() if present[t] in raw.header}
        frame = convert(raw, cols, skip_bad_rows=self.skip, rejects=self.rejects)
        for target, (_, kind, _) in spec.items():
            if target not in frame.columns:
                frame[target] = pd.Series([None] * len(frame), dtype=_DTYPES.get(kind, object))
        return frame, present

    def check(self, frame: pd.DataFrame, target: str, source: str, file: str,
              fn: Callable[[str], object]) -> pd.DataFrame:
        """Apply ``fn`` to the non-empty values of ``target``; a ``ValueError`` marks a bad value."""
        values: list[object] = []
        bad = [False] * len(frame)
        with step("validate"):
            for i, (value, line) in enumerate(zip(frame[target], frame["_line"], strict=True)):
                try:
                    values.append(None if pd.isna(value) else fn(value))
                except ValueError as exc:
                    reason = _bare(exc)
                    if not self.skip:
                        raise InputError(reason, file=file, line=int(line), column=source, value=value) from None
                    self.rejects.append(Reject(file, int(line), source, str(value), reason))
                    values.append(None)
                    bad[i] = True
        frame = frame.assign(**{target: pd.Series(values, index=frame.index, dtype=object)})
        return frame[[not b for b in bad]].reset_index(drop=True)

    def unique(self, frame: pd.DataFrame, key: list[str], file: str, names: list[str]) -> pd.DataFrame:
        return check_unique(frame, key, file, skip_bad_rows=self.skip, rejects=self.rejects, source_columns=names)


def _bare(exc: ValueError) -> str:
    """The message of ``exc`` without the location prefix an :class:`InputError` adds."""
    text = str(exc)
    if isinstance(exc, InputError):
        prefix = located("", file=exc.file, line=exc.line, column=exc.column, value=exc.value)
        text = text.removeprefix(prefix)
    return text


def _open(path: Path) -> tuple[dict[str, tuple[str, bytes]], str]:
    """Member name (lower-case) -> (display name, bytes) of the wanted members, and the sha256."""
    if not path.exists():
        raise InputError("file not found", file=str(path))
    members: dict[str, tuple[str, bytes]] = {}
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file() and child.name.lower() in _MEMBERS:
                members[child.name.lower()] = (str(child), child.read_bytes())
        digest = sha256_bytes(b"".join(members[m][1] for m in _MEMBERS if m in members))
        return members, digest
    if path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
        raise InputError("expected a CORDIS bulk download: its .zip archive or a directory holding "
                         "project.csv and organization.csv", file=str(path))
    try:
        with step("read"), zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                base = info.filename.rsplit("/", 1)[-1].lower()
                if info.is_dir() or base not in _MEMBERS or "__macosx" in info.filename.lower():
                    continue
                if base in members:
                    raise InputError(f"the archive holds two {base} members", file=str(path), value=info.filename)
                members[base] = (f"{path}:{info.filename}", archive.read(info))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise SourceError(f"damaged, truncated or unreadable ZIP archive ({exc}); download it again",
                          file=str(path)) from None
    return members, sha256_file(path)


def _framework(given: str | None, path: Path, raw: RawTable) -> str:
    """Canonical framework: as given, else from the file name, else from ``frameworkProgramme``."""
    if given is not None:
        if given.strip().upper() not in FRAMEWORKS:
            raise InputError(f"unknown framework {given!r}: expected fp7, h2020 or horizon", value=given)
        return FRAMEWORKS[given.strip().upper()]
    hints = {fw for fw, pattern in _NAME_HINTS if re.search(pattern, path.name, re.IGNORECASE)}
    if len(hints) == 1:
        return hints.pop()
    if "frameworkProgramme" in raw.header:
        seen = {FRAMEWORKS.get(str(v).strip().upper()) for v in raw.frame["frameworkProgramme"] if str(v).strip()}
        if len(seen) == 1 and None not in seen:
            return str(seen.pop())
    raise InputError("cannot tell the framework programme from the file name or the frameworkProgramme "
                     "column; pass framework='fp7', 'h2020' or 'horizon'", file=str(path))


def _same_framework(framework: str) -> Callable[[str], object]:
    def check(value: str) -> str:
        found = FRAMEWORKS.get(value.strip().upper())
        if found is not None and found != framework:
            raise ValueError(f"a {found} project in a file read as {framework}; pass the right framework")
        return value
    return check


def _bool(value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def _latlon(value: str) -> tuple[float, float]:
    parts = value.strip().strip("[]()").split(",")
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise ValueError("expected a geolocation 'latitude,longitude' such as '50.85,4.35'") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise ValueError("geolocation out of range: latitude must be within ±90, longitude within ±180")
    return lat, lon


def read_cordis_bulk(path: str | Path, *, framework: str | None = None, skip_bad_rows: bool = False) -> Batch:
    """Read a CORDIS bulk download (ZIP or directory) into a batch.

    Tables: ``projects``, ``participations``, ``organisation_sources`` and, when
    ``euroSciVoc.csv`` is present, ``domains`` and ``project_domains`` (taxonomy
    ``euroscivoc`` at levels 1-3 and its roll-ups ``euroscivoc-1``, ``euroscivoc-2``:
    :func:`rok.sources.cordis_horizon.euroscivoc_tables`). ``framework`` (fp7, h2020, horizon) is detected from the file name or
    the ``frameworkProgramme`` column when not given. Raises :class:`InputError` for bad
    data (in strict mode) and :class:`SourceError` for a damaged archive.
    """
    path = Path(path)
    members, digest = _open(path)
    for needed in ("project.csv", "organization.csv"):
        if needed not in members:
            raise InputError(f"no {needed} in this CORDIS download (is it the CSV one?)", file=str(path))
    reader = _Reader(members, skip_bad_rows)

    # project.csv
    pfile = members["project.csv"][0]
    raw = reader.parse("project.csv", ["id", "startDate"])
    fw = _framework(framework, path, raw)
    source = f"cordis-{fw.lower()}-bulk"
    projects, _ = reader.typed(raw, _PROJECT)
    projects = reader.check(projects, "fp", "frameworkProgramme", pfile, _same_framework(fw))
    projects = reader.unique(projects, ["grant_id"], pfile, ["id"])

    # organization.csv
    ofile = members["organization.csv"][0]
    raw = reader.parse("organization.csv", ["projectID", "name", "country", "role", "activityType"],
                       one_of=("organisationID", "id"))
    orgs, names = reader.typed(raw, _ORGANISATION)
    orgs = reader.check(orgs, "nuts_code", names["nuts_code"], ofile,
                        lambda v: check_nuts_code(v, file=ofile, line=None, column=names["nuts_code"]))
    orgs = reader.check(orgs, "geolocation", names["geolocation"], ofile, _latlon)
    orgs = reader.check(orgs, "end_of_participation", names["end_of_participation"], ofile, _bool)
    orgs["role"] = orgs["role"].str.lower()
    orgs = reader.unique(orgs, ["grant_id", "org_id", "role"], ofile, ["projectID", names["org_id"], "role"])

    participations = orgs.assign(project_id=fw + ":" + orgs["grant_id"], source=source)[
        ["project_id", "org_id", "role", "activity_type", "country", "ec_contribution", "net_ec_contribution",
         "total_cost", "ord", "end_of_participation", "source"]]
    latest = orgs.assign(_ts=pd.to_datetime(orgs["updated_raw"], format="ISO8601"))
    latest = latest.sort_values(["_ts", "_line"], na_position="first", kind="stable")
    latest = latest.drop_duplicates("org_id", keep="last").sort_values("_line").reset_index(drop=True)
    geo = [v if isinstance(v, tuple) else (None, None) for v in latest["geolocation"]]
    organisations = latest.assign(
        source=source, lat=pd.Series([g[0] for g in geo], dtype="Float64"),
        lon=pd.Series([g[1] for g in geo], dtype="Float64"),
    )[["org_id", "source", "name", "short_name", "activity_type", "street", "postcode", "city", "country",
       "nuts_code", "lat", "lon", "vat", "url", "updated"]]

    # optional members
    tables: dict[str, pd.DataFrame] = {}
    replace = {"participations": f"source = '{source}'"}
    if "topics.csv" in members:
        topics, _ = reader.typed(reader.parse("topics.csv", ["projectID", "topic"]), _TOPICS)
        joined = topics.drop_duplicates(["grant_id", "topic"]).groupby("grant_id")["topic"].agg(";".join)
        projects["topic"] = projects["topic"].where(projects["topic"].notna(), projects["grant_id"].map(joined))
    if "euroscivoc.csv" in members:
        scivoc, _ = reader.typed(reader.parse("euroscivoc.csv", ["projectID", "euroSciVocCode"]), _SCIVOC)
        tables["domains"], tables["project_domains"] = euroscivoc_tables(scivoc, fw)
        replace["project_domains"] = f"taxonomy LIKE '{_TAXONOMY}%' AND project_id LIKE '{fw}:%'"

    n_orgs = orgs.groupby("grant_id")["org_id"].nunique()
    start = pd.to_datetime(projects["start_date"])
    end = pd.to_datetime(projects["end_date"])
    projects = projects.assign(
        project_id=fw + ":" + projects["grant_id"], framework=fw,
        start_year=start.dt.year.astype("Int64"), end_year=end.dt.year.astype("Int64"),
        n_participants=projects["grant_id"].map(n_orgs).fillna(0).astype("Int64"),
    )[["project_id", "framework", "rcn", "grant_id", "acronym", "title", "start_date", "end_date", "start_year",
       "end_year", "total_cost", "ec_max_contribution", "funding_scheme", "topic", "n_participants"]]

    notes = []
    orphans = orgs.loc[~orgs["grant_id"].isin(set(projects["grant_id"])), "grant_id"]
    if len(orphans):
        notes.append(f"{len(orphans)} participations of {orphans.nunique()} projects in {ofile} have no "
                     f"project in {pfile} (kept)")
    return Batch(
        source=source, file=str(path), sha256=digest, rows_read=reader.rows_read,
        tables={"projects": projects, "participations": participations.reset_index(drop=True),
                "organisation_sources": organisations, **tables},
        rejects=reader.rejects, replace=replace, notes=notes,
    )
