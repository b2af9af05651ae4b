"""Reference implementations: every product and transform straight from its definition.

These are the test oracles of the package (quadratic time, plain Python loops, exact for
integers) plus one vectorised schoolbook product used as the baseline in timings.

Definitions, for sequences ``a`` (length ``n``) and ``b`` (length ``m``):

* polynomial product   ``c[k] = sum_{i + j = k} a[i] * b[j]``,        ``len(c) = n + m - 1``
* XOR convolution      ``c[k] = sum_{i ^ j = k} a[i] * b[j]``
* OR convolution       ``c[k] = sum_{i | j = k} a[i] * b[j]``
* AND convolution      ``c[k] = sum_{i & j = k} a[i] * b[j]``

For the bitwise products ``len(c)`` is the smallest power of two ``>= max(n, m)``: if
``i, j < 2**t`` then ``i ^ j``, ``i | j`` and ``i & j`` are ``< 2**t`` too.

Example::

    >>> naive_multiply([1, 1], [1, 1])
    [1, 2, 1]
    >>> naive_or_conv([1, 1], [1, 1]), naive_and_conv([1, 1], [1, 1])
    ([1, 3], [3, 1])
"""

from __future__ import annotations

import cmath
import operator
from collections.abc import Callable, Sequence

import numpy as np

from ._common import as_numeric_1d, check_power_of_two, next_power_of_two


def _as_list(a: Sequence, name: str) -> list:
    arr = as_numeric_1d(a, name, allow_complex=True)
    return [int(x) if arr.dtype.kind in "iuO" else x.item() for x in arr]


def naive_multiply(a: Sequence, b: Sequence, modulus: int | None = None) -> list:
    """Schoolbook polynomial product by the double loop (exact for Python ints).

    With ``modulus`` every coefficient is reduced modulo it (integers only).

    >>> naive_multiply([1, 2, 3], [4, 5])
    [4, 13, 22, 15]
    """
    x, y = _as_list(a, "a"), _as_list(b, "b")
    c: list = [0] * (len(x) + len(y) - 1)
    for i, ai in enumerate(x):
        for j, bj in enumerate(y):
            c[i + j] += ai * bj
    if modulus is not None:
        if not all(isinstance(v, int) for v in c):
            raise TypeError("naive_multiply: a modulus needs integer coefficients")
        c = [v % modulus for v in c]
    return c


def schoolbook_multiply(a: Sequence, b: Sequence) -> np.ndarray:
    """Schoolbook product with the inner loop vectorised: ``c[i:i+m] += a[i] * b``.

    ``n`` numpy operations of length ``m``: still ``O(n m)`` arithmetic, but with the same
    kind of interpreter overhead per operation as the numpy FFT/NTT in this package, which
    makes it the fair baseline for timing them.  Integer input gives ``int64`` (caller keeps
    values in range), float input ``float64``.

    >>> schoolbook_multiply([1, 2, 3], [4, 5]).tolist()
    [4, 13, 22, 15]
    """
    x = as_numeric_1d(a, "a", allow_complex=True)
    y = as_numeric_1d(b, "b", allow_complex=True)
    dtype = np.result_type(x.dtype, y.dtype)
    c = np.zeros(x.size + y.size - 1, dtype=dtype)
    if dtype.kind == "O":
        c[:] = 0
    m = y.size
    for i in range(x.size):
        c[i : i + m] += x[i] * y
    return c


def _bitwise(a: Sequence, b: Sequence, op: Callable[[int, int], int]) -> list:
    x, y = _as_list(a, "a"), _as_list(b, "b")
    n = next_power_of_two(max(len(x), len(y)))
    c: list = [0] * n
    for i, ai in enumerate(x):
        for j, bj in enumerate(y):
            c[op(i, j)] += ai * bj
    return c


def naive_xor_conv(a: Sequence, b: Sequence) -> list:
    """``c[k] = sum_{i ^ j = k} a[i] b[j]`` by the double loop."""
    return _bitwise(a, b, operator.xor)


def naive_or_conv(a: Sequence, b: Sequence) -> list:
    """``c[k] = sum_{i | j = k} a[i] b[j]`` by the double loop (``|`` is bitwise OR)."""
    return _bitwise(a, b, operator.or_)


def naive_and_conv(a: Sequence, b: Sequence) -> list:
    """``c[k] = sum_{i & j = k} a[i] b[j]`` by the double loop (``&`` is bitwise AND)."""
    return _bitwise(a, b, operator.and_)


def naive_dft(a: Sequence) -> list[complex]:
    """``A[k] = sum_j a[j] exp(-2 pi i j k / n)``: the polynomial at ``w^k``,
    ``w = e^{-2 pi i/n}``."""
    x = _as_list(a, "a")
    n = len(x)
    return [sum(x[j] * cmath.exp(-2j * cmath.pi * j * k / n) for j in range(n)) for k in range(n)]


def naive_ntt(a: Sequence, p: int, root: int) -> list[int]:
    """``A[k] = sum_j a[j] root^(j k) mod p`` (``root`` of order ``len(a)`` modulo ``p``)."""
    x = _as_list(a, "a")
    n = len(x)
    return [sum(x[j] * pow(root, j * k, p) for j in range(n)) % p for k in range(n)]


def naive_walsh_hadamard(a: Sequence) -> list:
    """``A[k] = sum_j (-1)^popcount(j & k) a[j]`` (length a power of two)."""
    x = _as_list(a, "a")
    check_power_of_two(len(x), "naive_walsh_hadamard")
    n = len(x)
    return [sum(x[j] * (-1) ** bin(j & k).count("1") for j in range(n)) for k in range(n)]


def naive_subset_sum(a: Sequence) -> list:
    """``A[S] = sum_{T subset of S} a[T]`` (the OR transform, length a power of two)."""
    x = _as_list(a, "a")
    check_power_of_two(len(x), "naive_subset_sum")
    n = len(x)
    return [sum(x[t] for t in range(n) if t | s == s) for s in range(n)]


def naive_superset_sum(a: Sequence) -> list:
    """``A[S] = sum_{T superset of S} a[T]`` (the AND transform, length a power of two)."""
    x = _as_list(a, "a")
    check_power_of_two(len(x), "naive_superset_sum")
    n = len(x)
    return [sum(x[t] for t in range(n) if t & s == s) for s in range(n)]
