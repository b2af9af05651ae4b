"""Fast Möbius transforms (FMT): subset / superset zeta transforms and OR / AND convolution.

Indices ``0 .. n-1`` (``n = 2**t``) are subsets of ``{0, .., t-1}`` written in binary, so
``i | j`` is union and ``i & j`` intersection.  Split ``a = (a_0, a_1)`` into halves (the top
bit clear / set).  The transforms are defined by concatenation recurrences:

OR (subset zeta, ``M(a)[S] = sum_{T subset S} a[T]``) and its inverse (Möbius)::

    M(a)      = ( M(a_0),  M(a_0) + M(a_1) )
    M^-1(A)   = ( M^-1(A_0),  M^-1(A_1) - M^-1(A_0) )

AND (superset zeta, ``M'(a)[S] = sum_{T superset S} a[T]``) and its inverse::

    M'(a)     = ( M'(a_0) + M'(a_1),  M'(a_1) )
    M'^-1(A)  = ( M'^-1(A_0) - M'^-1(A_1),  M'^-1(A_1) )

They diagonalise the bitwise convolutions: ``M(a or* b) = M(a) . M(b)`` and
``M'(a and* b) = M'(a) . M'(b)``.  Everything is additions and subtractions, so integer
input stays exact (int64 while safe, Python ints beyond).

Example::

    >>> subset_zeta([1, 2, 3, 4]).tolist()       # [a0, a0+a1, a0+a2, a0+a1+a2+a3]
    [1, 3, 4, 10]
    >>> or_conv([1, 1], [1, 1]).tolist(), and_conv([1, 1], [1, 1]).tolist()
    ([1, 3], [3, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import (
    concat_sweep,
    exact_int_array,
    is_integer_array,
    max_abs,
    prepare_bitwise,
    prepare_bitwise_pair,
)


def _sweep(a: Sequence | np.ndarray, name: str, combine) -> np.ndarray:
    x = prepare_bitwise(a, name)
    if is_integer_array(x):
        x = exact_int_array(x, x.size * max_abs(x))  # |intermediates| <= n * max|a|
    return concat_sweep(x, combine)


def subset_zeta(a: Sequence | np.ndarray) -> np.ndarray:
    """OR transform ``M(a)[S] = sum_{T subset S} a[T]`` (``[n]``, ``n`` a power of two).

    >>> subset_zeta([1, 1, 1, 1]).tolist()     # 2**popcount(S)
    [1, 2, 2, 4]
    """
    return _sweep(a, "subset_zeta", lambda lo, hi: (lo, lo + hi))


def subset_mobius(a: Sequence | np.ndarray) -> np.ndarray:
    """Inverse OR transform: ``a[S] = sum_{T subset S} (-1)^|S - T| M(a)[T]``.

    >>> subset_mobius([1, 3, 4, 10]).tolist()
    [1, 2, 3, 4]
    """
    return _sweep(a, "subset_mobius", lambda lo, hi: (lo, hi - lo))


def superset_zeta(a: Sequence | np.ndarray) -> np.ndarray:
    """AND transform ``M'(a)[S] = sum_{T superset S} a[T]``.

    >>> superset_zeta([1, 2, 3, 4]).tolist()   # [a0+a1+a2+a3, a1+a3, a2+a3, a3]
    [10, 6, 7, 4]
    """
    return _sweep(a, "superset_zeta", lambda lo, hi: (lo + hi, hi))


def superset_mobius(a: Sequence | np.ndarray) -> np.ndarray:
    """Inverse AND transform: ``a[S] = sum_{T superset S} (-1)^|T - S| M'(a)[T]``.

    >>> superset_mobius([10, 6, 7, 4]).tolist()
    [1, 2, 3, 4]
    """
    return _sweep(a, "superset_mobius", lambda lo, hi: (lo - hi, hi))


def or_conv(a: Sequence, b: Sequence) -> np.ndarray:
    """``c[k] = sum_{i | j = k} a[i] b[j]`` via ``M^-1(M(a) . M(b))``.

    Inputs are zero-padded to the smallest common power of two; the output has that length.

    >>> or_conv([0, 1, 1, 0], [0, 1, 1, 0]).tolist()   # 1|1 = 1, 1|2 = 2|1 = 3, 2|2 = 2
    [0, 1, 1, 2]
    """
    x, y = prepare_bitwise_pair(a, b)
    return subset_mobius(subset_zeta(x) * subset_zeta(y))


def and_conv(a: Sequence, b: Sequence) -> np.ndarray:
    """``c[k] = sum_{i & j = k} a[i] b[j]`` via ``M'^-1(M'(a) . M'(b))``.

    >>> and_conv([0, 1, 1, 0], [0, 1, 1, 0]).tolist()   # 1&1 = 1, 1&2 = 2&1 = 0, 2&2 = 2
    [2, 1, 1, 0]
    """
    x, y = prepare_bitwise_pair(a, b)
    return superset_mobius(superset_zeta(x) * superset_zeta(y))
