"""Tests for blogcode.posenc.multimodal against independent constructions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.posenc.multimodal import (
    PATCH,
    SEPARATOR,
    TEXT,
    Image,
    flatten_positions,
    grid_order_stretch,
    rope1d_permutation,
    rope2d_apply,
    rope2d_frequencies,
    rope_scores,
    rope_tie_positions,
    tie_scales,
    typesetting_positions,
)
from blogcode.posenc.rope import rope_matrix

settings.register_profile("multimodal", max_examples=40, deadline=None)
settings.load_profile("multimodal")


def rot(a: float) -> np.ndarray:
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def block_matrix_2d(x: float, y: float, dim: int, base: float, freqs: str) -> np.ndarray:
    """R_{x,y} built from explicit 2x2 blocks with the frequencies written out by hand."""
    theta = base ** (-np.arange(0, dim, 2) / dim)
    if freqs == "split":
        tx, ty = theta[0::2], theta[1::2]
    else:
        tx = ty = base ** (-np.arange(0, dim // 2, 2) / (dim // 2))
    R = np.zeros((dim, dim))
    for m, th in enumerate(tx):
        R[2 * m:2 * m + 2, 2 * m:2 * m + 2] = rot(x * th)
    off = dim // 2
    for m, th in enumerate(ty):
        R[off + 2 * m:off + 2 * m + 2, off + 2 * m:off + 2 * m + 2] = rot(y * th)
    return R


def naive_scores(q, k, pos2d, base=10000.0, freqs="split"):
    dim = q.shape[1]
    Rs = [block_matrix_2d(px, py, dim, base, freqs) for px, py in pos2d]
    return np.array([[(Rs[a] @ q[a]) @ (Rs[b] @ k[b]) for b in range(len(q))]
                     for a in range(len(q))])


@pytest.mark.parametrize("freqs", ["split", "shared"])
@pytest.mark.parametrize("dim", [4, 8, 12, 64])
def test_rope2d_equals_block_rotation(freqs, dim):
    rng = np.random.default_rng(dim)
    x = rng.standard_normal((7, dim))
    pos = rng.uniform(-50, 300, size=(7, 2))
    out = rope2d_apply(x, pos, freqs=freqs)
    ref = np.stack([block_matrix_2d(px, py, dim, 10000.0, freqs) @ v
                    for (px, py), v in zip(pos, x, strict=True)])
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)


def test_rope2d_shared_is_two_rope1d_halves():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 16))
    pos = rng.integers(0, 100, size=(5, 2)).astype(float)
    out = rope2d_apply(x, pos, freqs="shared")
    for v, (px, py), o in zip(x, pos, out, strict=True):
        np.testing.assert_allclose(o[:8], rope_matrix(px, 8) @ v[:8], atol=1e-12)
        np.testing.assert_allclose(o[8:], rope_matrix(py, 8) @ v[8:], atol=1e-12)


def test_rope2d_relative_property():
    """(R_{x,y} q)^T (R_{x',y'} k) = q^T R_{x'-x, y'-y} k."""
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, 16))
    for (x, y), (xp, yp) in [((3, 5), (10, 2)), ((0.5, 7.25), (-4, 1))]:
        lhs = rope2d_apply(q[None], [[x, y]])[0] @ rope2d_apply(k[None], [[xp, yp]])[0]
        rhs = q @ block_matrix_2d(xp - x, yp - y, 16, 10000.0, "split") @ k
        assert abs(lhs - rhs) < 1e-12


def test_split_frequencies_partition_rope1d():
    tx, ty = rope2d_frequencies(32)
    full = 10000.0 ** (-np.arange(0, 32, 2) / 32)
    np.testing.assert_allclose(np.sort(np.concatenate([tx, ty])), np.sort(full), rtol=1e-15)


@pytest.mark.parametrize("dim", [4, 8, 64])
def test_text_only_reproduces_rope1d(dim):
    """Text at (n, n) with split frequencies: RoPE-1D up to a fixed coordinate permutation."""
    rng = np.random.default_rng(3)
    n = 11
    x = rng.standard_normal((n, dim))
    p = rope_tie_positions([n])
    perm = rope1d_permutation(dim)
    assert sorted(perm.tolist()) == list(range(dim))
    ref = np.stack([rope_matrix(m, dim) @ v
                    for m, v in zip(p.positions[:, 0], x[:, perm], strict=True)])
    np.testing.assert_allclose(rope2d_apply(x, p.positions)[:, perm], ref, atol=1e-12)
    q, k = rng.standard_normal((2, n, dim))
    s2 = rope_scores(q, k, p.positions)
    s1 = rope_scores(q[:, perm], k[:, perm], np.arange(1, n + 1.0))
    np.testing.assert_allclose(s2, s1, atol=1e-12)
    np.testing.assert_allclose(s2, naive_scores(q, k, p.positions), atol=1e-12)


def test_typesetting_text_is_not_rope1d():
    rng = np.random.default_rng(4)
    n, dim = 9, 16
    p = typesetting_positions([n])
    assert (p.positions[:, 0] == 1).all()
    np.testing.assert_array_equal(p.positions[:, 1], np.arange(1, n + 1))
    q, k = rng.standard_normal((2, n, dim))
    perm = rope1d_permutation(dim)
    s2 = rope_scores(q, k, p.positions)
    s1 = rope_scores(q[:, perm], k[:, perm], np.arange(1, n + 1.0))
    assert np.abs(s2 - s1).max() > 0.1


@given(shift=st.floats(-1e4, 1e4), seed=st.integers(0, 2**16))
def test_scores_invariant_to_global_shift(shift, seed):
    rng = np.random.default_rng(seed)
    segs = [3, Image(w=3, h=2), 2, Image(w=2, h=4), 1]
    p = rope_tie_positions(segs).positions
    q, k = rng.standard_normal((2, len(p), 8))
    base = rope_scores(q, k, p)
    shifted = rope_scores(q, k, p + shift)
    np.testing.assert_allclose(shifted, base, atol=1e-9)
    # also for RoPE-1D positions
    p1 = np.arange(len(p), dtype=float)
    np.testing.assert_allclose(rope_scores(q, k, p1 + shift), rope_scores(q, k, p1), atol=1e-9)


@given(L=st.integers(0, 50), w=st.integers(1, 12), h=st.integers(1, 12),
       scale=st.sampled_from(["integer", "area"]))
def test_gap_symmetry_around_image(L, w, h, scale):
    p = rope_tie_positions([L + 1, Image(w=w, h=h), 2], scale=scale, start=0.0)
    pos, kinds = p.positions, p.kinds
    s, t = p.scales[0]
    assert abs((h + 1) * s - (w + 1) * t) < 1e-9
    idx = np.flatnonzero(kinds == PATCH)
    before, first, last, after = pos[idx[0] - 1], pos[idx[0]], pos[idx[-1]], pos[idx[-1] + 1]
    np.testing.assert_allclose(before, [L, L])
    np.testing.assert_allclose(first - before, [s, t], atol=1e-9)
    np.testing.assert_allclose(after - last, [s, t], atol=1e-9)
    K = after[0]
    assert after[0] == after[1]
    if scale == "integer":
        assert (s, t) == (w + 1, h + 1) and K == L + (w + 1) * (h + 1)
        assert np.all(pos == np.round(pos))
    else:
        assert abs(K - (L + w * h + 1)) < 1e-9


def test_unit_scale_is_asymmetric():
    p = rope_tie_positions([4, Image(w=5, h=2), 1], scale="unit")
    idx = np.flatnonzero(p.kinds == PATCH)
    after = p.positions[idx[-1] + 1] - p.positions[idx[-1]]
    assert not np.allclose(after, [1, 1])
    np.testing.assert_allclose(p.positions[idx[0]] - p.positions[idx[0] - 1], [1, 1])


@given(w=st.integers(1, 6), h=st.integers(1, 6), seed=st.integers(0, 1000))
def test_patch_scores_depend_only_on_grid_offsets(w, h, seed):
    """Same q, k at every patch: the score between patches depends only on (di, dj)."""
    rng = np.random.default_rng(seed)
    p = rope_tie_positions([2, Image(w=w, h=h), 1])
    idx = np.flatnonzero(p.kinds == PATCH)
    q, k = rng.standard_normal((2, 8))
    S = rope_scores(np.tile(q, (len(p), 1)), np.tile(k, (len(p), 1)), p.positions)[
        np.ix_(idx, idx)]
    g = p.grid[idx]
    seen: dict[tuple[int, int], float] = {}
    for a, b in itertools.product(range(len(idx)), repeat=2):
        key = (int(g[b, 0] - g[a, 0]), int(g[b, 1] - g[a, 1]))
        if key in seen:
            assert abs(S[a, b] - seen[key]) < 1e-9
        else:
            seen[key] = S[a, b]
    s, t = p.scales[0]
    d = p.positions[idx[-1]] - p.positions[idx[0]]
    np.testing.assert_allclose(d, [(h - 1) * s, (w - 1) * t])


def test_rope_tie_layout_and_separators():
    p = rope_tie_positions([2, Image(w=3, h=2), 1])
    np.testing.assert_array_equal(p.positions[:2], [[1, 1], [2, 2]])
    expected = [[2 + i * 4, 2 + j * 3] for i in (1, 2) for j in (1, 2, 3)]
    np.testing.assert_array_equal(p.positions[2:8], expected)
    np.testing.assert_array_equal(p.positions[8], [14, 14])
    q = rope_tie_positions([2, Image(w=3, h=2), Image(w=1, h=4), 1], separators=True)
    assert q.kinds.tolist().count(SEPARATOR) == 4
    # every patch block is preceded and followed by a text-like token
    k = q.kinds
    for a in range(1, len(k)):
        if k[a] == PATCH and k[a - 1] != PATCH:
            assert k[a - 1] == SEPARATOR
        if k[a - 1] == PATCH and k[a] != PATCH:
            assert k[a] == SEPARATOR
    assert np.all(np.diff(q.positions[k != PATCH, 0]) > 0)
    # image first: behaves as text ending at start - 1
    r = rope_tie_positions([Image(w=2, h=2)], start=1.0)
    np.testing.assert_array_equal(r.positions[0], [3, 3])
    assert (r.kinds == PATCH).all() and TEXT == 0


def test_typesetting_layout():
    p = typesetting_positions([3, Image(w=2, h=2), 2])
    np.testing.assert_array_equal(
        p.positions, [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [3, 1], [3, 2], [4, 1], [4, 2]])


def test_flatten_positions():
    f = flatten_positions(4, 3)
    assert f.shape == (3, 4)
    np.testing.assert_array_equal(f.ravel(), np.arange(12))
    assert f[1, 0] - f[0, 0] == 4 and f[0, 1] - f[0, 0] == 1
    g = flatten_positions(4, 3, row_separator=True, start=10)
    assert g[1, 0] - g[0, 0] == 5 and g[0, 0] == 10
    c = flatten_positions(4, 3, order="column")
    assert c[1, 0] - c[0, 0] == 1 and c[0, 1] - c[0, 0] == 3
    assert sorted(c.ravel().tolist()) == list(range(12))


def test_grid_order_stretch_small_cases():
    # a 1 x n grid is a path: the natural order keeps every edge at distance 1
    assert grid_order_stretch(4, 1) == (3, 3, 1)
    # 2 x 2 cycle: 4 edges, a path of 4 cells covers only 3 of them, bandwidth 2
    assert grid_order_stretch(2, 2) == (4, 3, 2)
    n_edges, best_unit, best_max = grid_order_stretch(3, 3)
    assert (n_edges, best_unit, best_max) == (12, 8, 3)


def test_tie_scales_values():
    assert tie_scales(16, 16) == (17.0, 17.0, 289.0)
    s, t, gap = tie_scales(4, 2, "area")
    assert abs(s - 3.0) < 1e-15 and abs(t - 9 / 5) < 1e-15 and gap == 9.0
    assert tie_scales(4, 2, "unit") == (1.0, 1.0, 5.0)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: rope2d_apply(np.zeros((3, 6)), np.zeros((3, 2))), ValueError, "multiple of 4"),
    (lambda: rope2d_apply(np.zeros((3, 8)), np.zeros((4, 2))), ValueError, r"shape \(3, 2\)"),
    (lambda: rope2d_apply(np.zeros((3, 8), dtype=int), np.zeros((3, 2))), TypeError,
     "floating-point"),
    (lambda: rope2d_apply(np.zeros(8), np.zeros((1, 2))), ValueError, r"\[\.\.\., N, d\]"),
    (lambda: rope2d_apply(np.zeros((1, 8)), [[np.nan, 0]]), ValueError, "NaN"),
    (lambda: rope2d_apply(np.zeros((1, 8)), [[0, 0]], freqs="other"), ValueError, "freqs"),
    (lambda: rope_tie_positions([]), ValueError, "empty"),
    (lambda: rope_tie_positions([0]), ValueError, ">= 1 token"),
    (lambda: rope_tie_positions([2, "img"]), TypeError, r"segments\[1\]"),
    (lambda: rope_tie_positions("abc"), TypeError, "sequence"),
    (lambda: rope_tie_positions([2], scale="big"), ValueError, "scale"),
    (lambda: Image(w=0, h=2), ValueError, "Image.w"),
    (lambda: Image(w=2, h=1.5), ValueError, "Image.h"),
    (lambda: flatten_positions(3, 3, order="diag"), ValueError, "order"),
    (lambda: grid_order_stretch(4, 3), ValueError, "w \\* h <= 9"),
    (lambda: rope_scores(np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(3)), ValueError,
     "same shape|both have shape"),
    (lambda: rope_scores(np.zeros((3, 8)), np.zeros((3, 8)), np.zeros((3, 2, 1))), ValueError,
     r"\[N\] or \[N, 2\]"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
