"""Knowledge complexity of regions (ECI) and domains (PCI): the eigenvector method and the
method of reflections (Hidalgo & Hausmann 2009) on a binary specialisation matrix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

from rok.analysis.complexity_diagnostics import ComplexityDiagnostics, complexity_diagnostics
from rok.analysis.specialisation import validated
from rok.errors import InputError

__all__ = ["ComplexityDiagnostics", "ComplexityResult", "complexity", "complexity_diagnostics"]

#: Above this many domains *and* regions the eigenvector is found with a sparse iterative
#: solver (``scipy.sparse.linalg.eigsh``) instead of a dense symmetric eigendecomposition.
DENSE_LIMIT = 2000
#: Relative gap under which two eigenvalues count as equal (the eigenvector is then not unique).
EIGEN_TOL = 1e-9
#: Reflections: stop when no standardised value changes by more than this between two steps.
REFLECTIONS_TOL = 1e-10
REFLECTIONS_MAX = 10_000
@dataclass(frozen=True)
class ComplexityResult:
    """Complexity indices of regions and domains and the quantities they derive from.

    Attributes
    ----------
    eci : pandas.Series
        Knowledge (economic) complexity index of each region, mean 0 and population standard
        deviation 1, named ``"eci"``.
    pci : pandas.Series
        Complexity of each domain on the ECI scale (``ECI[r]`` is the mean ``PCI`` of the
        domains ``r`` is specialised in), named ``"pci"``.
    diversity : pandas.Series
        Number of domains each region is specialised in (``k[r,0]``).
    ubiquity : pandas.Series
        Number of regions specialised in each domain (``k[d,0]``).
    method : str
        ``"eigenvector"`` or ``"reflections"``.
    eigenvalue : float
        Second-largest eigenvalue of ``D^-1 M U^-1 M^T`` (the largest is 1); for reflections,
        its estimate from the last step. The closer to 1, the stronger the structure.
    iterations : int or None
        Number of reflections used (``None`` for the eigenvector method).
    """

    eci: pd.Series
    pci: pd.Series
    diversity: pd.Series
    ubiquity: pd.Series
    method: str
    eigenvalue: float
    iterations: int | None = None
    diagnostics: ComplexityDiagnostics | None = None


def complexity(
    M: pd.DataFrame,
    method: Literal["eigenvector", "reflections"] = "eigenvector",
    *,
    iterations: int | None = None,
    null_draws: int = 0,
) -> ComplexityResult:
    """Complexity of regions (ECI) and domains (PCI) from a binary specialisation matrix.

    With ``D = diag(diversity)`` and ``U = diag(ubiquity)``, the region-side matrix
    ``Mr = D^-1 M U^-1 M^T`` and the domain-side matrix ``Md = U^-1 M^T D^-1 M`` share their
    eigenvalues ``1 = l1 > l2 >= ...``. The raw domain complexity ``kd`` is the eigenvector of
    ``Md`` for ``l2`` and the raw region complexity is ``kr = D^-1 M kd`` (the eigenvector of
    ``Mr`` for ``l2``; equivalently ``kd = U^-1 M^T kr / l2``). Then, with ``mean`` and ``sd``
    the mean and *population* standard deviation (ddof=0) of ``kr`` over regions and ``s`` the
    sign that makes ``kr`` correlate positively with diversity::

        ECI = s (kr - mean) / sd          PCI = s (kd - mean) / sd

    Parameters
    ----------
    M : pandas.DataFrame
        Binary specialisation matrix (regions x domains, values 0 or 1), e.g.
        ``specialised(x)``. Every region needs diversity >= 1 and every domain ubiquity >= 1.
    method : {"eigenvector", "reflections"}, default "eigenvector"
        ``"eigenvector"``: a symmetric eigendecomposition of the smaller side (domains here),
        the other side derived from it. ``"reflections"``: the method of reflections
        ``k[r,n] = (1/k[r,0]) sum_d M[r,d] k[d,n-1]``, ``k[d,n] = (1/k[d,0]) sum_r M[r,d]
        k[r,n-1]`` from ``k[r,0]`` = diversity; ECI from the even iterate ``k[r,N]``, PCI from
        ``k[d,N-1]`` (so that ``k[r,N] = D^-1 M k[d,N-1]``), standardised as above.
    iterations : int, optional
        Reflections only: the number ``N`` of reflections (even, >= 2). By default, iterate
        until no standardised value moves by more than 1e-10 (at most 10 000 reflections).
    null_draws : int, default 0
        Random matrices for the NODF null model of the diagnostics (0: not computed).

    Returns
    -------
    ComplexityResult
        ``eci`` over regions, ``pci`` over domains (the caller's labels), ``diversity``,
        ``ubiquity``, ``method``, ``eigenvalue`` (l2), ``iterations`` and ``diagnostics``
        (:func:`complexity_diagnostics`: nestedness, Spearman correlation with diversity,
        eigen-gap and warnings).

    Raises
    ------
    rok.errors.InputError
        For a non-binary, empty, NaN-holding or non-DataFrame ``M``; for a region with
        diversity 0 or a domain with ubiquity 0 (they have no place in the network: drop them
        first, e.g. ``M.loc[M.sum(axis=1) > 0, M.sum(axis=0) > 0]``); when the region-domain
        network is disconnected (``l2 = 1``) or ``l2`` is a repeated eigenvalue (the ECI is then
        not unique); when every region gets the same raw value (e.g. all regions specialised in
        all domains).

    Notes
    -----
    *Standardisation and sign* follow the ``ecomplexity`` package (0.5.3, ``ecomplexity.py``,
    ``calc_eci_pci`` and the normalisation at the end of ``ecomplexity()``), which follows the
    Stata package: ECI is standardised with numpy's population sd, and PCI with the *ECI's*
    mean and sd, not its own; its sign is that of the ECI, i.e. ``PCI`` is proportional to
    ``U^-1 M^T ECI`` with a positive factor. So PCI has neither mean 0 nor sd 1 but lives on
    the ECI scale, where ``ECI[r]`` equals the mean PCI of the domains ``r`` is specialised
    in. On the same specialisation matrix the values equal ``ecomplexity``'s to about 1e-10.
    The sign is taken from the correlation of the raw ECI with diversity; when diversity is
    constant, from a negative correlation of PCI with ubiquity; failing both, the region with
    the largest absolute raw ECI gets a positive one. (``ecomplexity`` returns NaN when
    diversity is constant, since ``np.sign`` of the NaN correlation is NaN.)

    *Reflections.* ``k[r,2n] = Mr^n k[r,0]`` is a power iteration: after standardisation it
    converges to the eigenvector result (same values, hence the same ranking) at the rate
    ``(l3/l2)^n``; odd region iterates rank in reverse order at first, which is why ``N``
    must be even. The constant component (eigenvalue 1) is subtracted and the vector rescaled
    after every step, which changes each iterate only by a positive affine map (``Mr`` and
    ``U^-1 M^T`` map constants to constants) and so leaves the standardised result exactly as
    in the plain method while avoiding the loss of precision of the plain iteration.

    *Zero diversity or ubiquity* raises rather than silently dropping (``ecomplexity`` drops
    such rows and columns with a warning and returns NaN for them).

    *Speed*: for the usual hundreds of regions x tens of domains the work is one dense
    symmetric eigendecomposition of a domains x domains matrix; above ``DENSE_LIMIT`` on both
    sides a sparse Lanczos solver is used.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity.
    *Proceedings of the National Academy of Sciences*, 106(26), 10570-10575.
    https://doi.org/10.1073/pnas.0900943106

    Hausmann, R., Hidalgo, C. A., Bustos, S., Coscia, M., Simoes, A., & Yildirim, M. A.
    (2014). *The Atlas of Economic Complexity: Mapping Paths to Prosperity*. MIT Press.

    Balland, P.-A., & Rigby, D. (2017). The geography of complex knowledge.
    *Economic Geography*, 93(1), 1-23. https://doi.org/10.1080/00130095.2016.1205947

    Growth Lab at Harvard University. py-ecomplexity (``ecomplexity``), version 0.5.3.
    https://github.com/cid-harvard/py-ecomplexity
    """
    m = validated(M, "specialisation matrix", binary=True)
    k_r, k_d = m.sum(axis=1), m.sum(axis=0)
    _check_degrees(k_r, M.index, "region", "diversity", "domain")
    _check_degrees(k_d, M.columns, "domain", "ubiquity", "region")
    used: int | None = None
    if method == "eigenvector":
        raw_d, spectrum = _eigenvector(m, k_r, k_d)
        value = float(spectrum[1])
    elif method == "reflections":
        raw_d, value, used = _reflections(m, k_r, k_d, iterations)
        spectrum = _top_eigenvalues(m, k_r, k_d)
    else:
        raise InputError(f"unknown complexity method {method!r}; expected 'eigenvector' or 'reflections'")
    eci, pci = _standardised(m, k_r, k_d, raw_d)
    eci_series = pd.Series(eci, index=M.index, name="eci")
    diversity = pd.Series(k_r.astype(np.int64), index=M.index, name="diversity")
    return ComplexityResult(
        eci=eci_series,
        pci=pd.Series(pci, index=M.columns, name="pci"),
        diversity=diversity,
        ubiquity=pd.Series(k_d.astype(np.int64), index=M.columns, name="ubiquity"),
        method=method,
        eigenvalue=value,
        iterations=used,
        diagnostics=complexity_diagnostics(M, eci_series, spectrum, null_draws=null_draws),
    )


def _check_degrees(degree: np.ndarray, labels: pd.Index, name: str, measure: str, other: str) -> None:
    zero = np.flatnonzero(degree == 0)
    if zero.size:
        shown = ", ".join(repr(labels[i]) for i in zero[:5]) + (
            f" and {zero.size - 5} more" if zero.size > 5 else ""
        )
        raise InputError(
            f"complexity: {zero.size} {name}(s) have {measure} 0 ({shown}): they are specialised in no "
            f"{other} and have no complexity; expected every {name} to have at least one 1 "
            "(drop them first, e.g. M.loc[M.sum(axis=1) > 0, M.sum(axis=0) > 0])"
        )


def _eigenvector(m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw domain complexity ``kd`` (second eigenvector of ``U^-1 M^T D^-1 M``) and the
    eigenvalues in decreasing order (all of them, or the top three from the sparse solver).

    Solves the symmetric similar matrix ``S = U^-1/2 M^T D^-1 M U^-1/2`` (``kd = U^-1/2 v``) on
    the domain side, or ``D^-1/2 M U^-1 M^T D^-1/2`` on the region side when that is smaller.
    """
    n_regions, n_domains = m.shape
    domain_side = n_domains <= n_regions
    if min(n_regions, n_domains) > DENSE_LIMIT:
        values, vectors = _sparse_top3(m, k_r, k_d, domain_side)
    else:
        a = m / np.sqrt(k_r)[:, np.newaxis] / np.sqrt(k_d)[np.newaxis, :]  # D^-1/2 M U^-1/2
        values, vectors = np.linalg.eigh(a.T @ a if domain_side else a @ a.T)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    _check_spectrum(values)
    if domain_side:
        return vectors[:, 1] / np.sqrt(k_d), values
    raw_r = vectors[:, 1] / np.sqrt(k_r)
    return (m.T @ raw_r) / k_d / values[1], values


def _top_eigenvalues(m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``D^-1 M U^-1 M^T`` in decreasing order (for the reflections' diagnostics)."""
    domain_side = m.shape[1] <= m.shape[0]
    if min(m.shape) > DENSE_LIMIT:
        values, _ = _sparse_top3(m, k_r, k_d, domain_side)
    else:
        a = m / np.sqrt(k_r)[:, np.newaxis] / np.sqrt(k_d)[np.newaxis, :]
        values = np.linalg.eigvalsh(a.T @ a if domain_side else a @ a.T)
    return np.sort(values)[::-1]


def _sparse_top3(
    m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray, domain_side: bool
) -> tuple[np.ndarray, np.ndarray]:
    a = (
        scipy.sparse.diags(1 / np.sqrt(k_r))
        @ scipy.sparse.csr_array(m)
        @ scipy.sparse.diags(1 / np.sqrt(k_d))
    )
    a = scipy.sparse.csr_array(a)
    at = scipy.sparse.csr_array(a.T)
    n = a.shape[1] if domain_side else a.shape[0]

    def matvec(v: np.ndarray) -> np.ndarray:
        v = np.ravel(v)
        return np.asarray(at @ (a @ v) if domain_side else a @ (at @ v))

    op = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=float)
    values, vectors = scipy.sparse.linalg.eigsh(op, k=3, which="LA")
    return values, vectors


def _check_spectrum(values: np.ndarray) -> None:
    if len(values) < 2:
        raise InputError("complexity needs at least two regions and two domains")
    if values[1] <= EIGEN_TOL:
        raise InputError(
            "complexity: every region gets the same complexity value, so the ECI is undefined "
            "(e.g. all regions are specialised in the same domains); expected regions that differ"
        )
    if values[1] > 1 - EIGEN_TOL:
        parts = int(np.sum(values > 1 - EIGEN_TOL))
        raise InputError(
            f"complexity: the region-domain specialisation network falls into {parts} disconnected "
            "parts, so ECI only separates the parts; expected a connected network "
            "(compute complexity for each part separately)"
        )
    if len(values) > 2 and values[1] - values[2] <= EIGEN_TOL * max(values[1], 1e-300):
        raise InputError(
            f"complexity: the second eigenvalue ({values[1]:.6g}) is repeated, so ECI is not unique; "
            "expected a specialisation matrix with a distinct second eigenvalue"
        )


def _reflections(
    m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray, iterations: int | None
) -> tuple[np.ndarray, float, int]:
    """Raw domain complexity ``k[d,N-1]`` by the method of reflections, ``l2`` estimate, ``N``."""
    if iterations is not None and (
        isinstance(iterations, bool)
        or not isinstance(iterations, int | np.integer)
        or iterations < 2
        or iterations % 2
    ):
        raise InputError(f"iterations must be an even integer >= 2, got {iterations!r}")
    limit = REFLECTIONS_MAX if iterations is None else int(iterations)
    _check_connected(m)
    kr, norm = _deflated(k_r.astype(float), k_r)
    if not norm:
        raise InputError(
            "complexity: the method of reflections starts from diversity, which is the same for every "
            "region, so every even reflection is constant; use method='eigenvector'"
        )
    done, z = 2, _zscore(kr)
    while done < limit:
        kr, _ = _deflated(_reflect(m, k_r, k_d, kr), k_r)
        previous, z, done = z, _zscore(kr), done + 2
        if iterations is None and np.max(np.abs(z - previous)) <= REFLECTIONS_TOL:
            break
    else:
        if iterations is None:
            warnings.warn(
                f"complexity: the method of reflections did not converge in {REFLECTIONS_MAX} reflections "
                "(second and third eigenvalues close); using the last iterate",
                RuntimeWarning,
                stacklevel=3,
            )
    _, value = _deflated(_reflect(m, k_r, k_d, kr), k_r)  # |Mr v| for a unit v without the constant part
    return (m.T @ kr) / k_d, value, done


def _check_connected(m: np.ndarray) -> None:
    """Raise when the bipartite region-domain network has more than one component."""
    edges = scipy.sparse.csr_array(m)
    graph = scipy.sparse.block_array([[None, edges], [edges.T, None]], format="csr")
    parts, _ = scipy.sparse.csgraph.connected_components(graph, directed=False)
    if parts > 1:
        raise InputError(
            f"complexity: the region-domain specialisation network falls into {parts} disconnected "
            "parts, so ECI only separates the parts; expected a connected network "
            "(compute complexity for each part separately)"
        )


def _reflect(m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray, kr: np.ndarray) -> np.ndarray:
    """Two reflections: ``k[r,n+2] = D^-1 M U^-1 M^T k[r,n]``."""
    return (m @ ((m.T @ kr) / k_d)) / k_r


def _deflated(kr: np.ndarray, k_r: np.ndarray) -> tuple[np.ndarray, float]:
    """Remove the eigenvalue-1 component (diversity-weighted mean) and rescale to unit norm."""
    centred = kr - (k_r @ kr) / k_r.sum()
    norm = float(np.linalg.norm(centred))
    return (centred / norm, norm) if norm > 1e-14 else (centred, 0.0)


def _zscore(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else np.zeros_like(v)


def _standardised(
    m: np.ndarray, k_r: np.ndarray, k_d: np.ndarray, raw_d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ECI and PCI from the raw domain vector: sign, then the ECI's mean and population sd."""
    raw_r = (m @ raw_d) / k_r
    mean, sd = raw_r.mean(), raw_r.std()
    if not sd > 1e-12 * max(float(np.max(np.abs(raw_r))), 1e-300):
        raise InputError(
            "complexity: every region gets the same complexity value, so the ECI is undefined "
            "(e.g. all regions are specialised in the same domains); expected regions that differ"
        )
    sign = _covariance_sign(raw_r, k_r) or -_covariance_sign(raw_d, k_d)
    if sign == 0:
        sign = 1 if raw_r[np.argmax(np.abs(raw_r - mean))] - mean > 0 else -1
    return sign * (raw_r - mean) / sd, sign * (raw_d - mean) / sd


def _covariance_sign(a: np.ndarray, b: np.ndarray) -> int:
    """Sign of the covariance of ``a`` and ``b``, 0 when it vanishes to rounding."""
    da, db = a - a.mean(), b - b.mean()
    cov = float(da @ db)
    if abs(cov) <= 1e-12 * float(np.linalg.norm(da) * np.linalg.norm(db)):
        return 0
    return 1 if cov > 0 else -1
