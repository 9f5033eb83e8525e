"""One project, one key: the same H2020 project from the mirror and from the official files.

The mirror's H2020 tables know a project only by its CORDIS record number, so its key is
``H2020:rcn:<rcn>``; the official bulk files key it by grant number, ``H2020:<grant id>``,
and give its ``rcn`` in ``project.csv``. Loaded both ways, a project would count twice.

:func:`unify_projects` runs inside the load's transaction, after every CORDIS write, in
whichever order the sources come:

* every mirror key whose ``rcn`` is the ``rcn`` of an official H2020 project becomes an
  alias of the official key (``project_aliases``, kept, so that a later re-load of a mirror
  file is mapped too);
* the official file is authoritative for the participations of a project it lists
  (it names every participant, ended ones included): the mirror's participations of an
  aliased project are dropped when the official project has participations;
* the project's domains from the mirror (taxonomy ``h2020-part``) move to the official key;
  the mirror's project row goes, its duration filling the official row where that has none.
"""

from __future__ import annotations

from typing import Any

from rok.warehouse.store import Warehouse

__all__ = ["unify_projects", "overlaps", "MIRROR_PREFIX"]

MIRROR_PREFIX = "H2020:rcn:"

_STATEMENTS = [
    f"""INSERT OR REPLACE INTO project_aliases
        SELECT m.project_id, b.project_id, 'cordis-h2020-mirror', 'rcn'
        FROM projects m JOIN projects b ON m.rcn = b.rcn
        WHERE m.project_id LIKE '{MIRROR_PREFIX}%' AND b.framework = 'H2020'
          AND b.project_id NOT LIKE '{MIRROR_PREFIX}%'""",
    """DELETE FROM participations WHERE project_id IN (
        SELECT a.alias FROM project_aliases a
        WHERE EXISTS (SELECT 1 FROM participations q WHERE q.project_id = a.project_id))""",
    """INSERT OR IGNORE INTO project_domains
        SELECT a.project_id, d.taxonomy, d.code, d.weight, d.load_id
        FROM project_domains d JOIN project_aliases a ON d.project_id = a.alias""",
    "DELETE FROM project_domains WHERE project_id IN (SELECT alias FROM project_aliases)",
    """UPDATE projects SET duration_months = m.duration_months
        FROM project_aliases a JOIN projects m ON m.project_id = a.alias
        WHERE projects.project_id = a.project_id AND projects.duration_months IS NULL""",
    "DELETE FROM projects WHERE project_id IN (SELECT alias FROM project_aliases)",
]


def unify_projects(wh: Warehouse) -> int:
    """Merge the mirror's copies of official H2020 projects into them; returns the aliases known.

    Runs in the caller's transaction when there is one (see :meth:`Warehouse.transaction`).
    Mirror participations that arrive after their project's official rows (a re-load) are
    dropped here too, since the alias table outlives the mirror's project rows.
    """
    with wh.transaction() as con:
        for statement in _STATEMENTS:
            con.execute(statement)
    return int(wh.scalar("SELECT count(*) FROM project_aliases"))


def overlaps(wh: Warehouse) -> dict[str, Any]:
    """Projects seen in several sources: per framework, how many came from which sources.

    ``both`` counts official projects that the mirror also holds (merged into one);
    ``mirror_only`` mirror projects without an official row; ``official_only`` the rest.
    """
    rows = wh.query(
        f"""SELECT framework,
                   count(*) FILTER (WHERE project_id LIKE '{MIRROR_PREFIX}%') AS mirror_only,
                   count(*) FILTER (WHERE project_id NOT LIKE '{MIRROR_PREFIX}%'
                                    AND project_id IN (SELECT project_id FROM project_aliases)) AS both_sources,
                   count(*) FILTER (WHERE project_id NOT LIKE '{MIRROR_PREFIX}%'
                                    AND project_id NOT IN (SELECT project_id FROM project_aliases)) AS official_only,
                   count(*) AS projects
            FROM projects GROUP BY framework ORDER BY framework"""
    )
    return {
        "projects_in_several_sources": int(rows["both_sources"].sum()) if len(rows) else 0,
        "by_framework": rows.to_dict(orient="records"),
    }
