"""Tests of blogcode.posenc.rope against definitions, closed forms and naive loops."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.posenc.rope import (
    abel_bound,
    apply_rope,
    decay_curve,
    ones_score,
    rope_cosine_linear_attention,
    rope_frequencies,
    rope_linear_attention,
    rope_linear_attention_weights,
    rope_matrix,
    rope_partial_sums,
)

LAYOUTS = ("interleaved", "half")


def _naive_matrix(m: float, d: int, base: float = 10000.0) -> np.ndarray:
    """RoFormer's R_m built block by block from 2x2 rotations (interleaved layout)."""
    R = np.zeros((d, d))
    for i in range(d // 2):
        a = m * base ** (-2.0 * i / d)
        R[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
    return R


def _half_permutation(d: int) -> np.ndarray:
    """perm such that x_half[perm] = x_interleaved: interleaved slot 2i <- half i, 2i+1 <- i+d/2."""
    h = d // 2
    perm = np.empty(d, dtype=int)
    perm[0::2] = np.arange(h)
    perm[1::2] = np.arange(h) + h
    return perm


def test_frequencies_closed_form() -> None:
    th = rope_frequencies(8)
    np.testing.assert_allclose(th, [1.0, 0.1, 0.01, 0.001], rtol=1e-14)


@pytest.mark.parametrize("d", [2, 6, 16])
def test_matrix_matches_block_definition(d: int) -> None:
    for m in (0, 1, 7.5, -3, 1000):
        np.testing.assert_allclose(rope_matrix(m, d), _naive_matrix(m, d), atol=1e-13)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("d", [2, 8, 30])
def test_orthogonal_and_group_law(layout: str, d: int) -> None:
    for m, n in ((3, 11), (0, 5), (-7, 2.5)):
        Rm, Rn = rope_matrix(m, d, layout=layout), rope_matrix(n, d, layout=layout)
        np.testing.assert_allclose(Rm.T @ Rm, np.eye(d), atol=1e-13)
        np.testing.assert_allclose(Rm.T @ Rn, rope_matrix(n - m, d, layout=layout), atol=1e-12)
    np.testing.assert_allclose(rope_matrix(0, d, layout=layout), np.eye(d), atol=0)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("L,d", [(1, 2), (7, 8), (33, 64)])
def test_fast_form_equals_matrix_form_numpy_and_torch(layout: str, L: int, d: int) -> None:
    rng = np.random.default_rng(L * 100 + d)
    x = rng.standard_normal((3, L, d))
    pos = rng.uniform(-50, 500, size=L)
    ref = np.stack([x[:, l] @ rope_matrix(pos[l], d, layout=layout).T for l in range(L)], axis=1)
    np.testing.assert_allclose(apply_rope(x, pos, layout=layout), ref, atol=1e-12)
    xt = torch.tensor(x, dtype=torch.float64)
    out_t = apply_rope(xt, torch.tensor(pos), layout=layout)
    assert isinstance(out_t, torch.Tensor) and out_t.dtype == torch.float64
    np.testing.assert_allclose(out_t.numpy(), ref, atol=1e-12)


def test_layouts_are_the_same_rotation_up_to_permutation() -> None:
    d = 12
    perm = _half_permutation(d)
    P = np.eye(d)[perm]  # (P x)[s] = x[perm[s]]
    for m in (0, 1, 9, 123.25):
        np.testing.assert_allclose(P @ rope_matrix(m, d, layout="half") @ P.T, rope_matrix(m, d),
                                   atol=1e-13)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, d))
    pos = np.arange(5) * 3.0
    np.testing.assert_allclose(apply_rope(x[:, perm], pos, layout="interleaved"),
                               apply_rope(x, pos, layout="half")[:, perm], atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(-2000, 2000), n=st.integers(-2000, 2000), shift=st.integers(-500, 500),
       seed=st.integers(0, 2**31 - 1), half=st.booleans())
def test_relative_position_identity(m: int, n: int, shift: int, seed: int, half: bool) -> None:
    layout = "half" if half else "interleaved"
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((2, 1, 16))
    score = float(apply_rope(q, [m], layout=layout)[0] @ apply_rope(k, [n], layout=layout)[0])
    shifted = float(apply_rope(q, [m + shift], layout=layout)[0]
                    @ apply_rope(k, [n + shift], layout=layout)[0])
    direct = float(q[0] @ rope_matrix(n - m, 16, layout=layout) @ k[0])
    assert score == pytest.approx(direct, abs=1e-9)
    assert score == pytest.approx(shifted, abs=1e-9)


def test_complex_form_of_score() -> None:
    """Re sum_i h_i e^{i(m-n) theta_i} equals the RoPE score (R_m q)^T (R_n k)."""
    rng = np.random.default_rng(5)
    q, k = rng.standard_normal((2, 32))
    m, n = 40, 13
    z, _ = abel_bound(q, k, [m - n])
    score = apply_rope(q[None], [m])[0] @ apply_rope(k[None], [n])[0]
    assert z[0].real == pytest.approx(score, abs=1e-12)


def test_abel_identity_and_bound() -> None:
    rng = np.random.default_rng(7)
    d = 64
    r = np.arange(0, 300, 7)
    S = rope_partial_sums(d, r)
    for _ in range(5):
        q, k = rng.standard_normal((2, d))
        hq, hk = q[0::2] + 1j * q[1::2], k[0::2] + 1j * k[1::2]
        h = np.append(hq * np.conj(hk), 0.0)
        lhs = (h[:-1] * (S[:, 1:] - S[:, :-1])).sum(1)
        rhs = -(S[:, 1:] * (h[1:] - h[:-1])).sum(1)
        np.testing.assert_allclose(lhs, rhs, atol=1e-10)
        z, bound = abel_bound(q, k, r)
        np.testing.assert_allclose(z, lhs, atol=1e-10)
        assert np.all(np.abs(z) <= bound + 1e-12)


def test_partial_sums_against_mpmath() -> None:
    d, r = 16, 37.0
    S = rope_partial_sums(d, [r])[0]
    with mpmath.workdps(40):
        acc = mpmath.mpc(0)
        for j in range(d // 2):
            assert complex(acc) == pytest.approx(S[j], abs=1e-13)
            acc += mpmath.exp(1j * r * mpmath.mpf(10000) ** (mpmath.mpf(-2 * j) / d))
        assert complex(acc) == pytest.approx(S[-1], abs=1e-13)


@pytest.mark.parametrize("d", [2, 8, 128, 256])
def test_decay_curve_at_zero_closed_form(d: int) -> None:
    assert decay_curve(d, [0.0])[0] == pytest.approx((d / 2 + 1) / 2, rel=1e-15)


def test_decay_curve_constant_and_linear_theta_closed_forms() -> None:
    """theta_i = t: S_j = j e^{irt}, no decay at all.  theta_i = i t (a geometric series):
    |S_j| = |sin(j r t / 2) / sin(r t / 2)|."""
    d, t = 20, 0.3
    r = np.array([1.0, 2.5, 7.0, 40.0])
    np.testing.assert_allclose(decay_curve(d, r, theta=np.full(d // 2, t)), (d / 2 + 1) / 2,
                               rtol=1e-13)
    ref = np.mean([np.abs(np.sin(j * r * t / 2) / np.sin(r * t / 2)) for j in range(1, d // 2 + 1)],
                  axis=0)
    np.testing.assert_allclose(decay_curve(d, r, theta=np.arange(d // 2) * t), ref, rtol=1e-12)


def test_ones_score() -> None:
    d = 32
    r = np.arange(-20, 60, 3)
    one = np.ones((1, d))
    direct = [float(apply_rope(one, [x])[0] @ apply_rope(one, [0])[0]) for x in r]
    np.testing.assert_allclose(ones_score(d, r), direct, atol=1e-11)
    np.testing.assert_allclose(ones_score(d, r), 2 * rope_partial_sums(d, r)[:, -1].real,
                               atol=1e-11)


# --- linear attention --------------------------------------------------------------------------

def _elu1(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x + 1, np.exp(x))


def _naive_linear(q, k, v, rotate_den=False, pos=None):
    L, d = q.shape
    pos = np.arange(L) if pos is None else pos
    out = np.zeros((L, v.shape[1]))
    for i in range(L):
        Ri = rope_matrix(pos[i], d)
        num, den = np.zeros(v.shape[1]), 0.0
        for j in range(i + 1):
            Rj = rope_matrix(pos[j], d)
            w = (Ri @ _elu1(q[i])) @ (Rj @ _elu1(k[j]))
            num += w * v[j]
            den += w if rotate_den else _elu1(q[i]) @ _elu1(k[j])
        out[i] = num / den
    return out


@pytest.mark.parametrize("L", [1, 5, 17])
def test_linear_attention_equals_quadratic_definition(L: int) -> None:
    rng = np.random.default_rng(L)
    q, k = rng.standard_normal((2, L, 6))
    v = rng.standard_normal((L, 3))
    np.testing.assert_allclose(rope_linear_attention(q, k, v), _naive_linear(q, k, v), atol=1e-12)
    np.testing.assert_allclose(rope_linear_attention(q, k, v, rotate_denominator=True),
                               _naive_linear(q, k, v, rotate_den=True), atol=1e-9)
    W = rope_linear_attention_weights(q, k)
    np.testing.assert_allclose(W @ v, _naive_linear(q, k, v), atol=1e-12)
    assert np.all(np.triu(W, 1) == 0)


def test_linear_attention_batched_and_shift_invariant() -> None:
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((2, 2, 3, 9, 8))
    v = rng.standard_normal((2, 3, 9, 4))
    out = rope_linear_attention(q, k, v)
    np.testing.assert_allclose(out[1, 2], _naive_linear(q[1, 2], k[1, 2], v[1, 2]), atol=1e-12)
    shifted = rope_linear_attention(q, k, v, positions=np.arange(9) + 1234.0)
    np.testing.assert_allclose(out, shifted, atol=1e-9)


def test_cosine_linear_attention_equals_quadratic() -> None:
    rng = np.random.default_rng(11)
    L, d = 12, 8
    q, k = rng.standard_normal((2, L, d))
    v = rng.standard_normal((L, 2))
    u = apply_rope(q / np.linalg.norm(q, axis=1, keepdims=True), np.arange(L))
    w = apply_rope(k / np.linalg.norm(k, axis=1, keepdims=True), np.arange(L))
    sim = np.tril(1 + u @ w.T)
    assert sim.min() >= 0
    ref = (sim / sim.sum(1, keepdims=True)) @ v
    np.testing.assert_allclose(rope_cosine_linear_attention(q, k, v), ref, atol=1e-12)


# --- bad input ---------------------------------------------------------------------------------

def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="positive even"):
        rope_matrix(1, 7)
    with pytest.raises(ValueError, match="positive even"):
        apply_rope(np.zeros((3, 5)), np.arange(3))
    with pytest.raises(ValueError, match=r"positions must have shape \(3,\)"):
        apply_rope(np.zeros((3, 4)), np.arange(4))
    with pytest.raises(TypeError, match="floating-point array, got dtype int64"):
        apply_rope(np.zeros((3, 4), dtype=np.int64), np.arange(3))
    with pytest.raises(TypeError, match="floating-point tensor"):
        apply_rope(torch.zeros(3, 4, dtype=torch.int32), np.arange(3))
    with pytest.raises(ValueError, match="layout must be one of"):
        apply_rope(np.zeros((3, 4)), np.arange(3), layout="rows")
    with pytest.raises(ValueError, match="base must be > 1"):
        decay_curve(8, [0], base=1.0)
    with pytest.raises(ValueError, match="positive even"):
        decay_curve(9, [0])
    with pytest.raises(ValueError, match="1-D"):
        decay_curve(8, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"theta must have shape \(4,\)"):
        decay_curve(8, [0], theta=np.ones(3))
    with pytest.raises(TypeError, match="dtype int64"):
        rope_linear_attention(np.zeros((3, 4), dtype=np.int64), np.zeros((3, 4)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        rope_linear_attention(np.zeros((3, 4)), np.zeros((2, 4)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="v must have shape"):
        rope_linear_attention(np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="feature_map must be one of"):
        rope_linear_attention(np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 2)),
                              feature_map="tanh")
    with pytest.raises(ValueError, match="zero rows"):
        rope_cosine_linear_attention(np.zeros((3, 4)), np.ones((3, 4)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="same length"):
        abel_bound(np.ones(4), np.ones(6), [0])
