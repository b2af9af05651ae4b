"""The recurrence view of causal attention: the per-token recurrence equals softmax attention;
the cached and the cache-free decoders equal the whole-sequence pass; the counters match the
cost model; the cache-free memory does not grow with L."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from blogcode.attention.flash import attention
from blogcode.attention.rnn_view import TinyAttentionLM, cost_model, online_attention


def _qkv(length, d, seed=0, spread=1.0):
    g = torch.Generator().manual_seed(seed)
    return tuple(spread * torch.randn(length, d, generator=g, dtype=torch.float64)
                 for _ in range(3))


@pytest.mark.parametrize("length,d", [(1, 4), (7, 8), (33, 16)])
def test_online_equals_softmax(length, d):
    q, k, v = _qkv(length, d)
    got = online_attention(q, k, v)
    naive = attention(q[None, None], k[None, None], v[None, None], causal=True,
                      backend="naive")[0, 0].numpy()
    sdpa = F.scaled_dot_product_attention(q[None, None], k[None, None], v[None, None],
                                          is_causal=True)[0, 0].numpy()
    np.testing.assert_allclose(got, naive, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got, sdpa, rtol=0, atol=1e-12)


def test_online_is_stable_for_huge_scores():
    q, k, v = _qkv(20, 8, spread=40.0)  # scores of order 1e3: e^s overflows without the max
    got = online_attention(q, k, v)
    ref = attention(q[None, None], k[None, None], v[None, None], causal=True,
                    backend="naive")[0, 0].numpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)


def test_online_rejects_bad_shapes():
    with pytest.raises(ValueError):
        online_attention(np.zeros((3, 4)), np.zeros((2, 4)), np.zeros((3, 4)))


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_three_ways_agree_and_counts_match(n_layers):
    model = TinyAttentionLM(vocab=7, d=4, n_layers=n_layers, seed=1)
    tokens = np.random.default_rng(2).integers(0, 7, size=9)
    full = model.forward(tokens, backend="naive")
    chunked = model.forward(tokens, backend="chunked")
    cached, cc = model.decode_cached(tokens)
    recomputed, cr = model.decode_recompute(tokens)
    np.testing.assert_allclose(chunked, full, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cached, full, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(recomputed, cached)
    assert (cc.flops, cc.peak) == cost_model(9, 4, n_layers, "cached")
    assert (cr.flops, cr.peak) == cost_model(9, 4, n_layers, "recompute")
    assert cc.live == 2 * 4 * n_layers * 9 and cr.live == 0  # the cache stays


def test_recompute_memory_is_constant_and_time_grows_like_L_cubed():
    model = TinyAttentionLM(d=4, n_layers=2)
    peaks = {n: model.decode_recompute(np.arange(n) % model.vocab)[1].peak for n in (2, 5, 12)}
    assert len(set(peaks.values())) == 1
    f1, _ = cost_model(200, 8, 2, "recompute")
    f2, _ = cost_model(400, 8, 2, "recompute")
    assert 2.9 < np.log2(f2 / f1) < 3.1
    c1, _ = cost_model(200, 8, 2, "cached")
    c2, _ = cost_model(400, 8, 2, "cached")
    assert 1.9 < np.log2(c2 / c1) < 2.1


def test_cost_model_rejects_unknown_mode():
    with pytest.raises(ValueError):
        cost_model(4, 4, 2, "other")
