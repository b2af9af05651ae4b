"""Curvature by Cartan's method: orthonormal coframe, connection 1-forms, curvature 2-forms.

Given a frame matrix h (``frame[mu, alpha] = h^mu_alpha``) and a constant frame metric eta, the
coframe is omega^mu = h^mu_alpha dx^alpha and the metric is ds^2 = eta_{mu nu} omega^mu omega^nu,
i.e. g = h^T eta h.  The connection 1-forms omega^mu_nu are the unique solution of

    d omega^mu + omega^mu_nu ^ omega^nu = 0,     omega_{mu nu} = eta_{mu kappa} omega^kappa_nu
                                                 = -omega_{nu mu}.

Solving them: write d omega^mu = 1/2 C^mu_{rho sigma} omega^rho ^ omega^sigma and
omega_{mu nu} = A_{mu nu rho} omega^rho.  The first equation says C_{mu nu rho} = A_{mu nu rho} -
A_{mu rho nu}; with A antisymmetric in its first two indices the unique solution is

    A_{mu nu rho} = 1/2 (C_{mu nu rho} + C_{nu rho mu} - C_{rho mu nu}).

The curvature 2-forms are R^mu_nu = d omega^mu_nu + omega^mu_alpha ^ omega^alpha_nu, read off as

    R^mu_nu = sum_{rho < sigma} Rhat^mu_{nu rho sigma} omega^rho ^ omega^sigma   (frame components),
    (h^{-1})^alpha_mu R^mu_nu h^nu_beta = sum_{gamma < delta} R^alpha_{beta gamma delta}
                                          dx^gamma ^ dx^delta                   (coordinate ones).

The coordinate components agree with :func:`blogcode.diffgeo.riemann.riemann_from_metric` for
g = h^T eta h (tested).

>>> import sympy as sp
>>> th, ph = sp.symbols("theta phi")
>>> res = curvature_forms(sp.diag(1, sp.sin(th)), (th, ph), sp.eye(2))
>>> res.connection[0][1].latex()
'- \\\\cos{\\\\left(\\\\theta \\\\right)}\\\\, d\\\\phi'
>>> res.riemann_frame[0, 1, 0, 1], res.riemann_coords[0, 1, 0, 1]
(1, sin(theta)**2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from blogcode.diffgeo.forms import Form, _check_coords, d, one_form, wedge_matrix

__all__ = ["CartanResult", "curvature_forms", "metric_from_frame", "structure_residual"]


@dataclass(frozen=True)
class CartanResult:
    """Everything Cartan's method produces (indices are 0-based)."""

    coords: tuple[sp.Symbol, ...]
    frame: sp.Matrix  # h[mu, alpha] = h^mu_alpha
    eta: sp.Matrix
    coframe: list[Form]  # omega^mu
    connection: list[list[Form]]  # connection[mu][nu] = omega^mu_nu
    curvature: list[list[Form]]  # curvature[mu][nu] = R^mu_nu (2-forms)
    riemann_frame: sp.Array  # Rhat^mu_{nu rho sigma}
    riemann_coords: sp.Array  # R^alpha_{beta gamma delta}

    @property
    def metric(self) -> sp.Matrix:
        return metric_from_frame(self.frame, self.eta)


def _check_frame(frame: object, coords: tuple[sp.Symbol, ...], eta: object
                 ) -> tuple[sp.Matrix, sp.Matrix]:
    n = len(coords)
    if not isinstance(frame, sp.MatrixBase):
        raise TypeError(f"frame must be a sympy Matrix h[mu, alpha], got {type(frame).__name__}")
    if not isinstance(eta, sp.MatrixBase):
        raise TypeError(f"eta must be a sympy Matrix, got {type(eta).__name__}")
    if frame.shape != (n, n):
        raise ValueError(f"frame must be {n}x{n} for {n} coordinates, got shape {frame.shape}")
    if eta.shape != (n, n):
        raise ValueError(f"eta must be {n}x{n} for {n} coordinates, got shape {eta.shape}")
    if eta.free_symbols & set(coords):
        raise ValueError("eta must be constant: it depends on the coordinates "
                         f"{sorted(map(str, eta.free_symbols & set(coords)))}")
    if eta != eta.T:
        raise ValueError("eta must be symmetric")
    if eta.det() == 0:
        raise ValueError("eta is singular")
    if sp.simplify(frame.det()) == 0:
        raise ValueError("frame is singular (its determinant simplifies to 0): the coframe "
                         "omega^mu = h^mu_alpha dx^alpha must be a basis")
    return sp.Matrix(frame), sp.Matrix(eta)


def metric_from_frame(frame: sp.Matrix, eta: sp.Matrix) -> sp.Matrix:
    """g_{alpha beta} = eta_{mu nu} h^mu_alpha h^nu_beta, i.e. g = h^T eta h."""
    return sp.simplify(frame.T * eta * frame)


def _to_frame(arr2: sp.Array, e: sp.Matrix, n: int, simplify: Callable) -> list[list[sp.Expr]]:
    """Components X_{rho sigma} of a 2-form in the coframe, from its coordinate array."""
    return [[simplify(sum((arr2[a, b] * e[a, r] * e[b, s] for a in range(n) for b in range(n)
                           if arr2[a, b] != 0), sp.Integer(0))) for s in range(n)]
            for r in range(n)]


def structure_residual(res: CartanResult) -> list[Form]:
    """d omega^mu + omega^mu_nu ^ omega^nu for every mu (all zero for a correct connection)."""
    n = len(res.coords)
    col = [[w] for w in res.coframe]
    ww = wedge_matrix(res.connection, col)
    return [(d(res.coframe[m]) + ww[m][0]).simplify() for m in range(n)]


def curvature_forms(frame: sp.Matrix, coords: Sequence[sp.Symbol], eta: sp.Matrix,
                    simplify: Callable[[sp.Expr], sp.Expr] = sp.simplify) -> CartanResult:
    """Cartan's method for the coframe omega^mu = frame[mu, alpha] dx^alpha and frame metric eta.

    Returns the coframe, the connection 1-forms, the curvature 2-forms and both component arrays
    (see the module docstring for the formulas and conventions).
    """
    coords = _check_coords(coords)
    h, eta = _check_frame(frame, coords, eta)
    n = len(coords)
    e = sp.simplify(h.inv())  # e[alpha, mu] = (h^{-1})^alpha_mu
    eta_inv = eta.inv()
    coframe = [one_form(list(h.row(m)), coords) for m in range(n)]

    # d omega^mu = 1/2 C^mu_{rho sigma} omega^rho ^ omega^sigma
    C_up = [_to_frame(d(w).array(), e, n, simplify) for w in coframe]
    C = [[[sum((eta[m, k] * C_up[k][r][s] for k in range(n)), sp.Integer(0)) for s in range(n)]
          for r in range(n)] for m in range(n)]
    # omega_{mu nu} = A_{mu nu rho} omega^rho
    A = [[[simplify((C[m][v][r] + C[v][r][m] - C[r][m][v]) / 2) for r in range(n)]
          for v in range(n)] for m in range(n)]
    connection: list[list[Form]] = []
    for m in range(n):
        row = []
        for v in range(n):
            coeff_frame = [sum((eta_inv[m, k] * A[k][v][r] for k in range(n)), sp.Integer(0))
                           for r in range(n)]
            coeff_coord = [simplify(sum((coeff_frame[r] * h[r, a] for r in range(n)),
                                        sp.Integer(0))) for a in range(n)]
            row.append(one_form(coeff_coord, coords))
        connection.append(row)

    # R^mu_nu = d omega^mu_nu + omega^mu_alpha ^ omega^alpha_nu
    ww = wedge_matrix(connection, connection)
    curvature = [[(d(connection[m][v]) + ww[m][v]).applyfunc(simplify) for v in range(n)]
                 for m in range(n)]

    r_frame = sp.MutableDenseNDimArray.zeros(n, n, n, n)
    r_coord = sp.MutableDenseNDimArray.zeros(n, n, n, n)
    arrays = [[curvature[m][v].array() for v in range(n)] for m in range(n)]
    for m in range(n):
        for v in range(n):
            comp = _to_frame(arrays[m][v], e, n, simplify)
            for r in range(n):
                for s in range(n):
                    r_frame[m, v, r, s] = comp[r][s]
    for a in range(n):
        for b in range(n):
            for c in range(n):
                for dd in range(c + 1, n):
                    val = sum((e[a, m] * arrays[m][v][c, dd] * h[v, b] for m in range(n)
                               for v in range(n) if e[a, m] != 0 and h[v, b] != 0),
                              sp.Integer(0))
                    val = simplify(val) if val != 0 else val
                    r_coord[a, b, c, dd] = val
                    r_coord[a, b, dd, c] = -val
    return CartanResult(coords=coords, frame=h, eta=eta, coframe=coframe, connection=connection,
                        curvature=curvature, riemann_frame=sp.ImmutableDenseNDimArray(r_frame),
                        riemann_coords=sp.ImmutableDenseNDimArray(r_coord))
