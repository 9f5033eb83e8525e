"""Horizon Europe landscape of a priority: projects per programme part, call topic and
EuroSciVoc field, 2021-2024.

A priority is stated in the domains of the profiles' taxonomy (H2020 programme parts,
``h2020-part``). :data:`H2020_TO_HORIZON` states which Horizon Europe programme parts
(legal bases ``HORIZON.x.y``) continue each H2020 part, and which EuroSciVoc top-level
fields it is mostly about (None: any field). The correspondence follows the structure of
the two programmes (Regulation (EU) 2021/695, Annex I, against Regulation (EU)
No 1291/2013, Annex I): the Excellent Science parts continue in Pillar 1 (ERC, MSCA,
research infrastructures), the societal challenges in the Pillar 2 clusters (SC1 Health
-> HORIZON.2.1 Health; SC2 -> 2.6 Food, bioeconomy ...; SC3 energy and SC4 transport ->
2.5 Climate, energy and mobility; SC5 climate and resources -> 2.5 and 2.6; SC6 -> 2.2
Culture, creativity and inclusive society; SC7 -> 2.3 Civil security), LEIT -> 2.4
Digital, industry and space, FET, SME instrument and risk finance -> 3.1 European
Innovation Council (with 3.2 innovation ecosystems for the SME parts), spreading
excellence -> 4.1 Widening participation, science with and for society -> 4.2 Reforming
the R&I system, Euratom -> the Euratom programme 2021-2027. It is a correspondence of
intent, not of budget lines. Where a Horizon Europe part continues several H2020 parts
(Cluster 5 continues SC3 energy, SC4 transport and part of SC5 climate), the call topics
decide (:data:`TOPIC_FILTERS`: the work programme's destinations, D1 climate, D2-D4 energy,
D5-D6 transport, and its partnerships and missions).

For the projects of the mapped parts, :func:`landscape` counts distinct projects per part
and call year, the most frequent call topics and the most frequent EuroSciVoc fields at
the second level (``/field/sub-field``), restricted to the stated top-level fields. The
call year is the four-digit year in the topic code (``HORIZON-CL5-2022-D3-01-02`` ->
2022, ``ERC-2023-STG`` -> 2023): the files carry no dates, and the call year is what a
planner aligns with; topics without a year are counted under no year.

Data: the warehouse first (taxonomies ``horizon-part`` and ``euroscivoc``, projects with
their topic, framework ``HORIZON``); where the warehouse has no ``horizon-part``
taxonomy, the mirror files ``cordis/horizon/{legalBasis,topics,euroSciVoc}.csv.gz``
(CORDIS Horizon Europe bulk files, © European Union, CC BY 4.0, as copied in the repositories
VoteVeto2/MDA_project and MichaelCarloH/Horizon-Europe-MDA). Participants are not in
the mirror, so the landscape is Europe-wide: it shows where the calls are, not who in the
region took part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rok.errors import InputError

__all__ = ["H2020_TO_HORIZON", "TOPIC_FILTERS", "HorizonData", "call_year", "landscape", "load_horizon"]

#: H2020 programme part -> (Horizon Europe parts, EuroSciVoc top-level fields or None for any).
H2020_TO_HORIZON: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "ERC": (("HORIZON.1.1",), None),
    "MSCA": (("HORIZON.1.2",), None),
    "RI": (("HORIZON.1.3",), None),
    "FET": (("HORIZON.3.1",), ("natural sciences", "engineering and technology")),
    "LEIT": (("HORIZON.2.4",), ("engineering and technology", "natural sciences")),
    "Innovation in SMEs": (("HORIZON.3.1", "HORIZON.3.2"), None),
    "ARF": (("HORIZON.3.1",), None),
    "SC1": (("HORIZON.2.1",), ("medical and health sciences", "natural sciences")),
    "SC2": (("HORIZON.2.6",), ("agricultural sciences", "natural sciences")),
    "SC3": (("HORIZON.2.5",), ("engineering and technology", "natural sciences")),
    "SC4": (("HORIZON.2.5",), ("engineering and technology", "social sciences")),
    "SC5": (("HORIZON.2.5", "HORIZON.2.6"), ("natural sciences", "engineering and technology")),
    "SC6": (("HORIZON.2.2",), ("social sciences", "humanities")),
    "SC7": (("HORIZON.2.3",), ("engineering and technology", "social sciences", "natural sciences")),
    "SEWP": (("HORIZON.4.1",), None),
    "SWAFS": (("HORIZON.4.2",), ("social sciences", "humanities")),
    "Euratom": (("EURATOM2027",), ("natural sciences", "engineering and technology")),
}
#: Where one Horizon Europe part continues several H2020 parts, the call topics of each: Cluster 5
#: destinations (D1 climate, D2-D4 energy, D5-D6 transport) and its partnerships and missions.
TOPIC_FILTERS: dict[str, dict[str, str]] = {
    "SC3": {"HORIZON.2.5": r"^HORIZON-(?:CL5-\d{4}-D[234]-|JTI-CLEANH2)"},
    "SC4": {"HORIZON.2.5": r"^HORIZON-(?:CL5-\d{4}-D[56]-|SESAR|JU-CLEAN-AVIATION|ER-JU)"},
    "SC5": {"HORIZON.2.5": r"^HORIZON-(?:CL5-\d{4}-D1-|MISS)"},
}
YEARS = (2021, 2024)
_YEAR = re.compile(r"(?<!\d)(20[2-3]\d)(?!\d)")
_FILES = ("legalBasis.csv.gz", "topics.csv.gz", "euroSciVoc.csv.gz")


def call_year(topic: object) -> int | None:
    """The call year in a topic code (first ``20xx`` standing alone), or None."""
    match = _YEAR.search(str(topic or ""))
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class HorizonData:
    """Horizon Europe projects: ``projects`` (project_id, part, part_title, topic, topic_title,
    year) and ``fields`` (project_id, field, subfield), with where they came from."""

    projects: pd.DataFrame
    fields: pd.DataFrame
    source: str


def load_horizon(warehouse: str | Path | None = None, mirror: str | Path | None = None) -> HorizonData:
    """Horizon Europe projects from the warehouse, else from the mirror files.

    Raises InputError when neither has them (naming what was looked for).
    """
    if warehouse is not None and Path(warehouse).exists():
        found = _from_warehouse(Path(warehouse))
        if found is not None:
            return found
    if mirror is None:
        from rok.config import mirror_dir

        mirror = mirror_dir(None)
    folder = Path(mirror) / "cordis" / "horizon"
    missing = [name for name in _FILES if not (folder / name).exists()]
    if missing:
        raise InputError(f"no Horizon Europe projects: the warehouse has no 'horizon-part' taxonomy and "
                         f"{', '.join(missing)} is missing", file=str(folder))
    return _from_files(folder)


def _from_warehouse(path: Path) -> HorizonData | None:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        parts = con.execute("""
            SELECT pd.project_id, pd.code AS part, d.name AS part_title, p.topic
            FROM project_domains pd JOIN projects p USING (project_id)
            LEFT JOIN domains d ON d.taxonomy = pd.taxonomy AND d.code = pd.code
            WHERE pd.taxonomy = 'horizon-part'""").df()
        if parts.empty:
            return None
        fields = con.execute("""
            SELECT pd.project_id, d.code, d.name, d.parent FROM project_domains pd
            JOIN domains d ON d.taxonomy = pd.taxonomy AND d.code = pd.code
            WHERE pd.taxonomy = 'euroscivoc' AND pd.project_id IN (
                SELECT project_id FROM project_domains WHERE taxonomy = 'horizon-part')""").df()
        names = con.execute("SELECT code, name, parent FROM domains WHERE taxonomy = 'euroscivoc'").df()
    parts["part"] = parts["part"].map(_top_part)
    parts = parts.drop_duplicates(["project_id", "part"])
    parts["topic_title"] = None
    parts["year"] = parts["topic"].map(call_year).astype("Int64")
    return HorizonData(parts, _warehouse_fields(fields, names), "warehouse")


def _warehouse_fields(links: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Field and sub-field names of each linked EuroSciVoc code, by walking up the parents."""
    parent = dict(zip(names["code"], names["parent"], strict=True))
    name = dict(zip(names["code"], names["name"], strict=True))
    rows = []
    for project, code in zip(links["project_id"], links["code"], strict=True):
        chain = [code]
        while parent.get(chain[-1]) and len(chain) < 12:
            chain.append(parent[chain[-1]])
        chain.reverse()
        top = name.get(chain[0])
        sub = name.get(chain[1]) if len(chain) > 1 else None
        rows.append((project, top, f"{top}/{sub}" if sub else top))
    return pd.DataFrame(rows, columns=["project_id", "field", "subfield"]).drop_duplicates()


def _from_files(folder: Path) -> HorizonData:
    """Read the three CORDIS files with DuckDB (the same rules as :func:`call_year` and
    :func:`_top_part`, in SQL)."""
    files = {name: str(folder / f"{name}.csv.gz") for name in ("legalBasis", "topics", "euroSciVoc")}
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        for name, columns in (("legalBasis", ("projectID", "legalBasis", "uniqueProgrammePart", "title")),
                              ("topics", ("projectID", "topic")), ("euroSciVoc", ("projectID", "euroSciVocPath"))):
            con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
                        [files[name]])
            have = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
            lacking = [c for c in columns if c not in have]
            if lacking:
                raise InputError(f"missing column; expected {', '.join(columns)}", file=files[name], line=1,
                                 column=lacking[0])
        top = ("CASE WHEN upper(legalBasis) LIKE 'EURATOM%' THEN 'EURATOM2027' "
               "ELSE array_to_string(string_split(legalBasis, '.')[1:3], '.') END")
        has_title = "title" in {row[0] for row in con.execute("DESCRIBE topics").fetchall()}
        projects = con.execute(f"""
            WITH main AS (SELECT DISTINCT 'HORIZON:' || projectID AS project_id, {top} AS part
                          FROM legalBasis WHERE lower(uniqueProgrammePart) = 'true'),
                 titles AS (SELECT legalBasis AS part, min(title) AS part_title FROM legalBasis GROUP BY 1),
                 t AS (SELECT 'HORIZON:' || projectID AS project_id, min(topic) AS topic,
                              min({'title' if has_title else 'topic'}) AS topic_title FROM topics GROUP BY 1)
            SELECT main.project_id, main.part, coalesce(titles.part_title, main.part) AS part_title, t.topic,
                   t.topic_title,
                   CAST(nullif(regexp_extract(t.topic, '(^|[^0-9])(20[2-3][0-9])([^0-9]|$)', 2), '') AS INTEGER) AS year
            FROM main LEFT JOIN titles USING (part) LEFT JOIN t USING (project_id)
            ORDER BY main.project_id, main.part""").df()
        fields = con.execute("""
            WITH w AS (SELECT 'HORIZON:' || projectID AS project_id,
                              string_split(trim(euroSciVocPath, '/'), '/') AS steps FROM euroSciVoc)
            SELECT DISTINCT project_id, steps[1] AS field,
                   CASE WHEN len(steps) > 1 THEN steps[1] || '/' || steps[2] ELSE steps[1] END AS subfield
            FROM w WHERE coalesce(steps[1], '') <> '' ORDER BY 1, 3""").df()
    projects["year"] = projects["year"].astype("Int64")
    return HorizonData(projects, fields, "mirror files cordis/horizon")


def _top_part(code: object) -> str:
    """``HORIZON.2.1.4`` -> ``HORIZON.2.1``; ``EURATOM...`` -> ``EURATOM2027``."""
    text = str(code)
    if text.upper().startswith("EURATOM"):
        return "EURATOM2027"
    return ".".join(text.split(".")[:3])


def landscape(data: HorizonData, domains: Sequence[str], *, years: tuple[int, int] = YEARS,
              top: int = 5) -> dict[str, Any]:
    """The Horizon Europe landscape of a priority stated in H2020 programme parts ``domains``.

    Returns ``{"domains", "horizon_parts": [{"part", "title", "projects", "by_year": {year: n}}],
    "topics": [{"topic", "title", "projects"}], "fields": [{"field", "projects"}],
    "projects", "years", "source", "unmapped"}``: distinct projects with a call year in
    ``years`` (inclusive), the ``top`` topics and EuroSciVoc sub-fields by projects (fields
    restricted to the stated top-level fields of the domains, all fields when any domain
    states none). Domains without a correspondence are listed in ``unmapped``.
    """
    parts: list[str] = []
    allowed: set[str] | None = set()
    unmapped = []
    for domain in domains:
        hit = H2020_TO_HORIZON.get(str(domain))
        if hit is None:
            unmapped.append(str(domain))
            continue
        parts.extend(p for p in hit[0] if p not in parts)
        if hit[1] is None or allowed is None:
            allowed = None
        else:
            allowed.update(hit[1])
    lo, hi = years
    frame = data.projects
    keep = pd.Series(False, index=frame.index)
    for domain in domains:
        for part in H2020_TO_HORIZON.get(str(domain), ((), None))[0]:
            rows = frame["part"] == part
            pattern = TOPIC_FILTERS.get(str(domain), {}).get(part)
            if pattern:
                rows &= frame["topic"].fillna("").str.match(pattern)
            keep |= rows
    chosen = frame[keep & frame["year"].between(lo, hi)]
    by_part = []
    for part in parts:
        rows = chosen[chosen["part"] == part]
        counts = rows.groupby("year")["project_id"].nunique()
        title = data.projects.loc[data.projects["part"] == part, "part_title"].dropna()
        by_part.append({"part": part, "title": str(title.iloc[0]) if len(title) else part,
                        "projects": int(rows["project_id"].nunique()),
                        "by_year": {int(y): int(counts.get(y, 0)) for y in range(lo, hi + 1)}})
    ids = set(chosen["project_id"])
    topic_rows = chosen.drop_duplicates("project_id")
    topics = (topic_rows.groupby(["topic"], dropna=True)
              .agg(projects=("project_id", "nunique"), title=("topic_title", "first"))
              .reset_index().sort_values(["projects", "topic"], ascending=[False, True]).head(top))
    fields = data.fields[data.fields["project_id"].isin(ids)]
    if allowed is not None:
        fields = fields[fields["field"].isin(allowed)]
    field_counts = (fields.groupby("subfield")["project_id"].nunique().rename("projects").reset_index()
                    .sort_values(["projects", "subfield"], ascending=[False, True]).head(top))
    return {"domains": [str(d) for d in domains], "horizon_parts": by_part,
            "topics": [{"topic": str(t), "title": None if pd.isna(n) else str(n), "projects": int(p)}
                       for t, n, p in zip(topics["topic"], topics["title"], topics["projects"], strict=True)],
            "fields": [{"field": str(f), "projects": int(p)}
                       for f, p in zip(field_counts["subfield"], field_counts["projects"], strict=True)],
            "field_filter": None if allowed is None else sorted(allowed),
            "projects": len(ids), "years": [lo, hi], "source": data.source, "unmapped": unmapped}


def landscapes(data: HorizonData, priorities: Iterable[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`landscape` of each priority (``{"title", "domains"}``), with the priority's title."""
    return [{"priority": p["title"], **landscape(data, p["domains"], **kwargs)} for p in priorities]
