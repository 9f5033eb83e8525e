"""Policy quadrant of smart specialisation: relatedness density against knowledge complexity,
per region and domain (Balland et al. 2019)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from rok.analysis.complexity import complexity
from rok.analysis.relatedness import proximity, relatedness_density
from rok.analysis.specialisation import specialised as specialisation_matrix
from rok.errors import InputError

__all__ = ["QUADRANTS", "policy_quadrant", "quadrant_from_activity"]

#: Quadrant labels by (high relatedness, high complexity), after Balland et al. (2019, Fig. 1):
#: the benefit of a new specialisation grows with complexity, its risk falls with relatedness.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "low risk, high benefit",
    (False, True): "high risk, high benefit",
    (True, False): "low risk, low benefit",
    (False, False): "high risk, low benefit",
}


def policy_quadrant(
    density: pd.DataFrame,
    pci: pd.Series,
    *,
    specialised: pd.DataFrame | None = None,
    split: Literal["mean", "median"] = "mean",
    scope: Literal["region", "all"] = "region",
) -> pd.DataFrame:
    """Place every region x domain cell in one of four policy quadrants.

    Parameters
    ----------
    density : regions x domains relatedness density (0..100), e.g.
        :func:`rok.analysis.relatedness.relatedness_density`.
    pci : knowledge complexity of each domain (index = the domain labels of ``density``).
    specialised : binary matrix ``M`` (regions x domains); when given, cells with ``M = 1`` are
        left out, as Balland et al. plot only the domains a region could move into.
    split : cut each axis at the ``mean`` or the ``median``.
    scope : compute the cuts per region over its own (kept) cells (``region``), or once over
        all kept cells (``all``).

    Returns
    -------
    Long DataFrame: ``region``, ``domain``, ``density``, ``pci``, ``density_cut``, ``pci_cut``,
    ``high_relatedness``, ``high_complexity`` and ``quadrant`` (a :data:`QUADRANTS` label),
    sorted by region, then complexity (descending).

    Notes
    -----
    Cells with an undefined (NaN) density are left out. A cell is "high" on an axis when its value is at or above the cut (``>=``). The per-region
    default follows the paper's regional case studies, where a region's candidate technologies
    are read against the average of its own candidates. Quadrants (relatedness x, complexity y):
    high-high "low risk, high benefit" (the ideal: related capabilities exist and the domain is
    complex), low-high "high risk, high benefit", high-low "low risk, low benefit", low-low
    "high risk, low benefit" (the least attractive).

    References
    ----------
    Balland, P.-A., Boschma, R., Crespo, J. & Rigby, D. L. (2019). Smart specialization policy
    in the European Union: relatedness, knowledge complexity and regional diversification.
    Regional Studies, 53(9), 1252-1268. https://doi.org/10.1080/00343404.2018.1437900
    """
    if split not in ("mean", "median"):
        raise InputError("split must be 'mean' or 'median'", value=split)
    if scope not in ("region", "all"):
        raise InputError("scope must be 'region' or 'all'", value=scope)
    cells = _cells(density, pci, specialised)
    if cells.empty:
        raise InputError("no region x domain cell left to place (all specialised?)")
    if scope == "region":
        grouped = cells.groupby("region")
        cells["density_cut"] = grouped["density"].transform(split)
        cells["pci_cut"] = grouped["pci"].transform(split)
    else:
        cells["density_cut"] = getattr(cells["density"], split)()
        cells["pci_cut"] = getattr(cells["pci"], split)()
    cells["high_relatedness"] = cells["density"] >= cells["density_cut"]
    cells["high_complexity"] = cells["pci"] >= cells["pci_cut"]
    pairs = zip(cells["high_relatedness"], cells["high_complexity"], strict=True)
    cells["quadrant"] = [QUADRANTS[(bool(r), bool(c))] for r, c in pairs]
    cells = cells.sort_values(["region", "pci", "domain"], ascending=[True, False, True])
    return cells.reset_index(drop=True)


def quadrant_from_activity(
    activity: pd.DataFrame,
    *,
    exclude_specialised: bool = True,
    split: Literal["mean", "median"] = "mean",
    scope: Literal["region", "all"] = "region",
) -> pd.DataFrame:
    """:func:`policy_quadrant` straight from an activity matrix (regions x domains).

    ``M = specialised(activity)`` (RCA >= 1), ``phi = proximity(M)``, density =
    ``relatedness_density(M, phi)``, PCI = ``complexity(M).pci`` (eigenvector method). Regions
    and domains with no specialisation at all are dropped first (they have no complexity).
    With ``exclude_specialised`` the cells with ``M = 1`` are left out, as in Balland et al.
    (2019).
    """
    m = specialisation_matrix(activity)
    m = m.loc[m.sum(axis=1) > 0, m.sum(axis=0) > 0]
    density = relatedness_density(m, proximity(m))
    pci = complexity(m).pci
    return policy_quadrant(
        density, pci, specialised=m if exclude_specialised else None, split=split, scope=scope
    )


def _cells(density: pd.DataFrame, pci: pd.Series, specialised: pd.DataFrame | None) -> pd.DataFrame:
    if not isinstance(density, pd.DataFrame) or density.empty:
        raise InputError("density must be a non-empty DataFrame (regions x domains)")
    if not isinstance(pci, pd.Series):
        raise InputError(f"pci must be a pandas Series indexed by domain, got {type(pci).__name__}")
    absent = [d for d in density.columns if d not in pci.index]
    if absent:
        raise InputError(
            f"pci has no value for domains {absent[:5]}; expected one per density column", value=absent[0]
        )
    values = density.to_numpy(dtype=float)
    keep = ~np.isnan(values)  # undefined density (a domain related to no other) is left out
    if specialised is not None:
        m = specialised.reindex(index=density.index, columns=density.columns)
        if m.isna().to_numpy().any():
            raise InputError("specialised must cover every region and domain of density")
        keep &= m.to_numpy() == 0
    p = pci.reindex(density.columns).to_numpy(dtype=float)
    if np.isnan(p).any():
        raise InputError("pci has missing (NaN) values for some domains of density")
    rows, cols = np.nonzero(keep)
    return pd.DataFrame(
        {
            "region": density.index[rows],
            "domain": density.columns[cols],
            "density": values[rows, cols],
            "pci": p[cols],
        }
    )
