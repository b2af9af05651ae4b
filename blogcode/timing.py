"""Wall-clock timing for the speed tables that posts measure at build time.

Timings depend on the machine and its load: posts print them with the device they
ran on and never assert speed relations (benchmarks under ``benchmarks/`` do the
measuring that matters).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator


def best_time(fn: Callable[..., object], *args, repeat: int = 3, warmup: bool = True) -> float:
    """Smallest wall-clock seconds of ``fn(*args)`` over ``repeat`` calls.

    One untimed warm-up call comes first unless ``warmup=False``.

    Example::

        >>> best_time(sum, [1, 2, 3], repeat=2) >= 0
        True
    """
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive int, got {repeat!r}")
    if warmup:
        fn(*args)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(threads)`` (``None``: leave it), then restore."""
    import torch

    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)
