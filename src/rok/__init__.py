"""rok: Regions of Knowledge.

Research profiles, networks and cooperation of Europe's research-driven regional clusters,
from real data: CORDIS framework-programme participations, Eurostat regional statistics
and GISCO NUTS boundaries.

>>> import rok
>>> wh = rok.Warehouse("rok.duckdb")          # doctest: +SKIP
>>> rok.ingest_mirror(wh, rok.mirror_dir())   # doctest: +SKIP
>>> rok.status(wh)["placement"]               # doctest: +SKIP
"""

from rok.config import db_path, mirror_dir
from rok.errors import EngineError, InputError, RokError, SchemaError, SourceError
from rok.warehouse.ingest import ingest_cordis, ingest_eurostat, ingest_mirror, ingest_nuts, ingest_table
from rok.warehouse.status import status
from rok.warehouse.store import Warehouse

__version__ = "0.1.0"
__all__ = [
    "Warehouse",
    "ingest_mirror",
    "ingest_cordis",
    "ingest_eurostat",
    "ingest_nuts",
    "ingest_table",
    "status",
    "mirror_dir",
    "db_path",
    "RokError",
    "InputError",
    "SchemaError",
    "SourceError",
    "EngineError",
]
