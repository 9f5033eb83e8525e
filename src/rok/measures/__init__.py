"""Measures: relational reductions of the warehouse, written once as Ibis expressions.

They run on DuckDB by default and on Spark (``open_engine("spark")``, the optional extra
``rok[spark]``) with equal results: region x domain activity and the actor mix per
region, for a :class:`Selection` (NUTS level, measure, counting, period, taxonomy).

>>> from rok.measures import Selection, activity, open_engine
>>> with open_engine("duckdb") as engine:  # doctest: +SKIP
...     cells = activity(engine, Selection(level=2, counting="fractional"))
"""

from __future__ import annotations

from rok.measures.activity import Coverage, activity, activity_expr, activity_matrix, coverage
from rok.measures.actors import ACTOR_TYPES, actor_mix, actor_mix_expr
from rok.measures.engine import ENGINES, Engine, open_engine
from rok.measures.networks import (
    NetworkCoverage,
    network_coverage,
    org_edges,
    org_edges_expr,
    org_nodes,
    region_edges,
    region_edges_expr,
    region_nodes,
)
from rok.measures.selection import COUNTINGS, LEVELS, MEASURES, MIN_MASS, Selection
from rok.measures.taxonomies import advice_note, default_selection, default_taxonomy, taxonomy_kind

__all__ = [
    "ACTOR_TYPES",
    "COUNTINGS",
    "Coverage",
    "ENGINES",
    "LEVELS",
    "MEASURES",
    "MIN_MASS",
    "Engine",
    "Selection",
    "activity",
    "activity_expr",
    "activity_matrix",
    "actor_mix",
    "actor_mix_expr",
    "coverage",
    "open_engine",
    "NetworkCoverage",
    "network_coverage",
    "org_edges",
    "org_edges_expr",
    "org_nodes",
    "region_edges",
    "region_edges_expr",
    "region_nodes",
    "advice_note",
    "default_selection",
    "default_taxonomy",
    "taxonomy_kind",
]
