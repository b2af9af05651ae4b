"""Cartan's method against the independent Christoffel route, and known curvatures."""

from __future__ import annotations

from functools import cache
from itertools import product

import pytest
import sympy as sp

from blogcode.diffgeo.cartan import curvature_forms, metric_from_frame, structure_residual
from blogcode.diffgeo.riemann import christoffel, ricci, ricci_scalar, riemann_from_metric

th, ph = sp.symbols("theta phi")
t, r, a, M = sp.symbols("t r a M", positive=True)
Phi, Lam = sp.Function("Phi")(r), sp.Function("Lambda")(r)
COORDS4 = (t, r, th, ph)
ETA4 = sp.diag(-1, 1, 1, 1)


@cache
def sphere():
    return curvature_forms(sp.diag(a, a * sp.sin(th)), (th, ph), sp.eye(2))


@cache
def static():
    frame = sp.diag(sp.exp(Phi), sp.exp(Lam), r, r * sp.sin(th))
    return curvature_forms(frame, COORDS4, ETA4)


@cache
def static_coordinate_route():
    g = sp.diag(-sp.exp(2 * Phi), sp.exp(2 * Lam), r**2, r**2 * sp.sin(th) ** 2)
    return g, riemann_from_metric(g, COORDS4)


def arrays_equal(A, B) -> bool:
    n = A.shape[0]
    return all(sp.simplify(A[i] - B[i]) == 0 for i in product(range(n), repeat=4))


def test_sphere_both_routes_and_gaussian_curvature() -> None:
    res = sphere()
    g = metric_from_frame(res.frame, res.eta)
    assert g == sp.diag(a**2, a**2 * sp.sin(th) ** 2)
    R = riemann_from_metric(g, (th, ph))
    assert arrays_equal(res.riemann_coords, R)
    assert sp.simplify(res.riemann_coords[0, 1, 0, 1] - sp.sin(th) ** 2) == 0  # not sin(theta)
    assert res.riemann_coords[1, 0, 0, 1] == -1
    assert sp.simplify(res.riemann_frame[0, 1, 0, 1] - 1 / a**2) == 0
    K = sp.simplify((g * sp.Matrix(2, 2, lambda i, j: R[i, j, 0, 1]))[0, 1] / g.det())
    assert sp.simplify(K - 1 / a**2) == 0
    assert sp.simplify(ricci_scalar(ricci(R), g) - 2 / a**2) == 0
    # omega^1_2 = -cos(theta) dphi, independent of the radius
    assert res.connection[0][1].comps == {(1,): -sp.cos(th)}
    assert all(f.is_zero() for f in structure_residual(res))


def test_static_spherical_both_routes_agree() -> None:
    res = static()
    g, R = static_coordinate_route()
    assert sp.simplify(res.metric - g) == sp.zeros(4, 4)
    assert arrays_equal(res.riemann_coords, R)
    assert all(f.is_zero() for f in structure_residual(res))
    # lowered connection is antisymmetric: eta_{mu k} omega^k_nu = -eta_{nu k} omega^k_mu
    for m, v in product(range(4), repeat=2):
        low_mv = res.connection[m][v].scale(ETA4[m, m])
        low_vm = res.connection[v][m].scale(ETA4[v, v])
        assert (low_mv + low_vm).simplify().is_zero()


def test_static_spherical_frame_components_and_errata() -> None:
    Rh = static().riemann_frame
    P1, L1, P2 = sp.diff(Phi, r), sp.diff(Lam, r), sp.diff(Phi, r, 2)
    ex = sp.exp(-2 * Lam)
    expected = {
        (0, 1, 0, 1): -ex * (P2 + P1**2 - P1 * L1),
        (0, 2, 0, 2): -ex * P1 / r,
        (0, 3, 0, 3): -ex * P1 / r,
        (1, 2, 1, 2): ex * L1 / r,
        (1, 3, 1, 3): ex * L1 / r,
        (2, 3, 2, 3): (1 - ex) / r**2,
    }
    for idx, val in expected.items():
        assert sp.simplify(Rh[idx] - val) == 0, idx
    assert Rh[0, 2, 0, 1] == 0  # the "Rhat^1_{312}" of the source vanishes
    curv34 = static().curvature[2][3].component((2, 3))
    assert sp.simplify(curv34 - (1 - sp.exp(-2 * Lam)) * sp.sin(th)) == 0
    assert sp.simplify(curv34 - (1 - sp.exp(2 * Lam)) * sp.sin(th)) != 0


def test_schwarzschild_is_ricci_flat() -> None:
    f = 1 - 2 * M / r
    sub = {Phi: sp.log(f) / 2, Lam: -sp.log(f) / 2}
    g = sp.diag(-f, 1 / f, r**2, r**2 * sp.sin(th) ** 2)
    R = riemann_from_metric(g, COORDS4)
    assert ricci(R) == sp.zeros(4, 4)
    # the general static result specialised by substitution is Ricci-flat as well
    Rg = static().riemann_coords
    Rs = sp.Array([sp.simplify(x.subs(sub).doit()) for x in sp.flatten(Rg)]).reshape(4, 4, 4, 4)
    assert arrays_equal(Rs, R)
    # Kretschmann scalar 48 M^2 / r^6 (a classic closed form)
    ginv = g.inv()
    low = [[[[sum(g[i, e] * R[e, j, k, m] for e in range(4)) for m in range(4)]
             for k in range(4)] for j in range(4)] for i in range(4)]
    K = sum(low[i][j][k][m] ** 2 * ginv[i, i] * ginv[j, j] * ginv[k, k] * ginv[m, m]
            for i, j, k, m in product(range(4), repeat=4))
    assert sp.simplify(K - 48 * M**2 / r**6) == 0


def test_flat_space_in_polar_coordinates() -> None:
    rr = sp.Symbol("rho", positive=True)
    res = curvature_forms(sp.diag(1, rr), (rr, ph), sp.eye(2))
    assert all(x == 0 for x in sp.flatten(res.riemann_coords))
    assert res.connection[0][1].comps == {(1,): -1}


def test_christoffel_of_sphere_closed_form() -> None:
    G = christoffel(sp.diag(1, sp.sin(th) ** 2), (th, ph))
    assert sp.simplify(G[0, 1, 1] + sp.sin(th) * sp.cos(th)) == 0
    assert sp.simplify(G[1, 0, 1] - sp.cos(th) / sp.sin(th)) == 0
    assert G[0, 0, 0] == G[1, 1, 1] == G[1, 0, 0] == 0


def test_bad_input_errors() -> None:
    with pytest.raises(ValueError, match="frame must be 2x2"):
        curvature_forms(sp.eye(3), (th, ph), sp.eye(2))
    with pytest.raises(ValueError, match="eta must be 2x2"):
        curvature_forms(sp.eye(2), (th, ph), sp.eye(3))
    with pytest.raises(ValueError, match="frame is singular"):
        curvature_forms(sp.Matrix([[1, 0], [1, 0]]), (th, ph), sp.eye(2))
    with pytest.raises(ValueError, match="eta must be constant"):
        curvature_forms(sp.eye(2), (th, ph), sp.diag(1, th))
    with pytest.raises(ValueError, match="eta must be symmetric"):
        curvature_forms(sp.eye(2), (th, ph), sp.Matrix([[1, 1], [0, 1]]))
    with pytest.raises(TypeError, match="frame must be a sympy Matrix"):
        curvature_forms([[1, 0], [0, 1]], (th, ph), sp.eye(2))
    with pytest.raises(ValueError, match="g must be symmetric"):
        christoffel(sp.Matrix([[1, th], [0, 1]]), (th, ph))
    with pytest.raises(ValueError, match="g is singular"):
        christoffel(sp.zeros(2, 2), (th, ph))
    with pytest.raises(ValueError, match="g must be 2x2"):
        riemann_from_metric(sp.eye(3), (th, ph))
    with pytest.raises(TypeError, match="sympy Symbols"):
        christoffel(sp.eye(2), ("theta", ph))
    with pytest.raises(ValueError, match="riemann must be an"):
        ricci(sp.Array([[1, 0], [0, 1]]))


@pytest.mark.parametrize("theta0", [0.3, 1.0, 2.0])
def test_holonomy_on_latitude_equals_enclosed_curvature(theta0: float) -> None:
    import numpy as np

    from blogcode.diffgeo.riemann import christoffel_numeric, parallel_transport

    gamma = christoffel_numeric(sp.diag(1, sp.sin(th) ** 2), (th, ph))
    s, V = parallel_transport(gamma, lambda s: (np.array([theta0, s]), np.array([0.0, 1.0])),
                              [1.0, 0.0], (0.0, 2 * np.pi), np.linspace(0, 2 * np.pi, 9))
    # the metric norm is conserved
    assert np.allclose(V[:, 0] ** 2 + np.sin(theta0) ** 2 * V[:, 1] ** 2, 1.0, atol=1e-9)
    alpha = np.unwrap(np.arctan2(np.sin(theta0) * V[:, 1], V[:, 0]))
    assert abs(alpha[-1] + 2 * np.pi * np.cos(theta0)) < 1e-8  # = closed loop integral of w^1_2
    cap_area = 2 * np.pi * (1 - np.cos(theta0))
    assert abs((alpha[-1] - cap_area + np.pi) % (2 * np.pi) - np.pi) < 1e-8


def test_parallel_transport_bad_input() -> None:
    from blogcode.diffgeo.riemann import parallel_transport

    with pytest.raises(ValueError, match="v0 must be a 1-D vector"):
        parallel_transport(lambda x: 0, lambda s: (0, 0), [[1.0]], (0, 1))
    with pytest.raises(ValueError, match="s_span must be increasing"):
        parallel_transport(lambda x: 0, lambda s: (0, 0), [1.0], (1, 0))
