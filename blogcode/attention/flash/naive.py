"""Attention by its definition: the score matrix is materialised, softmax taken row by row.

This is the oracle the other backends are tested against; in float64 it is exact up to
rounding.  Memory is O(batch * heads * Lq * Lk).
"""

from __future__ import annotations

import torch

from blogcode.ops import compute_dtype

__all__ = ["attention_naive", "causal_mask"]


def causal_mask(lq: int, lk: int, device: torch.device | None = None) -> torch.Tensor:
    """``[lq, lk]`` bool, True where query ``i`` may see key ``j``: ``j <= i`` (top-left
    alignment, as ``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``).

    >>> causal_mask(2, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0]]
    """
    return torch.ones(lq, lk, dtype=torch.bool, device=device).tril()


def attention_naive(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(out, lse)``: ``softmax(scale * q k^T [+ causal mask]) v`` and the rows' log-sum-exp.

    Computed in float32 (float64 if an input is float64); ``out`` is returned in ``q.dtype``,
    ``lse`` [batch, heads, Lq] in the compute dtype.
    """
    dtype = compute_dtype(q, k, v)
    scores = torch.matmul(q.to(dtype), k.to(dtype).transpose(-1, -2)) * scale
    if causal:
        mask = causal_mask(q.shape[-2], k.shape[-2], q.device)
        scores = scores.masked_fill(~mask, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)
    probs = torch.exp(scores - lse.unsqueeze(-1))
    out = torch.matmul(probs, v.to(dtype))
    return out.to(q.dtype), lse
