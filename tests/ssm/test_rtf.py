"""Tests for blogcode.ssm.rtf against direct powers, power series and dense determinants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.ssm import rtf, s4


def random_stable(N, rng):
    M = rng.standard_normal((N, N))
    Ab = 0.8 * M / np.max(np.abs(np.linalg.eigvals(M)))
    return Ab, rng.standard_normal(N), rng.standard_normal(N)


def legs_system(N, step):
    n = np.arange(N)
    r = np.sqrt(2 * n + 1.0)
    A = np.where(n[:, None] > n[None, :], -np.outer(r, r), 0.0) - np.diag(n + 1.0)
    return s4.bilinear(A, np.sqrt(2.0) * r, step)


def series(a, b, n):
    """Power series of b(z)/a(z) by long division: K_j = b_{j+1} - sum_i a_i K_{j-i}."""
    d = len(a)
    K = np.zeros(n)
    for j in range(n):
        K[j] = (b[j] if j < d else 0.0) - sum(a[i - 1] * K[j - i] for i in range(1, min(j, d) + 1))
    return K


@pytest.mark.parametrize("N, L", [(1, 2), (4, 9), (6, 64)])
def test_charpoly_coeffs_equal_series_coeffs(N, L):
    Ab, Bb, C = random_stable(N, np.random.default_rng(N))
    a1, b1 = rtf.coeffs_from_ssm(Ab, Bb, C, L)
    a2, b2 = rtf.coeffs_from_series(Ab, Bb, C, L)
    assert np.allclose(a1, a2, atol=1e-12) and np.allclose(b1, b2, atol=1e-10)


def test_denominator_is_det():
    Ab, Bb, C = random_stable(5, np.random.default_rng(0))
    a, _ = rtf.coeffs_from_ssm(Ab, Bb, C, 16)
    for z in (0.3, -1.1 + 0.2j, 2.0):
        assert np.isclose(np.polyval(np.r_[1.0, a][::-1], z), np.linalg.det(np.eye(5) - z * Ab))


@pytest.mark.parametrize("N, L, kind", [(3, 4, "random"), (6, 50, "random"), (12, 128, "legs")])
def test_rtf_kernel_equals_direct(N, L, kind):
    if kind == "legs":
        Ab, Bb = legs_system(N, 0.5)
        C = np.random.default_rng(1).standard_normal(N)
    else:
        Ab, Bb, C = random_stable(N, np.random.default_rng(L))
    K = s4.kernel_direct(Ab, Bb, C, L)
    a, b = rtf.coeffs_from_ssm(Ab, Bb, C, L)
    Kr = rtf.kernel_fft(a, b, L, device="cpu").numpy()
    assert np.abs(Kr - K).max() < 1e-9 * np.abs(K).max()


def test_companion_characteristic_polynomial_and_series():
    rng = np.random.default_rng(2)
    a, b = 0.2 * rng.standard_normal(6), rng.standard_normal(6)
    Ac, Bc, Cc = rtf.companion(a, b)
    assert np.allclose(np.poly(Ac), np.r_[1.0, a])
    assert np.allclose(s4.kernel_direct(Ac, Bc, Cc, 40), series(a, b, 40), atol=1e-12)
    u = rng.standard_normal(30)
    assert np.allclose(rtf.companion_scan(a, b, u), s4.scan(Ac, Bc, Cc, u), atol=1e-12)


def test_companion_realises_the_original_ssm():
    Ab, Bb, C = random_stable(5, np.random.default_rng(3))
    L = 32
    a, b = rtf.coeffs_from_ssm(Ab, Bb, C, L)
    Ac, Bc, Cr = rtf.realize(a, b, L)
    u = np.random.default_rng(4).standard_normal(L)
    y_ssm = s4.scan(Ab, Bb, C, u)
    assert np.allclose(rtf.companion_scan(a, b, u, Cr), y_ssm, atol=1e-10)
    Kr = rtf.kernel_fft(a, b, L, device="cpu")
    assert np.allclose(s4.fft_conv(u, Kr, device="cpu").numpy(), y_ssm, atol=1e-10)


@pytest.mark.parametrize("n, m", [(3, 5), (6, 2), (1, 4)])
def test_sylvester_identity(n, m):
    rng = np.random.default_rng(n * m)
    U, V = rng.standard_normal((n, m)), rng.standard_normal((m, n))
    assert np.isclose(np.linalg.det(np.eye(n) + U @ V), np.linalg.det(np.eye(m) + V @ U))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.floats(0.0, 0.999), st.integers(0, 2**31 - 1))
def test_root_modulus_bound(d, total, seed):
    a = np.random.default_rng(seed).standard_normal(d)
    a *= total / max(np.abs(a).sum(), 1e-300)
    assert rtf.max_root_modulus(a) < 1.0


def test_shift_register():
    b = np.array([0.5, -1.0, 2.0])
    u = np.random.default_rng(6).standard_normal(20)
    y, fir = rtf.shift_register_demo(b, u)
    assert np.allclose(y, fir)
    Ac, _, _ = rtf.companion(np.zeros(3), b)
    assert np.array_equal(Ac, np.eye(3, k=-1))


def test_bad_input():
    Ab, Bb, C = random_stable(4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="exceed the state size"):
        rtf.coeffs_from_ssm(Ab, Bb, C, 4)
    with pytest.raises(ValueError, match="exceed the state size"):
        rtf.kernel_fft(np.ones(4), np.ones(4), 3, device="cpu")
    with pytest.raises(ValueError, match="same length"):
        rtf.kernel_fft(np.ones(3), np.ones(4), 16, device="cpu")
    with pytest.raises(ValueError, match="square"):
        rtf.coeffs_from_ssm(np.ones((4, 3)), Bb, C, 16)
    with pytest.raises(ValueError, match="length N=4"):
        rtf.coeffs_from_ssm(Ab, np.ones(5), C, 16)
    with pytest.raises(ValueError, match="exceed"):
        rtf.realize(np.ones(3), np.ones(3), 2)


def test_time_kernel_methods_rows():
    rows = rtf.time_kernel_methods([4, 8], L=64, min_repeats=1, max_repeats=1)
    assert [r["d"] for r in rows] == [4, 8]
    assert all(r[k] > 0 for r in rows for k in ("direct", "s4", "rtf"))
    assert all(m.threads == 1 for r in rows for m in r["_measurements"].values())
