"""The coordinate route to curvature: Christoffel symbols and the Riemann tensor from g.

Conventions (the same as the Cartan route in :mod:`blogcode.diffgeo.cartan`):

    Gamma^a_{bc} = 1/2 g^{ad} (d_b g_{dc} + d_c g_{db} - d_d g_{bc}),
    R^a_{bcd}    = d_c Gamma^a_{db} - d_d Gamma^a_{cb} + Gamma^a_{ce} Gamma^e_{db}
                   - Gamma^a_{de} Gamma^e_{cb},
    R_{bd}       = R^a_{bad}  (Ricci),          R = g^{bd} R_{bd}  (scalar).

With these signs the unit 2-sphere has R^theta_{phi theta phi} = sin^2(theta) and R = 2.

>>> import sympy as sp
>>> th, ph = sp.symbols("theta phi")
>>> g = sp.diag(1, sp.sin(th) ** 2)
>>> sp.simplify(riemann_from_metric(g, (th, ph))[0, 1, 0, 1] - sp.sin(th) ** 2)
0
>>> sp.simplify(ricci_scalar(ricci(riemann_from_metric(g, (th, ph))), g))
2
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

__all__ = [
    "check_metric",
    "christoffel",
    "christoffel_numeric",
    "parallel_transport",
    "ricci",
    "ricci_scalar",
    "riemann_from_metric",
]


def check_metric(g: object, coords: Sequence[sp.Symbol]) -> sp.Matrix:
    """Validate a metric: a square symmetric sympy matrix matching ``coords``, not singular."""
    coords = tuple(coords)
    if not coords or any(not isinstance(c, sp.Symbol) for c in coords):
        raise TypeError(f"coords must be a non-empty sequence of sympy Symbols, got {coords!r}")
    if len(set(coords)) != len(coords):
        raise ValueError(f"coords must be distinct, got {coords}")
    if not isinstance(g, sp.MatrixBase):
        raise TypeError(f"g must be a sympy Matrix, got {type(g).__name__}")
    n = len(coords)
    if g.shape != (n, n):
        raise ValueError(f"g must be {n}x{n} for {n} coordinates, got shape {g.shape}")
    if any(sp.simplify(g[i, j] - g[j, i]) != 0 for i in range(n) for j in range(i + 1, n)):
        raise ValueError("g must be symmetric")
    if sp.simplify(g.det()) == 0:
        raise ValueError("g is singular (its determinant simplifies to 0)")
    return sp.Matrix(g)


def christoffel(g: sp.Matrix, coords: Sequence[sp.Symbol],
                simplify: Callable[[sp.Expr], sp.Expr] = sp.simplify) -> sp.Array:
    """Gamma^a_{bc} as an array indexed [a, b, c] (symmetric in b, c)."""
    g = check_metric(g, coords)
    n = len(coords)
    ginv = g.inv()
    dg = [[[sp.diff(g[i, j], coords[k]) for k in range(n)] for j in range(n)] for i in range(n)]
    out = sp.MutableDenseNDimArray.zeros(n, n, n)
    for a in range(n):
        for b in range(n):
            for c in range(b, n):
                val = sum((ginv[a, e] * (dg[e][c][b] + dg[e][b][c] - dg[b][c][e])
                           for e in range(n) if ginv[a, e] != 0), sp.Integer(0)) / 2
                val = simplify(val)
                out[a, b, c] = out[a, c, b] = val
    return sp.ImmutableDenseNDimArray(out)


def riemann_from_metric(g: sp.Matrix, coords: Sequence[sp.Symbol],
                        simplify: Callable[[sp.Expr], sp.Expr] = sp.simplify) -> sp.Array:
    """R^a_{bcd} as an array indexed [a, b, c, d] (antisymmetric in c, d)."""
    coords = tuple(coords)
    G = christoffel(g, coords, simplify)
    n = len(coords)
    out = sp.MutableDenseNDimArray.zeros(n, n, n, n)
    for a in range(n):
        for b in range(n):
            for c in range(n):
                for dd in range(c + 1, n):
                    val = (sp.diff(G[a, dd, b], coords[c]) - sp.diff(G[a, c, b], coords[dd])
                           + sum((G[a, c, e] * G[e, dd, b] - G[a, dd, e] * G[e, c, b]
                                  for e in range(n)), sp.Integer(0)))
                    val = simplify(val) if val != 0 else val
                    out[a, b, c, dd] = val
                    out[a, b, dd, c] = -val
    return sp.ImmutableDenseNDimArray(out)


def _check_rank4(riemann: object) -> sp.Array:
    R = sp.Array(riemann)
    n = R.shape[0] if R.rank() else 0
    if R.rank() != 4 or R.shape != (n, n, n, n):
        raise ValueError(f"riemann must be an (n, n, n, n) array, got shape {R.shape}")
    return R


def ricci(riemann: object, simplify: Callable[[sp.Expr], sp.Expr] = sp.simplify) -> sp.Matrix:
    """R_{bd} = R^a_{bad}, the contraction of the first and third indices."""
    R = _check_rank4(riemann)
    n = R.shape[0]
    return sp.Matrix(n, n, lambda b, dd: simplify(sum((R[a, b, a, dd] for a in range(n)),
                                                      sp.Integer(0))))


def ricci_scalar(ric: sp.Matrix, g: sp.Matrix,
                 simplify: Callable[[sp.Expr], sp.Expr] = sp.simplify) -> sp.Expr:
    """R = g^{bd} R_{bd} (with eta and frame components it gives the same scalar)."""
    if not isinstance(ric, sp.MatrixBase) or not isinstance(g, sp.MatrixBase):
        raise TypeError("ricci_scalar takes two sympy matrices (Ricci tensor and metric)")
    if ric.shape != g.shape or ric.shape[0] != ric.shape[1]:
        raise ValueError(f"Ricci tensor {ric.shape} and metric {g.shape} must be the same square "
                         f"shape")
    ginv = g.inv()
    n = g.shape[0]
    return simplify(sum((ginv[b, dd] * ric[b, dd] for b in range(n) for dd in range(n)),
                        sp.Integer(0)))


def parallel_transport(gamma: Callable[[np.ndarray], np.ndarray],
                       curve: Callable[[float], tuple[np.ndarray, np.ndarray]],
                       v0: Sequence[float], s_span: tuple[float, float],
                       s_eval: Sequence[float] | None = None, rtol: float = 1e-10,
                       atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Numerically transport a vector along a curve: dV^a/ds = -Gamma^a_{bc}(x) (dx^b/ds) V^c.

    ``gamma(x)`` returns the numeric array Gamma[a, b, c] at the point x, ``curve(s)`` returns
    ``(x(s), dx/ds)``.  Returns ``(s, V)`` with V of shape (len(s), n), in float64.
    """
    v0 = np.asarray(v0, dtype=np.float64)
    if v0.ndim != 1:
        raise ValueError(f"v0 must be a 1-D vector, got shape {v0.shape}")
    s0, s1 = map(float, s_span)
    if not s1 > s0:
        raise ValueError(f"s_span must be increasing, got {s_span}")

    def rhs(s: float, v: np.ndarray) -> np.ndarray:
        x, xdot = curve(s)
        G = np.asarray(gamma(np.asarray(x, dtype=np.float64)), dtype=np.float64)
        return -np.einsum("abc,b,c->a", G, np.asarray(xdot, dtype=np.float64), v)

    sol = solve_ivp(rhs, (s0, s1), v0, t_eval=None if s_eval is None else np.asarray(s_eval),
                    rtol=rtol, atol=atol, method="DOP853")
    if not sol.success:
        raise RuntimeError(f"parallel transport integration failed: {sol.message}")
    return sol.t, sol.y.T


def christoffel_numeric(g: sp.Matrix, coords: Sequence[sp.Symbol]
                        ) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function x -> Gamma[a, b, c](x) built from :func:`christoffel` (lambdified)."""
    G = christoffel(g, coords)
    fn = sp.lambdify([tuple(coords)], G.tolist(), "numpy")
    n = len(coords)

    def gamma(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.array(fn(tuple(x)), dtype=np.float64), (n, n, n))

    return gamma
