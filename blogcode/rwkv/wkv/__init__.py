"""RWKV-4's WKV operator: a reference, a chunked fallback and a Triton kernel, one entry point.

Layout (after flash-linear-attention's ``fla/ops/<op>/``; conventions in :mod:`blogcode.ops`):

* ``naive.py``   -- the O(T^2) formula ``wkv_direct`` and the step-by-step recurrence
  ``wkv_naive`` (the RNN mode of ``model_run.py``): the definitions and test oracles;
* ``chunked.py`` -- the fallback: sums over the past as cumulative sums, segment by segment;
* ``triton.py``  -- the GPU kernel; runs on CPU tensors only under ``TRITON_INTERPRET=1``.

Dimension letters: ``batch``, ``T`` (tokens), ``C`` (channels, ``n_embd``).
"""

from __future__ import annotations

from typing import Literal, overload

import torch

from blogcode.ops import check_floats, check_sequence, one_device, resolve_backend

from .chunked import wkv_chunked
from .naive import EMPTY_PP, canonical_state, empty_state, wkv_direct, wkv_naive

__all__ = ["wkv", "wkv_direct", "wkv_naive", "wkv_chunked", "empty_state", "canonical_state",
           "EMPTY_PP", "BACKENDS"]

BACKENDS = ("auto", "naive", "direct", "chunked", "triton")


def _validate(w, u, k, v, initial_state) -> torch.device:
    named = {"w": w, "u": u, "k": k, "v": v, "initial_state": initial_state}
    check_floats(named)
    batch, T, C = check_sequence("k", k, "[batch, T, C]")
    if v.shape != k.shape:
        raise ValueError(f"v must have the shape of k {tuple(k.shape)}, got {tuple(v.shape)}")
    if v.dtype != k.dtype:
        raise TypeError(f"k and v must have the same dtype, got {k.dtype} and {v.dtype}")
    for name, t in (("w", w), ("u", u)):
        if t.shape != (C,):
            raise ValueError(f"{name} must have shape [C={C}], got {tuple(t.shape)}")
    if initial_state is not None:
        if initial_state.shape != (batch, 3, C):
            raise ValueError(f"initial_state must have shape [batch={batch}, 3, C={C}], "
                             f"got {tuple(initial_state.shape)}")
        if bool((initial_state[:, 1] < 0).any()):
            raise ValueError("initial_state[:, 1] (bb, the denominator scale) must be >= 0")
    return one_device(named)


@overload
def wkv(w: torch.Tensor, u: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
        initial_state: torch.Tensor | None = ..., output_final_state: Literal[False] = ...,
        backend: str = ...) -> torch.Tensor: ...
@overload
def wkv(w: torch.Tensor, u: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
        initial_state: torch.Tensor | None = ..., *, output_final_state: Literal[True],
        backend: str = ...) -> tuple[torch.Tensor, torch.Tensor]: ...
def wkv(
    w: torch.Tensor,
    u: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    initial_state: torch.Tensor | None = None,
    output_final_state: bool = False,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """RWKV-4's WKV: a decaying, softmax-like weighted average of values over the past.

    Args:
        w: [C] ``time_decay``; the per-step log-decay is ``-exp(w)``.
        u: [C] ``time_first``, the bonus of the current token.
        k, v: [batch, T, C] keys and values (same dtype), ``T >= 1``.
        initial_state: optional [batch, 3, C] ``(aa, bb, pp)`` with ``bb >= 0``: the past sums
            are ``aa e^pp`` (numerator) and ``bb e^pp`` (denominator).  ``None`` is the empty past
            (:func:`empty_state`: ``aa = bb = 0``, ``pp = EMPTY_PP``).
        output_final_state: also return the state after the last token.
        backend: ``"auto"`` (Triton on CUDA, ``"chunked"`` elsewhere), ``"naive"`` (the
            recurrence), ``"direct"`` (the O(T^2) formula), ``"chunked"`` (any device) or
            ``"triton"``.

    Returns ``y`` [batch, T, C] in ``v.dtype``, or ``(y, final_state [batch, 3, C])``.  The final
    state is in the canonical form ``bb = 1``, ``pp = log(denominator)`` (float64 if an input is
    float64, else float32), and can be fed back as ``initial_state`` to continue the sequence.
    The Triton backend computes in float32 and has no backward pass.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> w, u = torch.randn(2, 8, generator=g)
        >>> k, v = torch.randn(2, 3, 11, 8, generator=g)
        >>> y = wkv(w, u, k, v, backend="chunked")
        >>> _, s = wkv(w, u, k[:, :5], v[:, :5], output_final_state=True)
        >>> bool(torch.allclose(y[:, 5:], wkv(w, u, k[:, 5:], v[:, 5:], initial_state=s),
        ...                     atol=1e-5))
        True
    """
    device = _validate(w, u, k, v, initial_state)
    backend = resolve_backend("wkv", backend, BACKENDS, device, (w, u, k, v, initial_state))
    if backend == "naive":
        y, final = wkv_naive(w, u, k, v, initial_state)
    elif backend == "direct":
        y, final = wkv_direct(w, u, k, v, initial_state)
    elif backend == "chunked":
        y, final = wkv_chunked(w, u, k, v, initial_state)
    else:
        from .triton import wkv_triton

        y, final = wkv_triton(w, u, k, v, initial_state)
    return (y, final) if output_final_state else y
