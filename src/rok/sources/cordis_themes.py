"""Horizon 2020 themes and instruments: the programme parts of the mirror split in two dimensions.

The 17 programme parts of Horizon 2020 (taxonomy ``h2020-part``) mix two things: *themes*
(what the research is about: the industrial technologies of LEIT, the seven societal
challenges, nuclear research under Euratom) and *instruments* (how it is funded: ERC grants,
Marie Sklodowska-Curie actions, FET, research infrastructures, the SME instrument, risk
finance, widening, science-with-society). A project in "Innovation in SMEs" and "LEIT" is an
SME-instrument project on an industrial technology. This reader splits them:

- ``h2020-theme``: LEIT, SC1..SC7, Euratom. A project in k of them weighs 1/k in each;
  projects in instrument parts only have no theme.
- ``h2020-instrument``: ERC, MSCA, FET, RI, Innovation in SMEs, ARF, SEWP, SWAFS, and
  ``Collaborative`` for a project in thematic parts only (the collaborative calls of the
  work programmes). Every project has weights summing to 1.

Choices: FET (mostly FET Open, bottom-up on any subject) and SWAFS (science education,
gender, ethics, open science across all fields) are horizontal lines and count as
instruments; Euratom (fission, fusion, radiation protection) is a field and counts as a
theme. Limits: the themes are nine coarse programme lines defined by policy challenges, not
fields of knowledge (LEIT alone spans ICT, nanotechnology, materials, biotechnology,
manufacturing and space; the mirror has no topic or programme code to split it), so
``rok.warehouse.taxonomies`` records ``h2020-theme`` as an instrument taxonomy.

Data: CORDIS (c) European Union, CC BY 4.0, repackaged by zambujo/eunets (MIT).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rok.sources.batch import Batch
from rok.sources.cordis_mirror import H2020_PARTS, read_h2020_programme_parts

__all__ = ["THEMES", "INSTRUMENTS", "COLLABORATIVE", "read_h2020_themes"]

THEMES = ("LEIT", "SC1", "SC2", "SC3", "SC4", "SC5", "SC6", "SC7", "Euratom")
INSTRUMENTS = ("ERC", "MSCA", "FET", "RI", "Innovation in SMEs", "ARF", "SEWP", "SWAFS")
COLLABORATIVE = "Collaborative"


def _weighted(links: pd.DataFrame, taxonomy: str) -> pd.DataFrame:
    links = links.drop_duplicates(["project_id", "code"]).reset_index(drop=True)
    weight = 1.0 / links.groupby("project_id")["code"].transform("size")
    return links.assign(weight=weight.astype(float), taxonomy=taxonomy)[["project_id", "taxonomy", "code", "weight"]]


def read_h2020_themes(path: str | Path, *, skip_bad_rows: bool = False) -> Batch:
    """``programme_parts.csv.gz`` -> taxonomies ``h2020-theme`` and ``h2020-instrument``.

    The file is read and checked by :func:`rok.sources.cordis_mirror.read_h2020_programme_parts`
    (same rejects); the links are then split as the module docstring says.
    """
    parts = read_h2020_programme_parts(path, skip_bad_rows=skip_bad_rows)
    links = parts.tables["project_domains"][["project_id", "code"]]
    themes = links[links["code"].isin(THEMES)]
    instruments = links[links["code"].isin(INSTRUMENTS)]
    thematic_only = sorted(set(themes["project_id"]) - set(instruments["project_id"]))
    collaborative = pd.DataFrame({"project_id": thematic_only, "code": COLLABORATIVE})
    domains = pd.DataFrame(
        [("h2020-theme", c, H2020_PARTS[c][0], None) for c in THEMES]
        + [("h2020-instrument", c, H2020_PARTS[c][0], None) for c in INSTRUMENTS]
        + [("h2020-instrument", COLLABORATIVE, "Collaborative projects of the thematic lines only", None)],
        columns=["taxonomy", "code", "name", "parent"],
    )
    project_domains = pd.concat(
        [_weighted(themes, "h2020-theme"), _weighted(pd.concat([instruments, collaborative]), "h2020-instrument")],
        ignore_index=True,
    )
    scope = "project_id LIKE 'H2020:rcn:%'"
    return Batch(
        "cordis-h2020-themes-mirror", parts.file, parts.sha256, rows_read=parts.rows_read,
        tables={"domains": domains, "project_domains": project_domains},
        rejects=parts.rejects,
        replace={"project_domains": f"taxonomy IN ('h2020-theme', 'h2020-instrument') AND {scope}",
                 "domains": "taxonomy IN ('h2020-theme', 'h2020-instrument')"},
        notes=[f"{len(set(themes['project_id'])):,} projects with a theme, "
               f"{len(thematic_only):,} of them in thematic lines only"],
    )
