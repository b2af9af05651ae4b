"""Tests for blogcode.linalg.det_derivative against independent references."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.linalg.det_derivative import (
    adjugate,
    cofactor_matrix,
    contracted_christoffel,
    det_cofactor_grad,
    det_via_rows,
    jacobi,
    jacobi_symbolic,
    metric_variation,
    schwarzschild_metric,
    spherical_metric,
)


def _leibniz_cofactors(A: np.ndarray) -> np.ndarray:
    """Brute force: cofactors as determinants of minors by the Leibniz sum (mpmath)."""
    n = A.shape[0]

    def det(M: list[list[float]]) -> mpmath.mpf:
        m = len(M)
        total = mpmath.mpf(0)
        for perm in itertools.permutations(range(m)):
            sign = (-1) ** sum(perm[i] > perm[j] for i in range(m) for j in range(i + 1, m))
            prod = mpmath.mpf(1)
            for i in range(m):
                prod *= mpmath.mpf(M[i][perm[i]])
            total += sign * prod
        return total

    C = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            minor = [[A[r, c] for c in range(n) if c != j] for r in range(n) if r != i]
            C[i, j] = float((-1) ** (i + j) * (det(minor) if minor else 1))
    return C


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1), st.integers(0, 2))
def test_cofactors_vs_leibniz(n: int, seed: int, deficiency: int) -> None:
    rng = np.random.default_rng(seed)
    r = max(n - deficiency, 0)
    A = rng.standard_normal((n, r)) @ rng.standard_normal((r, n)) if r < n else \
        rng.standard_normal((n, n))
    ref = _leibniz_cofactors(A)
    for method in ("svd", "minors"):
        np.testing.assert_allclose(cofactor_matrix(A, method=method), ref, atol=1e-10,
                                   rtol=1e-9)


def test_exactly_singular_integer_matrices() -> None:
    for M, C in (([[1, 2], [2, 4]], [[4, -2], [-2, 1]]),
                 ([[1, 0, 0], [0, 2, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 2]]),
                 ([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[-3, 6, -3], [6, -12, 6], [-3, 6, -3]])):
        ref = np.array(sp.Matrix(M).cofactor_matrix(), dtype=float)
        np.testing.assert_allclose(ref, C)
        for method in ("svd", "minors"):
            np.testing.assert_allclose(cofactor_matrix(np.array(M), method=method), ref,
                                       atol=1e-12)
    # rank n - 2: every cofactor vanishes
    np.testing.assert_allclose(cofactor_matrix(np.outer([1.0, 2, 3], [4.0, 5, 6])), 0,
                               atol=1e-12)


def test_adjugate_identity_batched() -> None:
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 2, 4, 4))
    adj = adjugate(A)
    np.testing.assert_allclose(A @ adj, np.linalg.det(A)[..., None, None] * np.eye(4),
                               atol=1e-12)
    np.testing.assert_allclose(adj @ A, np.linalg.det(A)[..., None, None] * np.eye(4),
                               atol=1e-12)
    np.testing.assert_allclose(adjugate(A, method="minors"), adj, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_jacobi_vs_rows_and_finite_differences(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    A, dA = rng.standard_normal((2, n, n))
    j = jacobi(A, dA)
    assert np.isclose(j, det_via_rows(A, dA), rtol=1e-9, atol=1e-10)
    h = 1e-5
    fd = (np.linalg.det(A + h * dA) - np.linalg.det(A - h * dA)) / (2 * h)
    assert np.isclose(j, fd, rtol=1e-6, atol=1e-7)
    if abs(np.linalg.det(A)) > 1e-3:
        assert np.isclose(j, np.linalg.det(A) * np.trace(np.linalg.solve(A, dA)), rtol=1e-8)


def test_jacobi_at_singular_point_vs_polynomial() -> None:
    # det(A0 + t B) is a polynomial in t; at t = 0 A0 is singular, the slope is its t-coefficient
    A0 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    B = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    t = sp.Symbol("t")
    p = sp.expand((sp.Matrix(A0.astype(int)) + t * sp.Matrix(B.astype(int))).det())
    slope = float(p.coeff(t, 1))
    assert slope != 0
    assert np.isclose(jacobi(A0, B), slope, atol=1e-11)


def test_symbolic_jacobi_3x3() -> None:
    r = jacobi_symbolic(3)
    assert r["difference"] == 0
    assert r["grad_residual"] == sp.zeros(3, 3)
    assert jacobi_symbolic(1)["difference"] == 0
    with pytest.raises(ValueError, match="between 1 and 4"):
        jacobi_symbolic(5)


def test_autograd_matches_cofactors() -> None:
    rng = np.random.default_rng(2)
    A = torch.tensor(rng.standard_normal((5, 5)), requires_grad=True)
    torch.linalg.det(A).backward()
    np.testing.assert_allclose(A.grad.numpy(), _leibniz_cofactors(A.detach().numpy()),
                               rtol=1e-9, atol=1e-10)
    # singular by construction (rank 4), det rounds to a tiny non-zero number
    M = rng.standard_normal((5, 4)) @ rng.standard_normal((4, 5))
    Ms = torch.tensor(M, requires_grad=True)
    torch.linalg.det(Ms).backward()
    np.testing.assert_allclose(Ms.grad.numpy(), _leibniz_cofactors(M), atol=1e-8)
    # the cofactor-backed det is right everywhere, including exactly singular inputs
    for mat in ([[1.0, 2.0], [2.0, 4.0]], [[1.0, 0, 0], [0, 2.0, 0], [0, 0, 0]], M):
        X = torch.tensor(mat, dtype=torch.float64, requires_grad=True)
        det_cofactor_grad(X).backward()
        np.testing.assert_allclose(X.grad.numpy(), _leibniz_cofactors(np.array(mat)),
                                   atol=1e-8)
    # and its own gradient (through the SVD) agrees with finite differences
    Y = torch.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: cofactor_matrix(a), (Y,))


def test_metric_variation_schwarzschild_and_spherical() -> None:
    g, coords, M = schwarzschild_metric()
    r = metric_variation(g)
    assert r["difference"] == 0 and r["difference_upper"] == 0
    assert sp.simplify(r["sqrt_g"] - coords[1] ** 2 * sp.Abs(sp.sin(coords[2]))) == 0
    # a concrete numeric spot check of the direct derivative vs finite differences
    vals = {M: 1, coords[1]: 3, coords[2]: sp.Rational(7, 10)}
    hvals = {s: sp.Rational(k + 1, 7) for k, s in enumerate(sorted(r["h"].free_symbols, key=str))}
    gn = np.array(g.subs(vals).evalf(), dtype=float)
    hn = np.array(r["h"].subs(hvals), dtype=float)
    e = 1e-6
    fd = (np.sqrt(-np.linalg.det(gn + e * hn)) - np.sqrt(-np.linalg.det(gn - e * hn))) / (2 * e)
    assert np.isclose(float(r["formula"].subs(vals).subs(hvals)), fd, rtol=1e-7)
    gs, cs = spherical_metric()
    rs = metric_variation(gs)
    assert rs["difference"] == 0
    assert contracted_christoffel(gs, cs)["difference"] == [0, 0, 0]
    assert contracted_christoffel(g, coords)["difference"] == [0, 0, 0, 0]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"\[\.\.\., n, n\]"):
        cofactor_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        cofactor_matrix(np.array([[np.inf, 0], [0, 1.0]]))
    with pytest.raises(TypeError, match="real numeric"):
        cofactor_matrix(np.array([["a"]]))
    with pytest.raises(ValueError, match="method must be"):
        cofactor_matrix(np.eye(2), method="lu")
    with pytest.raises(ValueError, match="at least 1 x 1"):
        cofactor_matrix(np.ones((0, 0)))
    with pytest.raises(TypeError, match="both be numpy"):
        jacobi(np.eye(2), torch.eye(2))
    with pytest.raises(TypeError, match="torch tensor"):
        det_cofactor_grad(np.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        metric_variation(sp.Matrix([[1, 2], [0, 1]]))
    with pytest.raises(ValueError, match="need 3 coordinates"):
        contracted_christoffel(spherical_metric()[0], (sp.Symbol("r"),))
    assert cofactor_matrix(np.array([[5]])).tolist() == [[1.0]]
