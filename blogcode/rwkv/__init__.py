"""RWKV-4: the WKV operator (reference, CPU fallback, Triton kernel).

Layout (after flash-linear-attention's ``fla/ops/<op>/``):

* ``naive.py``   -- the O(T^2) formula ``wkv_direct`` and the step-by-step recurrence
  ``wkv_naive`` (the RNN mode of ``model_run.py``): the definitions and test oracles;
* ``chunked.py`` -- the CPU fallback: sums over the past as cumulative sums, segment by segment;
* ``triton.py``  -- the GPU kernel; runs on CPU tensors only under ``TRITON_INTERPRET=1``.

Dimension letters: ``batch``, ``T`` (tokens), ``C`` (channels, ``n_embd``).
"""

from __future__ import annotations

import os

import torch

from .chunked import wkv_chunked
from .model import TinyRWKV as TinyRWKV
from .model import load_rnn_weights as load_rnn_weights
from .model import random_checkpoint as random_checkpoint
from .model import sample as sample
from .model import top_p_cutoff as top_p_cutoff
from .naive import canonical_state, empty_state, wkv_direct, wkv_naive

__all__ = ["wkv", "wkv_direct", "wkv_naive", "wkv_chunked", "empty_state", "canonical_state",
           "BACKENDS"]

BACKENDS = ("auto", "naive", "direct", "cpu", "triton")
_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _triton_status(device: torch.device) -> tuple[bool, str]:
    import importlib.util

    if importlib.util.find_spec("triton") is None:
        return False, "the 'triton' package is not installed"
    if device.type == "cuda" or os.environ.get("TRITON_INTERPRET") == "1":
        return True, ""
    return False, (f"tensors are on {device.type!r}; Triton needs CUDA tensors, or "
                   "TRITON_INTERPRET=1 set before triton is imported")


def wkv(w, u, k, v, state=None, backend: str = "auto"):
    """RWKV-4's WKV: a decaying, softmax-like weighted average of values over the past.

    Args:
        w: [C] ``time_decay``; the per-step log-decay is ``-exp(w)``.
        u: [C] ``time_first``, the bonus of the current token.
        k, v: [batch, T, C] keys and values (same dtype), ``T >= 1``.
        state: optional [batch, 3, C] ``(aa, bb, pp)`` with ``bb >= 0``: the past sums are
            ``aa e^pp`` (numerator) and ``bb e^pp`` (denominator).  ``None`` is the empty past.
        backend: ``"auto"`` (Triton on CUDA, the CPU fallback elsewhere), ``"naive"`` (the
            recurrence), ``"direct"`` (the O(T^2) formula), ``"cpu"`` or ``"triton"``.

    Returns ``(y [batch, T, C] in v.dtype, state [batch, 3, C])``; the state is returned in the
    canonical form ``bb = 1``, ``pp = log(denominator)`` (float64 if an input is float64, else
    float32), and can be fed back to continue the sequence.  The Triton backend computes in
    float32 and has no backward pass.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> w, u = torch.randn(2, 8, generator=g)
        >>> k, v = torch.randn(2, 3, 11, 8, generator=g)
        >>> y, s = wkv(w, u, k, v, backend="cpu")
        >>> y2, s2 = wkv(w, u, k[:, 5:], v[:, 5:], state=wkv(w, u, k[:, :5], v[:, :5])[1])
        >>> bool(torch.allclose(y[:, 5:], y2, atol=1e-5))
        True
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    named = {"w": w, "u": u, "k": k, "v": v, "state": state}
    for name, t in named.items():
        if t is None:
            continue
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in _FLOATS:
            raise TypeError(f"{name} must be a real floating tensor, got {t.dtype}")
    if k.dim() != 3:
        raise ValueError(f"k must have shape [batch, T, C], got {tuple(k.shape)}")
    batch, T, C = k.shape
    if T < 1 or batch < 1 or C < 1:
        raise ValueError(f"k must have non-empty dimensions, got {tuple(k.shape)}")
    if v.shape != k.shape:
        raise ValueError(f"v must have the shape of k {tuple(k.shape)}, got {tuple(v.shape)}")
    if v.dtype != k.dtype:
        raise TypeError(f"k and v must have the same dtype, got {k.dtype} and {v.dtype}")
    for name, t in (("w", w), ("u", u)):
        if t.shape != (C,):
            raise ValueError(f"{name} must have shape [C={C}], got {tuple(t.shape)}")
    if state is not None:
        if state.shape != (batch, 3, C):
            raise ValueError(f"state must have shape [batch={batch}, 3, C={C}], "
                             f"got {tuple(state.shape)}")
        if bool((state[:, 1] < 0).any()):
            raise ValueError("state[:, 1] (bb, the denominator scale) must be >= 0")
    devices = {t.device for t in named.values() if t is not None}
    if len(devices) > 1:
        raise ValueError(f"all tensors must be on one device, got {sorted(map(str, devices))}")
    device = k.device
    if backend == "auto":
        backend = "triton" if device.type == "cuda" and _triton_status(device)[0] else "cpu"
    if backend == "naive":
        return wkv_naive(w, u, k, v, state)
    if backend == "direct":
        return wkv_direct(w, u, k, v, state)
    if backend == "cpu":
        return wkv_chunked(w, u, k, v, state)
    ok, why = _triton_status(device)
    if not ok:
        raise RuntimeError(f"backend='triton' is unavailable: {why}")
    if any(t is not None and t.dtype == torch.float64 for t in named.values()):
        raise TypeError("backend='triton' computes in float32; use backend='cpu', 'naive' or "
                        "'direct' for float64 inputs")
    from .triton import wkv_triton

    if state is None:
        state = empty_state(batch, C, torch.float32, device)
    return wkv_triton(w, u, k, v, state)
