"""Wall-clock timing of the three polynomial products (schoolbook, FFT, NTT).

Used by the post to draw time against ``n`` at build time, with the one protocol of
:mod:`blogcode.timing` (threads pinned, warm-up, repeats until the spread is small, median).
Every method's product is checked against the schoolbook one before it is timed.

Example::

    >>> rows = time_multiplications([8, 16], min_repeats=1, max_repeats=1)
    >>> sorted(k for k in rows[0] if not k.startswith("_"))
    ['fft', 'n', 'np.convolve', 'ntt', 'schoolbook']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from blogcode.timing import time_table

from .fft import multiply as fft_multiply
from .naive import schoolbook_multiply
from .ntt import multiply as ntt_multiply

__all__ = ["METHODS", "time_multiplications"]

#: The products compared: the three of the post, plus numpy's C schoolbook loop for scale.
METHODS: dict[str, Callable] = {
    "schoolbook": schoolbook_multiply,
    "fft": fft_multiply,
    "ntt": ntt_multiply,
    "np.convolve": np.convolve,
}


def time_multiplications(sizes: Sequence[int], *, seed: int = 0, max_coeff: int = 100,
                         **protocol) -> list[dict]:
    """Time each method on two random length-``n`` integer polynomials, for each ``n``.

    Coefficients are drawn from ``[0, max_coeff)`` with a seeded generator (one draw per size,
    in order); every method's result is checked against the schoolbook product before timing
    (all three are exact while ``n * max_coeff**2 < P``).  Returns one dict per size:
    ``{"n": n, method: seconds}``.  ``protocol`` goes to :func:`blogcode.timing.measure`.
    """
    rng = np.random.default_rng(seed)
    draws = {n: (rng.integers(0, max_coeff, n), rng.integers(0, max_coeff, n)) for n in sizes}

    def setup(n):
        return draws[n]

    methods = {name: (lambda ab, fn=fn: np.asarray(fn(*ab))) for name, fn in METHODS.items()}
    return time_table([{"n": n} for n in sizes], setup, methods,
                      check=lambda name, res, ref: bool(np.array_equal(res, ref)), **protocol)
