"""Blocked attention with the online softmax: never forms an Lq x Lk matrix.

Queries are taken ``block_q`` rows at a time; for each block the keys are visited
``block_k`` at a time, keeping per row the running maximum ``m``, the running sum
``l = sum_j exp(s_j - m)`` and the unnormalised output ``acc = sum_j exp(s_j - m) v_j``.
When a new block raises the maximum to ``m'``, the old sums are rescaled by
``exp(m - m')``: this is the recurrence of the "attention as a quadratic RNN" post, and the
one FlashAttention runs on chip.  Causal attention skips the key blocks that lie entirely
after a query block and masks inside the block on the diagonal.

Peak extra memory is O(batch * heads * (block_q * block_k + L * head_dim)): one block of
scores and probabilities, plus the output and the per-row statistics, instead of the
O(batch * heads * Lq * Lk) score matrix of the naive path.  (Autograd through this path
keeps each block's probabilities for the backward pass, so training memory is that of the
naive path; the forward is what the bound is about.)
"""

from __future__ import annotations

import torch

from blogcode.ops import compute_dtype

__all__ = ["attention_chunked", "BLOCK_Q", "BLOCK_K"]

BLOCK_Q = 128
BLOCK_K = 128


def attention_chunked(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool, scale: float,
    block_q: int = BLOCK_Q, block_k: int = BLOCK_K,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(out, lse)`` like :func:`~blogcode.attention.flash.naive.attention_naive`, blockwise.

    ``block_q``, ``block_k``: rows of queries / keys per block (any positive sizes).
    """
    if block_q < 1 or block_k < 1:
        raise ValueError(f"block sizes must be positive, got {block_q}, {block_k}")
    dtype = compute_dtype(q, k, v)
    *lead, lq, d = q.shape
    lk = k.shape[-2]
    out = torch.empty(*lead, lq, v.shape[-1], dtype=dtype, device=q.device)
    lse = torch.empty(*lead, lq, dtype=dtype, device=q.device)
    for i0 in range(0, lq, block_q):
        i1 = min(i0 + block_q, lq)
        qb = q[..., i0:i1, :].to(dtype) * scale
        m = torch.full((*lead, i1 - i0), float("-inf"), dtype=dtype, device=q.device)
        s_sum = torch.zeros((*lead, i1 - i0), dtype=dtype, device=q.device)
        acc = torch.zeros((*lead, i1 - i0, v.shape[-1]), dtype=dtype, device=q.device)
        # Top-left causal alignment: query i sees keys j <= i, so keys past i1 - 1 are unseen.
        k_end = min(lk, i1) if causal else lk
        for j0 in range(0, k_end, block_k):
            j1 = min(j0 + block_k, k_end)
            s = torch.matmul(qb, k[..., j0:j1, :].to(dtype).transpose(-1, -2))
            if causal and j1 - 1 > i0:  # the block touches the diagonal
                rows = torch.arange(i0, i1, device=q.device)[:, None]
                cols = torch.arange(j0, j1, device=q.device)[None, :]
                s = s.masked_fill(cols > rows, float("-inf"))
            m_new = torch.maximum(m, s.amax(dim=-1))
            # exp(-inf - finite) = 0 rescales an empty history; guard the -inf - -inf case.
            alpha = torch.exp(torch.where(torch.isinf(m_new), torch.zeros_like(m), m - m_new))
            p = torch.exp(s - m_new.unsqueeze(-1))
            s_sum = s_sum * alpha + p.sum(dim=-1)
            acc = acc * alpha.unsqueeze(-1) + torch.matmul(p, v[..., j0:j1, :].to(dtype))
            m = m_new
        out[..., i0:i1, :] = acc / s_sum.unsqueeze(-1)
        lse[..., i0:i1] = m + torch.log(s_sum)
    return out.to(q.dtype), lse
