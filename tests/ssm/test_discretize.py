"""Tests for blogcode.ssm.discretize against closed forms, scipy and brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre as npleg

from blogcode.ssm import discretize as dz

from .hippo_ref import legs_ref, legt_ref


def test_zoh_matches_closed_form():
    A, B = legt_ref(5)
    eps = 0.03
    Ab, Bb = dz.zoh(A, B, eps)
    E = scipy.linalg.expm(eps * A)
    assert np.allclose(Ab, E, rtol=1e-13, atol=1e-14)
    assert np.allclose(Bb, np.linalg.solve(A, (E - np.eye(5)) @ B), rtol=1e-10, atol=1e-13)


def test_zoh_singular_A():
    # A = 0: x_{k+1} = x_k + eps*B*u (the block-exponential route needs no A^{-1})
    Ab, Bb = dz.zoh(np.zeros((2, 2)), np.array([1.0, 2.0]), 0.5)
    assert np.allclose(Ab, np.eye(2)) and np.allclose(Bb, [0.5, 1.0])


def _local_error(method, eps):
    A, B = legt_ref(4)
    Ab, Bb = method(A, B, eps)
    Ae, Be = dz.zoh(A, B, eps)
    return max(np.abs(Ab - Ae).max(), np.abs(Bb - Be).max())


@pytest.mark.parametrize(
    "method, order", [(dz.forward_euler, 2), (dz.backward_euler, 2), (dz.bilinear, 3)]
)
def test_local_error_orders(method, order):
    e1, e2 = _local_error(method, 1e-2), _local_error(method, 5e-3)
    assert abs(np.log2(e1 / e2) - order) < 0.15


def test_formulas_by_hand():
    A, B = legt_ref(3)
    eps = 0.1
    I = np.eye(3)
    Ab, Bb = dz.bilinear(A, B, eps)
    assert np.allclose((I - eps * A / 2) @ Ab, I + eps * A / 2)
    assert np.allclose((I - eps * A / 2) @ Bb, eps * B)
    Ab, Bb = dz.backward_euler(A, B, eps)
    assert np.allclose((I - eps * A) @ Ab, I) and np.allclose((I - eps * A) @ Bb, eps * B)


@pytest.mark.parametrize("N", [1, 2, 7, 30])
def test_legs_spectrum(N):
    A, _ = legs_ref(N)
    assert np.allclose(np.sort(np.linalg.eigvals(A).real), -np.arange(N, 0, -1.0))


@pytest.mark.parametrize("n, m", [(5, 2), (9, 4), (100, 1)])
def test_legs_transition_eigenvalues(n, m):
    A, _ = legs_ref(6)
    M = scipy.linalg.expm(np.log(n / m) * A)
    ev = np.sort(np.linalg.eigvals(M).real)
    assert np.allclose(ev, np.sort((m / n) ** np.arange(1.0, 7.0)), rtol=1e-9, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_fast_matvec_and_solve(N, seed):
    rng = np.random.default_rng(seed)
    A, _ = legs_ref(N)
    v = rng.standard_normal((3, N))
    assert np.allclose(dz.legs_matvec_fast(v), v @ A.T, rtol=1e-12, atol=1e-10)
    lam = float(rng.uniform(0, 2))
    z = dz.legs_solve_fast(lam, v)
    ref = np.linalg.solve(np.eye(N) - lam * A, v.T).T
    assert np.allclose(z, ref, rtol=1e-10, atol=1e-10)


def test_legs_recursion_is_step_size_free():
    A, B = legs_ref(8)
    u = np.random.default_rng(1).standard_normal(60)
    X1 = dz.legs_scan(A, B, u, "bilinear-eps", eps=1.0)
    X2 = dz.legs_scan(A, B, u, "bilinear-eps", eps=1e-3)
    X3 = dz.legs_scan(A, B, u, "bilinear")
    X4 = dz.legs_scan(A, B, u, "bilinear-fast")
    assert np.allclose(X1, X2, rtol=1e-12, atol=1e-12)
    assert np.allclose(X1, X3, rtol=1e-12, atol=1e-12)
    assert np.allclose(X3, X4, rtol=1e-11, atol=1e-11)


def _projection_piecewise_constant(u, N):
    """Exact LegS memory c_n = int_{-1}^1 u(T(s+1)/2) g_n(s) ds for u constant on each cell."""
    K = len(u)
    edges = 2 * np.arange(K + 1) / K - 1  # cell edges in s
    c = np.zeros(N)
    for n in range(N):
        e = np.zeros(n + 1)
        e[n] = 1.0
        F = npleg.legval(edges, npleg.legint(e))  # antiderivative of P_n
        c[n] = np.sqrt((2 * n + 1) / 2) * np.sum(u * np.diff(F))
    return c


def test_legs_zoh_is_exact_on_piecewise_constant_input():
    N = 6
    A, B = legs_ref(N)
    u = np.random.default_rng(2).standard_normal(25)
    X = dz.legs_scan(A, B, u, "zoh")
    for K in (1, 2, 10, 25):
        assert np.allclose(X[K - 1], _projection_piecewise_constant(u[:K], N), atol=1e-11)


@pytest.mark.parametrize("m", [0, 1, 3])
def test_legs_exact_on_polynomial_input(m):
    # u(t) = t^m (m < N): the ODE T x' = A x + B u has the solution x = T^m (mI - A)^{-1} B,
    # which must equal the projection computed by Gauss-Legendre quadrature (exact here).
    N, T = 6, 2.5
    A, B = legs_ref(N)
    s, w = npleg.leggauss(20)
    g = np.array([np.sqrt((2 * n + 1) / 2) * npleg.legval(s, np.eye(N)[n]) for n in range(N)])
    c = g @ (w * (T * (s + 1) / 2) ** m)
    assert np.allclose(c, T**m * np.linalg.solve(m * np.eye(N) - A, B), rtol=1e-12)


def test_legs_bilinear_converges_to_exact():
    A, B = legs_ref(4)
    u = np.cos(np.linspace(0, 3, 400))  # smooth input sampled on a fine grid
    Xz = dz.legs_scan(A, B, u, "zoh")
    Xb = dz.legs_scan(A, B, u, "bilinear")
    assert np.abs(Xz[-1] - Xb[-1]).max() < 2e-2


def test_fourier_legs_entries_by_quadrature():
    freqs = np.arange(-2, 3)
    A, B = dz.fourier_legs(5, freqs)
    s, w = npleg.leggauss(60)
    s, w = (s + 1) / 2, w / 2  # quadrature on [0, 1]
    for i, n in enumerate(freqs):
        for j, k in enumerate(freqs):
            # T c_n' = -c_n + u + 2 i pi n sum_k c_k int_0^1 s e^{2 i pi (k - n) s} ds
            val = 2j * np.pi * n * np.sum(w * s * np.exp(2j * np.pi * (k - n) * s))
            expected = val - 1 if i == j else val
            assert abs(A[i, j] - expected) < 1e-12
    assert np.allclose(B, 1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        dz.bilinear(np.ones((2, 3)), np.ones(2), 0.1)
    with pytest.raises(ValueError, match="length N=2"):
        dz.zoh(np.eye(2), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="positive"):
        dz.forward_euler(np.eye(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="k must be"):
        dz.legs_bilinear_step(np.eye(2), np.ones(2), np.ones(2), 1.0, 0)
    with pytest.raises(ValueError, match="x must have shape"):
        dz.legs_zoh_step(np.eye(2), np.ones(2), np.ones(3), 1.0, 1)
    with pytest.raises(ValueError, match="unknown method"):
        dz.legs_scan(-np.eye(2), np.ones(2), np.ones(3), "rk4")
    with pytest.raises(ValueError, match="LegS"):
        dz.legs_scan(-np.eye(2), np.ones(2), np.ones(3), "bilinear-fast")
    with pytest.raises(ValueError, match="distinct"):
        dz.fourier_legs(2, [1, 1])
