"""Wall-clock timing of the three polynomial products (schoolbook, FFT, NTT).

Used by the post to draw time against ``n`` at build time.  Each measurement is the best
of ``repeat`` runs of ``time.perf_counter``: the minimum is the least disturbed by other
processes, which matters on a shared build machine.

Example::

    >>> rows = time_multiplications([8, 16], repeat=1)
    >>> sorted(rows[0]) == ["fft", "n", "np.convolve", "ntt", "schoolbook"]
    True
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence

import numpy as np

from blogcode.timing import best_time

from .fft import multiply as fft_multiply
from .naive import schoolbook_multiply
from .ntt import multiply as ntt_multiply

#: The products compared: the three of the post, plus numpy's C schoolbook loop for scale.
METHODS: dict[str, Callable] = {
    "schoolbook": schoolbook_multiply,
    "fft": fft_multiply,
    "ntt": ntt_multiply,
    "np.convolve": np.convolve,
}


def time_multiplications(
    sizes: Sequence[int], *, repeat: int = 5, seed: int = 0, max_coeff: int = 100
) -> list[dict[str, float]]:
    """Time each method on two random length-``n`` integer polynomials, for each ``n``.

    Coefficients are drawn from ``[0, max_coeff)`` with a seeded generator; every method's
    result is checked against the others before timing (all three are exact while
    ``n * max_coeff**2 < P``).  Returns one dict per size: ``{"n": n, method: seconds}``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        a, b = rng.integers(0, max_coeff, n), rng.integers(0, max_coeff, n)
        results = {name: np.asarray(fn(a, b)) for name, fn in METHODS.items()}
        ref = results["schoolbook"]
        for name, res in results.items():
            if not np.array_equal(res, ref):
                raise AssertionError(f"{name} disagrees with the schoolbook product at n = {n}")
        row: dict[str, float] = {"n": n}
        for name, fn in METHODS.items():
            row[name] = best_time(fn, a, b, repeat=repeat, warmup=False)
        rows.append(row)
    return rows


def environment_line() -> str:
    """Where the timings were taken: CPU, core count, Python and numpy versions."""
    cpu = platform.processor() or platform.machine() or "unknown CPU"
    return (
        f"{platform.system()} · {cpu} · {os.cpu_count()} logical cores · "
        f"Python {platform.python_version()} · numpy {np.__version__}"
    )


def loglog_slope(ns: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of ``log t`` against ``log n`` (2 for quadratic growth)."""
    if len(ns) != len(times) or len(ns) < 2:
        raise ValueError("loglog_slope needs at least two (n, t) pairs of equal length")
    return float(np.polyfit(np.log(ns), np.log(times), 1)[0])
