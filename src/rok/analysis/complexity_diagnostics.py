"""Diagnostics of an ECI: does the ranking mean anything on this specialisation matrix?

Nestedness (NODF), the Spearman correlation of ECI with diversity and the eigen-gap of the ECI
matrix, after Mealy, Farmer & Teytelboym (2019); attached to every
:class:`rok.analysis.complexity.ComplexityResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from rok.analysis.nestedness import nodf, nodf_null

__all__ = ["ComplexityDiagnostics", "complexity_diagnostics", "SPEARMAN_MIN", "GAP_MIN", "NODF_MIN", "NULL_Z_MIN", "DOMAINS_MIN"]

#: Diagnostics: a Spearman correlation of ECI with diversity below this is reported as weak.
SPEARMAN_MIN = 0.5
#: Diagnostics: a relative eigen-gap ``(l2 - l3) / l2`` below this is reported as small.
GAP_MIN = 0.1
#: Diagnostics: a NODF below this (0..100) is reported as weak nestedness.
NODF_MIN = 50.0
#: Diagnostics: a NODF z-score against the fixed-fixed null below this is reported.
NULL_Z_MIN = 2.0
#: Diagnostics: fewer domains than this are reported as too few for a ranking.
DOMAINS_MIN = 20


@dataclass(frozen=True)
class ComplexityDiagnostics:
    """Whether an ECI ranking means anything on this matrix (see :func:`complexity_diagnostics`).

    Attributes
    ----------
    nodf, nodf_rows, nodf_columns : float
        Nestedness (Almeida-Neto et al. 2008), 0..100, of the whole matrix, its regions and
        its domains (:func:`rok.analysis.nestedness.nodf`).
    fill : float
        Share of ones in ``M``.
    spearman_diversity : float
        Spearman rank correlation of ECI with diversity (``nan`` when diversity is constant).
    eigenvalue_2, eigenvalue_3 : float
        Second and third eigenvalues of ``D^-1 M U^-1 M^T`` (``nan`` when there is no third).
    eigen_gap : float
        ``(l2 - l3) / l2``, the relative gap that keeps the ECI vector stable.
    regions, domains : int
        Shape of ``M``.
    nodf_null_mean, nodf_z : float
        Mean NODF of random matrices with the same diversities and ubiquities, and the z-score
        of NODF against them (:func:`rok.analysis.nestedness.nodf_null`); ``nan`` unless asked.
    warnings : tuple of str
        One sentence per failed check; empty when every check passes.
    """

    nodf: float
    nodf_rows: float
    nodf_columns: float
    fill: float
    spearman_diversity: float
    eigenvalue_2: float
    eigenvalue_3: float
    eigen_gap: float
    regions: int
    domains: int
    warnings: tuple[str, ...] = ()
    nodf_null_mean: float = float("nan")
    nodf_z: float = float("nan")

    @property
    def meaningful(self) -> bool:
        """True when no check failed."""
        return not self.warnings

    def as_dict(self) -> dict[str, object]:
        """Plain values for JSON and CSV outputs (rounded to 4 significant digits)."""
        out: dict[str, object] = {}
        for key in ("nodf", "nodf_rows", "nodf_columns", "fill", "spearman_diversity", "eigenvalue_2",
                    "eigenvalue_3", "eigen_gap", "nodf_null_mean", "nodf_z"):
            value = float(getattr(self, key))
            out[key] = None if np.isnan(value) else float(f"{value:.4g}")
        out.update(regions=self.regions, domains=self.domains, meaningful=self.meaningful,
                   warnings=list(self.warnings))
        return out


def complexity_diagnostics(M: pd.DataFrame, eci: pd.Series, spectrum: np.ndarray, *,
                           null_draws: int = 0) -> ComplexityDiagnostics:
    """Checks that tell whether an ECI computed on ``M`` ranks regions by anything.

    - *Nestedness*, NODF (Almeida-Neto et al. 2008), 0..100: ECI reads capabilities from a
      nested matrix, where less diversified regions do a subset of what more diversified ones
      do (Hidalgo & Hausmann 2009; Bustos et al. 2012). Reported as weak below ``NODF_MIN``.
    - *Spearman correlation of ECI with diversity*: on a nested matrix ECI rises with
      diversity. Mealy, Farmer & Teytelboym (2019) show that ECI is the second eigenvector of a
      similarity matrix, i.e. a spectral clustering of regions by the domains they share: when
      it is unrelated to diversity it separates two groups of regions (e.g. those in one kind of
      programme from those in another) rather than ordering them by capability. Reported as weak
      below ``SPEARMAN_MIN``.
    - *Eigen-gap* ``(l2 - l3) / l2`` of ``D^-1 M U^-1 M^T``: the ECI vector is stable under
      small changes of ``M`` only when ``l2`` stands clear of ``l3`` (the Davis-Kahan bound on
      an eigenvector's change grows as the gap shrinks; Mealy et al. 2019 discuss the spectrum).
      Reported as small below ``GAP_MIN``.
    - *Number of domains*: below ``DOMAINS_MIN`` a region's ECI is the mean complexity of a
      handful of binary cells and moves in large steps.

    The thresholds are rok's rules of thumb, stated so that a user can judge them; the values
    are reported whatever the verdict.

    Parameters
    ----------
    M : pandas.DataFrame
        The binary specialisation matrix the ECI was computed on.
    eci : pandas.Series
        ECI over the rows of ``M``.
    spectrum : numpy.ndarray
        Eigenvalues of ``D^-1 M U^-1 M^T`` in decreasing order (at least the first two).
    null_draws : int, default 0
        Random matrices for the NODF null model (0: not computed; it takes about 0.15 s per
        draw on 300 regions x 17 domains).

    Returns
    -------
    ComplexityDiagnostics

    References
    ----------
    Almeida-Neto, M., et al. (2008). A consistent metric for nestedness analysis in ecological
    systems. *Oikos*, 117(8), 1227-1239.

    Mealy, P., Farmer, J. D., & Teytelboym, A. (2019). Interpreting economic complexity.
    *Science Advances*, 5(1), eaau1705. https://doi.org/10.1126/sciadv.aau1705

    Bustos, S., Gomez, C., Hausmann, R., & Hidalgo, C. A. (2012). The dynamics of nestedness
    predicts the evolution of industrial ecosystems. *PLoS ONE*, 7(11), e49393.

    Strona, G., et al. (2014). A fast and unbiased procedure to randomize ecological binary
    matrices with fixed row and column totals. *Nature Communications*, 5, 4114.
    """
    nested = nodf(M)
    diversity = M.sum(axis=1).to_numpy(dtype=float)
    values = eci.reindex(M.index).to_numpy(dtype=float)
    rho = float("nan")
    if np.ptp(diversity) > 0 and np.ptp(values) > 0:
        rho = float(scipy.stats.spearmanr(values, diversity).statistic)
    l2 = float(spectrum[1])
    l3 = float(spectrum[2]) if len(spectrum) > 2 else float("nan")
    gap = (l2 - l3) / l2 if l2 > 0 and not np.isnan(l3) else float("nan")
    found = []
    if nested.nodf < NODF_MIN:
        found.append(f"weak nestedness (NODF {nested.nodf:.1f} < {NODF_MIN:g}): regions' specialisations are "
                     "not subsets of one another, so ECI does not order capabilities")
    null_mean = z = float("nan")
    if null_draws:
        null = nodf_null(M, null_draws)
        null_mean, z = null.mean, null.z
        if z < NULL_Z_MIN:  # nan (the margins admit one matrix only) is no warning
            found.append(f"no more nested than random matrices with the same diversities and ubiquities "
                         f"(NODF {nested.nodf:.1f} against {null_mean:.1f}, z = {z:.1f} < {NULL_Z_MIN:g})")
    if np.isnan(rho) or rho < SPEARMAN_MIN:
        found.append(f"ECI hardly follows diversity (Spearman {rho:.2f} < {SPEARMAN_MIN:g}): it separates "
                     "groups of regions by the domains they share rather than ranking them (Mealy et al. 2019)")
    if not gap >= GAP_MIN:
        found.append(f"small eigen-gap ((l2 - l3)/l2 = {gap:.3f} < {GAP_MIN:g}): the ECI ranking is unstable "
                     "under small changes of the data")
    if M.shape[1] < DOMAINS_MIN:
        found.append(f"only {M.shape[1]} domains (< {DOMAINS_MIN}): each region's ECI rests on a handful of "
                     "binary cells")
    return ComplexityDiagnostics(
        nodf=nested.nodf, nodf_rows=nested.rows, nodf_columns=nested.columns, fill=nested.fill,
        spearman_diversity=rho, eigenvalue_2=l2, eigenvalue_3=l3, eigen_gap=gap,
        regions=int(M.shape[0]), domains=int(M.shape[1]), warnings=tuple(found),
        nodf_null_mean=null_mean, nodf_z=z,
    )
