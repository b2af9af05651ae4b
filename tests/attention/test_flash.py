"""The attention op's reference and blocked paths against torch's SDPA and each other:
awkward sizes, causal and not, Lq != Lk, gradients, probability invariants, bad input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.attention.flash import attention, causal_mask
from blogcode.attention.flash.chunked import attention_chunked


def _qkv(b, h, lq, lk, d, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, lq, d, generator=g, dtype=dtype)
    k = torch.randn(b, h, lk, d, generator=g, dtype=dtype)
    v = torch.randn(b, h, lk, d, generator=g, dtype=dtype)
    return q, k, v


def _sdpa(q, k, v, causal):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("length", [1, 15, 63, 300])
@pytest.mark.parametrize("d", [16, 64])
def test_backends_match_sdpa(causal, length, d):
    q, k, v = _qkv(2, 3, length, length, d)
    ref = _sdpa(q, k, v, causal)
    for backend in ("naive", "chunked"):
        out = attention(q, k, v, causal=causal, backend=backend)
        assert out.dtype == torch.float64
        torch.testing.assert_close(out, ref, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("lq, lk", [(7, 300), (300, 7), (1, 64), (65, 1)])
@pytest.mark.parametrize("causal", [False, True])
def test_different_query_and_key_lengths(lq, lk, causal):
    """Non-causal with Lq != Lk; causal too, with SDPA's top-left alignment."""
    q, k, v = _qkv(1, 2, lq, lk, 16, seed=1)
    ref = _sdpa(q, k, v, causal)
    for backend in ("naive", "chunked"):
        torch.testing.assert_close(attention(q, k, v, causal=causal, backend=backend), ref)


@pytest.mark.parametrize("bq, bk", [(1, 1), (7, 5), (64, 128), (1000, 1000)])
def test_block_sizes_do_not_change_the_result(bq, bk):
    q, k, v = _qkv(1, 2, 131, 131, 16, seed=2)
    want, want_lse = attention(q, k, v, backend="naive", return_lse=True)
    scale = 16 ** -0.5
    got, lse = attention_chunked(q, k, v, causal=True, scale=scale, block_q=bq, block_k=bk)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(lse, want_lse)


def test_lse_is_the_log_sum_exp_of_the_scaled_scores():
    q, k, v = _qkv(1, 1, 40, 40, 16, seed=3)
    scale = 0.3
    s = (q @ k.transpose(-1, -2)) * scale
    s = s.masked_fill(~causal_mask(40, 40), float("-inf"))
    want = torch.logsumexp(s, dim=-1)
    for backend in ("naive", "chunked"):
        _, lse = attention(q, k, v, scale=scale, backend=backend, return_lse=True)
        torch.testing.assert_close(lse, want)


def test_float32_and_half_inputs():
    q, k, v = _qkv(1, 2, 100, 100, 64, dtype=torch.float32, seed=4)
    ref = attention(q.double(), k.double(), v.double(), backend="naive")
    out = attention(q, k, v, backend="chunked")
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)
    for dtype, tol in ((torch.float16, 2e-3), (torch.bfloat16, 2e-2)):
        out = attention(q.to(dtype), k.to(dtype), v.to(dtype), backend="chunked")
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), ref, atol=tol, rtol=tol)


def test_large_scores_do_not_overflow():
    """The running maximum keeps exp() bounded: scores of 1e4 are fine in float32."""
    q, k, v = _qkv(1, 1, 50, 50, 16, dtype=torch.float32, seed=5)
    out = attention(q * 300, k * 300, v, backend="chunked")
    ref = attention(q.double() * 300, k.double() * 300, v.double(), backend="naive")
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.double(), ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("causal", [True, False])
def test_gradients_of_the_chunked_path_match_the_naive_path(causal):
    q, k, v = _qkv(1, 2, 37, 37, 16, seed=6)
    grads = []
    for backend in ("naive", "chunked"):
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        out = attention(*leaves, causal=causal, backend=backend)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        grads.append([t.grad for t in leaves])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)
    # Finite differences on a small case, blocks smaller than the sequence.
    small = [t[:, :1, :9, :4].clone().requires_grad_() for t in (q, k, v)]
    assert torch.autograd.gradcheck(
        lambda a, b, c: attention_chunked(a, b, c, causal=causal, scale=0.5, block_q=4,
                                          block_k=3)[0],
        small,
    )


@settings(max_examples=40, deadline=None)
@given(
    lq=st.integers(1, 40), lk=st.integers(1, 40), d=st.sampled_from([1, 3, 16]),
    causal=st.booleans(), scale=st.floats(0.01, 5.0), seed=st.integers(0, 2**16),
)
def test_outputs_are_convex_combinations(lq, lk, d, causal, scale, seed):
    """Each output row is a probability-weighted average of value rows: values of ones give
    ones, and every output lies between the smallest and largest visible value."""
    q, k, v = _qkv(1, 1, lq, lk, d, seed=seed)
    ones = torch.ones_like(v)
    out1 = attention(q, k, ones, causal=causal, scale=scale, backend="chunked")
    torch.testing.assert_close(out1, torch.ones_like(out1))
    out = attention(q, k, v, causal=causal, scale=scale, backend="chunked")
    visible = causal_mask(lq, lk) if causal else torch.ones(lq, lk, dtype=torch.bool)
    vv = v[0, 0]  # [lk, d]
    big = torch.where(visible[..., None], vv[None], torch.tensor(float("-inf"), dtype=vv.dtype))
    small = torch.where(visible[..., None], vv[None], torch.tensor(float("inf"), dtype=vv.dtype))
    assert (out[0, 0] <= big.amax(1) + 1e-12).all() and (out[0, 0] >= small.amin(1) - 1e-12).all()


@settings(max_examples=25, deadline=None)
@given(lk=st.integers(2, 30), seed=st.integers(0, 2**16))
def test_non_causal_attention_ignores_the_order_of_keys(lk, seed):
    q, k, v = _qkv(1, 2, 5, lk, 8, seed=seed)
    perm = torch.randperm(lk, generator=torch.Generator().manual_seed(seed))
    a = attention(q, k, v, causal=False, backend="chunked")
    b = attention(q, k[:, :, perm], v[:, :, perm], causal=False, backend="chunked")
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda q, k, v: (q[0], k, v), ValueError, r"q must be 4-d \[batch, heads, L, head_dim\]"),
        (lambda q, k, v: (q, k[:1], v), ValueError, "k and v must have batch=2, heads=3"),
        (lambda q, k, v: (q, k[..., :8], v), ValueError, "share head_dim=16"),
        (lambda q, k, v: (q, k, v[:, :, :5]), ValueError, "same length"),
        (lambda q, k, v: (q, k.float(), v), TypeError, "share a dtype"),
        (lambda q, k, v: (q.int(), k, v), TypeError, "q must be a floating"),
        (lambda q, k, v: (q[:, :, :0], k, v), ValueError, "non-empty"),
    ],
)
def test_bad_input_is_a_clear_error(make, error, match):
    q, k, v = _qkv(2, 3, 9, 9, 16)
    with pytest.raises(error, match=match):
        attention(*make(q, k, v), backend="chunked")


def test_bad_backend_and_head_dim_for_the_kernel():
    q, k, v = _qkv(1, 1, 4, 4, 24, dtype=torch.float32)
    with pytest.raises(ValueError, match="backend must be one of"):
        attention(q, k, v, backend="fast")
    with pytest.raises((ValueError, RuntimeError), match="head_dim in|unavailable"):
        attention(q, k, v, backend="triton")
    with pytest.raises(ValueError, match="scale must be finite"):
        attention(q, k, v, scale=float("inf"))


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/clear_refs"), reason="Linux")
def test_the_blocked_path_never_forms_the_score_matrix():
    """Peak extra memory of one forward (fresh process): the naive path holds Lq x Lk scores
    (4 heads x 1024^2 x 4 bytes = 16 MiB each), the blocked path only blocks and the output."""
    from blogcode.attention.timing import peak_memory

    naive = peak_memory(1, 4, 1024, 64, "naive")
    chunked = peak_memory(1, 4, 1024, 64, "chunked")
    scores = 4 * 1024 * 1024 * 4
    assert naive >= scores, (naive, chunked)
    assert chunked < scores / 2 < naive / 2, (naive, chunked)
