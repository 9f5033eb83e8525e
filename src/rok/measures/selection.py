"""What a measure counts: NUTS level, measure, counting method, period and taxonomy.

Counting methods (Gauffriau et al. 2008; the default here is **fractional**, as
recommended by Waltman & van Eck 2015 for comparisons between units of different size):

- **full** counting: every participation counts 1 for its organisation's region
  (Gauffriau's "complete counting" at the level of participations). A project with
  ``n_j`` participations adds ``n_j`` to the regions' total.
- **fractional** counting: every project has weight 1, spread equally over all its
  participations, each counting ``1 / n_j`` (Gauffriau's "complete-normalised
  counting"). ``n_j`` counts *all* participations of project ``j`` in the warehouse,
  placed or not, so that unplaced participants keep their share instead of inflating
  the shares of the placed ones.

With ``measure="funding"`` a participation weighs its EC contribution (EUR, missing
values count 0); the money is already a share of the project, so full and fractional
counting give the same funding.

References
----------
Gauffriau, M., Larsen, P. O., Maye, I., Roulin-Perriard, A., & von Ins, M. (2008).
Comparisons of results of publication counting using different methods.
*Scientometrics*, 77(1), 147-176.

Waltman, L., & van Eck, N. J. (2015). Field-normalized citation impact indicators and
the choice of an appropriate counting method. *Journal of Informetrics*, 9(4), 872-894.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis

from rok.errors import InputError
from rok.measures.engine import Engine

__all__ = ["LEVELS", "MEASURES", "COUNTINGS", "MIN_MASS", "Selection", "participation_rows"]

LEVELS = (1, 2, 3)
#: Default minimum mass of a specialisation: participations (full count) a region needs in a
#: domain before it can count as specialised there (see ``rok.analysis.specialisation``).
MIN_MASS = 5.0
MEASURES = ("participations", "funding")
COUNTINGS = ("full", "fractional")


@dataclass(frozen=True)
class Selection:
    """The slice of the warehouse a measure reduces, and how it counts.

    Parameters
    ----------
    level
        NUTS level of the regions (1, 2 or 3; NUTS 2021 codes).
    measure
        ``"participations"`` (counts) or ``"funding"`` (EC contribution, EUR).
    counting
        ``"fractional"`` (default: each project weighs 1 in total) or ``"full"`` (each
        participation weighs 1); see the module docstring.
    years
        Inclusive window ``(from, to)`` on the projects' start year; ``None`` keeps all
        projects (also those without a start year, which a window excludes).
    taxonomy
        The domain taxonomy of ``project_domains``. A bare ``Selection()`` counts
        ``"h2020-part"``; the profiles, the CLI and the reports start from
        :func:`rok.measures.taxonomies.default_selection`, which picks the best loaded
        knowledge taxonomy with placed participations (EuroSciVoc) and otherwise falls back
        to a programme taxonomy, saying so in ``taxonomy_note``.
    min_mass
        Participations (full count) a region needs in a domain before it can count as
        specialised there (default :data:`MIN_MASS`, 5; 0 for Balassa's rule alone).
    taxonomy_note
        Why this taxonomy was chosen, when it was chosen for the user; stated by
        :meth:`describe`.
    framework
        ``"FP7"``, ``"H2020"`` or ``"HORIZON"`` (any case) keeps that programme's projects;
        ``None`` keeps all. A framework without projects in the warehouse is an error.
    """

    level: int = 2
    measure: str = "participations"
    counting: str = "fractional"
    years: tuple[int, int] | None = None
    taxonomy: str = "h2020-part"
    framework: str | None = None
    min_mass: float = MIN_MASS
    taxonomy_note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.level, bool) or self.level not in LEVELS:
            raise InputError(f"NUTS level must be one of {_listed(LEVELS)}", column="level", value=self.level)
        if self.measure not in MEASURES:
            raise InputError(
                f"measure must be one of {_listed(MEASURES)}", column="measure", value=self.measure
            )
        if self.counting not in COUNTINGS:
            raise InputError(
                f"counting must be one of {_listed(COUNTINGS)}", column="counting", value=self.counting
            )
        if not isinstance(self.taxonomy, str) or not self.taxonomy:
            raise InputError("taxonomy must be a non-empty name", column="taxonomy", value=self.taxonomy)
        if isinstance(self.min_mass, bool) or not isinstance(self.min_mass, int | float) or not (
            0 <= self.min_mass < float("inf")
        ):
            raise InputError("min_mass must be a non-negative number of participations", column="min_mass",
                             value=self.min_mass)
        if self.years is not None:
            object.__setattr__(self, "years", _window(self.years))
        if self.framework is not None:
            object.__setattr__(self, "framework", _framework(self.framework))

    def describe(self) -> str:
        """One line stating the selection, for outputs and messages."""
        what = (
            "EC funding (EUR)" if self.measure == "funding" else f"participations, {self.counting} counting"
        )
        period = f"start years {self.years[0]}-{self.years[1]}" if self.years else "all years"
        note = f" ({self.taxonomy_note})" if self.taxonomy_note else ""
        mass = f", specialised with >= {self.min_mass:g} participations (full count)" if self.min_mass else ""
        programme = f", framework {self.framework}" if self.framework else ""
        return f"NUTS {self.level}, {what}, {period}, taxonomy {self.taxonomy}{note}{mass}{programme}"


def participation_rows(engine: Engine, sel: Selection, *, placed_only: bool = True) -> ibis.Table:
    """One row per participation of the selection, with what the measures need.

    Columns: ``project_id``, ``org_id``, ``activity_type``, ``ec`` (EC contribution,
    NULL when unknown), ``n`` (participations of the project, all of them), ``region``
    (the organisation's NUTS code at ``sel.level``, NULL when unplaced) and ``unit``
    (what one participation counts in ``sel``: 1, ``1 / n`` or the EC contribution
    with NULL as 0). Projects outside ``sel.years`` are left out; with
    ``placed_only`` so are participations whose organisation has no region.
    """
    p = engine.table("participations")
    sizes = p.group_by("project_id").aggregate(n=p.count())
    rows = p.select("project_id", "org_id", "activity_type", ec=p.ec_contribution).join(sizes, "project_id")
    if sel.years is not None:
        projects = engine.table("projects")
        period = projects.filter(projects.start_year.between(*sel.years)).select("project_id")
        rows = rows.join(period, "project_id")
    if sel.framework is not None:
        rows = rows.join(_framework_projects(engine, sel.framework), "project_id")
    orgs = engine.table("organisations")
    orgs = orgs.select("org_id", region=orgs[f"nuts{sel.level}"])
    if placed_only:
        rows = rows.join(orgs.filter(orgs.region.notnull()), "org_id")
    else:
        rows = rows.left_join(orgs, "org_id").drop("org_id_right")
    return rows.mutate(unit=_unit(rows, sel))


def _unit(rows: ibis.Table, sel: Selection) -> ibis.Value:
    if sel.measure == "funding":
        return rows.ec.fill_null(0.0).cast("float64")
    if sel.counting == "fractional":
        return 1.0 / rows.n.cast("float64")
    return ibis.literal(1.0, type="float64")


FRAMEWORKS = ("FP7", "H2020", "HORIZON")


def _framework(value: object) -> str:
    name = str(value).strip().upper()
    if name not in FRAMEWORKS:
        raise InputError(f"framework must be one of {_listed(FRAMEWORKS)}", column="framework", value=value)
    return name


def _framework_projects(engine: Engine, framework: str) -> ibis.Table:
    projects = engine.table("projects")
    chosen = projects.filter(projects.framework == framework).select("project_id")
    if engine.execute(chosen.limit(1)).empty:
        raise InputError(f"no {framework} projects in the warehouse; load them first (rok ingest cordis)",
                         column="framework", value=framework)
    return chosen


def _window(years: object) -> tuple[int, int]:
    pair = tuple(years) if isinstance(years, tuple | list) else ()
    if len(pair) != 2:
        raise InputError("years must be a pair (from, to)", column="years", value=years)
    start, end = pair
    if not all(isinstance(y, int) and not isinstance(y, bool) for y in pair):
        raise InputError("years must be whole numbers (from, to)", column="years", value=years)
    if start > end:
        raise InputError(f"years are reversed: from {start} is after to {end}", column="years", value=years)
    return (start, end)


def _listed(values: tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values)
