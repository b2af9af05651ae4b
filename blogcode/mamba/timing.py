"""Small wall-clock timings of the selective scan's CPU backends, for a post's build-time table.

Each figure is the best of ``repeat`` calls after one warm-up call (the minimum is the least
disturbed by other processes on a shared machine), on ``threads`` threads; the thread count is
restored afterwards so that timing does not change the rest of the process.

Example::

    >>> rows = time_scan([(1, 4, 4, 32)], repeat=1)
    >>> sorted(rows[0])
    ['L', 'N', 'batch', 'cpu', 'd_inner', 'naive']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from blogcode.ssm.selective_scan import selective_scan
from blogcode.timing import best_time, torch_threads

__all__ = ["best_time", "scan_inputs", "time_scan"]


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


def time_scan(shapes: Sequence[tuple[int, int, int, int]],
              backends: Sequence[str] = ("naive", "cpu"), repeat: int = 3, seed: int = 0,
              threads: int | None = 1) -> list[dict]:
    """Seconds per selective scan for each ``(batch, d_inner, N, L)`` and backend.

    Returns one dict per shape: ``{"batch", "d_inner", "N", "L", <backend>: seconds, ...}``.
    The backends' outputs are compared first (float32, ``atol = rtol = 1e-4``): timing a wrong
    answer raises ``AssertionError``.
    """
    if not backends:
        raise ValueError("give at least one backend")
    with torch_threads(threads):
        rows = []
        for batch, d_inner, n, length in shapes:
            kw = scan_inputs(batch, d_inner, n, length, seed=seed)
            outs = [selective_scan(**kw, backend=b) for b in backends]
            for b, y in zip(backends[1:], outs[1:], strict=True):
                if not torch.allclose(y, outs[0], atol=1e-4, rtol=1e-4):
                    raise AssertionError(f"backend {b!r} disagrees with {backends[0]!r}")
            row = {"batch": batch, "d_inner": d_inner, "N": n, "L": length}
            for b in backends:
                row[b] = best_time(lambda b=b, kw=kw: selective_scan(**kw, backend=b), repeat=repeat)
            rows.append(row)
        return rows
