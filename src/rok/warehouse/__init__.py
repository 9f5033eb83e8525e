"""The DuckDB warehouse: schema, atomic recorded loads, derived tables."""

from rok.warehouse.store import LoadResult, Warehouse

__all__ = ["Warehouse", "LoadResult"]
