"""Horizon Europe project-level files of CORDIS: programme parts, topics and EuroSciVoc fields.

Reads a directory (or the mirror's ``cordis/horizon``) holding the official CORDIS Horizon
Europe members ``legalBasis.csv``, ``topics.csv`` and ``euroSciVoc.csv`` (plain or ``.gz``;
comma separated as published since 2024, semicolon separated in older downloads). Columns:

- ``legalBasis``: projectID, legalBasis (``HORIZON.2.4.1``), title, uniqueProgrammePart
  (``true`` on the one row naming the project's programme part);
- ``topics``: projectID, topic (``HORIZON-CL5-2022-D3-01-02``), title;
- ``euroSciVoc``: projectID, euroSciVocCode (``/23/43/251``), euroSciVocPath
  (``/natural sciences/physical sciences/optics``), euroSciVocTitle.

Tables written:

- ``projects``: ``HORIZON:<projectID>``, the key :mod:`rok.sources.cordis_bulk` gives the
  same project from the official ``project.csv``; framework ``HORIZON``, ``grant_id`` and
  ``topic`` (the project's topics joined by ``;``). The files have no dates or titles: load
  the official bulk download for those (it replaces these rows).
- ``topics``: project_id, topic, title and ``call_year``, the year written in the topic code
  (``-2022-``), NULL when the code has none.
- ``domains`` / ``project_domains``, taxonomy ``horizon-part``: the unique programme part of
  each project (weight 1) under its parents (``HORIZON.2.4`` -> ``HORIZON.2``).
- taxonomy ``euroscivoc``: EuroSciVoc codes at levels 1-3 with their parents; each project is
  linked to its codes cut at level 3 (a deeper code counts for its level-3 ancestor; a code
  given at level 1 or 2 stays there), each distinct code weighing 1/k. ``euroscivoc-1`` and
  ``euroscivoc-2`` are the same links rolled up to levels 1 and 2 (codes shallower than the
  level are left out of that roll-up).

The participants (``organization.csv``) are not read here: without them no project is placed
in a region. Data: CORDIS, (c) European Union, CC BY 4.0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rok.errors import InputError
from rok.sources.batch import Batch, Reject, sha256_bytes
from rok.sources.tabular import Col, RawTable, check_unique, convert, decode, parse_delimited, read_bytes

__all__ = ["FRAMEWORK", "PILLARS", "SCIVOC_LEVELS", "read_horizon_projects", "euroscivoc_tables", "call_year"]

FRAMEWORK = "HORIZON"
#: Pillars of Horizon Europe (Regulation (EU) 2021/695, Article 4): code -> name.
PILLARS = {
    "HORIZON.1": "Excellent Science",
    "HORIZON.2": "Global Challenges and European Industrial Competitiveness",
    "HORIZON.3": "Innovative Europe",
    "HORIZON.4": "Widening Participation and Strengthening the European Research Area",
}
SCIVOC_LEVELS = 3
_MEMBERS = {"legalbasis": "legalBasis", "topics": "topics", "euroscivoc": "euroSciVoc"}
_GRANT = re.compile(r"^\d+$")
_LEGAL = re.compile(r"^[A-Z]+\d*(\.\d+)*$")
_SCIVOC = re.compile(r"^(/\d+)+$")
_YEAR = re.compile(r"-(20\d\d)(?=-|$)")


def call_year(topic: str) -> int | None:
    """The call year written in a topic code: ``HORIZON-CL5-2022-D3-01-02`` -> 2022, else None."""
    found = _YEAR.search(topic)
    return int(found.group(1)) if found else None


def _members(path: Path) -> dict[str, Path]:
    if not path.is_dir():
        raise InputError("expected a directory holding the Horizon Europe legalBasis.csv, topics.csv and "
                         "euroSciVoc.csv (plain or .gz)", file=str(path))
    found: dict[str, Path] = {}
    for child in sorted(path.iterdir()):
        stem = child.name.lower().removesuffix(".gz").removesuffix(".csv")
        if child.is_file() and stem in _MEMBERS and child.name.lower().removesuffix(".gz").endswith(".csv"):
            found[stem] = child
    if not found:
        raise InputError("no legalBasis.csv, topics.csv or euroSciVoc.csv here", file=str(path))
    return found


def _parse(path: Path, required: list[str], skip: bool, rejects: list[Reject]) -> tuple[RawTable, bytes]:
    data = read_bytes(path)
    text = decode(data, str(path))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return parse_delimited(text, str(path), delimiter=delimiter, required=required, skip_bad_rows=skip,
                           rejects=rejects), data


def _checked(frame: pd.DataFrame, column: str, source: str, pattern: re.Pattern[str], expected: str,
             file: str, skip: bool, rejects: list[Reject]) -> pd.DataFrame:
    """Drop (or stop at) rows whose ``column`` does not match ``pattern``."""
    bad = ~frame[column].astype(str).str.match(pattern)
    if not bad.any():
        return frame
    first = frame[bad].iloc[0]
    if not skip:
        raise InputError(f"expected {expected}", file=file, line=int(first["_line"]), column=source,
                         value=first[column])
    rejects.extend(Reject(file, int(r["_line"]), source, str(r[column]), f"expected {expected}")
                   for _, r in frame[bad].iterrows())
    return frame[~bad.to_numpy()].reset_index(drop=True)


def _grant_ids(frame: pd.DataFrame, file: str, skip: bool, rejects: list[Reject]) -> pd.DataFrame:
    frame = _checked(frame, "grant_id", "projectID", _GRANT, "a numeric grant agreement number", file, skip, rejects)
    return frame.assign(project_id=FRAMEWORK + ":" + frame["grant_id"])


def _programme_parts(path: Path, skip: bool, rejects: list[Reject]) -> tuple[pd.DataFrame, pd.DataFrame, int, bytes]:
    raw, data = _parse(path, ["projectID", "legalBasis", "uniqueProgrammePart"], skip, rejects)
    spec = {"grant_id": Col("projectID", nullable=False), "code": Col("legalBasis", nullable=False),
            "name": Col("title"), "unique": Col("uniqueProgrammePart")}
    frame = _grant_ids(convert(raw, spec, skip_bad_rows=skip, rejects=rejects), str(path), skip, rejects)
    frame = _checked(frame, "code", "legalBasis", _LEGAL, "a legal basis code such as HORIZON.2.4.1",
                     str(path), skip, rejects)
    flag = frame["unique"].fillna("").str.lower()
    frame = _checked(frame.assign(flag=flag), "flag", "uniqueProgrammePart", re.compile(r"^(true|false|)$"),
                     "true, false or empty", str(path), skip, rejects)
    unique = check_unique(frame[frame["flag"] == "true"], ["project_id"], str(path), skip_bad_rows=skip,
                          rejects=rejects, source_columns=["projectID"])
    names = frame.dropna(subset=["name"]).groupby("code")["name"].agg(lambda s: s.mode().iat[0])
    codes: dict[str, str | None] = {}
    for code in sorted(set(frame["code"])):
        steps = code.split(".")
        for i in range(2, len(steps) + 1):  # HORIZON.2 -> HORIZON.2.4 -> HORIZON.2.4.1
            codes.setdefault(".".join(steps[:i]), ".".join(steps[: i - 1]) if i > 2 else None)
        codes.setdefault(code, None)
    domains = pd.DataFrame({"taxonomy": "horizon-part", "code": list(codes),
                            "name": [names.get(c, PILLARS.get(c)) for c in codes], "parent": list(codes.values())})
    links = unique[["project_id"]].assign(taxonomy="horizon-part", code=unique["code"], weight=1.0)
    return domains, links, len(raw.frame), data


def _topics(path: Path, skip: bool, rejects: list[Reject]) -> tuple[pd.DataFrame, int, bytes]:
    raw, data = _parse(path, ["projectID", "topic"], skip, rejects)
    spec = {"grant_id": Col("projectID", nullable=False), "topic": Col("topic", nullable=False),
            "title": Col("title") if "title" in raw.header else Col("topic")}
    frame = _grant_ids(convert(raw, spec, skip_bad_rows=skip, rejects=rejects), str(path), skip, rejects)
    frame = check_unique(frame, ["project_id", "topic"], str(path), skip_bad_rows=skip, rejects=rejects,
                         source_columns=["projectID", "topic"])
    if "title" not in raw.header:
        frame["title"] = None
    years = pd.Series([call_year(t) for t in frame["topic"]], index=frame.index, dtype="Int64")
    return frame.assign(call_year=years)[["project_id", "grant_id", "topic", "title", "call_year"]], len(raw.frame), data


def euroscivoc_tables(frame: pd.DataFrame, framework: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EuroSciVoc ``domains`` (levels 1-3 with parents; also ``euroscivoc-1``/``-2``) and the links.

    ``frame`` has ``grant_id``, ``code`` (``/23/43/251/...``) and ``path`` (the names, same
    depth). Links as the module docstring says: cut at level 3 (and 1, 2 for the roll-ups),
    repeated codes of a project counted once, weights ``1/k`` over a project's codes.
    """
    steps = frame["code"].str.strip("/").str.split("/")
    words = frame["path"].fillna("").str.strip("/").str.split("/")
    names: dict[str, str] = {}
    for code_steps, path_words in zip(steps, words, strict=True):
        for level in range(1, min(len(code_steps), SCIVOC_LEVELS) + 1):
            prefix = "/" + "/".join(code_steps[:level])
            if prefix not in names and len(path_words) == len(code_steps) and path_words[level - 1]:
                names[prefix] = path_words[level - 1]
    rows, links = [], []
    project = framework + ":" + frame["grant_id"]
    for taxonomy, depth in (("euroscivoc", SCIVOC_LEVELS), ("euroscivoc-1", 1), ("euroscivoc-2", 2)):
        kept = steps.str.len() >= (depth if taxonomy != "euroscivoc" else 1)
        cut = "/" + steps[kept].str[:depth].str.join("/")
        link = pd.DataFrame({"project_id": project[kept], "code": cut}).drop_duplicates().reset_index(drop=True)
        link["weight"] = (1.0 / link.groupby("project_id")["code"].transform("size")).astype(float)
        links.append(link.assign(taxonomy=taxonomy))
        codes = sorted({"/" + "/".join(s[:level]) for s in steps[kept]
                        for level in range(1 if taxonomy == "euroscivoc" else depth, min(len(s), depth) + 1)})
        for code in codes:
            parent = code.rsplit("/", 1)[0] if taxonomy == "euroscivoc" and code.count("/") > 1 else None
            rows.append((taxonomy, code, names.get(code), parent))
    domains = pd.DataFrame(rows, columns=["taxonomy", "code", "name", "parent"])
    return domains, pd.concat(links, ignore_index=True)[["project_id", "taxonomy", "code", "weight"]]


def _scivoc(path: Path, skip: bool, rejects: list[Reject]) -> tuple[pd.DataFrame, pd.DataFrame, int, bytes]:
    raw, data = _parse(path, ["projectID", "euroSciVocCode", "euroSciVocPath"], skip, rejects)
    spec = {"grant_id": Col("projectID", nullable=False), "code": Col("euroSciVocCode", nullable=False),
            "path": Col("euroSciVocPath", nullable=False)}
    frame = _grant_ids(convert(raw, spec, skip_bad_rows=skip, rejects=rejects), str(path), skip, rejects)
    frame = _checked(frame, "code", "euroSciVocCode", _SCIVOC, "a EuroSciVoc code such as /23/43/251",
                     str(path), skip, rejects)
    depth_code = frame["code"].str.count("/")
    depth_path = frame["path"].str.strip("/").str.count("/") + 1
    frame = _checked(frame.assign(same=(depth_code == depth_path).map({True: "yes", False: "no"})), "same",
                     "euroSciVocPath", re.compile("^yes$"), "a path with as many levels as euroSciVocCode",
                     str(path), skip, rejects)
    frame = check_unique(frame, ["grant_id", "code"], str(path), skip_bad_rows=skip, rejects=rejects,
                         source_columns=["projectID", "euroSciVocCode"])
    domains, links = euroscivoc_tables(frame, FRAMEWORK)
    return domains, links, len(raw.frame), data


def read_horizon_projects(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """Read the Horizon Europe project-level members of a directory into one batch.

    Any of the three members may be missing (at least one is needed); the tables of an absent
    member are left as they are. Bad values stop the read with file, line, column and value,
    or become rejects with ``skip_bad_rows``. Nothing is written here.
    """
    path = Path(path)
    members = _members(path)
    rejects: list[Reject] = []
    tables: dict[str, pd.DataFrame] = {}
    replace: dict[str, str] = {}
    digests: list[str] = []
    projects: list[pd.Series] = []
    rows = 0
    scope = f"project_id LIKE '{FRAMEWORK}:%'"
    if "legalbasis" in members:
        domains, links, n, data = _programme_parts(members["legalbasis"], skip_bad_rows, rejects)
        tables["domains"], tables["project_domains"] = domains, links
        replace["domains"] = "taxonomy = 'horizon-part'"
        replace["project_domains"] = f"taxonomy = 'horizon-part' AND {scope}"
        projects.append(links["project_id"])
        rows, digests = rows + n, [*digests, sha256_bytes(data)]
    if "topics" in members:
        topics, n, data = _topics(members["topics"], skip_bad_rows, rejects)
        tables["topics"] = topics.drop(columns="grant_id")
        replace["topics"] = scope
        projects.append(topics["project_id"])
        rows, digests = rows + n, [*digests, sha256_bytes(data)]
    if "euroscivoc" in members:
        domains, links, n, data = _scivoc(members["euroscivoc"], skip_bad_rows, rejects)
        tables["domains"] = pd.concat([tables.get("domains"), domains], ignore_index=True)
        tables["project_domains"] = pd.concat([tables.get("project_domains"), links], ignore_index=True)
        condition = f"taxonomy IN ('euroscivoc', 'euroscivoc-1', 'euroscivoc-2') AND {scope}"
        replace["project_domains"] = f"({replace['project_domains']}) OR ({condition})" if (
            "project_domains" in replace) else condition
        projects.append(links["project_id"])
        rows, digests = rows + n, [*digests, sha256_bytes(data)]
    ids = pd.Series(sorted(set(pd.concat(projects))), dtype=object)
    topic = tables["topics"].groupby("project_id")["topic"].agg(";".join) if "topics" in tables else pd.Series()
    tables["projects"] = pd.DataFrame({"project_id": ids, "framework": FRAMEWORK,
                                       "grant_id": ids.str.removeprefix(FRAMEWORK + ":"), "topic": ids.map(topic)})
    notes = [f"{len(ids):,} Horizon Europe projects ({', '.join(sorted(members))}); no participants"]
    return Batch("cordis-horizon-projects", str(path), sha256_bytes("".join(digests).encode()), rows_read=rows,
                 tables=tables, rejects=rejects, replace=replace, notes=notes)
