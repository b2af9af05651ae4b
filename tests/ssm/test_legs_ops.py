"""Tests for blogcode.ssm.legs_ops (and discretize.theta_method) against dense linear algebra,
sequential loops, quadrature and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre as npleg

from blogcode.ssm import discretize as dz
from blogcode.ssm import legs_ops as lo

from .hippo_ref import legs_ref, legt_ref


# ----------------------------------------------------------------------------- A @ v and solves
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**31 - 1))
def test_matvec_cumsum_matches_dense(d, seed):
    A, _ = legs_ref(d)
    v = np.random.default_rng(seed).standard_normal((2, d))
    assert np.allclose(lo.legs_matvec_cumsum(v), v @ A.T, rtol=1e-12, atol=1e-10)
    assert np.allclose(lo.legs_matvec_cumsum(v), dz.legs_matvec_fast(v), rtol=1e-12, atol=1e-10)


def test_linear_recurrence_by_hand():
    a, b = np.array([0.5, -2.0, 3.0]), np.array([1.0, 2.0, -1.0])
    s, expect = 4.0, []
    for ai, bi in zip(a, b, strict=True):
        s = ai * s + bi
        expect.append(s)
    assert np.allclose(lo.linear_recurrence(a, b, s0=4.0), expect)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**31 - 1))
def test_scan_matches_sequential(d, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, (3, d))
    b = rng.standard_normal((3, d))
    S, rounds = lo.linear_recurrence_scan(a, b, return_rounds=True)
    assert np.allclose(S, lo.linear_recurrence(a, b), rtol=1e-12, atol=1e-12)
    assert rounds == (math.ceil(math.log2(d)) if d > 1 else 0)


def test_scan_complex_and_broadcast():
    rng = np.random.default_rng(3)
    a = 0.9 * np.exp(1j * rng.uniform(0, 2 * np.pi, 33))
    b = rng.standard_normal((2, 33))
    assert np.allclose(lo.linear_recurrence_scan(a, b), lo.linear_recurrence(a, b))


@pytest.mark.parametrize("d", [1, 2, 7, 64, 513])
@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5 / 101, 0.5, 4.0])
@pytest.mark.parametrize("method", ["sequential", "scan"])
def test_solve_recurrence_matches_dense(d, lam, method):
    A, _ = legs_ref(d)
    v = np.random.default_rng(d).standard_normal((2, d))
    ref = np.linalg.solve(np.eye(d) - lam * A, v.T).T
    z = lo.legs_solve_recurrence(lam, v, method=method)
    assert np.allclose(z, ref, rtol=1e-10, atol=1e-11 * np.abs(ref).max())


def test_solve_coeffs_are_the_rows():
    # (1 + lam n + lam) S_n = (1 - lam n) S_{n-1} + r_n v_n, checked on the exact solution
    d, lam = 12, 0.3
    A, _ = legs_ref(d)
    v = np.random.default_rng(0).standard_normal(d)
    z = np.linalg.solve(np.eye(d) - lam * A, v)
    r = np.sqrt(2 * np.arange(d) + 1.0)
    S = np.cumsum(r * z)
    a, b = lo.legs_solve_coeffs(lam, v)
    assert np.allclose(S[1:], a[1:] * S[:-1] + b[1:]) and np.isclose(S[0], b[0])


def test_solve_errors():
    with pytest.raises(ValueError, match="singular"):
        lo.legs_solve_coeffs(-1.0, np.ones(3))  # 1 + lam*(n+1) = 0 at n = 0
    with pytest.raises(ValueError, match="unknown method"):
        lo.legs_solve_recurrence(0.5, np.ones(3), method="magic")
    with pytest.raises(ValueError, match="shape"):
        lo.legs_matvec_cumsum(np.ones(0))


# ----------------------------------------------------------------------------- theta method
def test_theta_method_contains_the_three_rules():
    A, B = legt_ref(5)
    eps = 0.07
    for alpha, rule in [(1.0, dz.forward_euler), (0.0, dz.backward_euler), (0.5, dz.bilinear)]:
        Ab, Bb = dz.theta_method(A, B, eps, alpha)
        Ar, Br = rule(A, B, eps)
        assert np.allclose(Ab, Ar, rtol=1e-12, atol=1e-13)
        assert np.allclose(Bb, Br, rtol=1e-12, atol=1e-13)
    with pytest.raises(ValueError):
        dz.theta_method(A, B, eps, 1.5)


@pytest.mark.parametrize("alpha, order", [(0.25, 2), (0.5, 3), (0.8, 2)])
def test_theta_method_order(alpha, order):
    A, B = legt_ref(4)

    def err(eps):
        Ab, Bb = dz.theta_method(A, B, eps, alpha)
        Ae, Be = dz.zoh(A, B, eps)
        return max(np.abs(Ab - Ae).max(), np.abs(Bb - Be).max())

    assert abs(np.log2(err(1e-2) / err(5e-3)) - order) < 0.15


# ----------------------------------------------------------------------------- LegS recursions
def test_constant_input_fixed_point():
    # the exact memory of a constant is (sqrt 2 u, 0, ...); the tau-bilinear rule keeps it,
    # the trapezoidal rules in t do not (their input weight is not (1/k + 1/(k+1)) / 2)
    A, B = legs_ref(6)
    u = 2.5 * np.ones(20)
    fixed = np.r_[2.5 * np.sqrt(2), np.zeros(5)]
    assert np.allclose(lo.legs_variant_scan(A, B, u, "tau-bilinear"), fixed, atol=1e-12)
    assert np.abs(lo.legs_variant_scan(A, B, u, "log-input") - fixed).max() > 1e-3
    assert np.abs(dz.legs_scan(A, B, u, "bilinear") - fixed).max() > 1e-3


def test_variants_approach_zoh():
    A, B = legs_ref(8)
    u = np.random.default_rng(0).standard_normal(200)
    Xz = dz.legs_scan(A, B, u, "zoh")
    gap = {m: np.abs(X[-1] - Xz[-1]).max() for m, X in [
        ("bilinear", dz.legs_scan(A, B, u, "bilinear")),
        ("log-input", lo.legs_variant_scan(A, B, u, "log-input")),
        ("tau-bilinear", lo.legs_variant_scan(A, B, u, "tau-bilinear"))]}
    assert gap["tau-bilinear"] < gap["log-input"] < gap["bilinear"] < 1e-2
    with pytest.raises(ValueError):
        lo.legs_variant_scan(A, B, u, "nope")


def test_impulse_response_closed_form():
    d, L = 7, 80
    A, B = legs_ref(d)
    imp = np.zeros(L)
    imp[0] = 1.0
    k = np.arange(1, L + 1)
    X = dz.legs_scan(A, B, imp, "zoh")
    assert np.allclose(X, lo.legs_impulse_response(d, k), rtol=1e-10, atol=1e-13)
    # leading term: k x_{k,n} -> 2 g_n(-1) = (-1)^n sqrt(2(2n+1))
    n = np.arange(d)
    lead = 1e6 * lo.legs_impulse_response(d, 1e6)
    assert np.allclose(lead, (-1.0) ** n * np.sqrt(2 * (2 * n + 1)), rtol=1e-4)


def test_spectral_projectors_of_legs():
    d = 6
    A, _ = legs_ref(d)
    lam, Pi = lo.spectral_projectors(A)
    assert np.allclose(lam, -np.arange(1, d + 1))
    assert np.allclose(Pi.sum(0), np.eye(d), atol=1e-9)
    assert np.allclose(np.einsum("p,pij->ij", lam, Pi), A, atol=1e-8)
    for n, m in [(7, 2), (50, 3)]:
        E = scipy.linalg.expm(np.log(n / m) * A)
        r = m / n
        assert np.allclose(np.einsum("p,pij->ij", r ** np.arange(1, d + 1), Pi), E, atol=1e-9)
    # Pi_p[i, j] = 0 unless j <= p <= i (A is lower triangular)
    i, j = np.indices((d, d))
    for p in range(d):
        assert np.allclose(Pi[p][~((j <= p) & (p <= i))], 0, atol=1e-9)


# ----------------------------------------------------------------------------- Fourier basis
def test_s_series():
    s = np.array([0.1, 0.3, 0.77])
    errs = [np.abs(lo.s_partial_sum(s, N) - s).max() for N in (10, 100, 1000)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 2e-3
    assert abs(lo.s_partial_sum(0.0, 37) - 0.5) < 1e-15
    # the complex form: 1/2 + (i/2pi) sum_{k != 0} e^{2 i pi k s}/k
    k = np.r_[-40:0, 1:41]
    cplx = 0.5 + (1j / (2 * np.pi)) * np.sum(np.exp(2j * np.pi * np.outer(s, k)) / k, axis=1)
    assert np.allclose(cplx.real, lo.s_partial_sum(s, 40)) and np.allclose(cplx.imag, 0)


def test_toeplitz_s_entries_and_definiteness():
    f = np.arange(-4, 5)
    T = lo.toeplitz_s(f)
    x, w = npleg.leggauss(64)
    x, w = (x + 1) / 2, w / 2
    ref = np.array([[np.sum(w * x * np.exp(-2j * np.pi * (n - k) * x)) for k in f] for n in f])
    assert np.allclose(T, ref, atol=1e-13)
    assert np.allclose(T, T.conj().T) and np.linalg.eigvalsh(T).min() > 0


@pytest.mark.parametrize("N", [1, 3, 10])
def test_fourier_legs_operator_form(N):
    f = np.arange(-N, N + 1)
    A, B = dz.fourier_legs(len(f), f)
    M = -np.eye(len(f)) + 2j * np.pi * np.diag(f) @ lo.toeplitz_s(f)
    assert np.allclose(A, M, atol=1e-13)
    ev = np.linalg.eigvals(A)
    assert np.allclose(ev.real, -1.0, atol=1e-9)
    assert np.allclose(-np.linalg.solve(A, B), (f == 0).astype(float), atol=1e-12)


def test_fourier_coeffs_piecewise_by_quadrature():
    u = np.random.default_rng(2).standard_normal(5)
    f = np.arange(-3, 4)
    x, w = npleg.leggauss(40)
    x, w = (x + 1) / 2, w / 2
    ref = np.zeros(len(f), dtype=complex)
    for k in range(5):  # integrate cell by cell in s
        s = (k + x) / 5
        ref += u[k] * np.array([np.sum(w / 5 * np.exp(-2j * np.pi * n * s)) for n in f])
    assert np.allclose(lo.fourier_coeffs_piecewise(u, f), ref, atol=1e-13)


def test_truncated_fourier_memory():
    u = np.random.default_rng(0).standard_normal(24)
    show = np.arange(-2, 3)
    exact = lo.fourier_coeffs_piecewise(u, show)
    errs = []
    for N in (4, 16, 48):
        f = np.arange(-N, N + 1)
        A, B = dz.fourier_legs(len(f), f)
        X = dz.legs_scan(A, B, u.astype(complex), "zoh")
        c = X[-1][np.isin(f, show)]
        assert abs(c[show == 0][0] - u.mean()) < 1e-13  # the mean row is exact
        errs.append(np.abs(c - exact).max())
    assert errs[0] > errs[1] > errs[2]
