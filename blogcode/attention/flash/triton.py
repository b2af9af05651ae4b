"""Triton forward kernel for attention, FlashAttention-2 style (imported lazily: importing this
imports triton).

One program owns ``BLOCK_M`` rows of queries of one (batch, head) and keeps, per row, the
running maximum ``m_i``, the running sum ``l_i`` and the unnormalised output ``acc``
[BLOCK_M, head_dim] in registers while it walks the keys ``BLOCK_N`` at a time (the online
softmax).  Per key block: ``s = scale * q k^T`` (``tl.dot``, float32 accumulation), ``m_new =
max(m_i, rowmax(s))``, ``p = exp(s - m_new)``, ``l_i <- l_i exp(m_i - m_new) + rowsum(p)``,
``acc <- acc exp(m_i - m_new) + p v``.  At the end ``out = acc / l_i`` and
``lse = m_i + log(l_i)``; nothing of size Lq x Lk touches memory.  The exponentials are
``exp2`` with ``log2(e)`` folded into the score scale, so ``m_i`` and ``l_i`` live in base 2 and
``lse`` is converted back to the natural log when stored.

Causal masking uses the *top-left* alignment of
``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``: query ``i`` sees keys
``j <= i`` (also when ``Lq != Lk``).  Key block 0 is visible to every row, so no row is ever
empty and ``l_i >= 1``.  The key loop is split in two: the blocks every row of the program sees
in full run without masks; the remaining ones (the diagonal blocks, and the ragged last block)
are masked.  Key blocks entirely above the diagonal are never visited.

Scores and softmax statistics are float32; half-precision inputs go through ``tl.dot`` in their
own dtype with float32 accumulation (``p`` is rounded to the value dtype before ``p v``, as
FlashAttention does), float32 inputs use IEEE float32 dots (no TF32).  ``head_dim`` may be any
size up to 128 (padded to a power of two, at least 16, with masks).  Under the interpreter,
bfloat16 tiles are widened to float32 (exactly) before ``tl.dot``, whose interpreted bfloat16
version multiplies bit patterns (triton-lang/triton#11584).  There is no backward kernel: the
autograd wrapper raises.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from blogcode.ops import forward_only, interpret_mode

__all__ = ["attention_triton", "default_config", "INTERPRET", "MAX_HEAD_DIM", "DTYPES"]

#: Whether triton was imported in interpreter mode (CPU tensors are accepted only then).
INTERPRET = interpret_mode()

#: The largest head dimension the kernel supports (q, k, v tiles stay in registers / SRAM).
MAX_HEAD_DIM = 128

#: The input dtypes the kernel accepts (all three of q, k, v in the same one).
DTYPES = (torch.float16, torch.bfloat16, torch.float32)

_LOG2E = 1.4426950408889634  # log2(e): exp(x) = exp2(x * log2(e))


@triton.jit
def _attn_block(acc, l_i, m_i, q, kt_ptrs, v_ptrs, offs_m, cols, mask_d, len_k, qk_scale,
                MASKED: tl.constexpr, CAUSAL: tl.constexpr, EVEN_D: tl.constexpr,
                DOT_PRECISION: tl.constexpr, UPCAST: tl.constexpr):
    """One step of the online softmax over the key block ``cols`` (tiles ``k^T``, ``v``)."""
    if MASKED:
        in_k = cols < len_k
        kt = tl.load(kt_ptrs, mask=mask_d[:, None] & in_k[None, :], other=0.0)  # [BD, BN]
        v = tl.load(v_ptrs, mask=in_k[:, None] & mask_d[None, :], other=0.0)  # [BN, BD]
    elif EVEN_D:
        kt = tl.load(kt_ptrs)
        v = tl.load(v_ptrs)
    else:
        kt = tl.load(kt_ptrs, mask=mask_d[:, None], other=0.0)
        v = tl.load(v_ptrs, mask=mask_d[None, :], other=0.0)
    if UPCAST:  # exact: every bfloat16 value is a float32 value (see _attn_fwd_kernel)
        kt = kt.to(tl.float32)
    s = tl.dot(q, kt, input_precision=DOT_PRECISION) * qk_scale  # [BM, BN], in base 2
    if MASKED:
        visible = in_k[None, :]
        if CAUSAL:  # top-left alignment: query i sees keys j <= i
            visible = visible & (cols[None, :] <= offs_m[:, None])
        s = tl.where(visible, s, float("-inf"))
    # m_new is finite for every row: each row's first visited block holds a visible key.
    m_new = tl.maximum(m_i, tl.max(s, axis=1))
    alpha = tl.exp2(m_i - m_new)  # exp2(-inf) = 0 on the first block
    p = tl.exp2(s - m_new[:, None])
    l_i = l_i * alpha + tl.sum(p, axis=1)
    p = p.to(v.dtype)  # rounded to the value dtype, as FlashAttention feeds its second matmul
    if UPCAST:
        p = p.to(tl.float32)
        v = v.to(tl.float32)
    acc = acc * alpha[:, None] + tl.dot(p, v, input_precision=DOT_PRECISION)
    return acc, l_i, m_new


@triton.jit
def _attn_fwd_kernel(
    q_ptr, k_ptr, v_ptr, o_ptr, lse_ptr,
    n_heads, len_q, len_k, qk_scale,
    s_q_b, s_q_h, s_q_m, s_q_d,
    s_k_b, s_k_h, s_k_n, s_k_d,
    s_v_b, s_v_h, s_v_n, s_v_d,
    s_o_b, s_o_h, s_o_m, s_o_d,
    s_l_b, s_l_h, s_l_m,
    CAUSAL: tl.constexpr, HEAD_DIM: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, DOT_PRECISION: tl.constexpr,
    UPCAST: tl.constexpr,
):
    if CAUSAL:  # the last query blocks have the most keys: start them first
        pid_m = tl.num_programs(0) - 1 - tl.program_id(0)
    else:
        pid_m = tl.program_id(0)
    pid_bh = tl.program_id(1)
    b = (pid_bh // n_heads).to(tl.int64)  # int64 offsets: tensors may exceed 2**31 elements
    h = (pid_bh % n_heads).to(tl.int64)
    m0 = pid_m * BLOCK_M
    offs_m = m0 + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    mask_m = offs_m < len_q
    mask_d = offs_d < HEAD_DIM
    EVEN_D: tl.constexpr = HEAD_DIM == BLOCK_D

    q = tl.load(q_ptr + b * s_q_b + h * s_q_h + offs_m[:, None] * s_q_m + offs_d[None, :] * s_q_d,
                mask=mask_m[:, None] & mask_d[None, :], other=0.0)
    if UPCAST:  # the interpreter's tl.dot multiplies bfloat16 bit patterns (triton#11584)
        q = q.to(tl.float32)
    # tiles of k^T [BD, BN] and v [BN, BD] for the key block at 0; block j0 adds j0 * stride
    kt_ptrs = k_ptr + b * s_k_b + h * s_k_h + offs_d[:, None] * s_k_d + offs_n[None, :] * s_k_n
    v_ptrs = v_ptr + b * s_v_b + h * s_v_h + offs_n[:, None] * s_v_n + offs_d[None, :] * s_v_d
    m_i = tl.full((BLOCK_M,), float("-inf"), dtype=tl.float32)
    l_i = tl.zeros((BLOCK_M,), dtype=tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)

    # Keys [0, full_end) are seen in full by every row of this program (whole blocks below the
    # diagonal); keys [full_end, hi) need masks (diagonal blocks, the ragged end); keys past
    # hi are above the diagonal for every row and are skipped.
    if CAUSAL:
        hi = tl.minimum(len_k, m0 + BLOCK_M)
        full_end = (tl.minimum(len_k, m0 + 1) // BLOCK_N) * BLOCK_N
    else:
        hi = len_k
        full_end = (len_k // BLOCK_N) * BLOCK_N
    for j0 in range(0, full_end, BLOCK_N):
        acc, l_i, m_i = _attn_block(acc, l_i, m_i, q, kt_ptrs + j0 * s_k_n, v_ptrs + j0 * s_v_n,
                                    offs_m, j0 + offs_n, mask_d, len_k, qk_scale,
                                    False, CAUSAL, EVEN_D, DOT_PRECISION, UPCAST)
    for j0 in range(full_end, hi, BLOCK_N):
        acc, l_i, m_i = _attn_block(acc, l_i, m_i, q, kt_ptrs + j0 * s_k_n, v_ptrs + j0 * s_v_n,
                                    offs_m, j0 + offs_n, mask_d, len_k, qk_scale,
                                    True, CAUSAL, EVEN_D, DOT_PRECISION, UPCAST)

    out = acc / l_i[:, None]
    tl.store(o_ptr + b * s_o_b + h * s_o_h + offs_m[:, None] * s_o_m + offs_d[None, :] * s_o_d,
             out.to(o_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_d[None, :])
    lse = (m_i + tl.log2(l_i)) * 0.6931471805599453  # base-2 statistics -> natural log
    tl.store(lse_ptr + b * s_l_b + h * s_l_h + offs_m * s_l_m, lse, mask=mask_m)


def default_config(head_dim: int, dtype: torch.dtype) -> dict[str, int]:
    """Autotune-free launch parameters: ``block_m``, ``block_n``, ``num_warps``, ``num_stages``.

    Not autotuned: the half-precision tiles are the FlashAttention-2 Triton tutorial's; compiled
    ahead of time for sm_90 (no GPU at hand) they use wgmma with cp.async pipelining and spill no
    registers.  Float32 (IEEE dots on the FMA units) takes small tiles, also spill-free there.
    Under the interpreter: 32 x 32 blocks, so small tests still cross block boundaries.
    """
    if INTERPRET:
        return {"block_m": 32, "block_n": 32, "num_warps": 4, "num_stages": 1}
    block_d = _block_d(head_dim)
    if dtype == torch.float32:  # IEEE dots run on FMA units, operands in registers: small tiles
        if block_d <= 64:
            return {"block_m": 64, "block_n": 32, "num_warps": 8, "num_stages": 2}
        return {"block_m": 32, "block_n": 16, "num_warps": 8, "num_stages": 2}
    if block_d <= 64:
        return {"block_m": 128, "block_n": 64, "num_warps": 4, "num_stages": 3}
    return {"block_m": 128, "block_n": 64, "num_warps": 8, "num_stages": 3}


def _block_d(head_dim: int) -> int:
    return max(16, triton.next_power_of_2(head_dim))  # tl.dot needs dimensions >= 16


def _check(q, k, v, block_m, block_n):
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 4:
            raise ValueError(f"{name} must have shape [batch, heads, L, head_dim], "
                             f"got {tuple(t.shape)}")
        if t.dtype not in DTYPES:
            raise TypeError(f"the Triton attention kernel takes float16/bfloat16/float32 inputs, "
                            f"{name} is {t.dtype}")
    if len({q.dtype, k.dtype, v.dtype}) != 1:
        raise TypeError(f"q, k, v must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if len({q.device, k.device, v.device}) != 1:
        raise ValueError(f"q, k, v must be on one device, got {q.device}, {k.device}, {v.device}")
    batch, heads, len_q, head_dim = q.shape
    if k.shape[:2] != (batch, heads) or k.shape[3] != head_dim:
        raise ValueError(f"k must have shape [batch={batch}, heads={heads}, Lk, "
                         f"head_dim={head_dim}], got {tuple(k.shape)}")
    if v.shape != k.shape:
        raise ValueError(f"v must have the shape of k {tuple(k.shape)}, got {tuple(v.shape)}")
    if min(*q.shape, k.shape[2]) < 1:
        raise ValueError(f"q and k must have non-empty dimensions, got {tuple(q.shape)}, "
                         f"{tuple(k.shape)}")
    if head_dim > MAX_HEAD_DIM:
        raise ValueError(f"the Triton attention kernel supports head_dim <= {MAX_HEAD_DIM}, "
                         f"got {head_dim}")
    for name, n in (("block_m", block_m), ("block_n", block_n)):
        if n is not None and (n < 16 or n & (n - 1)):
            raise ValueError(f"{name} must be a power of two >= 16, got {n}")
    if q.device.type != "cuda" and not INTERPRET:
        raise RuntimeError("the Triton kernel needs CUDA tensors (or TRITON_INTERPRET=1 set before "
                           "triton is imported)")


def _forward(q, k, v, causal, scale, block_m, block_n, num_warps, num_stages):
    batch, heads, len_q, head_dim = q.shape
    len_k = k.shape[2]
    cfg = default_config(head_dim, q.dtype)
    block_m = block_m or cfg["block_m"]
    block_n = block_n or cfg["block_n"]
    block_d = _block_d(head_dim)
    out = torch.empty((batch, heads, len_q, head_dim), dtype=q.dtype, device=q.device)
    lse = torch.empty((batch, heads, len_q), dtype=torch.float32, device=q.device)
    grid = (triton.cdiv(len_q, block_m), batch * heads)
    _attn_fwd_kernel[grid](
        q, k, v, out, lse,
        heads, len_q, len_k, float(scale) * _LOG2E,
        *q.stride(), *k.stride(), *v.stride(), *out.stride(), *lse.stride(),
        CAUSAL=bool(causal), HEAD_DIM=head_dim, BLOCK_D=block_d,
        BLOCK_M=block_m, BLOCK_N=block_n,
        DOT_PRECISION="ieee" if q.dtype == torch.float32 else "tf32",  # ignored for halves
        UPCAST=INTERPRET and q.dtype == torch.bfloat16,
        num_warps=num_warps or cfg["num_warps"], num_stages=num_stages or cfg["num_stages"],
    )
    return out, lse


def attention_triton(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool, scale: float,
    block_m: int | None = None, block_n: int | None = None,
    num_warps: int | None = None, num_stages: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(out, lse)``: ``softmax(scale * q k^T [+ causal mask]) v`` and each row's log-sum-exp.

    ``q`` [batch, heads, Lq, head_dim], ``k`` and ``v`` [batch, heads, Lk, head_dim], any
    strides, one dtype among float16 / bfloat16 / float32, ``head_dim <= 128``.  ``causal``
    masks with the top-left alignment of ``scaled_dot_product_attention(is_causal=True)``:
    query ``i`` sees keys ``j <= i``.  Returns ``out`` [batch, heads, Lq, head_dim] in
    ``q.dtype`` and ``lse`` [batch, heads, Lq] float32 (natural log of
    ``sum_j exp(scale * q_i . k_j)`` over the visible keys).

    ``block_m`` / ``block_n`` (powers of two >= 16), ``num_warps`` and ``num_stages`` override
    :func:`default_config`.  Forward only: backpropagating through the outputs raises
    ``RuntimeError``.
    """
    _check(q, k, v, block_m, block_n)
    if not math.isfinite(float(scale)):
        raise ValueError(f"scale must be finite, got {scale}")

    def run():
        return _forward(q, k, v, causal, scale, block_m, block_n, num_warps, num_stages)

    return forward_only(run, (q, k, v), "the Triton attention kernel")
