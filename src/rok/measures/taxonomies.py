"""Which taxonomy to count in, and what its kind allows: knowledge fields or funding instruments.

Relatedness (Hidalgo et al. 2007), relatedness density (Balland et al. 2019), knowledge
complexity (Hidalgo & Hausmann 2009) and the policy quadrant read what a region *knows* from
the domains it is specialised in and how domains co-occur across regions. That reading needs
domains that are fields of knowledge. On a taxonomy of funding instruments (ERC grants,
fellowships, an SME instrument, infrastructures, widening) co-specialisation says how regions
use funding schemes: a region "specialised" in the widening programme is one that is eligible
for it, not one that knows something. :func:`advice_note` states this for instrument
taxonomies, and the profiles show those analyses as description, not as advice.

The kind of each taxonomy is in the warehouse table ``taxonomies``
(:mod:`rok.warehouse.taxonomies`); :func:`default_selection` picks the taxonomy a profile
counts in when the user names none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import pandas as pd
from ibis.common.exceptions import TableNotFound

from rok.errors import InputError
from rok.measures.engine import Engine
from rok.measures.selection import Selection
from rok.warehouse.taxonomies import KINDS, KNOWN, UNDECLARED_NOTE

__all__ = [
    "ADVICE_ANALYSES",
    "KNOWLEDGE_PREFERENCE",
    "FALLBACK_PREFERENCE",
    "taxonomy_table",
    "taxonomy_kind",
    "advice_note",
    "default_taxonomy",
    "default_selection",
]

#: The analyses offered as advice on knowledge taxonomies only.
ADVICE_ANALYSES = ("relatedness", "density", "complexity", "quadrant")
#: Knowledge taxonomies in order of preference for region profiles: EuroSciVoc level 2
#: (about 40 fields, enough domains for complexity with cells that are not too thin), then
#: level 3 (about 250, thin), then level 1 (6 fields, too few to rank).
KNOWLEDGE_PREFERENCE = ("euroscivoc-2", "euroscivoc", "euroscivoc-1")
#: Fallbacks when no knowledge taxonomy has placed participations.
FALLBACK_PREFERENCE = ("h2020-part", "horizon-part", "h2020-theme", "h2020-instrument")

_DATA = (
    "project-level fields of knowledge with placed participants, e.g. the EuroSciVoc fields of the "
    "official CORDIS bulk files of Horizon 2020 or Horizon Europe (project.csv, organization.csv with "
    "the participants' NUTS codes, euroSciVoc.csv; `rok fetch cordis h2020 --ingest`), which give the "
    "knowledge taxonomy euroscivoc-2"
)


def taxonomy_table(engine: Engine) -> pd.DataFrame:
    """The ``taxonomies`` table (taxonomy, kind, name, levels, note); for a warehouse that predates
    it (or an engine that does not export it), the taxonomies of ``domains`` with rok's known kinds."""
    try:
        if engine.name == "spark":  # the table is not among those exported to Spark: read the file
            with duckdb.connect(str(engine.db), read_only=True) as con:
                frame = con.execute("SELECT * FROM taxonomies").df()
        else:
            frame = engine.execute(engine.table("taxonomies"))
    except (InputError, TableNotFound, duckdb.CatalogException):
        domains = engine.table("domains")
        names = engine.execute(domains.select("taxonomy").distinct())["taxonomy"]
        rows = [(t, *KNOWN.get(t, ("instrument", t, UNDECLARED_NOTE))) for t in names]
        frame = pd.DataFrame([(t, k, n, None, note) for t, k, n, note in rows],
                             columns=["taxonomy", "kind", "name", "levels", "note"])
    return frame.sort_values("taxonomy").reset_index(drop=True)


def taxonomy_kind(engine: Engine, taxonomy: str) -> str:
    """``"knowledge"`` or ``"instrument"``: the kind of ``taxonomy`` in the warehouse.

    A taxonomy missing from the ``taxonomies`` table takes its kind from rok's registry
    (:data:`rok.warehouse.taxonomies.KNOWN`); one rok does not know counts as an instrument
    taxonomy, so that no advice rests on an undeclared classification.
    """
    if not isinstance(taxonomy, str) or not taxonomy:
        raise InputError("taxonomy must be a non-empty name", column="taxonomy", value=taxonomy)
    table = taxonomy_table(engine)
    found = table.loc[table["taxonomy"] == taxonomy, "kind"]
    if len(found):
        return str(found.iloc[0])
    return KNOWN[taxonomy][0] if taxonomy in KNOWN else "instrument"


def advice_note(kind: str, taxonomy: str) -> str | None:
    """Why relatedness, density, complexity and the quadrant are not advice here, or None.

    Returns None for a knowledge taxonomy; for an instrument taxonomy, one paragraph naming
    the taxonomy, why these analyses do not support advice on it, and which data would.
    """
    if kind not in KINDS:
        raise InputError(f"unknown taxonomy kind; expected one of {', '.join(KINDS)}", column="kind", value=kind)
    if kind == "knowledge":
        return None
    what = KNOWN[taxonomy][1] if taxonomy in KNOWN else f"taxonomy {taxonomy}"
    why = KNOWN[taxonomy][2] if taxonomy in KNOWN else UNDECLARED_NOTE
    return (
        f"{what} ({taxonomy}) classify funding instruments and programme lines, not fields of knowledge "
        f"({why}). Relatedness, relatedness density, knowledge complexity and the policy quadrant "
        "read a region's capabilities from the domains it is specialised in; here they would describe "
        "how regions use funding schemes (a region is 'specialised' in widening because it is eligible, "
        "in ERC because it hosts excellent researchers, in the SME instrument because it has many SMEs). "
        "They are therefore not offered as advice on this taxonomy. What would enable them: "
        f"{_DATA}."
    )


def _placed_by_taxonomy(engine: Engine, level: int) -> dict[str, int]:
    """Participations with a region at ``level`` and a domain, per taxonomy."""
    p = engine.table("participations")
    orgs = engine.table("organisations")
    placed = orgs.filter(orgs[f"nuts{level}"].notnull()).select("org_id")
    tags = engine.table("project_domains").select("project_id", "taxonomy").distinct()
    rows = p.select("project_id", "org_id").join(placed, "org_id").join(tags, "project_id")
    counts = engine.execute(rows.group_by("taxonomy").aggregate(n=rows.count()))
    return {str(t): int(n) for t, n in zip(counts["taxonomy"], counts["n"], strict=True)}


def default_taxonomy(engine: Engine, level: int = 2) -> tuple[str, str]:
    """The taxonomy a profile counts in by default, and why (one sentence).

    The best loaded knowledge taxonomy with participations placed at ``level`` (in the order of
    :data:`KNOWLEDGE_PREFERENCE`, then any other knowledge taxonomy); else the first of
    :data:`FALLBACK_PREFERENCE` (then any taxonomy) with placed participations, with a reason
    that says why no knowledge taxonomy could be used.
    """
    table = taxonomy_table(engine)
    kinds: dict[str, Any] = dict(zip(table["taxonomy"], table["kind"], strict=True))
    placed = _placed_by_taxonomy(engine, level)
    knowledge = [t for t in KNOWLEDGE_PREFERENCE if kinds.get(t) == "knowledge"]
    knowledge += sorted(t for t, k in kinds.items() if k == "knowledge" and t not in knowledge)
    for name in knowledge:
        if placed.get(name, 0) > 0:
            return name, f"default: the knowledge taxonomy with placed participations ({placed[name]:,})"
    loaded = [t for t in knowledge if t in kinds]
    why = (f"knowledge taxonomies {', '.join(loaded)} are loaded but none of their projects has a participant "
           f"placed in a NUTS {level} region" if loaded else "no knowledge taxonomy is loaded")
    others = [t for t in FALLBACK_PREFERENCE if t in kinds] + sorted(t for t in kinds if t not in FALLBACK_PREFERENCE)
    for name in others:
        if placed.get(name, 0) > 0:
            return name, f"default fallback: {why}; counting in the {kinds[name]} taxonomy {name}"
    raise InputError(f"no taxonomy has participations placed in NUTS {level} regions ({why}); "
                     "run `rok ingest mirror` or load CORDIS participations first")


def default_selection(engine: Engine, **fields: Any) -> Selection:
    """A :class:`Selection` of ``fields`` counting in :func:`default_taxonomy` (unless
    ``taxonomy`` is among ``fields``), with the reason in ``taxonomy_note``."""
    if fields.get("taxonomy") is not None:
        return Selection(**fields)
    sel = Selection(**{k: v for k, v in fields.items() if k != "taxonomy"})
    name, why = default_taxonomy(engine, sel.level)
    return replace(sel, taxonomy=name, taxonomy_note=why)
