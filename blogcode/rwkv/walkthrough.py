"""Helpers for the RWKV-4 walkthrough post: the unstabilised formula and backend timings.

* :func:`wkv_unstabilised` evaluates the WKV formula literally -- ``exp`` of every exponent, then
  the two sums -- to show what the running-max form avoids: with ``|k|`` in the hundreds the
  float64 exponentials overflow to ``inf`` and the ratio becomes ``nan``.
* :func:`time_wkv` times the WKV backends on the CPU (best of ``repeat``, one thread by default)
  after checking that they agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from blogcode.timing import best_time, torch_threads

from . import wkv

__all__ = ["wkv_unstabilised", "best_time", "time_wkv"]


def wkv_unstabilised(w, u, k, v):
    """WKV by the formula as written, no max subtracted: ``y`` [batch, T, C] (float64).

    ``y_t = (sum_{i<t} e^{(t-1-i) lam + k_i} v_i + e^{u + k_t} v_t) / (same without v)`` with
    ``lam = -exp(w)``.  O(T^2) memory; correct only while every ``e^{...}`` is finite and the
    denominator does not underflow.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> wkv_unstabilised(torch.zeros(1), torch.zeros(1), k, v)[0, :, 0].tolist()
        [1.0, nan]
    """
    for name, t in (("w", w), ("u", u), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if k.dim() != 3 or v.shape != k.shape or w.shape != (k.shape[2],) or u.shape != w.shape:
        raise ValueError("need k, v [batch, T, C] and w, u [C]")
    w, u, k, v = (t.double() for t in (w, u, k, v))
    T = k.shape[1]
    t = torch.arange(T, dtype=torch.float64)
    gap = t[:, None] - 1 - t[None, :]  # t - 1 - i
    expo = gap[None, :, :, None] * -torch.exp(w) + k[:, None, :, :]  # [batch, T, T, C]
    weights = torch.where(gap[None, :, :, None] >= 0, torch.exp(expo), 0.0)
    bonus = torch.exp(u + k)  # e^{u + k_t}
    num = (weights * v[:, None, :, :]).sum(dim=2) + bonus * v
    den = weights.sum(dim=2) + bonus
    return num / den


def time_wkv(shapes: Sequence[tuple[int, int, int]],
             backends: Sequence[str] = ("naive", "direct", "cpu"), *, repeat: int = 3,
             max_direct_T: int = 256, seed: int = 0, threads: int | None = 1) -> list[dict]:
    """Seconds per WKV call (float32 inputs) for each ``(batch, T, C)`` and backend.

    ``time_decay`` spreads over RWKV-4's range [-5, 3].  ``direct`` (O(T^2) memory) is skipped,
    as ``None``, above ``max_direct_T``.  The outputs are compared with the first backend before
    timing (``atol = rtol = 1e-4``); a disagreement raises ``AssertionError``.  Returns one dict
    per shape: ``{"batch", "T", "C", <backend>: seconds or None}``.
    """
    if not backends:
        raise ValueError("give at least one backend")
    with torch_threads(threads):
        rows = []
        for batch, T, C in shapes:
            g = torch.Generator().manual_seed(seed)
            w = torch.linspace(-5, 3, C)
            u = torch.randn(C, generator=g)
            k, v = torch.randn(2, batch, T, C, generator=g)
            run = [b for b in backends if b != "direct" or T <= max_direct_T]
            outs = [wkv(w, u, k, v, backend=b)[0] for b in run]
            for b, y in zip(run[1:], outs[1:], strict=True):
                if not torch.allclose(y, outs[0], atol=1e-4, rtol=1e-4):
                    raise AssertionError(f"backend {b!r} disagrees with {run[0]!r}")
            row = {"batch": batch, "T": T, "C": C}
            for b in backends:
                row[b] = (best_time(lambda b=b, a=(w, u, k, v): wkv(*a, backend=b), repeat=repeat)
                          if b in run else None)
            rows.append(row)
        return rows
