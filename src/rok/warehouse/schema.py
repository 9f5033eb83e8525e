"""The warehouse schema, its version, and the migrations that reach it.

``MIGRATIONS[i]`` takes a warehouse from schema version ``i`` to ``i + 1``. A new schema
change is a new entry at the end: existing warehouses are upgraded in place, in one
transaction, when rok opens them.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "DATA_TABLES"]

_V1 = [
    """CREATE TABLE schema_info (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE SEQUENCE load_ids START 1""",
    """CREATE TABLE loads (
        load_id BIGINT PRIMARY KEY, source VARCHAR NOT NULL, file VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, rows_read BIGINT, rows_kept BIGINT, rows_rejected BIGINT,
        started TIMESTAMP, finished TIMESTAMP, status VARCHAR, notes VARCHAR)""",
    """CREATE TABLE rejects (
        load_id BIGINT, file VARCHAR, line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR)""",
    """CREATE TABLE regions (
        code VARCHAR, nuts_version INTEGER, level INTEGER, name VARCHAR, name_latn VARCHAR,
        country VARCHAR, parent VARCHAR, mount_type INTEGER, urbn_type INTEGER, coast_type INTEGER,
        lon DOUBLE, lat DOUBLE, area_km2 DOUBLE, geometry BLOB, load_id BIGINT,
        PRIMARY KEY (code, nuts_version))""",
    """CREATE TABLE region_labels (
        code VARCHAR, nuts_version INTEGER, lon DOUBLE, lat DOUBLE, load_id BIGINT,
        PRIMARY KEY (code, nuts_version))""",
    """CREATE TABLE projects (
        project_id VARCHAR PRIMARY KEY, framework VARCHAR, rcn BIGINT, grant_id VARCHAR,
        acronym VARCHAR, title VARCHAR, start_date DATE, end_date DATE, start_year INTEGER,
        end_year INTEGER, duration_months INTEGER, total_cost DOUBLE, ec_max_contribution DOUBLE,
        n_participants INTEGER, funding_scheme VARCHAR, topic VARCHAR, load_id BIGINT)""",
    """CREATE TABLE organisation_sources (
        org_id VARCHAR, source VARCHAR, name VARCHAR, short_name VARCHAR, activity_type VARCHAR,
        street VARCHAR, postcode VARCHAR, city VARCHAR, country VARCHAR, nuts_code VARCHAR,
        lat DOUBLE, lon DOUBLE, vat VARCHAR, url VARCHAR, updated DATE, load_id BIGINT,
        PRIMARY KEY (org_id, source))""",
    """CREATE TABLE organisations (
        org_id VARCHAR PRIMARY KEY, name VARCHAR, short_name VARCHAR, activity_type VARCHAR,
        street VARCHAR, postcode VARCHAR, city VARCHAR, country VARCHAR, address_source VARCHAR,
        nuts_code VARCHAR, lat DOUBLE, lon DOUBLE,
        nuts3 VARCHAR, nuts2 VARCHAR, nuts1 VARCHAR, nuts_version INTEGER,
        place_method VARCHAR, place_detail VARCHAR)""",
    """CREATE TABLE participations (
        project_id VARCHAR, org_id VARCHAR, role VARCHAR, activity_type VARCHAR, country VARCHAR,
        ec_contribution DOUBLE, net_ec_contribution DOUBLE, total_cost DOUBLE, ord INTEGER,
        end_of_participation BOOLEAN, source VARCHAR, load_id BIGINT,
        PRIMARY KEY (project_id, org_id, role))""",
    """CREATE TABLE domains (
        taxonomy VARCHAR, code VARCHAR, name VARCHAR, parent VARCHAR, load_id BIGINT,
        PRIMARY KEY (taxonomy, code))""",
    """CREATE TABLE project_domains (
        project_id VARCHAR, taxonomy VARCHAR, code VARCHAR, weight DOUBLE, load_id BIGINT,
        PRIMARY KEY (project_id, taxonomy, code))""",
    """CREATE TABLE reference (
        kind VARCHAR, code VARCHAR, language VARCHAR, title VARCHAR, extra VARCHAR, load_id BIGINT,
        PRIMARY KEY (kind, code, language))""",
    """CREATE TABLE indicators (
        region VARCHAR, nuts_version INTEGER, indicator VARCHAR, year INTEGER, value DOUBLE,
        unit VARCHAR, flag VARCHAR, source VARCHAR, load_id BIGINT,
        PRIMARY KEY (region, indicator, unit, year, source))""",
    """CREATE TABLE nuts_correspondence (
        from_code VARCHAR, from_version INTEGER, to_code VARCHAR, to_version INTEGER,
        level INTEGER, share_of_from DOUBLE, share_of_to DOUBLE, method VARCHAR,
        PRIMARY KEY (from_code, from_version, to_code, to_version))""",
    """CREATE TABLE indicators_nuts2021 (
        region VARCHAR, indicator VARCHAR, year INTEGER, value DOUBLE, unit VARCHAR, flag VARCHAR,
        source VARCHAR, from_region VARCHAR, from_version INTEGER, method VARCHAR)""",
]

# Project identity across sources, NUTS code history, manual placements.
_V_NUTS_HISTORY = [
    """CREATE TABLE IF NOT EXISTS project_aliases (
        alias VARCHAR PRIMARY KEY, project_id VARCHAR, source VARCHAR, matched_on VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS nuts_code_history (
        old_code VARCHAR, old_version INTEGER, new_code VARCHAR, new_version INTEGER,
        kind VARCHAR, share DOUBLE, method VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS lau (
        country VARCHAR, nuts3_2016 VARCHAR, lau_code VARCHAR, name_national VARCHAR, name_latin VARCHAR,
        population DOUBLE, area_m2 DOUBLE, load_id BIGINT, PRIMARY KEY (country, lau_code))""",
    """CREATE TABLE IF NOT EXISTS nuts_changes (
        lineage INTEGER, level INTEGER, version INTEGER, code VARCHAR, name VARCHAR, change VARCHAR,
        load_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS manual_placements (
        org_id VARCHAR PRIMARY KEY, nuts3 VARCHAR NOT NULL, why VARCHAR NOT NULL, created TIMESTAMP)""",
]

#: Taxonomies of ``domains`` with their kind (``instrument``: funding programme lines;
#: ``knowledge``: fields of knowledge), and the topics (calls) of projects.
_TAXONOMIES = [
    """CREATE TABLE IF NOT EXISTS taxonomies (
        taxonomy VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL CHECK (kind IN ('instrument', 'knowledge')),
        name VARCHAR, levels INTEGER, note VARCHAR, load_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS topics (
        project_id VARCHAR, topic VARCHAR, title VARCHAR, call_year INTEGER, load_id BIGINT,
        PRIMARY KEY (project_id, topic))""",
]

#: The Urban Audit city and greater city of each municipality (Eurostat, in the LAU table).
_LAU_CITIES = [
    """ALTER TABLE lau ADD COLUMN IF NOT EXISTS city_name VARCHAR""",
    """ALTER TABLE lau ADD COLUMN IF NOT EXISTS greater_city_name VARCHAR""",
]

MIGRATIONS: list[list[str]] = [_V1, _V_NUTS_HISTORY, _TAXONOMIES, _LAU_CITIES]
SCHEMA_VERSION = len(MIGRATIONS)

#: Tables holding data (as opposed to provenance), in load order.
DATA_TABLES = (
    "regions",
    "region_labels",
    "projects",
    "organisation_sources",
    "organisations",
    "participations",
    "domains",
    "project_domains",
    "taxonomies",
    "topics",
    "reference",
    "indicators",
    "nuts_correspondence",
    "indicators_nuts2021",
)
