"""Tests for blogcode.linalg.quadric against independent references: invariance identities,
direct substitution, exact sympy algebra, brute-force sampling of the curve."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.linalg.quadric import (
    augmented,
    classify,
    draw_conic,
    draw_frame,
    equation_expr,
    invariants,
    normal_form_expr,
    parabolic_limit,
    parabolic_limit_symbolic,
    perturbed_form,
    semi_invariant,
    simplify,
    simplify_exact,
    transform,
)


def _F(A, b, c, x):
    A, b, x = np.asarray(A, float), np.asarray(b, float), np.asarray(x, float)
    return np.einsum("...i,ij,...j->...", x, A, x) + 2 * x @ b + c


def _rotation(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def _random_quadric(seed, n, rank):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.5, 3.0, n) * rng.choice([-1, 1], n)
    lam[: n - rank] = 0.0
    Q = _rotation(rng, n)
    A = Q @ np.diag(lam) @ Q.T
    return (A + A.T) / 2, rng.standard_normal(n), float(rng.standard_normal())


seeds = st.integers(0, 2**31 - 1)


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from([(2, 2), (2, 1), (3, 3), (3, 2), (3, 1)]))
def test_invariants_under_rigid_motion(seed, shape):
    n, rank = shape
    A, b, c = _random_quadric(seed, n, rank)
    rng = np.random.default_rng(seed + 1)
    Q, s = _rotation(rng, n), rng.standard_normal(n)
    A2, b2, c2 = transform(A, b, c, Q, s)
    i1, i2 = invariants(A, b, c), invariants(A2, b2, c2)
    for key in i1:
        assert i2[key] == pytest.approx(i1[key], rel=1e-9, abs=1e-9)
    # the transformed polynomial is F(Q x' + s), checked by substitution
    x = rng.standard_normal((5, n))
    np.testing.assert_allclose(_F(A2, b2, c2, x), _F(A, b, c, x @ Q.T + s), atol=1e-10)
    assert classify(A2, b2, c2) == classify(A, b, c)


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from([(2, 2), (2, 1), (3, 3), (3, 2), (3, 1)]))
def test_normal_form_identity_and_invariants(seed, shape):
    n, rank = shape
    A, b, c = _random_quadric(seed, n, rank)
    nf = simplify(A, b, c)
    np.testing.assert_allclose(nf.R.T @ nf.R, np.eye(n), atol=1e-12)
    assert np.linalg.det(nf.R) == pytest.approx(1.0, abs=1e-12)
    y = np.random.default_rng(seed).standard_normal((7, n))
    # F(R y + t) equals the normal-form polynomial for every y (no rescaling)
    np.testing.assert_allclose(nf.evaluate(y), _F(A, b, c, nf.to_original(y)), atol=1e-8)
    inv = invariants(A, b, c)
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = np.diag(nf.quad)
    M[:n, n] = M[n, :n] = nf.lin
    M[n, n] = nf.const
    assert np.trace(M[:n, :n]) == pytest.approx(inv["trA"], abs=1e-9)
    assert np.linalg.det(M) == pytest.approx(inv["detM"], abs=1e-8)
    if rank == n:
        assert nf.case == "central" and nf.const == pytest.approx(inv["detM"] / inv["detA"])
    else:
        assert nf.case == "parabolic"  # random b has a null-space part
        assert np.count_nonzero(nf.lin) == 1 and nf.const == 0.0


def test_parabola_example_exact():
    A, b, c = [[1, 1], [1, 1]], [1, -1], 0
    assert classify(A, b, c) == "parabola"
    ex = simplify_exact(A, b, c)
    u, v = sp.symbols("u v")
    assert sp.simplify(normal_form_expr(ex, [u, v]) - (2 * v**2 - 2 * sp.sqrt(2) * u)) == 0
    # substitute x = R y + t into the original polynomial symbolically
    x = ex.R * sp.Matrix([u, v]) + ex.t
    F = (x.T * sp.Matrix(A) * x)[0] + 2 * (sp.Matrix(b).T * x)[0] + c
    assert sp.expand(F - normal_form_expr(ex, [u, v])) == 0
    # q^2 = -det M / tr A for a parabola
    inv = invariants(A, b, c)
    assert ex.lin[0] ** 2 == sp.nsimplify(-inv["detM"] / inv["trA"])
    nf = simplify(A, b, c)
    np.testing.assert_allclose(nf.quad, [0, 2], atol=1e-12)
    np.testing.assert_allclose(nf.lin, [-np.sqrt(2), 0], atol=1e-12)
    np.testing.assert_allclose(nf.R, np.array(ex.R.evalf(), float), atol=1e-12)


@pytest.mark.parametrize("A,b,c", [
    ([[1, 1], [1, 1]], [1, -1], 0),
    ([[1, -2], [-2, 4]], [3, 1], 5),
    ([[4, 0], [0, 0]], [2, -3], 7),
    ([[2, 0, 0], [0, 1, 0], [0, 0, 0]], [1, 2, 3], 4),
    ([[1, 1, 0], [1, 1, 0], [0, 0, 0]], [1, 0, 2], -1),
    ([[2, -1, 0], [-1, 2, 0], [0, 0, 0]], [0, 1, -1], 3),
])
def test_eps_limit_equals_exact_treatment(A, b, c):
    ex = simplify_exact(A, b, c)
    pl = parabolic_limit(A, b, c)
    lim = pl.limit
    assert lim.case == ex.case == "parabolic"
    np.testing.assert_allclose(lim.R, np.array(ex.R.evalf(), float), atol=1e-10)
    np.testing.assert_allclose(lim.t, np.array(ex.t.evalf(), float).ravel(), atol=1e-10)
    np.testing.assert_allclose(lim.quad, [float(x) for x in ex.quad], atol=1e-10)
    np.testing.assert_allclose(lim.lin, [float(x) for x in ex.lin], atol=1e-10)
    # the perturbed forms converge, at rate O(eps), and each one is exact for F_eps
    assert np.all(np.diff(pl.errors) < 0)
    ratio = pl.errors[-1] / pl.eps[-1]
    assert 0 < ratio < 1e3 and pl.errors[-1] < 1e-5
    n = len(b)
    for f in pl.forms[::5]:
        z = np.random.default_rng(0).standard_normal((4, n))
        x = z @ f.R.T + f.t
        Fe = _F(A, b, c, x) + f.eps * np.sum(x * x, axis=1)
        np.testing.assert_allclose((z**2) @ f.quad + 2 * z @ f.lin + f.const, Fe, atol=1e-9)
        # the centre of the perturbed quadric is far away, like 1/eps
        assert np.linalg.norm(f.centre) > 0.1 / f.eps


def test_symbolic_limit():
    A, b, c = [[1, -2], [-2, 4]], [3, 1], 5
    sym = parabolic_limit_symbolic(A, b, c)
    ex = sym["exact"]
    assert sp.simplify(sym["q_limit"] - ex.lin[0]) == 0
    assert sp.simplify(sym["t_limit"] - ex.t) == sp.zeros(2, 1)
    # c'(eps) = det M_eps / det A_eps diverges like detM / (eps * trA)
    inv = invariants(A, b, c)
    lead = sp.limit(sym["cprime"] * sym["eps"], sym["eps"], 0)
    assert float(lead) == pytest.approx(inv["detM"] / inv["trA"])


def test_points_map_onto_normal_form():
    # sample points on the original curve by solving for y along vertical lines (brute force)
    for A, b, c in [([[5, 2], [2, 2]], [-1, 3], -4), ([[1, 3], [3, 1]], [2, 0], 1),
                    ([[1, -2], [-2, 4]], [3, 1], 5)]:
        nf = simplify(A, b, c)
        pts = []
        for x0 in np.linspace(-8, 8, 41):
            coeffs = [A[1][1], 2 * (A[0][1] * x0 + b[1]), A[0][0] * x0**2 + 2 * b[0] * x0 + c]
            for r in np.roots(coeffs):
                if abs(r.imag) < 1e-12:
                    pts.append((x0, r.real))
        pts = np.array(pts)
        assert len(pts) > 10
        np.testing.assert_allclose(_F(A, b, c, pts), 0, atol=1e-8)
        np.testing.assert_allclose(nf.evaluate(nf.to_normal(pts)), 0, atol=1e-7)


@pytest.mark.parametrize("A,b,c,name", [
    (np.diag([1, 4]), [0, 0], -4, "ellipse"),
    (np.diag([1, 4]), [0, 0], 4, "imaginary ellipse"),
    (np.diag([1, 4]), [0, 0], 0, "point"),
    (np.diag([1, -4]), [0, 0], -4, "hyperbola"),
    ([[1, 3], [3, 1]], [0, 0], 0, "pair of intersecting lines"),
    ([[1, 1], [1, 1]], [1, -1], 0, "parabola"),
    ([[1, 1], [1, 1]], [0, 0], -1, "pair of parallel lines"),
    ([[1, 1], [1, 1]], [0, 0], 1, "pair of imaginary parallel lines"),
    ([[1, 1], [1, 1]], [0, 0], 0, "pair of coincident lines"),
    (np.diag([1, 2, 3]), [0, 0, 0], -1, "ellipsoid"),
    (np.diag([1, 2, 3]), [0, 0, 0], 1, "imaginary ellipsoid"),
    (np.diag([1, 2, 3]), [0, 0, 0], 0, "point"),
    (np.diag([1, 2, -3]), [0, 0, 0], -1, "hyperboloid of one sheet"),
    (np.diag([1, 2, -3]), [0, 0, 0], 1, "hyperboloid of two sheets"),
    (np.diag([-1, -2, 3]), [0, 0, 0], 1, "hyperboloid of one sheet"),
    (np.diag([1, 2, -3]), [0, 0, 0], 0, "cone"),
    (np.diag([1, 2, 0]), [0, 0, -1], 0, "elliptic paraboloid"),
    (np.diag([1, -2, 0]), [0, 0, -1], 0, "hyperbolic paraboloid"),
    (np.diag([1, 2, 0]), [0, 0, 0], -1, "elliptic cylinder"),
    (np.diag([-1, -2, 0]), [0, 0, 0], 1, "elliptic cylinder"),
    (np.diag([1, 2, 0]), [0, 0, 0], 1, "imaginary elliptic cylinder"),
    (np.diag([1, -2, 0]), [0, 0, 0], 1, "hyperbolic cylinder"),
    (np.diag([1, -2, 0]), [0, 0, 0], 0, "pair of intersecting planes"),
    (np.diag([1, 2, 0]), [0, 0, 0], 0, "line"),
    (np.diag([1, 0, 0]), [0, 1, 0], 0, "parabolic cylinder"),
    (np.diag([1, 0, 0]), [0, 0, 0], -1, "pair of parallel planes"),
    (np.diag([1, 0, 0]), [0, 0, 0], 1, "pair of imaginary parallel planes"),
    (np.diag([1, 0, 0]), [0, 0, 0], 0, "pair of coincident planes"),
])
def test_classify_standard_examples(A, b, c, name):
    assert classify(A, b, c) == name
    # and after a rigid motion with a non-trivial rotation and shift
    rng = np.random.default_rng(len(name))
    n = len(b)
    A2, b2, c2 = transform(A, b, c, _rotation(rng, n), rng.standard_normal(n))
    assert classify(A2, b2, c2) == name


def test_classify_cylinder_semi_invariant():
    # K_2 = lambda1 lambda2 k for the elliptic cylinder x^2 + 2 y^2 - 1 = 0
    assert semi_invariant(np.diag([1, 2, 0]), [0, 0, 0], -1, 2) == pytest.approx(-2.0)


def test_central_simplify_values():
    nf = simplify([[5, 2], [2, 2]], [-1, 3], -4)
    inv = invariants([[5, 2], [2, 2]], [-1, 3], -4)
    np.testing.assert_allclose(nf.quad, [1, 6])
    assert nf.const == pytest.approx(inv["detM"] / inv["detA"])
    np.testing.assert_allclose(nf.t, -np.linalg.solve([[5, 2], [2, 2]], [-1, 3]))
    ex = simplify_exact([[5, 2], [2, 2]], [-1, 3], -4)
    assert ex.const == sp.nsimplify(inv["detM"] / inv["detA"])


def test_cylindrical_case():
    nf = simplify([[1, 1], [1, 1]], [1, 1], -3)  # (x+y+1)^2 = 4: two parallel lines
    assert nf.case == "cylindrical"
    np.testing.assert_allclose(nf.quad, [0, 2], atol=1e-12)
    np.testing.assert_allclose(nf.lin, [0, 0], atol=1e-12)
    assert nf.const == pytest.approx(-4.0)
    assert simplify_exact([[1, 1], [1, 1]], [1, 1], -3).const == -4


def test_augmented_matrix():
    M = augmented([[1, 2], [2, 3]], [4, 5], 6)
    np.testing.assert_array_equal(M, [[1, 2, 4], [2, 3, 5], [4, 5, 6]])


@pytest.mark.parametrize("args,msg", [
    (([[1, 2], [0, 1]], [0, 0], 0), "symmetric"),
    (([[1, 0, 0], [0, 1, 0]], [0, 0], 0), "square 2x2 or 3x3"),
    ((np.eye(4), np.zeros(4), 0), "square 2x2 or 3x3"),
    ((np.eye(2), [0, 0, 0], 0), r"b must have shape \(2,\)"),
    ((np.eye(2), [0, 0], [1, 2]), "c must be a scalar"),
    ((np.eye(2), [0, np.nan], 0), "finite"),
    ((np.zeros((2, 2)), [1, 0], 0), "not quadratic"),
    ((np.eye(2), [0, 0], "x"), "c must be a real number"),
    (([["a", "b"], ["c", "d"]], [0, 0], 0), "real numeric"),
])
def test_bad_input(args, msg):
    with pytest.raises(ValueError, match=msg):
        simplify(*args)
    with pytest.raises(ValueError, match=msg):
        classify(*args)


def test_bad_eps_and_wrong_case():
    with pytest.raises(ValueError, match="invertible"):
        parabolic_limit(np.eye(2), [0, 0], -1)
    with pytest.raises(ValueError, match="positive"):
        parabolic_limit([[1, 1], [1, 1]], [1, -1], 0, eps=[0.1, -0.1])
    with pytest.raises(ValueError, match="too large"):
        perturbed_form([[1, 1], [1, 1]], [1, -1], 10, eps=1e3)
    with pytest.raises(ValueError, match="not parabolic"):
        parabolic_limit_symbolic(np.eye(2), [0, 0], -1)
    with pytest.raises(ValueError, match="exactly symmetric"):
        third = sp.Rational(1, 3)
        simplify_exact([[1, third], [third + sp.Rational(1, 10**14), 1]], [0, 0], 0)


def test_equation_expr_matches_numeric_polynomial():
    x, y, z = sp.symbols("x y z")
    A, b, c = [[2, -1, 0], [-1, 2, 0], [0, 0, 0]], [0, 1, -1], 3
    expr = equation_expr(A, b, c, [x, y, z])
    assert sp.expand(expr - (2 * x**2 - 2 * x * y + 2 * y**2 + 2 * y - 2 * z + 3)) == 0
    with pytest.raises(ValueError, match="need 3 symbols"):
        equation_expr(A, b, c, [x, y])


def test_draw_conic_points_lie_on_curve():
    from blogcode.publish.figures import new_figure

    A, b, c = [[5, 2], [2, 2]], [-1, 3], -4
    fig, ax = new_figure()
    cs = draw_conic(ax, A, b, c, (-4, 6, -8, 3), points=600)
    pts = np.vstack([s for s in cs.allsegs[0] if len(s)])
    assert len(pts) > 50
    assert np.abs(_F(A, b, c, pts)).max() < 1e-2 * np.abs(A).max()
    draw_frame(ax, np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match="conics"):
        draw_conic(ax, np.eye(3), [0, 0, 0], -1, (-1, 1, -1, 1))


@pytest.mark.parametrize("A,b,c", [
    (np.diag([1, 2, 0]), [1, 1, 0], -1),
    ([[1, 1, 0], [1, 1, 0], [0, 0, 0]], [1, 1, 0], 2),
])
def test_cylindrical_3d_limit_equals_exact(A, b, c):
    ex = simplify_exact(A, b, c)
    pl = parabolic_limit(A, b, c)
    assert ex.case == pl.limit.case == "cylindrical"
    np.testing.assert_allclose(pl.limit.t, np.array(ex.t.evalf(), float).ravel(), atol=1e-12)
    assert pl.limit.const == pytest.approx(float(ex.const))
    # the centre converges to -A^+ b, the constant to c - b^T A^+ b
    Ap = np.linalg.pinv(np.asarray(A, float))
    np.testing.assert_allclose(pl.limit.t, -Ap @ np.asarray(b, float), atol=1e-12)
    assert pl.limit.const == pytest.approx(c - np.asarray(b, float) @ Ap @ np.asarray(b, float))
    np.testing.assert_allclose(pl.forms[-1].centre, pl.limit.t, atol=1e-5)
    assert np.all(np.diff(pl.errors) < 0)
