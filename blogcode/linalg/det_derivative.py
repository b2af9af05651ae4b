"""The derivative of a determinant: cofactors, the adjugate and Jacobi's formula.

For an ``n x n`` matrix ``A = (a_ij)`` the cofactor of ``a_ij`` is
``C_ij = (-1)^{i+j} M_ij`` with ``M_ij`` the minor (delete row ``i`` and column ``j``).
Expanding ``|A|`` along row ``i`` gives ``|A| = sum_j a_ij C_ij`` with ``C_ij`` free of
row ``i``, hence ``d|A| / d a_ij = C_ij``.  The adjugate is ``adj(A) = C^T`` and
``A adj(A) = |A| I``.  By the chain rule (Jacobi's formula)

    d|A| = sum_ij C_ij da_ij = tr(adj(A) dA) = |A| tr(A^{-1} dA)   (last form: A invertible).

Cofactors are computed exactly for singular matrices too, in one of two ways:

* ``method="minors"``: the definition, all ``n^2`` minors through batched LU determinants
  (``O(n^5)``, the reference for small ``n``);
* ``method="svd"`` (default): with ``A = U diag(sigma) V^T``,
  ``adj(A) = det(U) det(V) V diag(prod_{j != i} sigma_j) U^T``; the products leaving one
  singular value out are formed from prefix and suffix products, with no division, so a
  zero singular value is no problem (``O(n^3)``).

The second half of the module is symbolic (sympy): Jacobi's formula for a generic
``A(t)``, and its use for a metric ``g_{mu nu}``:
``d sqrt|g| = 1/2 sqrt|g| g^{mu nu} d g_{mu nu}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "adjugate",
    "cofactor_matrix",
    "contracted_christoffel",
    "det_cofactor_grad",
    "det_via_rows",
    "jacobi",
    "jacobi_symbolic",
    "metric_variation",
    "schwarzschild_metric",
    "spherical_metric",
]


def _is_torch(a: Any) -> bool:
    import torch

    return isinstance(a, torch.Tensor)


def _square(A: Any, name: str = "A") -> Any:
    if _is_torch(A):
        if A.is_complex():
            raise TypeError(f"{name}: complex tensors are not supported")
        if not A.is_floating_point():
            import torch

            A = A.to(torch.float64)
    else:
        A = np.asarray(A)
        if A.dtype == object or A.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a real numeric array, got dtype {A.dtype}")
        if A.dtype.kind != "f":
            A = A.astype(np.float64)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must have shape [..., n, n] (square in the last two axes), "
                         f"got {tuple(A.shape)}")
    if A.shape[-1] == 0:
        raise ValueError(f"{name} must be at least 1 x 1")
    finite = bool(A.isfinite().all()) if _is_torch(A) else bool(np.isfinite(A).all())
    if not finite:
        raise ValueError(f"{name} must be finite (found inf or nan)")
    return A


def _leave_one_out_prod(s: Any) -> Any:
    """``out[..., i] = prod_{j != i} s[..., j]`` without division (prefix x suffix)."""
    if _is_torch(s):
        import torch

        ones = torch.ones_like(s[..., :1])
        pre = torch.cumprod(torch.cat([ones, s[..., :-1]], -1), -1)
        suf = torch.flip(torch.cumprod(torch.flip(torch.cat([s[..., 1:], ones], -1), [-1]),
                                       -1), [-1])
        return pre * suf
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    pre = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    suf = np.cumprod(np.concatenate([s[..., 1:], ones], -1)[..., ::-1], -1)[..., ::-1]
    return pre * suf


def _cofactors_minors(A: Any) -> Any:
    n = A.shape[-1]
    if n == 1:
        return A * 0 + 1
    idx = np.array([[k for k in range(n) if k != i] for i in range(n)])  # [n, n-1]
    sign = (-1.0) ** (np.arange(n)[:, None] + np.arange(n)[None, :])
    rows, cols = idx[:, None, :, None], idx[None, :, None, :]
    if _is_torch(A):
        import torch

        rows_t = torch.as_tensor(rows, device=A.device)
        cols_t = torch.as_tensor(cols, device=A.device)
        minors = A[..., rows_t, cols_t]  # [..., n(i), n(j), n-1, n-1]: row i, col j deleted
        return torch.as_tensor(sign, dtype=A.dtype, device=A.device) * torch.linalg.det(minors)
    minors = A[..., rows, cols]  # [..., n(i), n(j), n-1, n-1]
    return sign * np.linalg.det(minors)


def _cofactors_svd(A: Any) -> Any:
    if _is_torch(A):
        import torch

        U, S, Vh = torch.linalg.svd(A)
        d = torch.linalg.det(U) * torch.linalg.det(Vh)
        adj = (Vh.mT * _leave_one_out_prod(S)[..., None, :]) @ U.mT * d[..., None, None]
        return adj.mT
    U, S, Vh = np.linalg.svd(A)
    d = np.linalg.det(U) * np.linalg.det(Vh)
    adj = (np.swapaxes(Vh, -1, -2) * _leave_one_out_prod(S)[..., None, :]) \
        @ np.swapaxes(U, -1, -2) * d[..., None, None]
    return np.swapaxes(adj, -1, -2)


def cofactor_matrix(A: Any, *, method: str = "svd") -> Any:
    """The cofactor matrix ``C`` of ``A [..., n, n]``: ``C_ij = d|A| / d a_ij``.

    Valid for singular ``A`` as well (``C`` is not ``|A| A^{-T}`` there).  ``method`` is
    ``"svd"`` (default, ``O(n^3)``) or ``"minors"`` (the definition); see the module
    docstring.  numpy in, numpy out; torch in, torch out (differentiable).
    """
    A = _square(A)
    if method == "svd":
        return _cofactors_svd(A)
    if method == "minors":
        return _cofactors_minors(A)
    raise ValueError(f"method must be 'svd' or 'minors', got {method!r}")


def adjugate(A: Any, *, method: str = "svd") -> Any:
    """``adj(A) = C^T``, so that ``A adj(A) = adj(A) A = |A| I``."""
    C = cofactor_matrix(A, method=method)
    return C.mT if _is_torch(C) else np.swapaxes(C, -1, -2)


def jacobi(A: Any, dA: Any, *, method: str = "svd") -> Any:
    """Jacobi's formula ``d|A| = tr(adj(A) dA) = sum_ij C_ij dA_ij``; shape ``[...]``.

    ``dA`` (same shape as ``A``, or broadcastable) is a direction or a derivative
    ``A'(t)``; the result is the directional derivative of ``det`` at ``A``.
    """
    A = _square(A)
    dA = _square(dA, "dA")
    if _is_torch(A) != _is_torch(dA):
        raise TypeError("A and dA must both be numpy arrays or both be torch tensors")
    C = cofactor_matrix(A, method=method)
    return (C * dA).sum((-2, -1)) if _is_torch(C) else (C * dA).sum(axis=(-2, -1))


def det_via_rows(A: Any, dA: Any) -> Any:
    """``d|A| = sum_i det(A with row i replaced by row i of dA)`` (multilinearity in rows).

    An independent route to Jacobi's formula, used as a check.
    """
    A = _square(A)
    dA = _square(dA, "dA")
    n = A.shape[-1]
    total = 0.0
    for i in range(n):
        B = A.clone() if _is_torch(A) else A.copy()
        B[..., i, :] = dA[..., i, :]
        total = total + (B.det() if _is_torch(B) else np.linalg.det(B))
    return total


# ----------------------------------------------------------------------------- symbolic


def jacobi_symbolic(n: int = 3, t: Any = None) -> dict[str, Any]:
    """Sympy check of Jacobi's formula for a generic ``A(t) = (a_ij(t))``, ``n x n``.

    Returns ``A`` (matrix of undefined functions of ``t``), ``lhs = d|A|/dt``,
    ``rhs = tr(adj(A) A')``, ``difference = expand(lhs - rhs)`` (zero), and for the
    cofactor statement ``grad_residual``: the matrix ``d|A|/da_ij - C_ij`` for a matrix of
    plain symbols (zero).
    """
    import sympy as sp

    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 4:
        raise ValueError(f"n must be an int between 1 and 4 (symbolic cost grows fast), "
                         f"got {n!r}")
    t = sp.Symbol("t", real=True) if t is None else t
    A = sp.Matrix(n, n, lambda i, j: sp.Function(f"a_{i + 1}{j + 1}")(t))
    lhs = sp.diff(A.det(), t)
    rhs = (A.adjugate() * sp.diff(A, t)).trace()
    difference = sp.expand(lhs - rhs)
    a = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"a_{i + 1}{j + 1}"))
    D = a.det()
    grad = sp.Matrix(n, n, lambda i, j: sp.diff(D, a[i, j]))
    grad_residual = sp.expand(grad - a.cofactor_matrix())
    return {"t": t, "A": A, "lhs": lhs, "rhs": rhs, "difference": difference,
            "symbols": a, "grad": grad, "grad_residual": grad_residual}


def spherical_metric() -> tuple[Any, tuple[Any, ...]]:
    """Euclidean metric in spherical coordinates ``(r, theta, phi)``: ``diag(1, r^2,
    r^2 sin^2 theta)``; returns ``(g, coords)``."""
    import sympy as sp

    r, th, ph = sp.symbols("r theta phi", positive=True)
    return sp.diag(1, r**2, r**2 * sp.sin(th) ** 2), (r, th, ph)


def schwarzschild_metric() -> tuple[Any, tuple[Any, ...], Any]:
    """Schwarzschild metric, signature ``(-, +, +, +)``, ``G = c = 1``:
    ``diag(-(1 - 2M/r), 1/(1 - 2M/r), r^2, r^2 sin^2 theta)``; returns ``(g, coords, M)``."""
    import sympy as sp

    t, r, th, ph = sp.symbols("t r theta phi", positive=True)
    M = sp.Symbol("M", positive=True)
    f = 1 - 2 * M / r
    return sp.diag(-f, 1 / f, r**2, r**2 * sp.sin(th) ** 2), (t, r, th, ph), M


def _check_metric(g: Any) -> None:
    import sympy as sp

    if not isinstance(g, sp.MatrixBase) or g.rows != g.cols:
        raise ValueError("g must be a square sympy Matrix")
    if sp.simplify(g - g.T) != sp.zeros(g.rows, g.cols):
        raise ValueError("g must be symmetric")


def metric_variation(g: Any, h: Any | None = None) -> dict[str, Any]:
    """Check ``delta sqrt|g| = 1/2 sqrt|g| g^{mu nu} delta g_{mu nu}`` for ``g -> g + eps h``.

    ``h`` defaults to a symmetric matrix of fresh symbols ``h_{mu nu}``.  Returns
    ``sqrt_g`` (``sqrt|det g|``), ``direct`` (``d/d eps sqrt|det(g + eps h)|`` at
    ``eps = 0``), ``formula`` (the right-hand side), ``difference`` (simplified, zero),
    and ``formula_upper`` / ``difference_upper`` for the equivalent form with the
    inverse metric, ``-1/2 sqrt|g| g_{mu nu} delta g^{mu nu}``.
    """
    import sympy as sp

    _check_metric(g)
    n = g.rows
    if h is None:
        hs = {}
        for i in range(n):
            for j in range(i, n):
                hs[(i, j)] = hs[(j, i)] = sp.Symbol(f"h_{i}{j}")
        h = sp.Matrix(n, n, lambda i, j: hs[(i, j)])
    else:
        _check_metric(h)
        if h.shape != g.shape:
            raise ValueError(f"h must have the shape of g {g.shape}, got {h.shape}")
    eps = sp.Symbol("epsilon")
    det_g = g.det()
    sign = sp.sign(det_g.subs({s: 1 for s in det_g.free_symbols}))  # sign at a sample point
    abs_det = sp.simplify(sign * det_g)
    sqrt_g = sp.sqrt(abs_det)
    # the variation of |det g| straight from the expanded determinant of g + eps h
    # (berkowitz: sympy's default bareiss takes ~30 s on the 4 x 4 Schwarzschild case)
    det_eps = (g + eps * h).det(method="berkowitz")
    d_abs_det = sp.expand(sp.diff(sign * det_eps, eps).subs(eps, 0))
    direct = d_abs_det / (2 * sqrt_g)  # d sqrt(u) = du / (2 sqrt(u))
    g_inv = g.inv()
    trace = sum(g_inv[i, j] * h[j, i] for i in range(n) for j in range(n))
    formula = sp.Rational(1, 2) * sqrt_g * trace
    # direct - formula = (d_abs_det - abs_det * trace) / (2 sqrt_g): check the numerator
    difference = sp.cancel(sp.together(d_abs_det - abs_det * trace))
    # delta g^{mu nu} = -g^{mu a} h_{a b} g^{b nu}
    dg_upper = -g_inv * h * g_inv
    trace_upper = sum(g[i, j] * dg_upper[j, i] for i in range(n) for j in range(n))
    formula_upper = -sp.Rational(1, 2) * sqrt_g * trace_upper
    difference_upper = sp.cancel(sp.together(trace_upper + trace))
    return {"h": h, "sqrt_g": sqrt_g, "direct": direct, "formula": formula,
            "trace": sp.cancel(trace), "difference": difference, "dg_upper": dg_upper,
            "formula_upper": formula_upper, "difference_upper": difference_upper}


class _DetCofactor:
    """Namespace for the autograd function built lazily (torch imported on first use)."""

    fn: Any = None


def det_cofactor_grad(A: Any) -> Any:
    """``det(A)`` for torch ``A [..., n, n]`` whose backward is ``grad * C`` with the
    cofactor matrix from :func:`cofactor_matrix` -- correct at exactly singular ``A``,
    where ``torch.linalg.det``'s backward returns zero in recent versions."""
    import torch

    if not isinstance(A, torch.Tensor):
        raise TypeError(f"det_cofactor_grad needs a torch tensor, got {type(A).__name__}")
    _square(A)
    if _DetCofactor.fn is None:
        class _Fn(torch.autograd.Function):
            @staticmethod
            def forward(ctx: Any, M: Any) -> Any:
                ctx.save_for_backward(M)
                return torch.linalg.det(M)

            @staticmethod
            def backward(ctx: Any, grad: Any) -> Any:
                (M,) = ctx.saved_tensors
                return grad[..., None, None] * cofactor_matrix(M)

        _DetCofactor.fn = _Fn
    return _DetCofactor.fn.apply(A)


def contracted_christoffel(g: Any, coords: tuple[Any, ...]) -> dict[str, Any]:
    """``Gamma^mu_{mu lambda}`` from the Christoffel symbols vs ``d_lambda log sqrt|g|``.

    The latter is Jacobi's formula applied to ``g(x)``:
    ``d_lambda log sqrt|g| = 1/2 g^{mu nu} d_lambda g_{mu nu}``.  Returns both lists and
    their simplified differences (zeros).
    """
    import sympy as sp

    _check_metric(g)
    n = g.rows
    if len(coords) != n:
        raise ValueError(f"need {n} coordinates, got {len(coords)}")
    gi = sp.simplify(g.inv())
    det_g = sp.simplify(g.det())
    contracted, via_det = [], []
    for lam in range(n):
        c = 0
        for mu in range(n):
            for nu in range(n):
                c += sp.Rational(1, 2) * gi[mu, nu] * (
                    sp.diff(g[nu, mu], coords[lam]) + sp.diff(g[nu, lam], coords[mu])
                    - sp.diff(g[mu, lam], coords[nu]))
        contracted.append(sp.simplify(c))
        via_det.append(sp.simplify(sp.diff(sp.log(sp.Abs(det_g)), coords[lam]) / 2))
    diffs = [sp.simplify(a - b) for a, b in zip(contracted, via_det, strict=True)]
    return {"contracted": contracted, "via_det": via_det, "difference": diffs}
