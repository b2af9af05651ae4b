"""Wall-clock timings of the selective scan's backends, for a post's build-time table.

Measured with the one protocol of :mod:`blogcode.timing` (threads pinned, warm-up, repeats until
the spread is small, median); this module only builds Mamba-like inputs and checks that the
backends agree before they are timed.

Example::

    >>> rows = time_scan([(1, 4, 4, 32)], min_repeats=1, max_repeats=1)
    >>> sorted(k for k in rows[0] if not k.startswith("_"))
    ['L', 'N', 'batch', 'chunked', 'd_inner', 'naive']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from blogcode.ssm.selective_scan import selective_scan
from blogcode.timing import time_table

__all__ = ["mambapy_scan", "scan_inputs", "time_scan"]


def scan_inputs(batch: int, d_inner: int, d_state: int, length: int, seed: int = 0,
                dtype: torch.dtype = torch.float32) -> dict:
    """Mamba-like scan inputs: S4D-real ``A``, step sizes ``softplus(delta + bias)`` near 0.01-0.1.

    Returns keyword arguments for :func:`blogcode.ssm.selective_scan.selective_scan`
    (``u, delta, z`` [batch, d_inner, L]; ``A`` [d_inner, N]; ``B, C`` [batch, N, L]; ``D`` and
    ``delta_bias`` [d_inner]).
    """
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=dtype)

    A = -torch.arange(1, d_state + 1, dtype=dtype).repeat(d_inner, 1)
    return dict(u=r(batch, d_inner, length), delta=0.5 * r(batch, d_inner, length), A=A,
                B=r(batch, d_state, length), C=r(batch, d_state, length), D=r(d_inner),
                z=r(batch, d_inner, length), delta_bias=torch.full((d_inner,), -3.0, dtype=dtype),
                delta_softplus=True)


def mambapy_scan(kw: dict) -> torch.Tensor:
    """The same scan through mambapy's Blelloch parallel scan (a benchmark baseline).

    ``kw`` are :func:`scan_inputs`-style keyword arguments (``delta_softplus=True``).  Like
    mambapy it materialises ``[batch, L, D, N]`` tensors.  Raises ``ImportError`` when mambapy
    is not installed.
    """
    import torch.nn.functional as F
    from mambapy.pscan import pscan

    dt = F.softplus(kw["delta"] + kw["delta_bias"][:, None]).transpose(1, 2)  # [batch, L, D]
    x = kw["u"].transpose(1, 2)
    dA = torch.exp(dt[..., None] * kw["A"])
    bx = dt[..., None] * kw["B"].transpose(1, 2)[:, :, None, :] * x[..., None]
    hs = pscan(dA, bx)
    y = (hs @ kw["C"].transpose(1, 2)[..., None]).squeeze(3) + kw["D"] * x
    return (y * F.silu(kw["z"].transpose(1, 2))).transpose(1, 2)


def time_scan(shapes: Sequence[tuple[int, int, int, int]],
              backends: Sequence[str] = ("naive", "chunked"), seed: int = 0,
              **protocol) -> list[dict]:
    """Seconds per selective scan for each ``(batch, d_inner, N, L)`` and backend.

    Returns one dict per shape: ``{"batch", "d_inner", "N", "L", <backend>: seconds, ...}``
    (medians; the :class:`~blogcode.timing.Measurement` objects under ``"_measurements"``).
    The backends' outputs are compared first (float32, ``atol = rtol = 1e-4``): timing a wrong
    answer raises ``AssertionError``.  ``protocol`` goes to :func:`blogcode.timing.measure`
    (``threads=1`` by default).
    """
    if not backends:
        raise ValueError("give at least one backend")
    cases = [{"batch": b, "d_inner": d, "N": n, "L": length} for b, d, n, length in shapes]

    def setup(batch, d_inner, N, L):
        return scan_inputs(batch, d_inner, N, L, seed=seed)

    methods = {b: (lambda kw, b=b: selective_scan(**kw, backend=b)) for b in backends}
    return time_table(cases, setup, methods,
                      check=lambda name, y, ref: torch.allclose(y, ref, atol=1e-4, rtol=1e-4),
                      **protocol)
