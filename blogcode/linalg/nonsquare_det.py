"""Determinants of non-square matrices: the k-volume spanned by k columns in R^n.

Glossary (one letter, one meaning):

* ``B`` -- an ``[n, k]`` matrix with ``k <= n``; its columns ``b_1, ..., b_k`` live in R^n.
* ``n`` -- the dimension of the ambient space; ``k`` -- the number of vectors.
* ``S`` -- a k-subset of the row indices ``{0, ..., n-1}``; ``B_S`` the ``[k, k]`` minor's matrix.

The volume of the parallelotope ``{sum_i t_i b_i : 0 <= t_i <= 1}`` is

    vol(B) = |det B| := sqrt(det(B^T B))                      (Gram determinant)
           = |det C|          where B = U C, U^T U = I_k      (thin QR)
           = sigma_1 ... sigma_k                               (singular values)
           = sqrt(sum_S det(B_S)^2)                             (Cauchy--Binet)

For ``k = n`` all four reduce to ``|det B|``.  Forming ``B^T B`` squares the condition number,
so :func:`gram_det` loses twice as many digits as :func:`volume_via_qr` or the singular values;
:func:`abs_det` uses the singular values by default.

The module also holds the pieces of the argument why a *signed*, multilinear determinant with
the volume meaning exists only for square matrices: :func:`compound_matrix` (how minors
transform), :func:`invariant_form_dimension` (rotation-invariant alternating k-forms on R^n),
:func:`swap_path` (a continuous path of full-rank matrices that swaps two columns when
``k < n``) and :func:`integer_volume_counts` (how rarely integer matrices have integer volume).

>>> import numpy as np
>>> abs_det(np.array([[3.0], [4.0]]))
5.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "abs_det",
    "abs_det_mp",
    "cauchy_binet_sq",
    "compound_matrix",
    "gram_det",
    "integer_volume_counts",
    "invariant_form_dimension",
    "minors",
    "random_rotation",
    "surface_area",
    "swap_path",
    "volume_via_qr",
    "volume_via_svd",
]

_METHODS = ("svd", "qr", "gram")


def _as_matrix(B: object, name: str = "B", *, batch: bool = True, tall: bool = True) -> np.ndarray:
    """Validate ``B`` as a real ``[..., n, k]`` array (``k <= n`` if ``tall``) in float64."""
    arr = np.asarray(B)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == np.bool_
    ):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if batch and arr.ndim < 2:
        raise ValueError(
            f"{name} must have shape [..., n, k] (at least 2-D), got shape {arr.shape}"
        )
    if not batch and arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix [n, k], got shape {arr.shape}")
    n, k = arr.shape[-2:]
    if n == 0 or k == 0:
        raise ValueError(f"{name} must have n >= 1 rows and k >= 1 columns, got shape {arr.shape}")
    if tall and k > n:
        raise ValueError(
            f"{name} has k={k} columns in R^{n}: more columns than rows, so the k-volume is 0; "
            f"for the volume spanned by the rows, pass the transpose (shape [{k}, {n}])"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def gram_det(B: np.ndarray) -> np.ndarray | float:
    """``det(B^T B)`` for ``B`` of shape ``[..., n, k]``, forming the Gram matrix naively.

    This is the textbook formula; in floating point it squares the condition number of ``B``
    and may even come out slightly negative for nearly dependent columns.
    """
    b = _as_matrix(B)
    g = np.swapaxes(b, -1, -2) @ b  # [..., k, k]
    out = np.linalg.det(g)
    return float(out) if out.ndim == 0 else out


def volume_via_qr(B: np.ndarray) -> np.ndarray | float:
    """``|det C|`` where ``B = U C`` is the thin QR factorisation (``U^T U = I_k``).

    Since ``B^T B = C^T U^T U C = C^T C``, ``|det C| = sqrt(det(B^T B))``; ``C`` is upper
    triangular, so ``|det C| = prod_i |C_ii|``.  Householder QR is backward stable.
    """
    b = _as_matrix(B)
    r = np.linalg.qr(b, mode="r")  # [..., k, k]
    out = np.prod(np.abs(np.diagonal(r, axis1=-2, axis2=-1)), axis=-1)
    return float(out) if out.ndim == 0 else out


def volume_via_svd(B: np.ndarray) -> np.ndarray | float:
    """``sigma_1 * ... * sigma_k``, the product of the singular values of ``B``.

    With ``B = P diag(sigma) V^T`` (``P`` of shape ``[n, k]`` with orthonormal columns),
    ``B^T B = V diag(sigma^2) V^T`` and ``det(B^T B) = prod sigma_i^2``.
    """
    b = _as_matrix(B)
    s = np.linalg.svd(b, compute_uv=False)
    out = np.prod(s, axis=-1)
    return float(out) if out.ndim == 0 else out


def abs_det(B: np.ndarray, method: str = "svd") -> np.ndarray | float:
    """The k-volume ``|det B| = sqrt(det(B^T B))`` of the columns of ``B`` (``[..., n, k]``).

    ``method``: ``"svd"`` (default, product of singular values), ``"qr"`` (diagonal of the
    QR factor) or ``"gram"`` (the naive Gram determinant, clipped at 0 before the square
    root).  For a square ``B`` this is ``|det B|``; for ``k = 1`` the Euclidean norm; for
    ``n = 3, k = 2`` the area ``|u x v|`` of the parallelogram.

    >>> abs_det([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    1.0
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "svd":
        return volume_via_svd(B)
    if method == "qr":
        return volume_via_qr(B)
    g = np.asarray(gram_det(B))
    out = np.sqrt(np.maximum(g, 0.0))
    return float(out) if out.ndim == 0 else out


def minors(B: np.ndarray) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """All maximal (``k x k``) minors of a single ``[n, k]`` matrix ``B``.

    Returns ``(subsets, values)``: the row subsets ``S`` in lexicographic order and
    ``det(B_S)`` for each, an array of length ``C(n, k)``.  A multilinear alternating function
    of the columns of ``B`` is exactly a linear combination of these.
    """
    b = _as_matrix(B, batch=False)
    n, k = b.shape
    subsets = list(itertools.combinations(range(n), k))
    values = np.linalg.det(b[np.array(subsets)])  # [C(n,k), k, k] -> [C(n,k)]
    return subsets, values


def cauchy_binet_sq(B: np.ndarray) -> float:
    """``sum_S det(B_S)^2``, which the Cauchy--Binet formula says equals ``det(B^T B)``.

    Geometrically: the squared k-volume is the sum of the squared volumes of the projections
    onto the ``C(n, k)`` coordinate k-planes (a Pythagorean theorem for volumes).
    """
    _, values = minors(B)
    return float(np.sum(values**2))


def compound_matrix(A: np.ndarray, k: int) -> np.ndarray:
    """The k-th compound of a square ``[n, n]`` matrix: entries ``det(A[S, T])``.

    Rows and columns are indexed by k-subsets in lexicographic order.  By Cauchy--Binet the
    minors of ``A B`` are ``compound_matrix(A, k) @ minors(B)`` for any ``[n, k]`` ``B``.
    """
    a = _as_matrix(A, batch=False, tall=False)
    n = a.shape[0]
    if a.shape[1] != n:
        raise ValueError(f"A must be square, got shape {a.shape}")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer with 1 <= k <= n={n}, got {k!r}")
    subsets = np.array(list(itertools.combinations(range(n), k)))
    sub = a[subsets[:, None, :, None], subsets[None, :, None, :]]  # [m, m, k, k]
    return np.linalg.det(sub)


def random_rotation(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random rotation in SO(n) (QR of a Gaussian matrix with sign fix, det +1)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def invariant_form_dimension(n: int, k: int, n_rotations: int = 6, seed: int = 0,
                             tol: float = 1e-9) -> int:
    """Dimension of the space of multilinear alternating functions ``D`` of ``k`` vectors in
    R^n with ``D(Q B) = D(B)`` for every rotation ``Q`` in SO(n).

    Such a ``D`` is ``c . minors(B)``; invariance means ``c^T (compound(Q, k) - I) = 0``.
    The answer is the null-space dimension of the stacked constraints for a few random
    rotations (random rotations generate SO(n), so a handful suffices): 1 for ``k = n``
    (the determinant itself) and 0 for ``1 <= k < n``.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer with 1 <= k <= n={n}, got {k!r}")
    rng = np.random.default_rng(seed)
    m = math.comb(n, k)
    rows = [compound_matrix(random_rotation(n, rng), k).T - np.eye(m) for _ in range(n_rotations)]
    s = np.linalg.svd(np.vstack(rows), compute_uv=False)
    return int(m - np.sum(s > tol * max(1.0, s[0])))


def swap_path(B: np.ndarray, num: int = 65) -> np.ndarray:
    """A continuous path ``B(t) = G R(t) E``, ``t in [0, 1]``, of full-rank ``[n, k]`` matrices
    from ``B`` to ``B`` with its first two columns swapped; it exists only when ``k < n``.

    ``G = [B, N]`` is invertible (``N`` an orthonormal basis of the complement of the column
    space), ``E = [e_1..e_k]`` and ``R(t)`` rotates by ``pi t`` about the axis
    ``(e_1 + e_2)/sqrt 2`` inside ``span(e_1, e_2, e_{k+1})``: ``R(1)`` swaps ``e_1, e_2`` and
    flips ``e_{k+1}``, which is outside the columns.  Returns an array ``[num, n, k]``.
    """
    b = _as_matrix(B, batch=False)
    n, k = b.shape
    if k < 2:
        raise ValueError(f"swapping columns needs k >= 2 columns, got k={k}")
    if k == n:
        raise ValueError("for a square B no such path exists: det keeps its sign along any "
                         "path of invertible matrices, and swapping two columns flips it")
    if not isinstance(num, (int, np.integer)) or num < 2:
        raise ValueError(f"num must be an integer >= 2, got {num!r}")
    s = np.linalg.svd(b, compute_uv=False)
    if s[-1] <= 1e-12 * s[0]:
        raise ValueError("B must have full column rank (its columns are nearly dependent)")
    q, _ = np.linalg.qr(b, mode="complete")
    g = np.hstack([b, q[:, k:]])  # [n, n], invertible
    axis = np.zeros(n)
    axis[[0, 1]] = 1.0 / math.sqrt(2.0)
    e3 = np.zeros(n)
    e3[k] = 1.0
    w = np.zeros(n)  # a unit vector orthogonal to the axis in span(e_1, e_2)
    w[[0, 1]] = (1.0 / math.sqrt(2.0), -1.0 / math.sqrt(2.0))
    out = np.empty((num, n, k))
    for i, t in enumerate(np.linspace(0.0, 1.0, num)):
        c, sn = math.cos(math.pi * t), math.sin(math.pi * t)
        # rotation in the plane span(w, e3), identity elsewhere (axis and the rest fixed)
        rot = (np.eye(n) + (c - 1.0) * (np.outer(w, w) + np.outer(e3, e3))
               + sn * (np.outer(e3, w) - np.outer(w, e3)))
        out[i] = g @ rot[:, :k]
    return out


def integer_volume_counts(n: int, k: int, bound: int) -> tuple[int, int]:
    """Among all integer ``[n, k]`` matrices with entries in ``[-bound, bound]`` and nonzero
    volume, how many have an integer volume ``sqrt(det(B^T B))``?  Returns
    ``(integer_count, nonzero_count)``, computed exactly in integers (Cauchy--Binet minors,
    :func:`math.isqrt`).  For ``k = n`` every count is integer.
    """
    for name, v in (("n", n), ("k", k), ("bound", bound)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if k > n:
        raise ValueError(f"need k <= n, got n={n}, k={k}")
    if (2 * bound + 1) ** (n * k) > 2_000_000:
        raise ValueError("too many matrices to enumerate; lower bound, n or k")
    vals = np.arange(-bound, bound + 1, dtype=np.int64)
    mats = np.array(list(itertools.product(vals, repeat=n * k)), dtype=np.int64).reshape(-1, n, k)
    gram = np.einsum("mij,mil->mjl", mats, mats)  # exact in int64 for small entries
    g = np.rint(np.linalg.det(gram.astype(np.float64))).astype(np.int64)  # small ints: exact
    nz = g[g > 0]
    roots = np.array([math.isqrt(int(x)) for x in nz], dtype=np.int64)
    return int(np.sum(roots * roots == nz)), int(nz.size)


def abs_det_mp(B: np.ndarray, dps: int = 60) -> object:
    """``sqrt(det(B^T B))`` in mpmath at ``dps`` decimal digits, treating the float64 entries
    of ``B`` as exact binary numbers: the high-precision reference for ill-conditioned ``B``."""
    import mpmath

    b = _as_matrix(B, batch=False)
    if not isinstance(dps, (int, np.integer)) or dps < 16:
        raise ValueError(f"dps must be an integer >= 16, got {dps!r}")
    with mpmath.workdps(dps):
        m = mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in b])
        g = m.T * m
        return +mpmath.sqrt(mpmath.det(g))


def surface_area(jacobian: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 u_range: tuple[float, float], v_range: tuple[float, float],
                 m: int = 200) -> float:
    """Area of a parametrised surface ``r(u, v)`` by the midpoint rule on an ``m x m`` grid,
    with area element ``|det J| du dv = sqrt(det(J^T J)) du dv``.

    ``jacobian(u, v)`` takes arrays of shape ``[m, m]`` and returns ``J`` of shape
    ``[m, m, n, 2]``.
    """
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    (u0, u1), (v0, v1) = u_range, v_range
    du, dv = (u1 - u0) / m, (v1 - v0) / m
    u = u0 + du * (np.arange(m) + 0.5)
    v = v0 + dv * (np.arange(m) + 0.5)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    jac = np.asarray(jacobian(uu, vv), dtype=np.float64)
    if jac.shape[:2] != (m, m) or jac.ndim != 4 or jac.shape[-1] != 2:
        raise ValueError(f"jacobian must return shape [m, m, n, 2] = [{m}, {m}, n, 2], "
                         f"got {jac.shape}")
    return float(np.sum(abs_det(jac)) * du * dv)
