"""The H2020 tables of the offline mirror (``cordis/h2020``, ``cordis/fp7``, ``cordis/reference``).

These are repackagings of CORDIS bulk files (see the mirror README for provenance):
participations keyed by the project ``rcn`` and the organisation ``pic``, programme parts
per project, the 2017 organisation table and the FP7 organisation addresses. Data: CORDIS,
(c) European Union, CC BY 4.0; repackaged by zambujo/eunets and
spaghetti-open-data/ODFest2017-horizon2020-network (MIT) and GB1609/Data_Warehousing--CORDIS-dataset.

Projects of the mirror have no grant number, so their key is ``H2020:rcn:<rcn>``; the
official bulk layouts (:mod:`rok.sources.cordis_bulk`) key projects by grant number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rok.sources.batch import Batch, Reject, sha256_file
from rok.sources.tabular import Col, check_unique, convert, read_delimited

__all__ = [
    "H2020_PARTS",
    "read_h2020_participations",
    "read_h2020_programme_parts",
    "read_h2020_organisations",
    "read_fp7_addresses",
    "read_reference",
    "mirror_project_id",
]

#: The H2020 programme parts (taxonomy ``h2020-part``): code -> (name, pillar).
H2020_PARTS: dict[str, tuple[str, str]] = {
    "ERC": ("European Research Council", "Excellent science"),
    "FET": ("Future and Emerging Technologies", "Excellent science"),
    "MSCA": ("Marie Sklodowska-Curie Actions", "Excellent science"),
    "RI": ("Research Infrastructures", "Excellent science"),
    "LEIT": ("Leadership in Enabling and Industrial Technologies", "Industrial leadership"),
    "ARF": ("Access to Risk Finance", "Industrial leadership"),
    "Innovation in SMEs": ("Innovation in SMEs", "Industrial leadership"),
    "SC1": ("Health, demographic change and wellbeing", "Societal challenges"),
    "SC2": ("Food security, sustainable agriculture and forestry, marine and maritime and inland water research, and the bioeconomy", "Societal challenges"),
    "SC3": ("Secure, clean and efficient energy", "Societal challenges"),
    "SC4": ("Smart, green and integrated transport", "Societal challenges"),
    "SC5": ("Climate action, environment, resource efficiency and raw materials", "Societal challenges"),
    "SC6": ("Europe in a changing world: inclusive, innovative and reflective societies", "Societal challenges"),
    "SC7": ("Secure societies: protecting freedom and security of Europe and its citizens", "Societal challenges"),
    "SEWP": ("Spreading excellence and widening participation", "Horizontal"),
    "SWAFS": ("Science with and for Society", "Horizontal"),
    "Euratom": ("Euratom research and training programme", "Euratom"),
}
_ROLES = {"coordinator", "participant", "partner", "thirdparty", "internationalpartner"}
_TYPES = {"HES", "REC", "PRC", "PUB", "OTH"}


def _pillar_code(pillar: str) -> str:
    """Pillars are domains too, one level up: ``Excellent science`` -> ``PILLAR:EXCELLENT_SCIENCE``."""
    return "PILLAR:" + pillar.upper().replace(" ", "_")


def mirror_project_id(rcn: pd.Series) -> pd.Series:
    return "H2020:rcn:" + rcn.astype("Int64").astype(str)


def _bad_codes(frame: pd.DataFrame, column: str, allowed: set[str], file: str, skip: bool, rejects: list[Reject]) -> pd.DataFrame:
    from rok.errors import InputError

    bad = frame[column].notna() & ~frame[column].isin(allowed)
    if not bad.any():
        return frame
    idx = int(bad.to_numpy().nonzero()[0][0])
    if not skip:
        raise InputError(
            f"unknown value; expected one of {', '.join(sorted(allowed))}",
            file=file, line=int(frame["_line"].iat[idx]), column=column, value=frame[column].iat[idx],
        )
    rejects.extend(Reject(file, int(r._line), column, str(getattr(r, column)), "unknown value") for r in frame[bad].itertuples())
    return frame[~bad.to_numpy()].reset_index(drop=True)


def read_h2020_participations(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """``participations.csv.gz`` -> ``projects`` and ``participations``."""
    file, rejects = str(path), list[Reject]()
    raw = read_delimited(path, required=["rcn", "role", "pic", "type", "contribution", "country"],
                         skip_bad_rows=skip_bad_rows, rejects=rejects)
    spec = {
        "rcn": Col("rcn", "int", nullable=False),
        "role": Col("role", nullable=False),
        "org_id": Col("pic", nullable=False),
        "activity_type": Col("type"),
        "ec_contribution": Col("contribution", "float"),
        "country": Col("country", nullable=False),
        "start_date": Col("start_date", "date"),
        "end_date": Col("end_date", "date"),
        "ec_max_contribution": Col("max_contribution", "float"),
        "total_cost": Col("total_cost", "float"),
        "start_year": Col("start_year", "int"),
        "end_year": Col("end_year", "int"),
        "duration_months": Col("duration", "int"),
        "n_participants": Col("nunique", "int"),
    }
    frame = convert(raw, {k: v for k, v in spec.items() if v.source in raw.header}, skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame["role"] = frame["role"].str.lower()
    frame["country"] = frame["country"].str.upper()
    frame = _bad_codes(frame, "role", _ROLES, file, skip_bad_rows, rejects)
    frame = _bad_codes(frame, "activity_type", _TYPES, file, skip_bad_rows, rejects)
    frame["project_id"] = mirror_project_id(frame["rcn"])
    frame = check_unique(frame, ["project_id", "org_id", "role"], file, skip_bad_rows=skip_bad_rows,
                         rejects=rejects, source_columns=["rcn", "pic", "role"])
    project_cols = ["project_id", "rcn", "start_date", "end_date", "start_year", "end_year", "duration_months",
                    "total_cost", "ec_max_contribution", "n_participants"]
    projects = frame[[c for c in project_cols if c in frame]].drop_duplicates("project_id").assign(framework="H2020")
    # total_cost in this table is the project's; a participation's own cost is not given.
    participations = frame[["project_id", "org_id", "role", "activity_type", "country", "ec_contribution"]]
    batch = Batch("cordis-h2020-mirror", file, sha256_file(path), rows_read=len(raw.frame) + len(rejects),
                  tables={"projects": projects, "participations": participations.assign(source="cordis-h2020-mirror")},
                  rejects=rejects)
    return batch


def read_h2020_programme_parts(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """``programme_parts.csv.gz`` -> taxonomy ``h2020-part``: ``domains`` and ``project_domains``.

    A project in k parts gives each part the weight 1/k (so fractional counts add up to 1).
    """
    file, rejects = str(path), list[Reject]()
    raw = read_delimited(path, required=["rcn", "programme_part"], skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame = convert(raw, {"rcn": Col("rcn", "int", False), "code": Col("programme_part", nullable=False)},
                    skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame = _bad_codes(frame, "code", set(H2020_PARTS), file, skip_bad_rows, rejects)
    frame["project_id"] = mirror_project_id(frame["rcn"])
    frame = check_unique(frame, ["project_id", "code"], file, skip_bad_rows=skip_bad_rows, rejects=rejects,
                         source_columns=["rcn", "programme_part"])
    frame["weight"] = 1.0 / frame.groupby("project_id")["code"].transform("count")
    pillars = sorted({p for _, p in H2020_PARTS.values()})
    domains = pd.DataFrame(
        [(c, n, _pillar_code(p)) for c, (n, p) in H2020_PARTS.items()] + [(_pillar_code(p), p, None) for p in pillars],
        columns=["code", "name", "parent"],
    ).assign(taxonomy="h2020-part")
    return Batch(
        "cordis-h2020-parts-mirror", file, sha256_file(path), rows_read=len(raw.frame) + len(rejects),
        tables={"domains": domains, "project_domains": frame[["project_id", "code", "weight"]].assign(taxonomy="h2020-part")},
        rejects=rejects,
        replace={"project_domains": "taxonomy = 'h2020-part' AND project_id LIKE 'H2020:rcn:%'"},
    )


def _addresses(path: str | Path, source: str, spec: dict[str, Col], key: str, skip_bad_rows: bool) -> Batch:
    file, rejects = str(path), list[Reject]()
    raw = read_delimited(path, required=[c.source for c in spec.values() if not c.nullable] + [spec["country"].source],
                         skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame = convert(raw, {k: v for k, v in spec.items() if v.source in raw.header}, skip_bad_rows=skip_bad_rows, rejects=rejects)
    frame["country"] = frame["country"].str.upper()
    frame = check_unique(frame, ["org_id"], file, skip_bad_rows=skip_bad_rows, rejects=rejects, source_columns=[key])
    return Batch(source, file, sha256_file(path), rows_read=len(raw.frame) + len(rejects),
                 tables={"organisation_sources": frame.drop(columns="_line").assign(source=source)}, rejects=rejects)


def read_h2020_organisations(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """``organisations_2017.csv.gz`` (orgId, name, shortName, activityType, street, city, country)."""
    spec = {"org_id": Col("orgId", nullable=False), "name": Col("name"), "short_name": Col("shortName"),
            "activity_type": Col("activityType"), "street": Col("street"), "city": Col("city"), "country": Col("country")}
    return _addresses(path, "cordis-h2020-orgs-2017", spec, "orgId", skip_bad_rows)


def read_fp7_addresses(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """``organisations_address.csv.gz`` (pic, country, name, address, street, city, postcode)."""
    spec = {"org_id": Col("pic", nullable=False), "name": Col("name"), "street": Col("street"),
            "city": Col("city"), "postcode": Col("postcode"), "country": Col("country")}
    return _addresses(path, "cordis-fp7-addresses", spec, "pic", skip_bad_rows)


_REFERENCE = {
    "cordisref-H2020programmes.csv": ("h2020-programme", "code", "title", "language"),
    "cordisref-H2020topics.csv": ("h2020-topic", "topicCode", "title", None),
    "cordisref-organizationActivityType.csv": ("activity-type", "Code", "Title", "language"),
    "cordisref-sicCode.csv": ("sic", "code", "title", "language"),
}


def read_reference(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """A CORDIS reference-data file (semicolon separated) -> ``reference`` (kind, code, language, title)."""
    file, rejects = str(path), list[Reject]()
    name = Path(path).name
    if name not in _REFERENCE:
        from rok.errors import InputError

        raise InputError(f"unknown CORDIS reference file; expected one of {', '.join(_REFERENCE)}", file=file)
    kind, code, title, language = _REFERENCE[name]
    raw = read_delimited(path, delimiter=";", required=[code, title], skip_bad_rows=skip_bad_rows, rejects=rejects)
    spec = {"code": Col(code, nullable=False), "title": Col(title)}
    if language:
        spec["language"] = Col(language)
    frame = convert(raw, spec, skip_bad_rows=skip_bad_rows, rejects=rejects)
    if "language" not in frame:
        frame["language"] = "en"
    frame["language"] = frame["language"].fillna("en")
    if kind == "h2020-topic" and "legalBasisCode" in raw.header:
        frame["extra"] = raw.frame.set_index("_line").loc[frame["_line"], "legalBasisCode"].to_numpy()
    # CORDIS repeats some codes; the last row wins, recorded as a note.
    before = len(frame)
    frame = frame.drop_duplicates(["code", "language"], keep="last")
    batch = Batch(f"cordis-reference-{kind}", file, sha256_file(path), rows_read=len(raw.frame) + len(rejects),
                  tables={"reference": frame.drop(columns="_line").assign(kind=kind)}, rejects=rejects)
    if before != len(frame):
        batch.notes.append(f"{before - len(frame)} repeated (code, language) rows: the last one kept")
    return batch
