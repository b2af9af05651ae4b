"""Tests for the derivation checks in blogcode.ssm.rtf: the Schur complement route, the
companion construction, the periodic folding, training and the stability helpers.

References are independent of the code under test: linear solves, np.poly, long division
checked by polynomial multiplication, explicit loops and closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from blogcode.ssm import rtf, s4


def random_system(N, rng, radius=0.8, complex_=False):
    M = rng.standard_normal((N, N))
    B, C = rng.standard_normal(N), rng.standard_normal(N)
    if complex_:
        M = M + 1j * rng.standard_normal((N, N))
        B, C = B + 1j * rng.standard_normal(N), C + 1j * rng.standard_normal(N)
    return radius * M / np.max(np.abs(np.linalg.eigvals(M))), B, C


@pytest.mark.parametrize("N, complex_", [(1, False), (5, False), (9, True)])
def test_transfer_schur_equals_solve(N, complex_):
    rng = np.random.default_rng(N)
    Ab, Bb, Ct = random_system(N, rng, complex_=complex_)
    for z in (0.3, -0.7 + 0.4j, np.exp(-2j * np.pi * 3 / 16), 1.9j):
        g = rtf.transfer(Ab, Bb, Ct, z)
        g_det, g_inv = rtf.transfer_schur(Ab, Bb, Ct, z)
        assert abs(g_det - g) < 1e-10 * max(1, abs(g))
        assert abs(g_inv - g) < 1e-10 * max(1, abs(g))
        # by hand: (I - z Ab)^{-1} as an explicit inverse, not a solve
        ref = Ct.conj() @ np.linalg.inv(np.eye(N) - z * Ab) @ Bb
        assert abs(g - ref) < 1e-10 * max(1, abs(ref))


def test_schur_block_determinant_two_ways():
    rng = np.random.default_rng(1)
    Ab, Bb, Ct = random_system(6, rng)
    z = 0.4 - 0.9j
    M = rtf.schur_block(Ab, Bb, Ct, z)
    P = np.eye(6) - z * Ab
    g = rtf.transfer(Ab, Bb, Ct, z)
    assert np.isclose(np.linalg.det(M), np.linalg.det(P) * (1 + g))
    assert np.isclose(np.linalg.det(M), np.linalg.det(P + np.outer(Bb, Ct.conj())))


@pytest.mark.parametrize("N, L", [(1, 3), (4, 16), (8, 40)])
def test_rational_function_equals_transfer_at_roots_of_unity(N, L):
    rng = np.random.default_rng(10 + N)
    Ab, Bb, C = random_system(N, rng)
    a, b = rtf.coeffs_from_ssm(Ab, Bb, C, L)
    Ct = s4.ctilde(Ab, C, L)
    for m in (0, 1, L // 2):
        z = np.exp(-2j * np.pi * m / L)
        rat = np.polyval(b[::-1], z) / np.polyval(np.r_[1.0, a][::-1], z)
        assert np.isclose(rat, rtf.transfer(Ab, Bb, Ct, z))
        # and it is the truncated generating function of the kernel
        K = s4.kernel_direct(Ab, Bb, C, L)
        assert np.isclose(rat, (K * z ** np.arange(L)).sum())


def test_coeffs_complex_and_degenerate_systems():
    rng = np.random.default_rng(3)
    Ab, Bb, C = random_system(5, rng, complex_=True)
    a1, b1 = rtf.coeffs_from_ssm(Ab, Bb, C, 12)
    a2, b2 = rtf.coeffs_from_series(Ab, Bb, C, 12)
    assert np.allclose(a1, a2) and np.allclose(b1, b2)
    # 1 + Ct^* Bb = 0 is no obstacle for the characteristic-polynomial difference
    Ab = np.diag([0.5, -0.3])
    Bb = np.array([1.0, 1.0])
    Ct = np.array([-0.5, -0.5])  # Ct^* Bb = -1
    C = np.linalg.solve((np.eye(2) - np.linalg.matrix_power(Ab, 8)).T, Ct)
    a1, b1 = rtf.coeffs_from_ssm(Ab, Bb, C, 8)
    a2, b2 = rtf.coeffs_from_series(Ab, Bb, C, 8)
    assert np.allclose(a1, a2) and np.allclose(b1, b2)


@pytest.mark.parametrize("d", [1, 3, 7])
def test_series_coeffs_by_polynomial_multiplication(d):
    rng = np.random.default_rng(d)
    a, b = 0.3 * rng.standard_normal(d), rng.standard_normal(d)
    n = 30
    h = rtf.series_coeffs(a, b, n)
    # a(z) h(z) = b(z) up to z^{n-1}
    assert np.allclose(np.convolve(np.r_[1.0, a], h)[:n], np.r_[b, np.zeros(n - d)], atol=1e-12)


def test_companion_construction():
    rng = np.random.default_rng(7)
    d = 6
    a, b = 0.2 * rng.standard_normal(d), rng.standard_normal(d)
    Ac, Bc, Cc = rtf.companion(a, b)
    # the output row is b and the input column is e_1: Ac - Bc Cc^T is the companion of a + b
    assert np.allclose(np.poly(Ac - np.outer(Bc, Cc)), np.r_[1.0, a + b])
    Aab, _, _ = rtf.companion(a + b, b)
    assert np.allclose(Ac - np.outer(Bc, Cc), Aab)
    # resolvent column: (I - z Ac)^{-1} e_1 = (1, z, .., z^{d-1}) / a(z)
    for z in (0.5, -0.2 + 0.7j):
        col = np.linalg.solve(np.eye(d) - z * Ac, Bc.astype(complex))
        az = np.polyval(np.r_[1.0, a][::-1], z)
        assert np.allclose(col, z ** np.arange(d) / az)
    # impulse response = power series of b/a
    assert np.allclose(s4.kernel_direct(Ac, Bc, Cc, 50), rtf.series_coeffs(a, b, 50), atol=1e-12)


def test_fold_and_fft_kernel_alias():
    assert np.allclose(rtf.fold(np.arange(7.0), 3), [0 + 3 + 6, 1 + 4, 2 + 5])
    rng = np.random.default_rng(8)
    d, L = 5, 16
    a = rng.standard_normal(d)
    a *= 0.7 / np.abs(a).sum()
    b = rng.standard_normal(d)
    h = rtf.series_coeffs(a, b, 40 * L)
    K = rtf.kernel_fft(a, b, L, device="cpu").numpy()
    assert np.allclose(K, rtf.fold(h, L), atol=1e-12)
    # and the realisation's output vector makes the companion kernel equal to it
    Ac, Bc, Cr = rtf.realize(a, b, L)
    assert np.allclose(s4.kernel_direct(Ac, Bc, Cr, L), K, atol=1e-12)


def test_zero_a_realisation_needs_no_correction():
    b = np.array([1.0, -2.0, 0.5])
    _, _, Cr = rtf.realize(np.zeros(3), b, 8)
    assert np.allclose(Cr, b)  # Ac is nilpotent: Ac^L = 0 for L >= d


def test_kernel_fft_torch_matches_and_differentiates():
    rng = np.random.default_rng(9)
    a, b = 0.1 * rng.standard_normal(4), rng.standard_normal(4)
    K = rtf.kernel_fft(a, b, 20, device="cpu")
    Kt = rtf.kernel_fft_torch(torch.tensor(a), torch.tensor(b), 20)
    assert torch.allclose(K, Kt)
    at = torch.tensor(a, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: rtf.kernel_fft_torch(x, y, 20), (at, bt))
    # batched
    A2 = torch.tensor(np.stack([a, 0 * a]))
    B2 = torch.tensor(np.stack([b, b]))
    out = rtf.kernel_fft_torch(A2, B2, 20)
    assert torch.allclose(out[0], Kt) and torch.allclose(out[1, :4], B2[1])


def test_fit_rtf_recovers_a_rational_kernel():
    L = 64
    j = np.arange(L)
    target = 0.9**j * np.cos(0.5 * j) + 0.5 * 0.7**j  # order 3
    f = rtf.fit_rtf(target, 4, steps=1500, lr=1e-2)
    assert f["loss0"] == pytest.approx(1.0)
    # the best a = 0 model is the 4-tap FIR filter: its error is the tail of the target
    fir_floor = (target[4:] ** 2).sum() / (target**2).sum()
    assert f["loss"] < min(0.05, fir_floor / 5)
    assert f["l1"][0] == 0 and f["root"][0] == 0
    g = rtf.fit_rtf(target, 4, steps=1500, lr=1e-2)
    assert np.array_equal(f["a"], g["a"])  # deterministic


def test_max_root_modulus_batch():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((50, 5))
    got = rtf.max_root_modulus_batch(A)
    assert np.allclose(got, [rtf.max_root_modulus(row) for row in A])


def test_d2_stable_region_is_the_triangle():
    rng = np.random.default_rng(12)
    A = rng.uniform([-2, -1], [2, 1], (20000, 2))
    stable = rtf.max_root_modulus_batch(A) < 1
    tri = (np.abs(A[:, 1]) < 1) & (np.abs(A[:, 0]) < 1 + A[:, 1])
    assert np.mean(stable != tri) < 1e-3  # only points within rounding of the boundary
    diamond = np.abs(A).sum(1) < 1
    assert np.all(stable[diamond])
    assert diamond.sum() / stable.sum() == pytest.approx(0.5, abs=0.02)  # areas 2 and 4


def test_sampled_stable_polynomials():
    a = rtf._sample_stable_coeffs(6, 200, seed=0)
    assert np.all(rtf.max_root_modulus_batch(a) < 1)
    rng = np.random.default_rng(0)
    roots = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    got = rtf._poly_from_roots_batch(roots)
    assert np.allclose(got, [np.poly(r) for r in roots])
    frac, med = rtf.diamond_fraction(2, 4000, seed=1)
    assert 0 < frac < 1 and med > 0
    with pytest.raises(ValueError, match="even d"):
        rtf.diamond_fraction(3, 10)
