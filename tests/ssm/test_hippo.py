"""Tests of blogcode.ssm.hippo against independent references.

The central check is the derivation itself: the memory computed by quadrature,
differentiated in T by finite differences, must equal A c + B u (LegT) or
(A c + B u)/T (LegS).  The references for the matrices are built from numpy's
Legendre module (derivatives, values at the ends, Gauss quadrature), from sympy,
and from the formulas printed in the HiPPO and LMU papers.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre as L

from blogcode.ssm.hippo import (
    fourier_coeffs,
    fourier_frequencies,
    fourier_window,
    legendre_basis,
    legendre_coeffs,
    legs,
    legs_sympy,
    legt,
    legt_sympy,
    normalization_scale,
    ode_residual,
    reconstruct,
    rescale,
    run_memory,
)

H = 1e-3  # finite-difference step in T


def d_dT(f, T, h=H):
    """Five-point central difference: error h^4 f^(5)/30, i.e. ~1e-13 here."""
    return (-f(T + 2 * h) + 8 * f(T + h) - 8 * f(T - h) + f(T - 2 * h)) / (12 * h)


def poly(coefs):
    """A polynomial in t with the given monomial coefficients (vectorised)."""
    return lambda t: np.polynomial.polynomial.polyval(t, coefs)


def residual(kind, A, B, u, T, N, w=1.0):
    """max |dc/dT - rhs| and the scale of rhs, with c from quadrature."""
    c = legendre_coeffs(u, T, N, kind=kind, w=w)
    dc = d_dT(lambda x: legendre_coeffs(u, x, N, kind=kind, w=w), T)
    rhs = A @ c + B * u(T)
    if kind == "legs":
        rhs = rhs / T
    return np.abs(dc - rhs).max(), 1.0 + np.abs(rhs).max()


# ----------------------------------------------------------------- the ODE, by finite differences


@settings(max_examples=40, deadline=None)
@given(
    N=st.integers(1, 9),
    T=st.floats(0.3, 4.0),
    w=st.floats(0.25, 3.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_legt_ode_exact_for_polynomials(N, T, w, seed):
    rng = np.random.default_rng(seed)
    u = poly(rng.normal(size=N) / np.arange(1, N + 1))  # degree N-1 < N
    A, B = legt(N, w)
    err, scale = residual("legt", A, B, u, T, N, w)
    assert err < 1e-7 * scale


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 9), T=st.floats(0.3, 4.0), seed=st.integers(0, 2**32 - 1))
def test_legs_ode_exact_for_polynomials(N, T, seed):
    rng = np.random.default_rng(seed)
    u = poly(rng.normal(size=N) / np.arange(1, N + 1))
    A, B = legs(N)
    err, scale = residual("legs", A, B, u, T, N)
    assert err < 1e-7 * scale


@pytest.mark.parametrize("N", [1, 4, 12])
def test_legs_ode_exact_for_any_smooth_input(N):
    # A is lower triangular: the first N coefficients of ANY input form a closed system.
    def u(t):
        return np.sin(3 * t) + np.exp(-t) * np.cos(7 * t)

    A, B = legs(N)
    for T in (0.5, 2.0, 5.0):
        err, scale = residual("legs", A, B, u, T, N)
        assert err < 1e-7 * scale


def test_legt_residual_is_the_truncation_term():
    # For a non-polynomial input the only approximation of LegT is u(T-w) ~ sum_k c_k g_k(-1):
    # dc/dT - (A c + B u(T)) = -(2/w) g(-1) [u(T-w) - sum_k c_k g_k(-1)].
    N, w, T = 6, 1.5, 2.2

    def u(t):
        return np.sin(2.5 * t) + 0.3 * t

    A, B = legt(N, w)
    c = legendre_coeffs(u, T, N, "legt", w)
    dc = d_dT(lambda x: legendre_coeffs(u, x, N, "legt", w), T)
    g_m1 = legendre_basis(-1.0, N)
    predicted = -(2 / w) * g_m1 * (u(T - w) - g_m1 @ c)
    residual = dc - (A @ c + B * u(T))
    assert np.abs(predicted).max() > 1e-3  # the term is really there
    np.testing.assert_allclose(residual, predicted, rtol=0, atol=1e-8)


@pytest.mark.parametrize("N", [3, 6, 10])
def test_wrong_matrices_fail_the_ode(N):
    """The test above is sharp: transposed sign patterns or a wrong B are caught."""
    rng = np.random.default_rng(N)
    u = poly(rng.normal(size=N))
    T, w = 1.3, 0.9
    A, B = legt(N, w)
    ok, scale = residual("legt", A, B, u, T, N, w)
    assert ok < 1e-7 * scale
    flip = np.diag((-1.0) ** np.arange(N))
    wrong_legt = {
        "A transposed": (A.T, B),
        "reflected (LMU sign convention)": (flip @ A @ flip, flip @ B),
        "B without sqrt(2)": (A, B / np.sqrt(2)),
        "w not applied": (A * w, B * w),
    }
    for name, (A2, B2) in wrong_legt.items():
        err, _ = residual("legt", A2, B2, u, T, N, w)
        assert err > 1e4 * 1e-7 * scale, name
    A, B = legs(N)
    ok, scale = residual("legs", A, B, u, T, N)
    assert ok < 1e-7 * scale
    wrong_legs = {
        "A transposed": (A.T, B),
        "sign of the strict lower part flipped": (A - 2 * np.tril(A, -1), B),
        "B without sqrt(2)": (A, B / np.sqrt(2)),
    }
    for name, (A2, B2) in wrong_legs.items():
        err, _ = residual("legs", A2, B2, u, T, N)
        assert err > 1e4 * 1e-7 * scale, name


def test_fourier_ode_exact_for_trigonometric_polynomials():
    N, w, T = 7, 1.7, 0.6
    f = fourier_frequencies(N)
    rng = np.random.default_rng(0)
    a = rng.normal(size=N) + 1j * rng.normal(size=N)

    def u(t):
        t = np.asarray(t)
        return np.exp(2j * np.pi * np.multiply.outer(t, f) / w) @ a

    A, B = fourier_window(N, w)
    c = fourier_coeffs(u, T, N, w)
    # closed form of the projection: c_n = a_n exp(2 pi i f_n (T - w)/w)
    np.testing.assert_allclose(c, a * np.exp(2j * np.pi * f * (T - w) / w), atol=1e-12)
    dc = d_dT(lambda x: fourier_coeffs(u, x, N, w), T)
    scale = 1 + np.abs(A @ c).max()
    assert np.abs(dc - (A @ c + B * u(T))).max() < 1e-7 * scale
    # conjugating the rotation (wrong sign of 2 pi i f_n) fails
    assert np.abs(dc - (A.conj() @ c + B * u(T))).max() > 1e-2


def test_ode_residual_helper_agrees_with_direct_computation():
    u = poly([0.2, 1.0, -0.4, 0.1])
    N, T, w = 5, 1.9, 1.2
    for kind in ("legt", "legs"):
        A, B = legt(N, w) if kind == "legt" else legs(N)
        c = legendre_coeffs(u, T, N, kind, w)
        rhs = (A @ c + B * u(T)) / (T if kind == "legs" else 1.0)
        direct = d_dT(lambda x, kind=kind: legendre_coeffs(u, x, N, kind, w), T) - rhs
        np.testing.assert_allclose(ode_residual(u, T, N, kind, w), direct, atol=1e-12)
        wrong = ode_residual(u, T, N, kind, w, A=A.T, B=B)
        assert np.abs(wrong).max() > 1e-2
    f = fourier_frequencies(4)
    r = ode_residual(lambda t: np.exp(2j * np.pi * f[1] * np.asarray(t) / w), T, 4, "fourier", w)
    assert np.abs(r).max() < 1e-9


def test_fourier_matrix_entries():
    A, B = fourier_window(4, 2.0)
    f = np.array([0, 1, -2, -1])
    np.testing.assert_array_equal(fourier_frequencies(4), f)
    expected = np.full((4, 4), -0.5, dtype=complex) + np.diag(2j * np.pi * f / 2.0)
    np.testing.assert_allclose(A, expected, rtol=0, atol=0)
    np.testing.assert_allclose(B, np.full(4, 0.5))


# ----------------------------------------------------------------- Legendre identities (numpy)


def P(n):
    """p_n as a Legendre series (numpy's coefficient convention)."""
    return np.eye(n + 1)[n]


def assert_same_series(a, b):
    m = max(len(a), len(b))
    np.testing.assert_allclose(np.pad(a, (0, m - len(a))), np.pad(b, (0, m - len(b))), atol=1e-9)


@pytest.mark.parametrize("n", range(0, 12))
def test_legendre_identities(n):
    # values at the ends
    assert L.legval(1.0, P(n)) == pytest.approx(1.0)
    assert L.legval(-1.0, P(n)) == pytest.approx((-1.0) ** n)
    # p_n' = sum_{k < n, n-k odd} (2k+1) p_k
    rhs = np.zeros(n + 1)
    for k in range(n - 1, -1, -2):
        rhs[k] = 2 * k + 1
    assert_same_series(L.legder(P(n)), rhs)
    # (s+1) p_n' = -(n+1) p_n + sum_{k <= n} (2k+1) p_k
    lhs = L.legadd(L.legmulx(L.legder(P(n))), L.legder(P(n)))
    rhs = -(n + 1) * P(n) + np.array([2 * k + 1 for k in range(n + 1)], dtype=float)
    assert_same_series(lhs, rhs)


def test_basis_is_orthonormal_and_matches_numpy():
    x, wts = L.leggauss(40)
    G = legendre_basis(x, 12)
    np.testing.assert_allclose(G.T @ (wts[:, None] * G), np.eye(12), atol=1e-13)
    for n in range(12):
        np.testing.assert_allclose(G[:, n], np.sqrt((2 * n + 1) / 2) * L.legval(x, P(n)))


def _reference_matrices(N, w):
    """A and B rebuilt from the integration by parts, with numpy's Legendre module."""
    x, wts = L.leggauss(N + 4)
    G = legendre_basis(x, N)  # [q, N]
    norm = np.sqrt((2 * np.arange(N) + 1) / 2)
    dG = np.stack([norm[n] * L.legval(x, L.legder(P(n))) for n in range(N)], axis=1)
    g1, gm1 = legendre_basis(1.0, N), legendre_basis(-1.0, N)
    D = dG.T @ (wts[:, None] * G)  # D_nk = int g_n' g_k ds
    # LegT: c' = (2/w)[g(1) u(T) - g(-1) u(T-w)] - (2/w) D c, u(T-w) = g(-1).c
    A_t = -(2 / w) * (np.outer(gm1, gm1) + D)
    B_t = (2 / w) * g1
    # LegS: c' = (1/T)[2 g(1) u(T) - E c], E_nk = int (g_n + (s+1) g_n') g_k ds
    E = (G + (x[:, None] + 1) * dG).T @ (wts[:, None] * G)
    return A_t, B_t, -E, 2 * g1


@pytest.mark.parametrize("N", [1, 2, 5, 16, 40])
def test_matrices_against_integration_by_parts(N):
    w = 1.7
    A_t, B_t, A_s, B_s = _reference_matrices(N, w)
    A, B = legt(N, w)
    np.testing.assert_allclose(A, A_t, atol=1e-9 * N)
    np.testing.assert_allclose(B, B_t, atol=1e-12 * N)
    A, B = legs(N)
    np.testing.assert_allclose(A, A_s, atol=1e-9 * N)
    np.testing.assert_allclose(B, B_s, atol=1e-12 * N)


def test_small_matrices_by_hand():
    A, B = legs(3)
    r3, r5, r15 = np.sqrt(3), np.sqrt(5), np.sqrt(15)
    np.testing.assert_allclose(A, [[-1, 0, 0], [-r3, -2, 0], [-r5, -r15, -3]])
    np.testing.assert_allclose(B, [np.sqrt(2), np.sqrt(6), np.sqrt(10)])
    A, B = legt(3, w=2.0)
    np.testing.assert_allclose(2 * A, [[-1, r3, -r5], [-r3, -3, r15], [-r5, -r15, -5]])
    assert A.dtype == B.dtype == np.float64 and A.shape == (3, 3) and B.shape == (3,)


# ----------------------------------------------------------------- sympy


@pytest.mark.parametrize("normalization", ["blog", "paper", "lmu"])
@pytest.mark.parametrize("N", [1, 3, 6])
def test_sympy_matrices_equal_float(N, normalization):
    A, B = legs_sympy(N, normalization=normalization)
    A2, B2 = legs(N, normalization=normalization)
    np.testing.assert_allclose(np.array(A.evalf(30), dtype=float), A2, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(np.array(B.evalf(30), dtype=float)[:, 0], B2, rtol=1e-14)
    w = sympy.Symbol("w", positive=True)
    A, B = legt_sympy(N, w="w", normalization=normalization)
    A2, B2 = legt(N, 1.7, normalization=normalization)
    A_num = np.array(A.subs(w, sympy.Rational(17, 10)).evalf(30), dtype=float)
    np.testing.assert_allclose(A_num, A2, rtol=1e-14, atol=1e-14)
    B_num = np.array(B.subs(w, sympy.Rational(17, 10)).evalf(30), dtype=float)[:, 0]
    np.testing.assert_allclose(B_num, B2, rtol=1e-14)
    A3, _ = legt_sympy(N, w=2.5, normalization=normalization)
    assert A3 == A.subs(w, sympy.Rational(5, 2))


def test_sympy_exact_entries():
    A, B = legs_sympy(3)
    assert A[2, 1] == -sympy.sqrt(15) and A[2, 2] == -3 and A[0, 2] == 0
    assert B[1] == sympy.sqrt(6)
    A, B = legt_sympy(3, w="w", normalization="lmu")
    w = sympy.Symbol("w", positive=True)
    assert sympy.simplify(A[2, 0] + 5 / w) == 0 and sympy.simplify(A[0, 1] - 1 / w) == 0
    assert [sympy.simplify(b * w) for b in B] == [1, 3, 5]


# ----------------------------------------------------------------- rescaling and normal forms


def test_paper_forms():
    N = 7
    n, k = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    rr = np.sqrt((2 * n + 1) * (2 * k + 1))
    # HiPPO paper, LegS: c' = -(1/t) A c + (1/t) B u with A as below and B_n = sqrt(2n+1)
    A_paper = np.where(n > k, rr, 0.0) + np.where(n == k, n + 1.0, 0.0)
    A, B = legs(N, normalization="paper")
    np.testing.assert_allclose(A, -A_paper, atol=1e-12)
    np.testing.assert_allclose(B, np.sqrt(2 * np.arange(N) + 1))
    # LegT with the probability-measure basis: -sqrt.sqrt everywhere, (-1)^(n-k) above diagonal
    w = 0.8
    A, B = legt(N, w, normalization="paper")
    np.testing.assert_allclose(A, -np.where(n < k, (-1.0) ** (n - k), 1.0) * rr / w, atol=1e-12)
    np.testing.assert_allclose(B, np.sqrt(2 * np.arange(N) + 1) / w)


def test_lmu_form_and_lmu_paper():
    N, w = 7, 1.3
    n, k = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    A, B = legt(N, w, normalization="lmu")
    expected = -np.where(k < n, 1.0, (-1.0) ** (n - k)) * (2 * n + 1) / w
    np.testing.assert_allclose(A, expected, atol=1e-12)
    np.testing.assert_allclose(B, (2 * np.arange(N) + 1) / w, atol=1e-12)
    # The LMU paper (Voelker et al. 2019): theta m' = A m + B u with
    # a_ij = (2i+1) * (-1 if i < j else (-1)^(i-j+1)),  b_i = (2i+1) (-1)^i.
    # It is the blog's LegT with lam_n = (-1)^n sqrt(2/(2n+1)) (window read backwards).
    a_lmu = (2 * n + 1) * np.where(n < k, -1.0, (-1.0) ** (n - k + 1)) / w
    b_lmu = (2 * np.arange(N) + 1) * (-1.0) ** np.arange(N) / w
    lam = (-1.0) ** np.arange(N) * np.sqrt(2 / (2 * np.arange(N) + 1))
    A2, B2 = rescale(*legt(N, w), lam)
    np.testing.assert_allclose(A2, a_lmu, atol=1e-12)
    np.testing.assert_allclose(B2, b_lmu, atol=1e-12)


def test_erratum_lmu_scaling():
    """lam_n = 2/sqrt(2n+1) gives B_n = (2n+1)/(sqrt(2) w); sqrt(2/(2n+1)) gives (2n+1)/w."""
    N, w = 6, 1.0
    n = np.arange(N)
    A, B = legt(N, w)
    A_wrong, B_wrong = rescale(A, B, 2 / np.sqrt(2 * n + 1))
    A_right, B_right = rescale(A, B, np.sqrt(2 / (2 * n + 1)))
    lmu_B = (2 * n + 1) / w
    np.testing.assert_allclose(B_right, lmu_B)
    assert np.abs(B_wrong - lmu_B).max() > 0.1
    np.testing.assert_allclose(B_wrong, lmu_B / np.sqrt(2))
    np.testing.assert_allclose(A_wrong, A_right)  # a constant factor in lam cancels in A
    # exactly, with sympy
    Asym, Bsym = legt_sympy(N, w=1)
    _, Bw = rescale(Asym, Bsym, [2 / sympy.sqrt(2 * j + 1) for j in range(N)])
    _, Br = rescale(Asym, Bsym, [sympy.sqrt(sympy.Rational(2, 2 * j + 1)) for j in range(N)])
    assert list(Br) == [2 * j + 1 for j in range(N)]
    assert list(Bw) == [(2 * j + 1) / sympy.sqrt(2) for j in range(N)]


def test_rescaled_system_drives_rescaled_memory():
    N, w, T = 5, 1.1, 0.7
    u = poly([0.3, -1.0, 0.5, 0.2, -0.1])
    lam = normalization_scale(N, "lmu")
    A, B = legt(N, w, normalization="lmu")
    ct = legendre_coeffs(u, T, N, "legt", w) / lam
    dct = d_dT(lambda x: legendre_coeffs(u, x, N, "legt", w) / lam, T)
    np.testing.assert_allclose(dct, A @ ct + B * u(T), atol=1e-7)
    # lmu coefficients are the plain Legendre coefficients of u on the window
    s = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(L.legval(s, ct), u(T + w * (s - 1) / 2), atol=1e-12)


def test_rescale_round_trip():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(5, 5)), rng.normal(size=5)
    lam = rng.uniform(0.5, 2, size=5) * rng.choice([-1, 1], size=5)
    A2, B2 = rescale(*rescale(A, B, lam), 1 / lam)
    np.testing.assert_allclose(A2, A)
    np.testing.assert_allclose(B2, B)
    # similarity: the spectrum does not change
    A3, _ = rescale(A, B, lam)
    np.testing.assert_allclose(
        np.sort_complex(np.linalg.eigvals(A3)), np.sort_complex(np.linalg.eigvals(A)), atol=1e-10
    )


# ----------------------------------------------------------------- memory and reconstruction


def test_reconstruct_polynomial_exactly():
    u = poly([1.0, -2.0, 0.5, 0.25])
    N, T, w = 5, 3.0, 2.0
    t = np.linspace(0, T, 31)
    for kind in ("legt", "legs"):
        c = legendre_coeffs(u, T, N, kind, w)
        r = reconstruct(c, t, T, kind, w)
        inside = t >= T - w if kind == "legt" else np.ones_like(t, bool)
        np.testing.assert_allclose(r[inside], u(t[inside]), atol=1e-12)
        assert np.all(np.isnan(r[~inside]))
    assert np.isnan(reconstruct(c, [T + 0.1], T, "legs"))[0]


def test_coeffs_shapes_and_values():
    c = legendre_coeffs(np.cos, np.array([[1.0, 2.0, 3.0]]), 4, "legs")
    assert c.shape == (1, 3, 4) and c.dtype == np.float64
    np.testing.assert_allclose(c[0, 1], legendre_coeffs(np.cos, 2.0, 4, "legs"))
    # c_0 = sqrt(2) * mean of u over the history: int_0^2 cos = sin 2
    assert c[0, 1, 0] == pytest.approx(np.sqrt(2) * np.sin(2.0) / 2.0, abs=1e-14)


def test_run_memory_matches_projection():
    def u(t):
        return np.sin(2 * t) + 0.5 * np.cos(5 * t)

    times = np.array([1.0, 3.0])
    cs = run_memory(u, times, 10, "legs", t0=0.01)
    np.testing.assert_allclose(cs, legendre_coeffs(u, times, 10, "legs"), atol=1e-7)
    p = poly([0.5, 1.0, -0.3])
    ct = run_memory(p, times, 4, "legt", w=1.5)
    np.testing.assert_allclose(ct, legendre_coeffs(p, times, 4, "legt", 1.5), atol=1e-7)


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda: legs(0), ValueError),
        (lambda: legs(-3), ValueError),
        (lambda: legs(2.5), TypeError),
        (lambda: legs(True), TypeError),
        (lambda: legs(3, normalization="hippo"), ValueError),
        (lambda: legt(3, w=0), ValueError),
        (lambda: legt(3, w=-1.0), ValueError),
        (lambda: legt(3, w=float("nan")), ValueError),
        (lambda: legt(3, w="1"), TypeError),
        (lambda: legt(3, normalization="LMU"), ValueError),
        (lambda: legt_sympy(3, w="1w"), ValueError),
        (lambda: legt_sympy(3, w=-2), ValueError),
        (lambda: legs_sympy(0), ValueError),
        (lambda: fourier_window(0), ValueError),
        (lambda: fourier_window(3, w=0.0), ValueError),
        (lambda: legendre_coeffs(np.sin, 1.0, 3, kind="legx"), ValueError),
        (lambda: legendre_coeffs(np.sin, -1.0, 3, kind="legs"), ValueError),
        (lambda: legendre_coeffs(np.sin, float("inf"), 3), ValueError),
        (lambda: legendre_coeffs(np.sin, 1.0, 3, quad_points=2), ValueError),
        (lambda: legendre_coeffs(lambda t: np.ones(3), 1.0, 3), ValueError),
        (lambda: legendre_coeffs("sin", 1.0, 3), TypeError),
        (lambda: reconstruct(np.ones((2, 2)), [0.0], 1.0), ValueError),
        (lambda: reconstruct(np.ones(2), [0.0], 0.0, kind="legs"), ValueError),
        (lambda: rescale(np.eye(3), np.ones(2), np.ones(3)), ValueError),
        (lambda: rescale(np.eye(3), np.ones(3), np.array([1.0, 0.0, 1.0])), ValueError),
        (lambda: rescale(np.ones((2, 3)), np.ones(2), np.ones(2)), ValueError),
        (lambda: run_memory(np.sin, [1.0], 3, "legs", t0=0.0), ValueError),
        (lambda: run_memory(np.sin, [2.0, 1.0], 3, "legt"), ValueError),
        (lambda: ode_residual(np.sin, 1.0, 3, kind="legx"), ValueError),
        (lambda: ode_residual(np.sin, 0.001, 3, kind="legs"), ValueError),
        (lambda: ode_residual(np.sin, 1.0, 3, A=np.eye(3)), ValueError),
        (lambda: ode_residual(np.sin, 1.0, 3, A=np.eye(2), B=np.ones(2)), ValueError),
        (lambda: ode_residual(np.sin, 1.0, 3, h=0.0), ValueError),
    ],
)
def test_bad_input_raises(call, exc):
    with pytest.raises(exc):
        call()
