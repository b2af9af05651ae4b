"""Wall-clock timings of the WKV backends, for the RWKV-4 post's build-time table.

Measured with the one protocol of :mod:`blogcode.timing`; this module only builds the inputs
(``time_decay`` spread over RWKV-4's range [-5, 3]) and checks that the backends agree first.

Example::

    >>> rows = time_wkv([(1, 8, 3)], min_repeats=1, max_repeats=1)
    >>> sorted(k for k in rows[0] if not k.startswith("_"))
    ['C', 'T', 'batch', 'chunked', 'direct', 'naive']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from blogcode.timing import time_table

from .wkv import wkv

__all__ = ["wkv_inputs", "time_wkv"]


def wkv_inputs(batch: int, T: int, C: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """``(w, u, k, v)`` float32: ``w`` from -5 to 3 over the channels, the rest standard normal."""
    g = torch.Generator().manual_seed(seed)
    w = torch.linspace(-5, 3, C)
    u = torch.randn(C, generator=g)
    k, v = torch.randn(2, batch, T, C, generator=g)
    return w, u, k, v


def time_wkv(shapes: Sequence[tuple[int, int, int]],
             backends: Sequence[str] = ("naive", "direct", "chunked"), *,
             max_direct_T: int = 256, seed: int = 0, **protocol) -> list[dict]:
    """Seconds per WKV call (float32 inputs) for each ``(batch, T, C)`` and backend.

    ``direct`` (O(T^2) memory) is skipped, as ``None``, above ``max_direct_T``.  The outputs are
    compared with the first backend before timing (``atol = rtol = 1e-4``); a disagreement
    raises ``AssertionError``.  Returns one dict per shape: ``{"batch", "T", "C", <backend>:
    seconds or None}``.  ``protocol`` goes to :func:`blogcode.timing.measure`.
    """
    if not backends:
        raise ValueError("give at least one backend")
    cases = [{"batch": b, "T": T, "C": C} for b, T, C in shapes]

    def setup(batch, T, C):
        return wkv_inputs(batch, T, C, seed)

    methods = {b: (lambda a, b=b: wkv(*a, backend=b)) for b in backends}
    return time_table(cases, setup, methods,
                      check=lambda name, y, ref: torch.allclose(y, ref, atol=1e-4, rtol=1e-4),
                      skip=lambda name, case: name == "direct" and case["T"] > max_direct_T,
                      **protocol)
