"""Tests for blogcode.ssm.s4: every fast path against direct powers, dense algebra or
brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.ssm import s4


def legs_ref(N: int):
    n = np.arange(N)
    r = np.sqrt(2 * n + 1.0)
    A = np.where(n[:, None] > n[None, :], -np.outer(r, r), 0.0) - np.diag(n + 1.0)
    return A, np.sqrt(2.0) * r


def random_stable(N, rng, complex_=False):
    M = rng.standard_normal((N, N))
    if complex_:
        M = M + 1j * rng.standard_normal((N, N))
    Ab = 0.9 * M / np.max(np.abs(np.linalg.eigvals(M)))
    Bb = rng.standard_normal(N) + (1j * rng.standard_normal(N) if complex_ else 0)
    C = rng.standard_normal(N) + (1j * rng.standard_normal(N) if complex_ else 0)
    return Ab, Bb, C


@pytest.mark.parametrize("N", [1, 2, 5, 64])
def test_skew_symmetry(N):
    A, _ = legs_ref(N)
    v = np.sqrt(2 * np.arange(N) + 1.0)
    S = A + 0.5 * np.outer(v, v) + 0.5 * np.eye(N)
    assert np.abs(S + S.T).max() < 1e-13 * (2 * N + 1)
    assert np.abs(np.diag(S)).max() < 1e-13 * (2 * N + 1)


@pytest.mark.parametrize("N", [1, 3, 16, 64])
def test_dplr_reconstruction(N):
    A, _ = legs_ref(N)
    Lam, P, V = s4.dplr_decompose(N)
    assert np.allclose(V.conj().T @ V, np.eye(N), atol=1e-12)
    assert np.allclose(Lam.real, -0.5, atol=1e-12)
    R = V @ (np.diag(Lam) - np.outer(P, P.conj())) @ V.conj().T
    assert np.abs(R - A).max() < 1e-12 * max(1, N) * N


@pytest.mark.parametrize("r", [1, 2])
def test_woodbury(r):
    rng = np.random.default_rng(r)
    N = 7
    D = rng.standard_normal(N) + 1j * rng.standard_normal(N) + 3
    U = rng.standard_normal((N, r)) + 1j * rng.standard_normal((N, r))
    W = rng.standard_normal((N, r)) + 1j * rng.standard_normal((N, r))
    ref = np.linalg.inv(np.diag(D) + U @ W.conj().T)
    assert np.allclose(
        s4.woodbury_inverse(D, U if r > 1 else U[:, 0], W if r > 1 else W[:, 0]), ref
    )


def test_kernel_direct_is_powers():
    rng = np.random.default_rng(0)
    Ab, Bb, C = random_stable(4, rng)
    K = s4.kernel_direct(Ab, Bb, C, 6)
    ref = [C @ np.linalg.matrix_power(Ab, j) @ Bb for j in range(6)]
    assert np.allclose(K, ref, rtol=1e-13)


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("N, L", [(1, 1), (3, 7), (8, 64), (12, 33)])
def test_genfn_kernel_equals_direct(N, L, complex_):
    rng = np.random.default_rng(N * L)
    Ab, Bb, C = random_stable(N, rng, complex_)
    K = s4.kernel_direct(Ab, Bb, C, L)
    Kg = s4.kernel_genfn(Ab, Bb, C, L, device="cpu").numpy()
    assert np.allclose(Kg, K, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("N, L, step", [(4, 16, 0.1), (16, 100, 0.02), (64, 255, 0.01)])
def test_dplr_kernel_equals_direct(N, L, step):
    A, B = legs_ref(N)
    C = np.random.default_rng(3).standard_normal(N)
    Ab, Bb = s4.bilinear(A, B, step)
    K = s4.kernel_direct(Ab, Bb, C, L)
    Lam, P, V = s4.dplr_decompose(N)
    Ct = s4.ctilde(Ab, C, L)
    Kd = s4.kernel_dplr(Lam, P, V.conj().T @ B, V.conj().T @ Ct, step, L, device="cpu").numpy()
    assert np.abs(Kd.real - K).max() < 1e-10 * np.abs(K).max()
    assert np.abs(Kd.imag).max() < 1e-10 * np.abs(K).max()


@pytest.mark.parametrize("N, L, step", [(1, 5, 0.3), (8, 64, 0.05), (32, 200, 0.01)])
def test_dplr_scan_equals_dense_scan(N, L, step):
    rng = np.random.default_rng(N + L)
    A, B = legs_ref(N)
    C = rng.standard_normal(N)
    u = rng.standard_normal(L)
    y = s4.scan(*s4.bilinear(A, B, step), C, u)
    Lam, P, V = s4.dplr_decompose(N)
    y2 = s4.dplr_scan(Lam, P, V.conj().T @ B, V.conj().T @ C, step, u)
    scale = np.abs(y).max()
    assert np.abs(y2.real - y).max() < 1e-12 * scale
    assert np.abs(y2.imag).max() < 1e-12 * scale


def test_similarity_invariance():
    rng = np.random.default_rng(5)
    A, B = legs_ref(6)
    C = rng.standard_normal(6)
    P = rng.standard_normal((6, 6)) + 6 * np.eye(6)
    A2, B2, C2 = np.linalg.solve(P, A @ P), np.linalg.solve(P, B), P.T @ C
    K1 = s4.kernel_direct(*s4.bilinear(A, B, 0.1), C, 40)
    K2 = s4.kernel_direct(*s4.bilinear(A2, B2, 0.1), C2, 40)
    assert np.allclose(K1, K2, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("d", [2, 7, 30, 60])
def test_eigenvector_residual(d):
    A, _ = legs_ref(d)
    for m in range(d):
        v = s4.legs_eigvec(d, m)
        assert np.linalg.norm(A @ v + (m + 1) * v) < 1e-12 * d * np.abs(A).max()
        assert np.all(v[:m] == 0)


def test_eigenvector_matches_lapack_small():
    d = 5
    A, _ = legs_ref(d)
    w, V = np.linalg.eig(A)
    for m in range(d):
        col = V[:, np.argmin(np.abs(w + (m + 1)))].real
        v = s4.legs_eigvec(d, m)
        assert min(np.abs(col - v).max(), np.abs(col + v).max()) < 1e-10


def test_eigvec_log10_no_overflow():
    lg = s4.legs_eigvec_log10abs(900, 300)
    assert np.all(np.isfinite(lg[300:])) and np.all(np.isneginf(lg[:300]))
    # unit norm: the largest entry is at most 1, and the sum of squares is 1
    assert abs(np.sum(10.0 ** (2 * lg[300:])) - 1) < 1e-12
    # the first nonzero entry against the central-binomial estimate (Stirling)
    m, d = 300, 900
    est = math.log10(math.sqrt(2 * m + 1) / math.sqrt(2 * d - 1)) - (
        math.lgamma(d + m) - math.lgamma(d - m) - math.lgamma(2 * m + 1)
    ) / math.log(10)
    assert abs(lg[m] - est) < 0.2


@pytest.mark.parametrize("L", [1, 15, 63, 300])
def test_cnn_rnn_fft_agree(L):
    rng = np.random.default_rng(L)
    A, B = legs_ref(8)
    C = rng.standard_normal(8)
    Ab, Bb = s4.bilinear(A, B, 1.0 / max(L, 2))
    u = rng.standard_normal(L)
    K = s4.kernel_direct(Ab, Bb, C, L)
    y_rnn = s4.scan(Ab, Bb, C, u)
    y_cnn = s4.conv_direct(u, K)
    y_fft = s4.fft_conv(u, K, device="cpu").numpy()
    scale = np.abs(y_rnn).max()
    assert np.abs(y_rnn - y_cnn).max() < 1e-12 * scale
    assert np.abs(y_rnn - y_fft).max() < 1e-12 * scale


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 50), st.integers(1, 3))
def test_fft_conv_batched(L, batch):
    rng = np.random.default_rng(L * 7 + batch)
    u = rng.standard_normal((batch, L))
    K = rng.standard_normal(L)
    y = s4.fft_conv(u, K, device="cpu").numpy()
    for i in range(batch):
        assert np.allclose(y[i], np.convolve(u[i], K)[:L], atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        s4.bilinear(np.ones((3, 2)), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="length N=3"):
        s4.kernel_direct(np.eye(3), np.ones(2), np.ones(3), 4)
    with pytest.raises(ValueError, match="C must be"):
        s4.kernel_genfn(np.eye(3) / 2, np.ones(3), np.ones(4), 4, device="cpu")
    with pytest.raises(ValueError, match="positive integer"):
        s4.kernel_direct(np.eye(3), np.ones(3), np.ones(3), 0)
    with pytest.raises(ValueError, match="same L"):
        s4.fft_conv(np.ones(5), np.ones(4), device="cpu")
    with pytest.raises(ValueError, match="U and W"):
        s4.woodbury_inverse(np.ones(3), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="m must be"):
        s4.legs_eigvec(4, 4)
    with pytest.raises(ValueError, match="P must be"):
        s4.dplr_scan(np.ones(3), np.ones(2), np.ones(3), np.ones(3), 0.1, np.ones(4))
    with pytest.raises(ValueError, match="step must be"):
        s4.dplr_scan(np.ones(3), np.ones(3), np.ones(3), np.ones(3), 0.0, np.ones(4))
    with pytest.raises(ValueError, match="Bt must be"):
        s4.kernel_dplr(np.ones(3), np.ones(3), np.ones(2), np.ones(3), 0.1, 8, device="cpu")
