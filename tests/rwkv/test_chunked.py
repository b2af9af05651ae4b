"""The CPU fallback's two paths (blocked cumsum, log space) against the definitions, in float64."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.rwkv import empty_state, wkv_chunked, wkv_direct, wkv_naive
from blogcode.rwkv.wkv import chunked as chunked_mod

PATHS = [16, None]  # block_size: the blocked fast path, and logcumsumexp throughout
TOL = dict(atol=1e-10, rtol=1e-10)


def make(batch, T, C, *, w_range=(-5.0, 3.0), kscale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    lo, hi = w_range
    w = torch.linspace(lo, hi, C, dtype=torch.float64)  # every decay from slow to fast at once
    u = torch.randn(C, generator=g, dtype=torch.float64)
    k = torch.randn(batch, T, C, generator=g, dtype=torch.float64) * kscale
    v = torch.randn(batch, T, C, generator=g, dtype=torch.float64)
    return w, u, k, v


@pytest.mark.parametrize("block_size", PATHS)
def test_very_different_decays_in_one_call(block_size):
    # per-step decays from e^-exp(-8) (~1 - 3e-4) to e^-exp(4) (~e^-55) in one tensor
    w, u, k, v = make(2, 257, 11, w_range=(-8.0, 4.0))
    y, s = wkv_chunked(w, u, k, v, block_size=block_size)
    y0, s0 = wkv_direct(w, u, k, v)
    assert torch.allclose(y, y0, **TOL) and torch.allclose(s, s0, **TOL)


@pytest.mark.parametrize("block_size", PATHS)
def test_many_chunks_match_the_recurrence(block_size):
    # exp(3) = 20 gives chunks of SPAN / 20 ~ 400 tokens: T = 1500 crosses several boundaries
    w, u, k, v = make(1, 1500, 6)
    assert int(chunked_mod.SPAN / torch.exp(w).max()) < 1500
    y, s = wkv_chunked(w, u, k, v, block_size=block_size)
    y0, s0 = wkv_naive(w, u, k, v)
    assert torch.allclose(y, y0, **TOL) and torch.allclose(s, s0, **TOL)


def test_blocked_path_gives_up_on_key_jumps_and_the_fallback_is_exact():
    w, u, k, v = make(1, 40, 3)
    lz0 = torch.full((1, 3), chunked_mod.EMPTY_PP, dtype=torch.float64)
    empty = torch.ones(1, 3, dtype=torch.bool)
    a = torch.cat([torch.zeros(1, 1, 3, dtype=torch.float64), v], dim=1)
    g = torch.exp(w)
    assert chunked_mod._blocked(lz0, k, a, g, 8, 20.0, empty) is not None
    k_jump = k.clone()
    k_jump[0, 5] = 1000.0  # the past before token 5 is e^-1000 of its block's scale
    assert chunked_mod._blocked(lz0, k_jump, a, g, 8, 20.0, empty) is None
    y, s = wkv_chunked(w, u, k_jump, v)
    y0, s0 = wkv_direct(w, u, k_jump, v)
    assert torch.isfinite(y).all()
    assert torch.allclose(y, y0, **TOL) and torch.allclose(s, s0, atol=1e-9, rtol=1e-12)


@pytest.mark.parametrize("block_size", PATHS)
@pytest.mark.parametrize("pp", [-800.0, 0.0, 800.0])
def test_carried_state_of_any_scale(block_size, pp):
    # the state's weight e^pp far below, equal to, or far above the new tokens' e^k
    w, u, k, v = make(2, 70, 4, kscale=3.0)
    state = torch.stack([torch.randn(2, 4, dtype=torch.float64),
                         torch.full((2, 4), 0.5, dtype=torch.float64),
                         torch.full((2, 4), pp, dtype=torch.float64)], dim=1)
    state[1] = empty_state(1, 4, torch.float64)[0]  # and an empty state next to it
    y, s = wkv_chunked(w, u, k, v, initial_state=state, block_size=block_size)
    y0, s0 = wkv_direct(w, u, k, v, initial_state=state)
    assert torch.allclose(y, y0, **TOL)
    assert torch.allclose(s, s0, atol=1e-9, rtol=1e-12)


@pytest.mark.parametrize("block_size", PATHS)
def test_gradients_match_the_recurrence(block_size):
    ins = [t.clone().requires_grad_(True) for t in make(2, 90, 5, seed=3)]
    grads = []
    for fn in (wkv_naive, lambda *a: wkv_chunked(*a, block_size=block_size)):
        for t in ins:
            t.grad = None
        y, s = fn(*ins)
        (y.sin().sum() + s[:, 0].sum() + s[:, 2].sum()).backward()
        grads.append([t.grad.clone() for t in ins])
    for g_naive, g_chunk in zip(*grads, strict=True):
        assert torch.isfinite(g_chunk).all()
        assert torch.allclose(g_chunk, g_naive, atol=1e-8, rtol=1e-8)


def test_long_sequence_without_quadratic_memory():
    # T^2 C would be 2e10 numbers; the fallback holds one chunk at a time
    w, u, k, v = make(1, 100_000, 2, kscale=2.0)
    y, s = wkv_chunked(w, u, k, v)
    assert torch.isfinite(y).all() and torch.isfinite(s).all()
    # the last 40 tokens, continued from the state after the first T - 40 by the recurrence
    _, s_head = wkv_chunked(w, u, k[:, :-40], v[:, :-40])
    y_tail, s_tail = wkv_naive(w, u, k[:, -40:], v[:, -40:], initial_state=s_head)
    assert torch.allclose(y[:, -40:], y_tail, **TOL) and torch.allclose(s, s_tail, **TOL)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 2), T=st.integers(1, 90), C=st.integers(1, 7),
       kscale=st.sampled_from([0.1, 1.0, 30.0, 400.0]),
       block_size=st.sampled_from([1, 2, 5, 16, None]),
       chunk_size=st.sampled_from([1, 7, 1024]), w_hi=st.sampled_from([-2.0, 3.0, 5.0]),
       seed=st.integers(0, 10_000))
def test_hypothesis_paths_and_sizes(batch, T, C, kscale, block_size, chunk_size, w_hi, seed):
    w, u, k, v = make(batch, T, C, w_range=(-6.0, w_hi), kscale=kscale, seed=seed)
    y, s = wkv_chunked(w, u, k, v, chunk_size=chunk_size, block_size=block_size)
    y0, s0 = wkv_direct(w, u, k, v)
    assert torch.allclose(y, y0, atol=1e-9, rtol=1e-9)
    assert torch.allclose(s, s0, atol=1e-8, rtol=1e-10)


def test_float32_inputs_keep_their_dtypes():
    w, u, k, v = (t.float() for t in make(1, 20, 3))
    y, s = wkv_chunked(w, u, k, v)
    assert y.dtype == torch.float32 and s.dtype == torch.float32


def test_bad_sizes_raise():
    w, u, k, v = make(1, 4, 2)
    with pytest.raises(ValueError, match="chunk_size"):
        wkv_chunked(w, u, k, v, chunk_size=0)
    with pytest.raises(ValueError, match="block_size"):
        wkv_chunked(w, u, k, v, block_size=0)
