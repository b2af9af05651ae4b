"""Exact eigenvectors of the LegS matrix: why S4 does not diagonalise it (post 3 of 重温SSM).

Glossary (the letters of the post):

* ``d`` -- state size; ``A`` is the LegS matrix of :func:`blogcode.ssm.hippo.legs`,
  ``A_{n,k} = -sqrt((2n+1)(2k+1))`` (``k < n``), ``-(n+1)`` (``k = n``), ``0`` (``k > n``).
* ``lam`` -- an eigenvalue of ``-A``, one of ``1..d``; ``m = lam - 1`` is the index of the
  first nonzero entry of its eigenvector ``v`` (``-A v = lam v``).
* ``w_n = v_n / sqrt(2n+1)``: with ``R = diag(sqrt(2n+1))``, ``R^{-1} A R`` has the rational
  entries ``-(2k+1)`` (``k < n``) and ``-(n+1)`` (``k = n``) (:func:`legs_rational`), so ``w``
  is rational; normalised ``w_m = 1`` it is ``w_n = (-1)^(n-m) binom(n+m, 2m)``
  (:func:`eigvec_w`).
* ``S_n = sum_{k<=n} sqrt(2k+1) v_k = sum_{k<=n} (2k+1) w_k`` -- the partial sums of the source
  article, normalised ``S_{d-1} = 1`` (:func:`partial_sums`, :func:`partial_sums_closed`).  They
  obey ``S_{n-1} = (lam-n-1)/(lam+n) S_n``, so ``S_{lam-2} = 0`` and ``S_{lam-1} != 0``.

Closed forms (all exact ``Fraction``; derived in the post):

* ``|S_lam|`` at ``lam = d/3``: ``((2d/3)!)^2 / (4d/3-1)!`` (:func:`source_S_third`), which
  behaves like ``(4/3) sqrt(2 pi/3) d^{3/2} 2^{-4d/3}`` (:func:`s_constant`);
* the first nonzero entry of the *unit* eigenvector,
  ``|v_m| / ||v|| = (2m+1) / ((d+m) binom(d+m-1, 2m))`` (:func:`unit_first_entry`), from the
  telescoping sum ``sum_{n=m}^{N} (2n+1) binom(n+m, 2m)^2 = (N+m+1)^2 binom(N+m, 2m)^2/(2m+1)``;
  at ``m = d/3`` it behaves like ``sqrt(2 pi/3) sqrt(d) 2^{-4d/3}`` (:func:`v_constant`);
* ``|S_{lam-1}| = |v_m| / ||v||`` and ``|S_lam| = 2 lam |S_{lam-1}|``.

The eigenvector matrix ``V`` (unit columns) is ``R W0 diag(1/||R w^{(m)}||)`` with the integer
matrix ``W0[n, m] = (-1)^(n-m) binom(n+m, 2m)``, whose inverse has the ballot numbers
``(2m+1)/(n+m+1) binom(2n, n-m)`` (all positive) as entries (:func:`ballot_inverse`).  So
``V^{-1}`` is known in closed form and ``cond_2(V) = sigma_max(V) sigma_max(V^{-1})`` follows
to float64 accuracy (:func:`eigvec_cond2`), without ever resolving the tiny ``sigma_min(V)``;
:func:`eigvec_cond2_mpmath` checks it with a high-precision SVD.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "legs_rational",
    "eigvec_w",
    "eigvec_bruteforce",
    "partial_sums",
    "partial_sums_closed",
    "partial_sums_bruteforce",
    "source_S_third",
    "unit_first_entry",
    "unit_first_entry_sq_bruteforce",
    "s_constant",
    "v_constant",
    "to_mpf",
    "mantissa_exponent",
    "erratum_rows",
    "ballot_inverse",
    "eigvec_matrix",
    "eigvec_matrix_inverse",
    "eigvec_cond2",
    "eigvec_cond2_mpmath",
    "component_spread_sq",
]


# ----------------------------------------------------------------------------- validation
def _check_d(d) -> int:
    if isinstance(d, bool) or int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    return int(d)


def _check_lam(d: int, lam) -> int:
    if isinstance(lam, bool) or int(lam) != lam or not 1 <= lam <= d:
        raise ValueError(f"lam must be an eigenvalue of -A, an integer in 1..{d}, got {lam!r}")
    return int(lam)


def _check_third(d) -> int:
    d = _check_d(d)
    if d % 3:
        raise ValueError(f"d must be a multiple of 3 for lam = d/3, got {d}")
    return d


# ----------------------------------------------------------------------------- brute force
def legs_rational(d: int) -> list[list[Fraction]]:
    """``R^{-1} A R`` for the LegS ``A`` and ``R = diag(sqrt(2n+1))``: exact, rational.

    Entries ``-(2k+1)`` below the diagonal, ``-(n+1)`` on it, ``0`` above; its eigenvectors are
    ``w = R^{-1} v``.

    >>> [[int(x) for x in row] for row in legs_rational(3)]
    [[-1, 0, 0], [-1, -2, 0], [-1, -3, -3]]
    """
    d = _check_d(d)
    return [
        [Fraction(-(2 * k + 1)) if k < n else Fraction(-(n + 1)) if k == n else Fraction(0)
         for k in range(d)]
        for n in range(d)
    ]


def eigvec_bruteforce(d: int, lam: int) -> list[Fraction]:
    """The eigenvector ``w`` (``v = R w``) of ``-A`` for ``lam`` by exact elimination.

    Solves ``(R^{-1} A R + lam I) w = 0`` row by row with ``Fraction`` arithmetic: the matrix is
    lower triangular, row ``m = lam - 1`` is the only one with a zero pivot, so ``w_n = 0``
    for ``n < m``, ``w_m = 1`` is free and each later row fixes one more entry.  No closed form
    is used (compare :func:`eigvec_w`).

    >>> [str(x) for x in eigvec_bruteforce(4, 2)]
    ['0', '1', '-3', '6']
    """
    d = _check_d(d)
    lam = _check_lam(d, lam)
    M = legs_rational(d)
    for i in range(d):
        M[i][i] += lam
    w = [Fraction(0)] * d
    m = lam - 1
    w[m] = Fraction(1)
    for n in range(d):
        if n == m:
            continue
        rest = sum((M[n][k] * w[k] for k in range(n)), Fraction(0))
        if M[n][n] == 0:  # pragma: no cover - only row m has a zero pivot
            raise ArithmeticError("unexpected zero pivot")
        w[n] = -rest / M[n][n]
    return w


def eigvec_w(d: int, m: int) -> list[int]:
    """Closed form of :func:`eigvec_bruteforce`: ``w_n = (-1)^(n-m) binom(n+m, 2m)``, ``n >= m``.

    The eigenvalue of ``-A`` is ``m + 1``; ``v_n = sqrt(2n+1) w_n``.

    >>> eigvec_w(4, 1)
    [0, 1, -3, 6]
    """
    d = _check_d(d)
    _check_lam(d, m + 1)
    return [0 if n < m else (-1) ** (n - m) * math.comb(n + m, 2 * m) for n in range(d)]


def partial_sums_bruteforce(d: int, lam: int) -> list[Fraction]:
    """``S_n = sum_{k<=n} (2k+1) w_k`` of the brute-force eigenvector, scaled to ``S_{d-1} = 1``.

    >>> [str(x) for x in partial_sums_bruteforce(6, 2)]
    ['0', '1/35', '-4/35', '2/7', '-4/7', '1']
    """
    w = eigvec_bruteforce(d, lam)
    S, acc = [], Fraction(0)
    for k, wk in enumerate(w):
        acc += (2 * k + 1) * wk
        S.append(acc)
    return [s / S[-1] for s in S]


# ----------------------------------------------------------------------------- partial sums
def partial_sums(d: int, lam: int) -> list[Fraction]:
    """The source's recursion ``S_{n-1} = (lam-n-1)/(lam+n) S_n`` from ``S_{d-1} = 1``.

    >>> [str(x) for x in partial_sums(6, 2)]
    ['0', '1/35', '-4/35', '2/7', '-4/7', '1']
    """
    d = _check_d(d)
    lam = _check_lam(d, lam)
    S = [Fraction(0)] * d
    S[d - 1] = Fraction(1)
    for n in range(d - 1, 0, -1):
        S[n - 1] = Fraction(lam - n - 1, lam + n) * S[n]
    return S


def partial_sums_closed(d: int, lam: int) -> list[Fraction]:
    """``S_n = (-1)^(d-n-1) (d-lam)! (n+lam)! / ((d+lam-1)! (n-lam+1)!)`` for ``n >= lam-1``,
    ``0`` below (so ``S_{lam-2}`` is the last zero).

    >>> partial_sums_closed(6, 2) == partial_sums(6, 2)
    True
    """
    d = _check_d(d)
    lam = _check_lam(d, lam)
    f = math.factorial
    return [
        Fraction(0) if n < lam - 1 else
        Fraction((-1) ** (d - n - 1) * f(d - lam) * f(n + lam), f(d + lam - 1) * f(n - lam + 1))
        for n in range(d)
    ]


def source_S_third(d: int) -> Fraction:
    """The source's ``|S_{d/3}| = ((2d/3)!)^2 / (4d/3 - 1)!`` (eigenvalue ``lam = d/3``).

    >>> source_S_third(6) == abs(partial_sums(6, 2)[2])
    True
    """
    d = _check_third(d)
    f = math.factorial
    return Fraction(f(2 * d // 3) ** 2, f(4 * d // 3 - 1))


# ----------------------------------------------------------------------------- unit eigenvector
def unit_first_entry(d: int, m: int) -> Fraction:
    """``|v_m| / ||v||`` for the eigenvalue ``m + 1`` of ``-A``, in closed form:
    ``(2m+1) / ((d+m) binom(d+m-1, 2m))`` -- a rational number.

    >>> unit_first_entry(3, 0)
    Fraction(1, 3)
    """
    d = _check_d(d)
    _check_lam(d, m + 1)
    return Fraction(2 * m + 1, (d + m) * math.comb(d + m - 1, 2 * m))


def unit_first_entry_sq_bruteforce(d: int, m: int) -> Fraction:
    """``(|v_m| / ||v||)^2 = (2m+1) w_m^2 / sum_n (2n+1) w_n^2`` summed term by term from
    :func:`eigvec_bruteforce` (for small ``d``) -- no closed form.

    >>> unit_first_entry_sq_bruteforce(3, 0) == unit_first_entry(3, 0) ** 2
    True
    """
    w = eigvec_bruteforce(d, m + 1)
    return (2 * m + 1) * w[m] ** 2 / sum((2 * n + 1) * x * x for n, x in enumerate(w))


def component_spread_sq(d: int, m: int) -> Fraction:
    """``max_n |v_n| / min_{v_n != 0} |v_n|`` for the eigenvalue ``m + 1``, squared (rational):
    the entries grow with ``n``, so it is ``(2d-1)/(2m+1) binom(d-1+m, 2m)^2``.

    >>> component_spread_sq(3, 0)
    Fraction(5, 1)
    """
    d = _check_d(d)
    _check_lam(d, m + 1)
    return Fraction(2 * d - 1, 2 * m + 1) * math.comb(d - 1 + m, 2 * m) ** 2


# ----------------------------------------------------------------------------- asymptotics
def s_constant(dps: int = 30):
    """``(4/3) sqrt(2 pi / 3)``: the limit of ``|S_{d/3}| / (d^{3/2} 2^{-4d/3})`` (mpmath)."""
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.mpf(4) / 3 * mpmath.sqrt(2 * mpmath.pi / 3)


def v_constant(dps: int = 30):
    """``sqrt(2 pi / 3)``: the limit of ``(|v_m|/||v||) / (sqrt(d) 2^{-4d/3})`` at ``m = d/3``."""
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.sqrt(2 * mpmath.pi / 3)


def to_mpf(x: Fraction, dps: int = 30):
    """An exact ``Fraction`` as an mpmath number (no float underflow: ``10^-1200`` is fine)."""
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.mpf(x.numerator) / x.denominator


def mantissa_exponent(x, digits: int = 4) -> tuple[float, int]:
    """``x = mant * 10^exp`` with ``1 <= |mant| < 10`` rounded to ``digits`` significant
    digits, for numbers far outside the float range (``Fraction`` or mpmath).

    >>> mantissa_exponent(Fraction(3, 10**1500))
    (3.0, -1500)
    """
    import mpmath

    with mpmath.workdps(digits + 20):
        y = to_mpf(x, digits + 20) if isinstance(x, Fraction) else mpmath.mpf(x)
        if y == 0:
            return 0.0, 0
        e = int(mpmath.floor(mpmath.log10(abs(y))))
        mant = float(mpmath.nstr(y / mpmath.mpf(10) ** e, digits))
        if abs(mant) >= 10:  # rounding carried into the next decade
            mant, e = mant / 10, e + 1
        return mant, e


def erratum_rows(ds, dps: int = 40) -> list[dict]:
    """For each ``d`` (a multiple of 3): the source's ``|S_{d/3}|`` and the unit eigenvector's
    first entry at ``m = d/3``, exact, with their ratios to ``d^p 2^{-4d/3}``.

    Keys: ``d``; ``S`` (Fraction, :func:`source_S_third`) with ``S_half`` / ``S_three_half``
    (mpf: ``S / (d^{1/2} 2^{-4d/3})`` and ``S / (d^{3/2} 2^{-4d/3})``); ``v`` (Fraction,
    :func:`unit_first_entry` at ``m = d/3``) with ``v_half``; ``S_prev`` (Fraction: the unit
    eigenvector's first entry for the *same* eigenvalue ``lam = d/3``, i.e. ``m = d/3 - 1``)
    and ``identity`` (``S == (2d/3) * S_prev`` exactly); ``S_recursion`` (``S`` equals the
    recursion's ``|S_{d/3}|``, only checked for ``d <= 300``, else ``None``).
    """
    import mpmath

    rows = []
    with mpmath.workdps(dps):
        for d in ds:
            d = _check_third(d)
            S = source_S_third(d)
            scale = mpmath.mpf(2) ** (-mpmath.mpf(4 * d) / 3)
            v = unit_first_entry(d, d // 3)
            S_prev = unit_first_entry(d, d // 3 - 1)
            rec = abs(partial_sums(d, d // 3)[d // 3]) == S if d <= 300 else None
            rows.append(dict(
                d=d, S=S, v=v, S_prev=S_prev,
                S_half=to_mpf(S, dps) / (mpmath.sqrt(d) * scale),
                S_three_half=to_mpf(S, dps) / (mpmath.mpf(d) ** 1.5 * scale),
                v_half=to_mpf(v, dps) / (mpmath.sqrt(d) * scale),
                identity=S == Fraction(2 * d, 3) * S_prev,
                S_recursion=rec,
            ))
    return rows


# ----------------------------------------------------------------------------- the matrix V
def ballot_inverse(d: int) -> list[list[int]]:
    """The inverse of ``W0[n, m] = (-1)^(n-m) binom(n+m, 2m)``: the ballot numbers
    ``X[n, m] = (2m+1)/(n+m+1) binom(2n, n-m)`` (``n >= m``), all positive integers.

    >>> ballot_inverse(4)[3]
    [5, 9, 5, 1]
    """
    d = _check_d(d)
    return [
        [(2 * m + 1) * math.comb(2 * n, n - m) // (n + m + 1) if n >= m else 0
         for m in range(d)]
        for n in range(d)
    ]


def _col_norms(d: int) -> list[float]:
    # ||R w^{(m)}|| = (d+m) binom(d+m-1, 2m) / sqrt(2m+1), from the telescoping sum
    return [(d + m) * math.comb(d + m - 1, 2 * m) / math.sqrt(2 * m + 1) for m in range(d)]


def eigvec_matrix(d: int) -> np.ndarray:
    """The LegS eigenvector matrix ``V`` with unit columns (column ``m``: eigenvalue ``-(m+1)``
    of ``A``, first entry positive), each entry the float64 rounding of its closed form.

    >>> V = eigvec_matrix(4)
    >>> bool(np.allclose(np.linalg.norm(V, axis=0), 1))
    True
    """
    d = _check_d(d)
    W, nrm = eigvec_w, _col_norms(d)
    V = np.zeros((d, d))
    for m in range(d):
        w = W(d, m)
        for n in range(m, d):
            V[n, m] = math.sqrt(2 * n + 1) * (w[n] / nrm[m])
    return V


def eigvec_matrix_inverse(d: int) -> np.ndarray:
    """``V^{-1} = diag(||R w^{(m)}||) X R^{-1}`` with the ballot matrix ``X`` of
    :func:`ballot_inverse`: every entry is positive and the float64 rounding of its closed
    form (no numerical inversion).

    >>> d = 6
    >>> bool(np.allclose(eigvec_matrix_inverse(d) @ eigvec_matrix(d), np.eye(d)))
    True
    """
    d = _check_d(d)
    X, nrm = ballot_inverse(d), _col_norms(d)
    Vi = np.zeros((d, d))
    for i in range(d):
        for j in range(i + 1):
            Vi[i, j] = nrm[i] * X[i][j] / math.sqrt(2 * j + 1)
    return Vi


def eigvec_cond2(d: int) -> dict:
    """The 2-norm condition number of :func:`eigvec_matrix` without a numerical inverse.

    ``sigma_max(V)`` and ``sigma_max(V^{-1}) = 1 / sigma_min(V)`` are largest singular values,
    which rounding moves only by ``~ eps * ||.||`` (Weyl); ``V^{-1}`` is entrywise positive, so
    that is a relative error ``~ eps``.  Returns ``sigma_max``, ``sigma_min`` (exact, as
    ``1/sigma_max(V^{-1})``), ``cond``, and ``sigma_min_svd`` -- what a float64 SVD of ``V``
    itself reports for the smallest singular value (noise below ``~ eps * sigma_max``).
    """
    V = eigvec_matrix(d)
    s = np.linalg.svd(V, compute_uv=False)
    smax = float(s[0])
    smax_inv = float(np.linalg.norm(eigvec_matrix_inverse(d), 2))
    return dict(sigma_max=smax, sigma_min=1.0 / smax_inv, cond=smax * smax_inv,
                sigma_min_svd=float(s[-1]))


def eigvec_cond2_mpmath(d: int, dps: int = 120):
    """``cond_2(V)`` from an mpmath SVD at ``dps`` digits of the exact ``V`` (slow: about 4 s at
    ``d = 64``); returns an mpf.  The cross-check of :func:`eigvec_cond2`."""
    import mpmath

    d = _check_d(d)
    with mpmath.workdps(dps):
        nrm = [(d + m) * math.comb(d + m - 1, 2 * m) / mpmath.sqrt(2 * m + 1) for m in range(d)]
        V = mpmath.matrix(d, d)
        for m in range(d):
            w = eigvec_w(d, m)
            for n in range(m, d):
                V[n, m] = mpmath.sqrt(2 * n + 1) * w[n] / nrm[m]
        s = mpmath.svd_r(V, compute_uv=False)
        sv = [s[i] for i in range(d)]
        return max(sv) / min(sv)
