"""Wall-clock timing for the speed tables that posts measure at build time.

Timings depend on the machine and its load: posts print them with the device they
ran on and never assert speed relations (benchmarks under ``benchmarks/`` do the
measuring that matters).
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
