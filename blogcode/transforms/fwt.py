"""Walsh–Hadamard transform (the fast Walsh transform, FWT) and XOR convolution.

For ``a`` of length ``n = 2**t`` split as ``a = (a_0, a_1)`` (first and second halves, i.e.
index bit ``n/2`` clear or set), the transform is defined by the concatenation recurrence::

    W(a)      = ( W(a_0) + W(a_1),  W(a_0) - W(a_1) ),        W((x)) = (x)
    W^-1(A)   = ( (W^-1(A_0) + W^-1(A_1)) / 2,  (W^-1(A_0) - W^-1(A_1)) / 2 )

whose closed form is ``W(a)[k] = sum_j (-1)^popcount(j & k) a[j]``; ``W^-1 = W / n``.
It turns XOR convolution into a pointwise product: ``W(a xor* b) = W(a) . W(b)``, hence
``xor_conv(a, b) = W^-1(W(a) . W(b))`` in ``O(n log n)``.

Integers stay exact (int64 while safe, Python ints beyond); floats are float64.

Example::

    >>> fwt([1, 2, 3, 4]).tolist()
    [10, -2, -4, 0]
    >>> xor_conv([1, 2, 3, 4], [1, 0, 0, 0]).tolist()   # e_0 is the XOR identity
    [1, 2, 3, 4]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import (
    concat_sweep,
    divide_exact,
    exact_int_array,
    is_integer_array,
    max_abs,
    prepare_bitwise,
    prepare_bitwise_pair,
)


def _xor_butterfly(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return lo + hi, lo - hi


def fwt(a: Sequence | np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """Walsh–Hadamard transform of ``a`` (``[n]``, ``n`` a power of two) -> ``[n]``.

    ``inverse=True`` applies the same butterflies and divides by ``n``; on integer input
    it raises ``ValueError`` unless the division is exact.

    >>> fwt(fwt([3, 1, 4, 1]), inverse=True).tolist()
    [3, 1, 4, 1]
    """
    x = prepare_bitwise(a, "fwt")
    if is_integer_array(x):
        x = exact_int_array(x, x.size * max_abs(x))  # |intermediates| <= n * max|a|
    y = concat_sweep(x, _xor_butterfly)
    return divide_exact(y, x.size, "fwt(inverse=True)") if inverse else y


def ifwt(a: Sequence | np.ndarray) -> np.ndarray:
    """Inverse Walsh–Hadamard transform, ``W^-1(A) = W(A) / n``."""
    return fwt(a, inverse=True)


def xor_conv(a: Sequence, b: Sequence) -> np.ndarray:
    """``c[k] = sum_{i ^ j = k} a[i] b[j]`` via ``W^-1(W(a) . W(b))``.

    Inputs are zero-padded to the smallest common power of two; the output has that length.

    >>> xor_conv([0, 1], [0, 1]).tolist()   # 1 ^ 1 = 0
    [1, 0]
    """
    x, y = prepare_bitwise_pair(a, b)
    return fwt(fwt(x) * fwt(y), inverse=True)
