"""Radix-2 complex FFT, its inverse, and polynomial multiplication through it.

Convention (the same sign as ``numpy.fft``).  For ``a`` of length ``n = 2**t`` and
``w_n = exp(-2 pi i / n)``::

    F(a)[k]    = sum_j a[j] w_n^(j k)        = A(w_n^k),  A(x) = sum_j a[j] x^j
    F^-1(A)[j] = (1/n) sum_k A[k] w_n^(-j k)

Even/odd split.  With ``a0 = a[0::2]`` and ``a1 = a[1::2]``, ``A(x) = A0(x^2) + x A1(x^2)``
and ``w_n^2 = w_{n/2}``, ``w_n^(n/2) = -1`` give the butterfly, for ``0 <= k < n/2``::

    F(a)[k]       = F(a0)[k] + w_n^k F(a1)[k]
    F(a)[k + n/2] = F(a0)[k] - w_n^k F(a1)[k]

:func:`fft_recursive` is that recursion verbatim; :func:`fft` runs the same butterflies
bottom-up (input in bit-reversed order, one vectorised numpy step per level), which is
``(n/2) log2 n`` butterflies in ``log2 n`` numpy steps.

Example::

    >>> multiply([1, 2, 3], [4, 5]).tolist()
    [4, 13, 22, 15]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._common import (
    as_numeric_1d,
    bit_reverse_permutation,
    check_power_of_two,
    is_integer_array,
    next_power_of_two,
    zero_pad,
)

#: :func:`multiply` rounds integer products only while :func:`rounding_error_bound` is below this.
ROUNDING_TOLERANCE = 0.5


def _complex_input(a: Sequence | np.ndarray, name: str) -> np.ndarray:
    arr = as_numeric_1d(a, name, allow_complex=True)
    check_power_of_two(arr.size, name)
    if arr.dtype == object:
        raise ValueError(f"{name}: integers beyond int64 cannot be represented in float64")
    return arr.astype(np.complex128)


def fft_recursive(a: Sequence | np.ndarray) -> np.ndarray:
    """``F(a)`` by the even/odd recursion (readable, slow; ``len(a)`` a power of two).

    >>> np.allclose(fft_recursive([1, 2, 3, 4]), np.fft.fft([1, 2, 3, 4]))
    True
    """
    x = _complex_input(a, "fft_recursive")
    return _fft_rec(x)


def _fft_rec(x: np.ndarray) -> np.ndarray:
    n = x.size
    if n == 1:
        return x.copy()
    even = _fft_rec(x[0::2])  # F(a0): the polynomial A0 at the (n/2)-th roots
    odd = _fft_rec(x[1::2])  # F(a1)
    twiddle = np.exp(-2j * np.pi * np.arange(n // 2) / n)  # w_n^k, k < n/2
    t = twiddle * odd
    return np.concatenate([even + t, even - t])


def fft(a: Sequence | np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """Iterative radix-2 FFT of ``a`` (``[n]``, ``n`` a power of two) -> ``[n]`` complex128.

    Level ``h = 1, 2, 4, ...``: blocks of length ``2h`` hold ``[F(even half), F(odd half)]``
    of some sub-sequence; the butterfly turns each into the length-``2h`` transform.  With
    ``inverse=True`` the roots are conjugated and the result divided by ``n``.

    >>> np.allclose(fft([0, 1, 0, 0]), [1, -1j, -1, 1j])
    True
    """
    x = _complex_input(a, "fft")
    n = x.size
    x = x[bit_reverse_permutation(n)]
    sign = 1.0 if inverse else -1.0
    h = 1
    while h < n:
        blocks = x.reshape(-1, 2, h)  # [n / 2h, (even, odd), h]
        twiddle = np.exp(sign * 2j * np.pi * np.arange(h) / (2 * h))  # w_{2h}^k
        even, odd = blocks[:, 0, :], blocks[:, 1, :] * twiddle
        x = np.concatenate([even + odd, even - odd], axis=1).reshape(n)
        h *= 2
    return x / n if inverse else x


def ifft(a: Sequence | np.ndarray) -> np.ndarray:
    """Inverse of :func:`fft`: ``a[j] = (1/n) sum_k A[k] w_n^(-j k)``."""
    return fft(a, inverse=True)


def _l2(x: np.ndarray) -> float:
    return (
        math.sqrt(sum(float(v) ** 2 for v in x))
        if x.dtype == object
        else float(np.linalg.norm(x.astype(np.float64)))
    )


def _product_values(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    size = x.size + y.size - 1
    n = next_power_of_two(size)
    fx = fft(zero_pad(x.astype(np.complex128), n))
    fy = fft(zero_pad(y.astype(np.complex128), n))
    return ifft(fx * fy)[:size]


def rounding_error_bound(norm_product: float, size: int) -> float:
    """A conservative estimate of the float64 error of an FFT product of length ``size``.

    ``norm_product`` is ``||a||_2 * ||b||_2``, which bounds every ``|c[k]|`` (Cauchy–Schwarz)
    and is the scale of the error in the standard FFT error analysis: each of the
    ``log2 N`` butterfly levels of the three transforms (``N`` the padded length) adds a
    relative error of order ``2**-53``, giving ``||a|| ||b|| (3 log2 N + 1) 2**-53``.  Measured
    errors on random and on constant inputs stay below a sixth of it.
    """
    levels = next_power_of_two(size).bit_length() - 1
    return float(norm_product) * (3 * levels + 1) * 2.0**-53


def float_product(a: Sequence, b: Sequence) -> np.ndarray:
    """The raw float64 FFT product of two real sequences, without rounding or checks.

    This is what :func:`multiply` computes before it rounds integer results; use it to
    look at the floating-point error itself.

    >>> np.round(float_product([1, 1], [1, 1]), 12).tolist()
    [1.0, 2.0, 1.0]
    """
    x, y = as_numeric_1d(a, "a"), as_numeric_1d(b, "b")
    if x.dtype == object or y.dtype == object:
        raise ValueError("float_product: integers beyond int64 cannot be represented in float64")
    return _product_values(x, y).real.copy()


def max_rounding_error(a: Sequence, b: Sequence) -> float:
    """Largest ``|c - round(c)|`` over the float FFT product of two integer sequences.

    The exact product has integer coefficients, so this is a lower bound on the
    floating-point error of :func:`multiply` before it rounds (once coefficients pass
    ``2**53`` every float is an integer and this says nothing; compare with the exact
    product instead).
    """
    x, y = as_numeric_1d(a, "a"), as_numeric_1d(b, "b")
    if not (is_integer_array(x) and is_integer_array(y)):
        raise TypeError("max_rounding_error: both inputs must be integer sequences")
    c = float_product(x, y)
    return float(np.max(np.abs(c - np.rint(c))))


def multiply(a: Sequence, b: Sequence) -> np.ndarray:
    """Polynomial product ``c[k] = sum_{i+j=k} a[i] b[j]`` via FFT -> ``[len(a)+len(b)-1]``.

    Pads to a power of two ``>= len(a) + len(b) - 1`` so the cyclic convolution computed by
    ``F^-1(F(a) . F(b))`` equals the ordinary one.  Integer input is rounded back to
    ``int64``; when :func:`rounding_error_bound` says the float error could reach ``0.5``,
    ``ValueError`` is raised instead (use :func:`blogcode.transforms.ntt.multiply` or split the
    coefficients).  Real float input gives ``float64``, complex input ``complex128``.

    >>> multiply([1, 1], [1, 1]).tolist()
    [1, 2, 1]
    """
    x = as_numeric_1d(a, "a", allow_complex=True)
    y = as_numeric_1d(b, "b", allow_complex=True)
    if is_integer_array(x) and is_integer_array(y):
        size = x.size + y.size - 1
        norms = _l2(x) * _l2(y)  # >= every |c[k]|, the scale of the rounding error
        if rounding_error_bound(norms, size) > ROUNDING_TOLERANCE:
            raise ValueError(
                f"multiply: ||a||*||b|| = {norms:.3g} over an FFT of length "
                f"{next_power_of_two(size)} are too large to round float64 results safely; "
                "use ntt.multiply / ntt.bigint_multiply or split the coefficients"
            )
        c = _product_values(x, y).real
        return np.rint(c).astype(np.int64)
    if x.dtype == object or y.dtype == object:
        raise ValueError("multiply: integers beyond int64 cannot be mixed with floats")
    c = _product_values(x, y)
    if x.dtype.kind == "c" or y.dtype.kind == "c":
        return c
    return c.real.copy()
