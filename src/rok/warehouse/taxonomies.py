"""The ``taxonomies`` table: what kind of classification each taxonomy of ``domains`` is.

A taxonomy is either a classification of **knowledge** (fields of science such as
EuroSciVoc) or of **funding instruments** (the lines of a framework programme, which mix
funding schemes such as ERC grants, fellowships or an SME instrument with themes).
Relatedness, relatedness density, knowledge complexity and the policy quadrant read a
region's capabilities from co-specialisation across domains; on an instrument taxonomy they
describe how regions use funding schemes, not what they know, so rok does not offer them as
advice there (:func:`rok.measures.taxonomies.advice_note`).

:func:`record_taxonomies` rebuilds the table after every load from the taxonomies present in
``domains``: the kind, name and note come from :data:`KNOWN`; the number of levels is measured
(the longest parent chain); ``load_id`` is the newest load that wrote the taxonomy's domains.
A taxonomy rok does not know (e.g. one brought by ``rok ingest table``) is recorded as an
instrument taxonomy with a note saying so, so that no advice rests on an undeclared
classification.
"""

from __future__ import annotations

import pandas as pd

from rok.warehouse.store import Warehouse

__all__ = ["KINDS", "KNOWN", "UNDECLARED_NOTE", "record_taxonomies", "taxonomy_levels"]

KINDS = ("instrument", "knowledge")

_H2020_THEMES = "LEIT, SC1-SC7 and Euratom"
#: taxonomy -> (kind, name, note).
KNOWN: dict[str, tuple[str, str, str]] = {
    "h2020-part": (
        "instrument", "Horizon 2020 programme parts",
        "17 programme parts under their pillars: funding instruments (ERC, MSCA, FET, RI, Innovation in SMEs, "
        "ARF, SEWP, SWAFS) mixed with thematic lines (LEIT, SC1-SC7, Euratom)",
    ),
    "h2020-theme": (
        "instrument", "Horizon 2020 thematic programme lines",
        f"the thematic parts only ({_H2020_THEMES}): coarse programme lines defined by policy challenges, "
        "not fields of knowledge; projects of the instrument parts alone have no theme",
    ),
    "h2020-instrument": (
        "instrument", "Horizon 2020 funding instruments",
        "ERC, MSCA, FET, RI, Innovation in SMEs, ARF, SEWP, SWAFS, and 'Collaborative' for projects "
        "of the thematic lines only: the instrument dimension beside h2020-theme",
    ),
    "horizon-part": (
        "instrument", "Horizon Europe programme parts",
        "legal basis HORIZON.p.x(.y) (the project's unique programme part) under its pillar: instruments "
        "(ERC, MSCA, research infrastructures, EIC, widening) mixed with thematic clusters",
    ),
    "euroscivoc": (
        "knowledge", "EuroSciVoc fields of science, levels 1-3",
        "European Science Vocabulary codes /field/sub-field/...; projects linked at level 3 "
        "(deeper codes rolled up to their level-3 ancestor), parents at levels 1 and 2",
    ),
    "euroscivoc-1": (
        "knowledge", "EuroSciVoc fields of science, level 1",
        "the six top fields (natural sciences, engineering and technology, medical and health sciences, "
        "agricultural sciences, social sciences, humanities)",
    ),
    "euroscivoc-2": (
        "knowledge", "EuroSciVoc fields of science, level 2",
        "the sub-fields under the six top fields (close to the OECD fields of science)",
    ),
}
UNDECLARED_NOTE = (
    "kind not declared to rok: recorded as an instrument taxonomy, so relatedness, complexity and "
    "the policy quadrant are not offered as advice"
)


def taxonomy_levels(domains: pd.DataFrame) -> int:
    """Number of levels of one taxonomy: the longest chain of ``parent`` links, plus one."""
    parent = dict(zip(domains["code"], domains["parent"], strict=True))
    deepest = 0
    for code in parent:
        depth, seen = 1, {code}
        node = parent.get(code)
        while isinstance(node, str) and node in parent and node not in seen:
            seen.add(node)
            depth += 1
            node = parent.get(node)
        deepest = max(deepest, depth)
    return deepest


def record_taxonomies(wh: Warehouse) -> pd.DataFrame:
    """Rebuild ``taxonomies`` from the taxonomies present in ``domains`` (one transaction)."""
    domains = wh.query("SELECT taxonomy, code, parent, load_id FROM domains")
    rows = []
    for name, group in domains.groupby("taxonomy", sort=True):
        kind, title, note = KNOWN.get(str(name), ("instrument", str(name), UNDECLARED_NOTE))
        load = group["load_id"].max()
        rows.append((name, kind, title, taxonomy_levels(group), note, None if pd.isna(load) else int(load)))
    frame = pd.DataFrame(rows, columns=["taxonomy", "kind", "name", "levels", "note", "load_id"])
    wh.replace_table("taxonomies", frame)
    return frame
