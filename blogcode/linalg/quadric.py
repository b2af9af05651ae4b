r"""Simplifying a quadric :math:`x^\top A x + 2 b^\top x + c = 0` (n = 2 or 3) by one procedure.

Glossary (the post's symbols):

* ``A`` [n, n] symmetric, ``b`` [n], ``c`` scalar; the augmented matrix
  :math:`M = \begin{pmatrix} A & b \\ b^\top & c\end{pmatrix}` [n+1, n+1], so that
  :math:`F(x) = (x^\top, 1) M (x^\top, 1)^\top`.
* A rigid motion :math:`x = R y + t` (``R`` orthogonal, :math:`\det R = +1`) turns ``F`` into
  ``F(R y + t) = sum_i quad[i] * y_i**2 + 2 * lin . y + const`` -- the :class:`NormalForm`.
  The identity is exact (no rescaling of the equation), so ``tr A``, ``det A`` and ``det M`` are
  the same for the normal form.

Procedure (:func:`simplify`):

1. ``eigh`` gives :math:`R^\top A R = \operatorname{diag}(\lambda)`; columns are ordered by
   ascending :math:`|\lambda|` (so null directions come first), each column's largest entry is made
   positive, and one column is flipped if needed so that :math:`\det R = +1`.
2. If ``A`` is invertible, translate to the centre :math:`t = -A^{-1} b`; then
   ``const = c - b^T A^{-1} b = det M / det A``.
3. If ``A`` is singular (the parabolic case), replace ``A`` by ``A + eps I``, which has the same
   eigenvectors, so the same ``R``; the perturbed quadric is central, but its centre runs away
   like ``1/eps``. Written about its *bounded vertex* instead of its centre, its normal form is
   ``sum (lambda_i + eps) z_i**2 + 2 q(eps) z_u = 0`` with ``q(eps) = s*sqrt(beta**2 - eps*k)``
   and a vertex ``t(eps)`` that are analytic in ``eps``: :func:`parabolic_limit` follows them over
   a sequence of ``eps`` and takes ``eps -> 0``. :func:`simplify_exact` (sympy) does the exact
   null-space treatment, and :func:`parabolic_limit_symbolic` takes the limit with ``sympy.limit``.

:func:`classify` names the quadric from the invariants ``tr A``, ``det A``, ``det M``, the
signature of ``A`` (read off the characteristic polynomial by Descartes' rule, exact for a
real-rooted polynomial), the ranks, and the semi-invariant ``K`` where those vanish.

>>> nf = simplify([[1, 1], [1, 1]], [1, -1], 0)
>>> [round(float(v), 6) for v in (*nf.quad, *nf.lin, nf.const)]
[0.0, 2.0, -1.414214, 0.0, 0.0]
>>> classify([[1, 1], [1, 1]], [1, -1], 0)
'parabola'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "NormalForm", "ExactNormalForm", "PerturbedForm", "ParabolicLimit", "augmented",
    "invariants", "semi_invariant", "transform", "simplify", "perturbed_form", "parabolic_limit",
    "simplify_exact", "parabolic_limit_symbolic", "classify", "normal_form_expr", "equation_expr",
    "draw_conic", "draw_frame",
]

TOL = 1e-10


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------
def _check(A: Any, b: Any, c: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Validated float64 copies of (A, b, c), or a ValueError saying what is wrong."""
    try:
        A = np.asarray(A, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"A and b must be real numeric arrays ({exc})") from None
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] not in (2, 3):
        raise ValueError(f"A must be a square 2x2 or 3x3 matrix, got shape {A.shape}")
    n = A.shape[0]
    if b.shape != (n,):
        raise ValueError(f"b must have shape ({n},) to match A, got shape {b.shape}")
    if np.ndim(c) != 0:
        raise ValueError(f"c must be a scalar, got shape {np.shape(c)}")
    try:
        c = float(c)
    except (TypeError, ValueError):
        raise ValueError(f"c must be a real number, got {c!r}") from None
    if not (np.isfinite(A).all() and np.isfinite(b).all() and np.isfinite(c)):
        raise ValueError("A, b and c must be finite (no NaN or inf)")
    scale = max(np.abs(A).max(), 1.0)
    if not np.allclose(A, A.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError(
            f"A must be symmetric (write the cross term 2*a12*x*y as a12 in both places); "
            f"max |A - A^T| = {np.abs(A - A.T).max():.3g}"
        )
    if not np.abs(A).max() > 0:
        raise ValueError("A is zero: the equation is not quadratic")
    return (A + A.T) / 2, b, c


def augmented(A: Any, b: Any, c: Any) -> np.ndarray:
    """The augmented matrix ``M = [[A, b], [b^T, c]]`` [n+1, n+1]."""
    A, b, c = _check(A, b, c)
    n = A.shape[0]
    M = np.empty((n + 1, n + 1))
    M[:n, :n], M[:n, n], M[n, :n], M[n, n] = A, b, b, c
    return M


def invariants(A: Any, b: Any, c: Any) -> dict[str, float]:
    """``tr A``, ``det A`` and ``det M`` (unchanged by rigid motions ``x = Q x' + s``)."""
    A, b, c = _check(A, b, c)
    return {"trA": float(np.trace(A)), "detA": float(np.linalg.det(A)),
            "detM": float(np.linalg.det(augmented(A, b, c)))}


def semi_invariant(A: Any, b: Any, c: Any, order: int) -> float:
    r"""``K_order``: the sum of the principal minors of ``M`` of size ``order + 1`` that contain
    its last row and column. It is unchanged by rigid motions when ``rank A <= order`` and
    ``rank M <= order + 1``; for a normal form ``sum lambda_i y_i^2 + k`` it equals
    :math:`k \prod_{\lambda_i \ne 0} \lambda_i` when ``order = rank A``."""
    M = augmented(A, b, c)
    n = M.shape[0] - 1
    if not 1 <= order <= n:
        raise ValueError(f"order must be in 1..{n}, got {order}")
    total = 0.0
    for idx in combinations(range(n), order):
        sel = [*idx, n]
        total += float(np.linalg.det(M[np.ix_(sel, sel)]))
    return total


def transform(A: Any, b: Any, c: Any, Q: Any, s: Any) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Coefficients of ``G(x') = F(Q x' + s)``:
    ``(Q^T A Q, Q^T (A s + b), s^T A s + 2 b^T s + c)``.

    Equivalently ``M' = T^T M T`` with ``T = [[Q, s], [0, 1]]``."""
    A, b, c = _check(A, b, c)
    Q = np.asarray(Q, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    n = A.shape[0]
    if Q.shape != (n, n) or s.shape != (n,):
        raise ValueError(f"Q must be ({n}, {n}) and s ({n},), got {Q.shape} and {s.shape}")
    return Q.T @ A @ Q, Q.T @ (A @ s + b), float(s @ A @ s + 2 * b @ s + c)


# ----------------------------------------------------------------------------------------------
# numeric normal form
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalForm:
    """``F(R y + t) = sum quad[i] y_i^2 + 2 lin . y + const`` for all ``y``.

    ``case`` is ``"central"`` (A invertible, lin = 0), ``"parabolic"`` (lin has one non-zero
    entry ``q`` at index 0 and const = 0) or ``"cylindrical"`` (singular A, no linear term)."""

    R: np.ndarray
    t: np.ndarray
    quad: np.ndarray
    lin: np.ndarray
    const: float
    case: str

    def to_normal(self, x: Any) -> np.ndarray:
        """New coordinates ``y = R^T (x - t)`` of points ``x`` [..., n]."""
        return (np.asarray(x, dtype=np.float64) - self.t) @ self.R

    def to_original(self, y: Any) -> np.ndarray:
        """Original coordinates ``x = R y + t`` of points ``y`` [..., n]."""
        return np.asarray(y, dtype=np.float64) @ self.R.T + self.t

    def evaluate(self, y: Any) -> np.ndarray:
        """The normal-form polynomial at points ``y`` [..., n]."""
        y = np.asarray(y, dtype=np.float64)
        return (y**2) @ self.quad + 2 * y @ self.lin + self.const


def _rotation(A: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Eigen-decomposition ordered by ascending |lambda| with sign-fixed columns.

    Returns ``(lam, R, r0)`` where the first ``r0`` eigenvalues are numerically zero (set to 0)."""
    lam, R = np.linalg.eigh(A)
    order = np.lexsort((-lam, np.abs(lam)))  # ascending |lambda|, ties: larger lambda first
    lam, R = lam[order], R[:, order]
    big = np.argmax(np.abs(R), axis=0)
    R = R * np.sign(R[big, np.arange(R.shape[1])])
    zero = np.abs(lam) <= tol * np.abs(lam).max()
    lam = np.where(zero, 0.0, lam)
    return lam, R, int(zero.sum())


@dataclass(frozen=True)
class PerturbedForm:
    """Normal form of ``F_eps(x) = F(x) + eps |x|^2`` about its bounded vertex (or centre).

    ``F_eps(R z + t) = sum quad z_i^2 + 2 lin . z + const``, ``quad = lambda + eps``."""

    eps: float
    R: np.ndarray
    t: np.ndarray
    quad: np.ndarray
    lin: np.ndarray
    const: float
    centre: np.ndarray  # -(A + eps I)^{-1} b; runs away like 1/eps in the parabolic case


def _setup(A: np.ndarray, b: np.ndarray, c: float, tol: float) -> dict[str, Any]:
    lam, R, r0 = _rotation(A, tol)
    n = A.shape[0]
    beta = R.T @ b
    bn = beta[:r0]
    bnorm = float(np.linalg.norm(bn)) if r0 else 0.0
    scale = max(np.abs(b).max(), abs(c) ** 0.5, 1e-300) * np.abs(lam).max() ** 0.5
    if r0 and bnorm > tol * max(scale, 1.0):
        # Rotate inside the null space so that the null part of b lies along the first axis,
        # oriented so that the parabola opens towards +u when the non-zero lambdas are positive.
        s = -1.0 if lam[r0:].sum() >= 0 else 1.0
        u = R[:, :r0] @ (s * bn / bnorm)
        if r0 == 2:
            w = R[:, :r0] @ np.array([-bn[1], bn[0]]) / bnorm
            R = np.column_stack([u, w, R[:, r0:]])
        else:
            R = np.column_stack([u, R[:, r0:]])
        beta = R.T @ b
        beta[1:r0] = 0.0
        case = "parabolic"
    else:
        case = "central" if r0 == 0 else "cylindrical"
        if r0:
            beta[:r0] = 0.0
    if np.linalg.det(R) < 0:
        R = R.copy()
        R[:, n - 1] *= -1.0  # a non-null column: its coordinate carries no linear term at the end
        beta[n - 1] *= -1.0
    return {"lam": lam, "R": R, "r0": r0, "beta": beta, "case": case, "c": c, "b": b, "A": A}


def _perturbed(st: dict[str, Any], eps: float) -> PerturbedForm:
    lam, R, r0, beta, c = st["lam"], st["R"], st["r0"], st["beta"], st["c"]
    n = len(lam)
    quad = lam + eps
    y = np.zeros(n)
    lin = np.zeros(n)
    rng = slice(r0, n)
    y[rng] = -beta[rng] / quad[rng]
    k = c + float(beta[rng] @ y[rng])  # c - sum beta_i^2 / (lambda_i + eps)
    const = k
    if st["case"] == "parabolic":
        bu = beta[0]
        disc = bu * bu - eps * k
        if disc < 0:
            raise ValueError(f"eps = {eps:g} is too large: the perturbed quadric has no vertex")
        root = np.sqrt(disc)
        # bounded root of eps*y^2 + 2*bu*y + k = 0, in the cancellation-free form
        y[0] = -k / (bu + np.sign(bu) * root)
        lin[0] = np.sign(bu) * root
        const = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        Aeps = st["A"] + eps * np.eye(n)
        try:
            centre = -np.linalg.solve(Aeps, st["b"]) if eps or r0 == 0 else np.full(n, np.inf)
        except np.linalg.LinAlgError:
            centre = np.full(n, np.inf)
    return PerturbedForm(float(eps), R, R @ y, quad, lin, float(const), centre)


def perturbed_form(A: Any, b: Any, c: Any, eps: float, *, tol: float = TOL) -> PerturbedForm:
    """Normal form of the perturbed quadric ``x^T (A + eps I) x + 2 b^T x + c`` written about
    its bounded vertex (parabolic case) or its centre (otherwise). ``eps = 0`` gives the value
    of the continuous extension, i.e. the limit."""
    A, b, c = _check(A, b, c)
    if not np.isfinite(eps):
        raise ValueError(f"eps must be finite, got {eps!r}")
    return _perturbed(_setup(A, b, c, tol), float(eps))


@dataclass(frozen=True)
class ParabolicLimit:
    """The perturbed normal forms along ``eps`` and the limit ``eps -> 0`` (a NormalForm)."""

    eps: np.ndarray
    forms: list[PerturbedForm]
    limit: NormalForm
    errors: np.ndarray  # max |difference| of (t, quad, lin, const) from the limit, per eps


def parabolic_limit(A: Any, b: Any, c: Any, eps: Sequence[float] | None = None, *,
                    tol: float = TOL) -> ParabolicLimit:
    """Follow the perturbed normal form over ``eps`` (default ``2^-1 ... 2^-20`` times a safe
    ``eps0``) and return it with its limit ``eps -> 0``.

    The rotation does not depend on ``eps`` (``A + eps I`` has A's eigenvectors); the vertex
    ``t(eps)``, ``quad = lambda + eps`` and ``q(eps)`` are analytic in ``eps``, so the limit is the
    value of their continuous extension at 0; ``errors`` shows the O(eps) approach, which is
    checked to be monotone."""
    A, b, c = _check(A, b, c)
    st = _setup(A, b, c, tol)
    if st["r0"] == 0:
        raise ValueError("A is invertible: the quadric is central, use simplify()")
    lam, beta = st["lam"], st["beta"]
    if eps is None:
        r0 = st["r0"]
        eps0 = 0.5 * np.abs(lam[r0:]).min()
        if st["case"] == "parabolic":
            # keep beta_u^2 - eps k(eps) > 0: |k(eps)| <= |c| + 2 sum beta_i^2 / |lambda_i|
            kmax = abs(c) + 2.0 * float(np.sum(beta[r0:] ** 2 / np.abs(lam[r0:])))
            eps0 = min(eps0, 0.5 * beta[0] ** 2 / max(kmax, 1e-300))
        eps = eps0 * 2.0 ** -np.arange(1, 21)
    eps = np.asarray(eps, dtype=np.float64)
    if eps.ndim != 1 or eps.size == 0 or not np.all(eps > 0):
        raise ValueError("eps must be a non-empty 1-D sequence of positive numbers")
    lim = _perturbed(st, 0.0)
    limit = NormalForm(lim.R, lim.t, lim.quad, lim.lin, lim.const, st["case"])
    forms = [_perturbed(st, float(e)) for e in eps]
    errors = np.array([
        max(np.abs(f.t - lim.t).max(), np.abs(f.quad - lim.quad).max(),
            np.abs(f.lin - lim.lin).max(), abs(f.const - lim.const))
        for f in forms
    ])
    return ParabolicLimit(eps, forms, limit, errors)


def simplify(A: Any, b: Any, c: Any, *, tol: float = TOL) -> NormalForm:
    """Rigid motion ``x = R y + t`` (``det R = +1``) and normal form of ``x^T A x + 2 b^T x + c``.

    Central case: ``t = -A^{-1} b``, ``const = det M / det A``. Singular A: the ``eps -> 0``
    limit of :func:`parabolic_limit`.

    >>> nf = simplify([[2, 0], [0, 1]], [0, 0], -2)
    >>> nf.quad.tolist(), nf.const, nf.case
    ([1.0, 2.0], -2.0, 'central')
    """
    A, b, c = _check(A, b, c)
    st = _setup(A, b, c, tol)
    if st["r0"]:
        return parabolic_limit(A, b, c, tol=tol).limit
    p = _perturbed(st, 0.0)
    t = -np.linalg.solve(A, b)
    return NormalForm(p.R, t, p.quad, p.lin, float(c + b @ t), "central")


# ----------------------------------------------------------------------------------------------
# exact (sympy) versions
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExactNormalForm:
    """Exact counterpart of :class:`NormalForm` (sympy objects)."""

    R: sp.Matrix
    t: sp.Matrix
    quad: list[sp.Expr]
    lin: list[sp.Expr]
    const: sp.Expr
    case: str


def _exact(e: Any) -> sp.Expr:
    """Exact sympy number: floats are rationalised, exact inputs are kept as they are."""
    e = sp.sympify(e)
    return sp.nsimplify(e, rational=True) if e.has(sp.Float) else e


def _check_exact(A: Any, b: Any, c: Any) -> tuple[sp.Matrix, sp.Matrix, sp.Expr]:
    _check(np.array(sp.Matrix(A).evalf(), dtype=float),
           np.array(sp.Matrix(b).evalf(), dtype=float).ravel(), float(sp.sympify(c)))
    A = sp.Matrix(A).applyfunc(_exact)
    b = sp.Matrix(b).applyfunc(_exact).reshape(A.shape[0], 1)
    if A != A.T:
        raise ValueError("A must be exactly symmetric")
    return A, b, _exact(c)


def _exact_rotation(A: sp.Matrix) -> tuple[list[sp.Expr], sp.Matrix]:
    cols: list[tuple[sp.Expr, sp.Matrix]] = []
    for lam, _mult, basis in A.eigenvects():
        for v in sp.GramSchmidt(basis, orthonormal=True):
            cols.append((sp.nsimplify(sp.simplify(lam)), v.applyfunc(sp.radsimp)))
    cols.sort(key=lambda p: (float(abs(p[0])), -float(p[0])))
    out = []
    for _lam, v in cols:
        vals = [float(x) for x in v]
        j = int(np.argmax(np.abs(vals)))
        out.append(v if vals[j] > 0 else -v)
    return [p[0] for p in cols], sp.Matrix.hstack(*out)


def simplify_exact(A: Any, b: Any, c: Any) -> ExactNormalForm:
    """The exact null-space treatment, same conventions as :func:`simplify`.

    Rotate by exact orthonormal eigenvectors, complete the squares in the range of A; if the null
    part :math:`\\beta_N` of ``R^T b`` is non-zero, take the unit vector along it (oriented as in
    :func:`simplify`) as the first axis and move the origin along it to kill the constant:
    ``sum lambda_i v_i^2 + 2 q u = 0`` with ``|q| = |beta_N|``."""
    A, b, c = _check_exact(A, b, c)
    n = A.shape[0]
    lam, R = _exact_rotation(A)
    r0 = sum(1 for x in lam if x == 0)
    beta = list(R.T * b)
    case = "central" if r0 == 0 else "cylindrical"
    if r0:
        bn = sp.Matrix(beta[:r0])
        bnorm = sp.sqrt(sp.simplify((bn.T * bn)[0]))
        if bnorm != 0:
            s = -1 if float(sum(lam[r0:])) >= 0 else 1
            u = (R[:, :r0] * bn * s / bnorm).applyfunc(sp.radsimp)
            rest = [R[:, j] for j in range(r0, n)]
            if r0 == 2:
                w = (R[:, :r0] * sp.Matrix([-bn[1], bn[0]]) / bnorm).applyfunc(sp.radsimp)
                R = sp.Matrix.hstack(u, w, *rest)
            else:
                R = sp.Matrix.hstack(u, *rest)
            case = "parabolic"
    if sp.simplify(R.det()) != 1:
        R[:, n - 1] = -R[:, n - 1]
    beta = [sp.radsimp(sp.simplify(x)) for x in (R.T * b)]
    y = [sp.Integer(0)] * n
    for i in range(r0, n):
        y[i] = -beta[i] / lam[i]
    k = sp.simplify(c - sum(beta[i] ** 2 / lam[i] for i in range(r0, n)))
    lin = [sp.Integer(0)] * n
    const = k
    if case == "parabolic":
        y[0] = sp.radsimp(-k / (2 * beta[0]))
        lin[0] = beta[0]
        const = sp.Integer(0)
    t = (R * sp.Matrix(y)).applyfunc(lambda e: sp.radsimp(sp.simplify(e)))
    return ExactNormalForm(R, t, lam, lin, const, case)


def parabolic_limit_symbolic(A: Any, b: Any, c: Any) -> dict[str, Any]:
    """The perturbation done with a symbol ``eps``: the vertex ``t(eps)``, the linear coefficient
    ``q(eps)`` of ``x^T (A + eps I) x + 2 b^T x + c`` about its bounded vertex, the centre's
    constant ``c'(eps) = det M_eps / det A_eps`` and their limits (``sympy.limit``)."""
    A, b, c = _check_exact(A, b, c)
    ex = simplify_exact(A, b, c)
    if ex.case != "parabolic":
        raise ValueError(f"the quadric is {ex.case}, not parabolic")
    eps = sp.Symbol("varepsilon", positive=True)
    n = A.shape[0]
    R = ex.R
    beta = [sp.radsimp(x) for x in (R.T * b)]
    lam = ex.quad
    y = [sp.Integer(0)] * n
    for i in range(n):
        if lam[i] != 0:
            y[i] = -beta[i] / (lam[i] + eps)
    k = c + sum(beta[i] * y[i] for i in range(n) if lam[i] != 0)
    bu = beta[0]
    root = sp.sqrt(bu**2 - eps * k)
    y[0] = -k / (bu + sp.sign(bu) * root)
    q = sp.sign(bu) * root
    t = R * sp.Matrix(y)
    Me = sp.Matrix(sp.BlockMatrix([[A + eps * sp.eye(n), b], [b.T, sp.Matrix([[c]])]]))
    cprime = sp.simplify(Me.det() / (A + eps * sp.eye(n)).det())
    return {
        "eps": eps, "t": t, "q": q, "cprime": cprime,
        "t_limit": t.applyfunc(lambda e: sp.radsimp(sp.limit(e, eps, 0, "+"))),
        "q_limit": sp.radsimp(sp.limit(q, eps, 0, "+")),
        "cprime_series": sp.series(cprime, eps, 0, 1).removeO(),
        "exact": ex,
    }


def normal_form_expr(nf: ExactNormalForm | NormalForm, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """The normal-form polynomial in ``symbols`` (rendered in posts with ``sympy.latex``)."""
    quad = [_exact(x) for x in nf.quad]
    lin = [_exact(x) for x in nf.lin]
    return (sum(qq * s**2 for qq, s in zip(quad, symbols, strict=True))
            + sum(2 * ll * s for ll, s in zip(lin, symbols, strict=True)) + _exact(nf.const))


# ----------------------------------------------------------------------------------------------
# classification
# ----------------------------------------------------------------------------------------------
def _signs(A: np.ndarray, tol: float) -> tuple[int, int]:
    """(# positive, # negative) eigenvalues from the characteristic polynomial's coefficients.

    For a real-rooted polynomial Descartes' count of sign changes is exact."""
    n = A.shape[0]
    scale = np.abs(A).max()
    if n == 2:
        coeffs = [1.0, -np.trace(A), np.linalg.det(A)]
    else:
        i2 = 0.5 * (np.trace(A) ** 2 - np.trace(A @ A))
        coeffs = [1.0, -np.trace(A), i2, -np.linalg.det(A)]
    coeffs = [0.0 if abs(v) <= tol * scale ** j else v for j, v in enumerate(coeffs)]

    def changes(cs: list[float]) -> int:
        s = [np.sign(v) for v in cs if v != 0]
        return sum(1 for a, bb in zip(s, s[1:], strict=False) if a != bb)

    neg = [v * (-1) ** (n - j) for j, v in enumerate(coeffs)]
    return changes(coeffs), changes(neg)


def classify(A: Any, b: Any, c: Any, *, tol: float = 1e-9) -> str:
    """Name of the conic (n = 2) or quadric surface (n = 3), from rigid-motion invariants.

    2-D: ellipse, imaginary ellipse, point, hyperbola, pair of intersecting lines, parabola,
    pair of parallel lines, pair of imaginary parallel lines, pair of coincident lines.
    3-D: ellipsoid, imaginary ellipsoid, hyperboloid of one sheet, hyperboloid of two sheets,
    cone, point (imaginary cone), elliptic / hyperbolic paraboloid, elliptic / imaginary elliptic
    / hyperbolic / parabolic cylinder, pair of intersecting planes, line (imaginary intersecting
    planes), pair of parallel planes, pair of imaginary parallel planes, pair of coincident
    planes."""
    A, b, c = _check(A, b, c)
    n = A.shape[0]
    M = augmented(A, b, c)
    lam = np.linalg.eigvalsh(A)
    rA = int((np.abs(lam) > tol * np.abs(lam).max()).sum())
    sv = np.linalg.svd(M, compute_uv=False)
    rM = int((sv > tol * sv.max()).sum())
    pos, neg = _signs(A, tol)
    detM = np.linalg.det(M) if rM == n + 1 else 0.0
    detA = np.linalg.det(A)
    trA = np.trace(A)
    if n == 2:
        if rA == 2:
            if detA > 0:
                if detM == 0:
                    return "point"
                return "ellipse" if trA * detM < 0 else "imaginary ellipse"
            return "hyperbola" if detM != 0 else "pair of intersecting lines"
        if rM == 3:
            return "parabola"
        if rM == 1:
            return "pair of coincident lines"
        K = semi_invariant(A, b, c, 1)
        return "pair of parallel lines" if K < 0 else "pair of imaginary parallel lines"
    if rA == 3:
        if rM == 3:
            return "cone" if pos and neg else "point"
        cprime = detM / detA
        if not (pos and neg):
            return "ellipsoid" if cprime * trA < 0 else "imaginary ellipsoid"
        majority = 1.0 if pos == 2 else -1.0
        return "hyperboloid of one sheet" if -cprime * majority > 0 else "hyperboloid of two sheets"
    if rA == 2:
        definite = not (pos and neg)
        if rM == 4:
            return "elliptic paraboloid" if definite else "hyperbolic paraboloid"
        if rM == 3:
            if not definite:
                return "hyperbolic cylinder"
            K = semi_invariant(A, b, c, 2)  # lambda1 lambda2 k, lambda1 lambda2 > 0
            return "elliptic cylinder" if K * trA < 0 else "imaginary elliptic cylinder"
        return "line" if definite else "pair of intersecting planes"
    if rM == 3:
        return "parabolic cylinder"
    if rM == 1:
        return "pair of coincident planes"
    K = semi_invariant(A, b, c, 1)
    return "pair of parallel planes" if K < 0 else "pair of imaginary parallel planes"


def equation_expr(A: Any, b: Any, c: Any, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """``x^T A x + 2 b^T x + c`` as an exact sympy polynomial in ``symbols``."""
    A, b, c = _check_exact(A, b, c)
    x = sp.Matrix(list(symbols))
    if x.shape[0] != A.shape[0]:
        raise ValueError(f"need {A.shape[0]} symbols, got {x.shape[0]}")
    return sp.expand((x.T * A * x)[0] + 2 * (b.T * x)[0] + c)


# ----------------------------------------------------------------------------------------------
# drawing (matplotlib axes are passed in; nothing is imported here)
# ----------------------------------------------------------------------------------------------
def draw_conic(ax: Any, A: Any, b: Any, c: Any, lim: tuple[float, float, float, float], *,
               points: int = 400, **kw: Any) -> Any:
    """Draw the zero set of a conic on ``ax`` over ``lim = (x0, x1, y0, y1)`` (a contour)."""
    A, b, c = _check(A, b, c)
    if A.shape != (2, 2):
        raise ValueError("draw_conic draws conics (n = 2) only")
    xs = np.linspace(lim[0], lim[1], points)
    ys = np.linspace(lim[2], lim[3], points)
    X, Y = np.meshgrid(xs, ys)
    Z = A[0, 0] * X**2 + 2 * A[0, 1] * X * Y + A[1, 1] * Y**2 + 2 * b[0] * X + 2 * b[1] * Y + c
    return ax.contour(X, Y, Z, levels=[0.0], **kw)


def draw_frame(ax: Any, R: Any, t: Any, *, length: float = 1.0, color: str = "C3",
               labels: tuple[str, str] = ("$u$", "$v$")) -> None:
    """Draw the new axes (columns of ``R``) at the new origin ``t``."""
    R = np.asarray(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    ax.plot([t[0]], [t[1]], "o", color=color, ms=3)
    for j in range(2):
        d = R[:, j] * length
        ax.annotate("", xy=(t[0] + d[0], t[1] + d[1]), xytext=(t[0], t[1]),
                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.2})
        ax.text(t[0] + 1.15 * d[0], t[1] + 1.15 * d[1], labels[j], color=color,
                ha="center", va="center")
