"""Scaled dot-product attention: a readable reference, a blocked CPU fallback and a Triton
kernel, one entry point.

Layout (as ``blogcode/ssm/selective_scan/``, after flash-linear-attention's ``fla/ops/<op>/``):

* ``naive.py``   -- the score matrix materialised: the definition and the test oracle;
* ``chunked.py`` -- blocked online softmax with running-max rescaling, never forming an
  L x L matrix (any device; the fallback);
* ``triton.py``  -- a FlashAttention-2 style forward kernel for CUDA (fp16/bf16/fp32 inputs,
  fp32 accumulation); it runs on CPU tensors only under ``TRITON_INTERPRET=1`` and is imported
  only when that backend is used.

Tensors are ``[batch, heads, L, head_dim]``.  Causal attention uses the top-left alignment of
``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``: query ``i`` sees keys
``j <= i`` (also when ``Lq != Lk``).
"""

from __future__ import annotations

import math
from typing import Literal, overload

import torch

from blogcode.ops import check_floats, one_device, resolve_backend

from .chunked import attention_chunked
from .naive import attention_naive, causal_mask

__all__ = ["attention", "BACKENDS", "TRITON_HEAD_DIMS", "causal_mask"]

BACKENDS = ("auto", "naive", "chunked", "triton")
#: Head sizes the Triton kernel is compiled for.
TRITON_HEAD_DIMS = (16, 32, 64, 128)


def _validate(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.device:
    named = {"q": q, "k": k, "v": v}
    check_floats(named)
    for name, t in named.items():
        if t.dim() != 4:
            raise ValueError(
                f"{name} must be 4-d [batch, heads, L, head_dim], got shape {tuple(t.shape)}"
            )
        if 0 in t.shape:
            raise ValueError(f"{name} must be non-empty, got shape {tuple(t.shape)}")
    if len({q.dtype, k.dtype, v.dtype}) > 1:
        raise TypeError(f"q, k, v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    b, h, _, d = q.shape
    if k.shape[:2] != (b, h) or v.shape[:2] != (b, h):
        raise ValueError(
            f"k and v must have batch={b}, heads={h} like q; got k {tuple(k.shape)}, "
            f"v {tuple(v.shape)}"
        )
    if k.shape[-1] != d or v.shape[-1] != d:
        raise ValueError(
            f"q, k and v must share head_dim={d}; got k {k.shape[-1]}, v {v.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length, got {k.shape[-2]} and {v.shape[-2]}")
    return one_device(named)


@overload
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = ...,
              scale: float | None = ..., backend: str = ...,
              return_lse: Literal[False] = ...) -> torch.Tensor:
    ...
@overload
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = ...,
              scale: float | None = ..., backend: str = ..., *,
              return_lse: Literal[True]) -> tuple[torch.Tensor, torch.Tensor]:
    ...
def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True,
    scale: float | None = None, backend: str = "auto", return_lse: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """``softmax(scale * q k^T) v`` over ``[batch, heads, L, head_dim]`` tensors.

    Args:
        q: [batch, heads, Lq, head_dim]; k, v: [batch, heads, Lk, head_dim], same dtype.
        causal: mask keys after the query (top-left alignment, as torch's SDPA).
        scale: score scale, default ``1 / sqrt(head_dim)``.
        backend: ``"auto"`` (Triton on CUDA, ``"chunked"`` elsewhere), ``"naive"``,
            ``"chunked"`` or ``"triton"`` (head_dim in ``TRITON_HEAD_DIMS``; forward only).
        return_lse: also return the rows' log-sum-exp of the scaled scores, [batch, heads, Lq].

    Returns ``out`` in ``q.dtype`` (or ``(out, lse)``).  The naive and chunked paths compute in
    float32 (float64 when the inputs are float64) and are differentiable.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> q, k, v = torch.randn(3, 1, 2, 37, 16, generator=g)
        >>> ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        >>> out = attention(q, k, v, backend="chunked")
        >>> bool(torch.allclose(out, ref, atol=1e-5))
        True
    """
    device = _validate(q, k, v)
    requested = backend
    backend = resolve_backend("attention", backend, BACKENDS, device, (q, k, v))
    d = q.shape[-1]
    if requested == "auto" and backend == "triton" and d not in TRITON_HEAD_DIMS:
        backend = "chunked"  # a head size the kernel is not built for
    scale = 1.0 / math.sqrt(d) if scale is None else float(scale)
    if not math.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale}")
    if backend == "naive":
        out, lse = attention_naive(q, k, v, causal=causal, scale=scale)
    elif backend == "chunked":
        out, lse = attention_chunked(q, k, v, causal=causal, scale=scale)
    else:
        if d not in TRITON_HEAD_DIMS:
            raise ValueError(
                f"the triton backend supports head_dim in {TRITON_HEAD_DIMS}, got {d}; "
                'use backend="chunked"'
            )
        from .triton import attention_triton

        out, lse = attention_triton(q, k, v, causal=causal, scale=scale)
    return (out, lse) if return_lse else out
