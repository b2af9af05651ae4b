"""The Triton attention kernel against torch's SDPA and a float64 materialised softmax.

Without CUDA the kernel runs in Triton's CPU interpreter (``TRITON_INTERPRET=1``, set here
before triton is imported), which is slow: batch 1, two heads and L <= 130 keep the whole file
at a few seconds.  With ``BLOGCODE_DEVICE=cuda`` (``nox -s gpu``) the same tests run compiled,
plus a few long sequences.
"""

import math
import os

import torch

if not torch.cuda.is_available():  # must precede any import of triton
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from blogcode.device import pick_device  # noqa: E402
from blogcode.ops import triton_available  # noqa: E402

DEVICE = pick_device()
ON_GPU = DEVICE.type == "cuda"
_OK, _WHY = triton_available(DEVICE)
if not _OK:
    pytest.skip(f"the Triton attention kernel cannot run here: {_WHY}", allow_module_level=True)
try:
    from blogcode.attention.flash.triton import attention_triton, default_config  # noqa: E402
except ImportError as exc:  # triton present but not importable (a broken install)
    pytest.skip(f"triton cannot be imported: {exc}", allow_module_level=True)

# float32 kernel (IEEE dots) against float64; outputs are O(1), lse O(log L)
ATOL, RTOL = 2e-5, 2e-5
# half-precision inputs: out is rounded to the input dtype, p to the value dtype
HALF_TOL = {torch.float16: 4e-3, torch.bfloat16: 3e-2}


def make(batch, heads, lq, lk, d, *, dtype=torch.float32, seed=0, device=DEVICE):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(batch, heads, n, d, generator=g) for n in (lq, lk, lk))
    return tuple(t.to(device=device, dtype=dtype) for t in (q, k, v))


def ref64(q, k, v, causal, scale):
    """(out, lse) in float64 on the CPU, from the full score matrix (top-left causal mask)."""
    q, k, v = (t.detach().double().cpu() for t in (q, k, v))
    s = torch.einsum("bhid,bhjd->bhij", q, k) * scale
    if causal:
        i = torch.arange(q.shape[2])[:, None]
        j = torch.arange(k.shape[2])[None, :]
        s = s.masked_fill(j > i, float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    return torch.einsum("bhij,bhjd->bhid", torch.softmax(s, dim=-1), v), lse


def sdpa(q, k, v, causal, scale):
    """torch's SDPA in float32 on the CPU (its math path: top-left causal alignment)."""
    q, k, v = (t.detach().float().cpu() for t in (q, k, v))
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)


def close(a, b, atol=ATOL, rtol=RTOL):
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.allclose(a, b, atol=atol, rtol=rtol), (a - b).abs().max().item()


def check(q, k, v, causal, scale=None, **kw):
    """Run the kernel; compare out and lse with float64, and out with SDPA.  Returns them."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    out, lse = attention_triton(q, k, v, causal=causal, scale=scale, **kw)
    assert out.dtype == q.dtype and out.device == q.device
    assert out.shape == q.shape and lse.shape == q.shape[:3]
    assert lse.dtype == torch.float32
    out0, lse0 = ref64(q, k, v, causal, scale)
    if q.dtype == torch.float32:
        close(out, out0)
        close(out, sdpa(q, k, v, causal, scale))
    else:
        tol = HALF_TOL[q.dtype]
        close(out, out0, atol=tol, rtol=tol)
        close(out, sdpa(q, k, v, causal, scale), atol=tol, rtol=tol)
    close(lse, lse0, atol=1e-4 if q.dtype == torch.float32 else 1e-3, rtol=1e-5)
    return out, lse


LONG = [4099] if ON_GPU else []


@pytest.mark.parametrize("length", [1, 15, 63, 130, *LONG])
@pytest.mark.parametrize("head_dim", [16, 64])
@pytest.mark.parametrize("causal", [False, True])
def test_float32_matches_references(length, head_dim, causal):
    heads = 1 if length > 100 else 2  # the interpreter's time grows with heads * L^2
    check(*make(1, heads, length, length, head_dim), causal)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("causal", [False, True])
def test_half_precision_matches_references(dtype, causal):
    check(*make(1, 2, 63, 63, 64, dtype=dtype), causal)


@pytest.mark.parametrize("lq, lk", [(15, 130), (130, 15), (1, 63), (63, 1)])
def test_noncausal_lq_differs_from_lk(lq, lk):
    check(*make(1, 2, lq, lk, 32, seed=1), False)


@pytest.mark.parametrize("lq, lk", [(15, 130), (130, 15)])
def test_causal_lq_differs_from_lk_is_top_left(lq, lk):
    q, k, v = make(1, 1, lq, lk, 16, seed=2)
    out, _ = check(q, k, v, True)
    # top-left: query 0 sees only key 0, so its output is v[0]; with Lq > Lk the rows
    # i >= Lk - 1 see every key (a bottom-right alignment would differ on both counts)
    close(out[:, :, 0], v[:, :, 0], atol=1e-6, rtol=0)
    if lq > lk:
        full, _ = attention_triton(q, k, v, causal=False, scale=0.25)
        close(out[:, :, lk - 1:], full[:, :, lk - 1:], atol=1e-6, rtol=0)


@pytest.mark.parametrize("causal", [False, True])
def test_any_strides(causal):
    g = torch.Generator().manual_seed(3)
    lq, d = 40, 32
    q = torch.randn(1, lq, 2, d, generator=g).to(DEVICE).transpose(1, 2)  # [B, L, H, D] layout
    k = torch.randn(1, 2, lq, 2 * d, generator=g).to(DEVICE)[..., ::2]  # head_dim stride 2
    v = torch.randn(1, 2, d, lq, generator=g).to(DEVICE).transpose(2, 3)  # column-major
    assert not (q.is_contiguous() or k.is_contiguous() or v.is_contiguous())
    out, lse = check(q, k, v, causal)
    out_c, lse_c = attention_triton(q.contiguous(), k.contiguous(), v.contiguous(),
                                    causal=causal, scale=1 / math.sqrt(d))
    close(out, out_c, atol=1e-6, rtol=0)
    close(lse, lse_c, atol=1e-6, rtol=0)


@pytest.mark.parametrize("block_m, block_n", [(16, 16), (16, 32), (32, 16), (128, 64)])
@pytest.mark.parametrize("causal", [False, True])
def test_block_sizes(block_m, block_n, causal):
    # the causal split into unmasked / diagonal blocks depends on block_m vs block_n
    check(*make(1, 1, 50, 50, 16, seed=4), causal, block_m=block_m, block_n=block_n)


@pytest.mark.parametrize("head_dim", [8, 40])
def test_head_dim_padded_to_a_power_of_two(head_dim):
    check(*make(1, 2, 33, 33, head_dim, seed=5), True)


@pytest.mark.parametrize("causal", [False, True])
def test_large_scores_and_a_moving_maximum(causal):
    # scores up to ~+-300 whose row maximum moves to a later key block again and again: the
    # running max must rescale l and acc each time (a missing rescale is off by e^(dozens))
    q, k, v = make(1, 1, 48, 48, 16, seed=6)
    k = k * torch.linspace(0.2, 3.0, 48, device=DEVICE)[:, None]
    q = q.abs() * k.sum(dim=2, keepdim=True).sign()  # q . k_j grows with j for most rows
    _, lse = check(q, k, v, causal, scale=2.0, block_m=16, block_n=16)
    assert lse.abs().max() > 50  # the test does reach large scores


def test_lse_is_the_logsumexp_of_the_scaled_scores():
    q, k, v = make(1, 2, 20, 45, 16, seed=7)
    _, lse = attention_triton(q, k, v, causal=False, scale=0.7)
    scores = torch.einsum("bhid,bhjd->bhij", q.double().cpu(), k.double().cpu()) * 0.7
    close(lse, torch.logsumexp(scores, dim=-1), atol=1e-5, rtol=1e-6)
    # a single key: lse is exactly the one scaled score, the output exactly v
    out1, lse1 = attention_triton(q, k[:, :, :1], v[:, :, :1], causal=False, scale=0.7)
    close(lse1, scores[..., 0], atol=1e-5, rtol=1e-6)
    close(out1, v[:, :, :1].expand_as(out1), atol=1e-6, rtol=0)


def test_autograd_raises_and_inference_pays_nothing():
    q, k, v = make(1, 1, 5, 5, 16)
    out, lse = attention_triton(q, k, v, causal=True, scale=0.25)
    assert out.grad_fn is None and lse.grad_fn is None
    qg = q.clone().requires_grad_(True)
    out, lse = attention_triton(qg, k, v, causal=True, scale=0.25)
    with pytest.raises(RuntimeError, match="no backward"):
        out.sum().backward()
    out, lse = attention_triton(qg, k, v, causal=True, scale=0.25)
    with pytest.raises(RuntimeError, match="no backward"):
        lse.sum().backward()


def test_bad_inputs_raise():
    q, k, v = make(1, 2, 4, 4, 16)
    with pytest.raises(ValueError, match="head_dim <= 128"):
        attention_triton(*make(1, 1, 4, 4, 160), causal=False, scale=0.1)
    with pytest.raises(ValueError, match=r"\[batch, heads, L, head_dim\]"):
        attention_triton(q[0], k[0], v[0], causal=False, scale=0.1)
    with pytest.raises(ValueError, match="k must have shape"):
        attention_triton(q, k[:, :1], v[:, :1], causal=False, scale=0.1)
    with pytest.raises(ValueError, match="v must have the shape of k"):
        attention_triton(q, k, v[:, :, :3], causal=False, scale=0.1)
    with pytest.raises(ValueError, match="non-empty"):
        attention_triton(q, k[:, :, :0], v[:, :, :0], causal=False, scale=0.1)
    with pytest.raises(TypeError, match="float16/bfloat16/float32"):
        attention_triton(q.double(), k.double(), v.double(), causal=False, scale=0.1)
    with pytest.raises(TypeError, match="one dtype"):
        attention_triton(q, k.half(), v, causal=False, scale=0.1)
    with pytest.raises(ValueError, match="block_n must be a power of two"):
        attention_triton(q, k, v, causal=False, scale=0.1, block_n=24)
    with pytest.raises(ValueError, match="scale must be finite"):
        attention_triton(q, k, v, causal=False, scale=float("nan"))


def test_cpu_tensors_need_the_interpreter(monkeypatch):
    import blogcode.attention.flash.triton as mod

    monkeypatch.setattr(mod, "INTERPRET", False)
    with pytest.raises(RuntimeError, match="CUDA"):
        attention_triton(*make(1, 1, 4, 4, 16, device="cpu"), causal=False, scale=0.1)


def test_default_config_is_valid():
    for d in (16, 32, 64, 128):
        for dtype in (torch.float16, torch.bfloat16, torch.float32):
            cfg = default_config(d, dtype)
            for key in ("block_m", "block_n"):
                n = cfg[key]
                assert n >= 16 and n & (n - 1) == 0, (d, dtype, cfg)
            assert cfg["num_warps"] in (1, 2, 4, 8) and cfg["num_stages"] >= 1
