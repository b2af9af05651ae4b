"""Tests of blogcode.posenc.encodings against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from blogcode.posenc import encodings as E
from blogcode.posenc.rope import rope_matrix

# The article's table: i - j = 0..30 and the bucket T5 assigns (bidirectional, defaults).
ARTICLE_T5 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9,
              10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11]


def t5_bucket_scalar(rel: int, bidirectional: bool = True, num_buckets: int = 32,
                     max_distance: int = 128) -> int:
    """Independent scalar reading of T5's rule: loop over buckets, math.log only."""
    n = -rel
    offset = 0
    if bidirectional:
        num_buckets //= 2
        if n < 0:
            offset = num_buckets
        n = abs(n)
    else:
        n = max(n, 0)
    exact = num_buckets // 2
    if n < exact:
        return offset + n
    # the largest b in [exact, num_buckets-1] whose threshold exact*(md/exact)^((b-exact)/...)
    # is <= n (thresholds compared in logs)
    best = exact
    for b in range(exact, num_buckets):
        t = (b - exact) / (num_buckets - exact) * math.log(max_distance / exact)
        if math.log(n / exact) >= t - 1e-12:
            best = b
    return offset + best


def naive_sin(k: float, dim: int, base: float) -> list[float]:
    out = []
    for i in range(dim // 2):
        w = base ** (-2 * i / dim)
        out += [math.sin(k * w), math.cos(k * w)]
    return out


# ------------------------------------------------------------------ sinusoidal
def test_sinusoidal_matches_scalar_formula() -> None:
    p = E.sinusoidal(20, 8, base=100.0)
    ref = np.array([naive_sin(k, 8, 100.0) for k in range(20)])
    np.testing.assert_allclose(p, ref, rtol=0, atol=1e-14)
    assert p.dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(k=st.integers(-500, 500), delta=st.floats(-300, 300),
       half=st.integers(1, 16), base=st.floats(2.0, 1e5))
def test_rotation_property_against_addition_formulas(k: int, delta: float, half: int,
                                                     base: float) -> None:
    dim = 2 * half
    m = E.sinusoidal_rotation(delta, dim, base)
    pk = np.array(naive_sin(k, dim, base))
    # explicit addition formulas, coordinate by coordinate
    ref = []
    for i in range(half):
        w = base ** (-2 * i / dim)
        a, b = k * w, delta * w
        ref += [math.sin(a) * math.cos(b) + math.cos(a) * math.sin(b),
                math.cos(a) * math.cos(b) - math.sin(a) * math.sin(b)]
    np.testing.assert_allclose(m @ pk, ref, atol=1e-12)
    np.testing.assert_allclose(m @ pk, E.sinusoidal_at(k + delta, dim, base), atol=1e-9)
    np.testing.assert_allclose(m @ m.T, np.eye(dim), atol=1e-13)


def test_rotation_composes_and_is_expm_of_generator() -> None:
    m3, m5 = E.sinusoidal_rotation(3, 10), E.sinusoidal_rotation(5, 10)
    np.testing.assert_allclose(m3 @ m5, E.sinusoidal_rotation(8, 10), atol=1e-13)
    a = E.sinusoidal_generator(10)
    np.testing.assert_allclose(expm(7.5 * a), E.sinusoidal_rotation(7.5, 10), atol=1e-12)
    # the ODE: finite-difference derivative of p_t equals A p_t
    t, h = 3.7, 1e-5
    dp = (E.sinusoidal_at(t + h, 10) - E.sinusoidal_at(t - h, 10)) / (2 * h)
    np.testing.assert_allclose(dp, a @ E.sinusoidal_at(t, 10), atol=1e-9)


def test_dot_product_depends_on_offset_only() -> None:
    p = E.sinusoidal(200, 16)
    for delta in (1, 7, 50):
        dots = np.einsum("kd,kd->k", p[:-delta], p[delta:])
        ref = sum(math.cos(delta * 10000.0 ** (-2 * i / 16)) for i in range(8))
        np.testing.assert_allclose(dots, ref, atol=1e-12)


# ------------------------------------------------------------------ T5 buckets
def test_t5_matches_article_table() -> None:
    i_minus_j = np.arange(31)
    assert E.t5_bucket(-i_minus_j).tolist() == ARTICLE_T5


def test_t5_matches_scalar_reference() -> None:
    rel = np.arange(-300, 301)
    for bidi in (True, False):
        for nb, md in ((32, 128), (16, 64), (8, 20), (64, 512)):
            got = E.t5_bucket(rel, bidirectional=bidi, num_buckets=nb, max_distance=md)
            ref = [t5_bucket_scalar(int(r), bidi, nb, md) for r in rel]
            assert got.tolist() == ref, (bidi, nb, md)
            assert got.dtype == np.int64 and got.shape == rel.shape


def test_t5_monotone_and_sign_split() -> None:
    d = np.arange(0, 1000)
    back = E.t5_bucket(-d)  # key before query: i - j = d >= 0
    fwd = E.t5_bucket(d[1:])  # key after query
    assert np.all(np.diff(back) >= 0) and np.all(np.diff(fwd) >= 0)
    assert back.min() == 0 and back.max() == 15
    assert fwd.min() == 17 and fwd.max() == 31
    np.testing.assert_array_equal(fwd, back[1:] + 16)
    assert np.all(back[128:] == 15)
    uni = E.t5_bucket(-d, bidirectional=False)
    assert np.all(np.diff(uni) >= 0) and uni.max() == 31
    assert np.all(E.t5_bucket(d[1:], bidirectional=False) == 0)  # future keys: bucket 0


# ------------------------------------------------------------------ relative schemes
def test_shaw_clip() -> None:
    rel = E.relative_matrix(9)
    c = E.shaw_clip(rel, 3)
    assert c.min() == -3 and c.max() == 3
    for i in range(9):
        for j in range(9):
            assert c[i, j] == max(-3, min(3, i - j))


def _rand(seed: int, length: int = 6, d: int = 8, h: int = 4):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((length, d)), rng.standard_normal((d, h)), \
        rng.standard_normal((d, h))


def test_four_terms_sum_to_full_product() -> None:
    rng, x, wq, wk = _rand(0)
    p = rng.standard_normal(x.shape)
    t = E.four_terms(x, p, wq, wk)
    full = ((x + p) @ wq) @ ((x + p) @ wk).T
    np.testing.assert_allclose(sum(t.values()), full, atol=1e-12)
    np.testing.assert_allclose(t["xp"][1, 2], x[1] @ wq @ wk.T @ p[2], atol=1e-12)


def test_shaw_attention_against_loops() -> None:
    rng, x, wq, wk = _rand(1, length=7)
    wv = rng.standard_normal(wq.shape)
    k = 2
    rk, rv = rng.standard_normal((2 * k + 1, 4)), rng.standard_normal((2 * k + 1, 4))
    logits, out = E.shaw_attention(x, wq, wk, wv, rk, rv, k)
    for i in range(7):
        row = np.array([x[i] @ wq @ (x[j] @ wk + rk[max(-k, min(k, i - j)) + k])
                        for j in range(7)])
        np.testing.assert_allclose(logits[i], row, atol=1e-12)
        a = np.exp(row - row.max())
        a /= a.sum()
        o = sum(a[j] * (x[j] @ wv + rv[max(-k, min(k, i - j)) + k]) for j in range(7))
        np.testing.assert_allclose(out[i], o, atol=1e-12)


def test_xlnet_scores_against_loops() -> None:
    rng, x, wq, wk = _rand(2)
    wkr = rng.standard_normal(wk.shape)
    u, v = rng.standard_normal(4), rng.standard_normal(4)
    s = E.xlnet_scores(x, wq, wk, wkr, u, v)
    for i in range(6):
        for j in range(6):
            r = np.array(naive_sin(i - j, 8, 10000.0))
            ref = (x[i] @ wq @ wk.T @ x[j] + x[i] @ wq @ wkr.T @ r
                   + u @ wk.T @ x[j] + v @ wkr.T @ r)
            assert s[i, j] == pytest.approx(ref, abs=1e-12)


def test_t5_scores_against_loops() -> None:
    rng, x, wq, wk = _rand(3, length=40)
    bias = rng.standard_normal(32)
    s = E.t5_scores(x, wq, wk, bias)
    for i in range(0, 40, 7):
        for j in range(40):
            ref = x[i] @ wq @ wk.T @ x[j] + bias[t5_bucket_scalar(j - i)]
            assert s[i, j] == pytest.approx(ref, abs=1e-12)


def test_deberta_scores_against_loops() -> None:
    rng, x, wq, wk = _rand(4, length=7)
    k = 2
    table = rng.standard_normal((2 * k + 1, 8))
    wqr, wkr = rng.standard_normal(wq.shape), rng.standard_normal(wk.shape)

    def r(i: int, j: int) -> np.ndarray:
        return table[max(-k, min(k, i - j)) + k]

    for a, b in ((None, None), (wqr, wkr)):
        s = E.deberta_scores(x, wq, wk, table, k, wq_r=a, wk_r=b)
        qa = wq if a is None else a
        kb = wk if b is None else b
        for i in range(7):
            for j in range(7):
                ref = (x[i] @ wq @ wk.T @ x[j] + x[i] @ wq @ kb.T @ r(i, j)
                       + r(j, i) @ qa @ wk.T @ x[j])
                assert s[i, j] == pytest.approx(ref, abs=1e-12)


# ------------------------------------------------------------------ other schemes
def test_conv_zero_padding_leaks_position() -> None:
    z = E.conv_constant_response(20, 4, kernel_size=3)
    for layer in range(4):
        reach = layer + 1  # r * layers with r = 1
        assert np.all(z[layer, reach:-reach] == 1.0)
        assert np.all(z[layer, :reach] < 1.0) and np.all(z[layer, -reach:] < 1.0)
    # first layer, first position: (0 + 1 + 1) / 3
    assert z[0, 0] == pytest.approx(2 / 3)
    c = E.conv_constant_response(20, 4, kernel_size=5, padding="circular")
    np.testing.assert_allclose(c, 1.0, atol=1e-15)


def test_complex_order_shift_is_elementwise_phase() -> None:
    rng = np.random.default_rng(5)
    r, om, th = rng.random(6) + 0.5, rng.standard_normal(6), rng.standard_normal(6)
    e = E.complex_order(r, om, th, np.arange(30))
    np.testing.assert_allclose(e[10:], e[:-10] * np.exp(1j * om * 10), atol=1e-13)
    np.testing.assert_allclose(np.abs(e), np.broadcast_to(r, e.shape), atol=1e-14)


def test_fusion_2d_complex_identity_and_rope() -> None:
    rng = np.random.default_rng(6)
    q, k = rng.standard_normal(2), rng.standard_normal(2)
    theta = 0.3
    zq, zk = complex(*q), complex(*k)
    for m, n in ((0, 0), (5, 2), (2, 5), (100, 97)):
        s = E.fusion_2d(q, m, theta) @ E.fusion_2d(k, n, theta)
        assert s == pytest.approx((zq * zk.conjugate() * np.exp(1j * (m - n) * theta)).real,
                                  abs=1e-12)
    np.testing.assert_allclose(E.fusion_2d(q, 4, 1.0), rope_matrix(4, 2) @ q, atol=1e-13)
    batch = E.fusion_2d(rng.standard_normal((5, 2)), np.arange(5), theta)
    assert batch.shape == (5, 2)


# ------------------------------------------------------------------ bad inputs
def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="even"):
        E.sinusoidal(4, 5)
    with pytest.raises(TypeError, match="dim must be an int"):
        E.sinusoidal(4, 4.0)
    with pytest.raises(ValueError, match="num_positions must be >= 1"):
        E.sinusoidal(0, 4)
    with pytest.raises(ValueError, match="base must be"):
        E.sinusoidal_rotation(1, 4, base=1.0)
    with pytest.raises(ValueError, match="delta must be finite"):
        E.sinusoidal_rotation(float("nan"), 4)
    with pytest.raises(TypeError, match="integers"):
        E.t5_bucket(np.array([1.5]))
    with pytest.raises(ValueError, match="must be even"):
        E.t5_bucket(np.arange(3), num_buckets=31)
    with pytest.raises(ValueError, match="max_distance must exceed"):
        E.t5_bucket(np.arange(3), max_distance=4)
    with pytest.raises(ValueError, match="k must be >= 0"):
        E.shaw_clip(np.arange(3), -1)
    x, w = np.zeros((3, 4)), np.zeros((4, 2))
    with pytest.raises(ValueError, match="same shape"):
        E.four_terms(x, np.zeros((3, 5)), w, w)
    with pytest.raises(ValueError, match="rows"):
        E.four_terms(x, x, np.zeros((5, 2)), w)
    with pytest.raises(ValueError, match="NaN"):
        E.four_terms(np.full((3, 4), np.nan), x, w, w)
    with pytest.raises(ValueError, match=r"rk must have shape \(5, 2\)"):
        E.shaw_attention(x, w, w, w, np.zeros((4, 2)), np.zeros((5, 2)), 2)
    with pytest.raises(ValueError, match="bias must have shape"):
        E.t5_scores(x, w, w, np.zeros(10))
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        E.conv_constant_response(5, 1, kernel_size=2)
    with pytest.raises(ValueError, match="padding must be"):
        E.conv_constant_response(5, 1, padding="reflect")
    with pytest.raises(ValueError, match="last axis of size 2"):
        E.fusion_2d(np.zeros(3), 0, 0.1)
    with pytest.raises(ValueError, match="do not broadcast"):
        E.fusion_2d(np.zeros((3, 2)), np.arange(4), 0.1)
    with pytest.raises(TypeError, match="real numeric"):
        E.four_terms(np.array([["a"]]), x, w, w)
