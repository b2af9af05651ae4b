"""Shared input checks and helpers for the transforms package.

Nothing here is specific to one transform: validating 1-D numeric input, checking that a
length is a power of two, the bit-reversal permutation used by the iterative FFT/NTT, and
choosing an exact integer dtype (``int64`` while it cannot overflow, Python ``int`` objects
otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Beyond this magnitude an int64 intermediate might overflow; switch to Python ints.
INT64_SAFE = 2**62


def is_power_of_two(n: int) -> bool:
    """True for 1, 2, 4, 8, ...; False for 0, negatives and everything else."""
    return n > 0 and n & (n - 1) == 0


def next_power_of_two(n: int) -> int:
    """The smallest power of two ``>= n`` (``n >= 1``)."""
    if n < 1:
        raise ValueError(f"next_power_of_two needs n >= 1, got {n}")
    return 1 << (n - 1).bit_length()


def check_power_of_two(n: int, what: str) -> None:
    """Raise ``ValueError`` unless ``n`` is a power of two."""
    if not is_power_of_two(n):
        raise ValueError(f"{what}: length must be a power of two (1, 2, 4, ...), got {n}")


def as_numeric_1d(
    a: Sequence | np.ndarray, name: str, *, allow_complex: bool = False
) -> np.ndarray:
    """Validate ``a`` as a non-empty 1-D array of integers or finite floats.

    Integers come back as ``int64`` when they fit and as an ``object`` array of Python ints
    when they do not (so huge coefficients stay exact); floats as ``float64``; complex
    numbers as ``complex128`` when ``allow_complex``.  Booleans, strings and other types
    raise ``TypeError``; empty, multi-dimensional, NaN or infinite input raise ``ValueError``.
    """
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty sequence")
    kind = arr.dtype.kind
    if kind in "iu":
        if kind == "u" and arr.dtype.itemsize >= 8 and int(arr.max()) >= 2**63:
            return np.array([int(x) for x in arr], dtype=object)
        return arr.astype(np.int64)
    if kind == "f":
        out = arr.astype(np.float64)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: contains NaN or infinity")
        return out
    if kind == "c":
        if not allow_complex:
            raise TypeError(f"{name}: complex input is not supported here; use real numbers")
        out = arr.astype(np.complex128)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: contains NaN or infinity")
        return out
    if kind == "O":
        items = list(arr)
        if all(isinstance(x, int) and not isinstance(x, bool) for x in items):
            if all(-(2**63) <= x < 2**63 for x in items):
                return np.array(items, dtype=np.int64)
            return np.array(items, dtype=object)
        raise TypeError(f"{name}: entries must all be integers or all be real numbers")
    raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}")


def is_integer_array(arr: np.ndarray) -> bool:
    """True for the int64 / object-of-int arrays produced by :func:`as_numeric_1d`."""
    return arr.dtype.kind in "iuO"


def max_abs(arr: np.ndarray) -> int | float:
    """Largest absolute entry (a Python int for integer arrays)."""
    if arr.dtype == object:
        return max(abs(int(x)) for x in arr)
    if arr.dtype.kind in "iu":
        return max(abs(int(arr.max())), abs(int(arr.min())))
    return float(np.max(np.abs(arr)))


def exact_int_array(arr: np.ndarray, bound: int) -> np.ndarray:
    """``arr`` as int64 if every intermediate stays below ``bound < 2**62``, else Python ints."""
    if bound < INT64_SAFE and arr.dtype != object:
        return arr.astype(np.int64)
    return np.array([int(x) for x in arr], dtype=object)


def zero_pad(arr: np.ndarray, n: int) -> np.ndarray:
    """``arr`` followed by zeros up to length ``n`` (same dtype)."""
    out = np.zeros(n, dtype=arr.dtype)
    if arr.dtype == object:
        out[:] = 0
    out[: arr.size] = arr
    return out


def bit_reverse_permutation(n: int) -> np.ndarray:
    """Indices ``rev`` with ``rev[i]`` = ``i`` with its ``log2(n)`` bits reversed.

    ``x[rev]`` puts the input of an iterative radix-2 FFT in the order in which the
    recursive even/odd split would visit it, e.g. ``n = 8 -> [0, 4, 2, 6, 1, 5, 3, 7]``.
    """
    check_power_of_two(n, "bit_reverse_permutation")
    bits = n.bit_length() - 1
    idx = np.arange(n, dtype=np.int64)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        rev |= ((idx >> b) & 1) << (bits - 1 - b)
    return rev


def concat_sweep(x: np.ndarray, combine) -> np.ndarray:
    """Apply a transform defined by a concatenation recurrence, bottom-up.

    For a length-``2h`` block ``X = (X_0, X_1)`` (first half: index bit ``h`` clear, second
    half: set), the transform is ``T(X) = combine(T(X_0), T(X_1))`` and ``T`` of a length-1
    block is the identity.  Level ``h = 1, 2, 4, ...`` combines all blocks of length ``2h``
    at once; ``combine(lo, hi)`` receives ``[blocks, h]`` arrays and returns the new pair.
    """
    n = x.size
    check_power_of_two(n, "concat_sweep")
    h = 1
    while h < n:
        blocks = x.reshape(-1, 2, h)  # [n / 2h, (first half, second half), h]
        lo, hi = combine(blocks[:, 0, :], blocks[:, 1, :])
        x = np.concatenate([lo, hi], axis=1).reshape(n)
        h *= 2
    return x


def prepare_bitwise(a, name: str) -> np.ndarray:
    """Real 1-D input whose length is a power of two (ints stay exact)."""
    x = as_numeric_1d(a, name)
    check_power_of_two(x.size, name)
    return x


def prepare_bitwise_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Validate two real sequences for a bitwise convolution and bring them to one type.

    Both are zero-padded to the smallest power of two ``>= max(len(a), len(b))`` (indices
    past the end are zero coefficients).  Integers stay exact: int64 while
    ``n**3 * max|a| * max|b|`` (a bound on every intermediate of transform, pointwise
    product and inverse) is below ``2**62``, Python ints beyond.
    """
    x, y = as_numeric_1d(a, "a"), as_numeric_1d(b, "b")
    n = next_power_of_two(max(x.size, y.size))
    if is_integer_array(x) and is_integer_array(y):
        bound = n**3 * max_abs(x) * max_abs(y)
        x, y = exact_int_array(x, bound), exact_int_array(y, bound)
    else:
        if x.dtype == object or y.dtype == object:
            raise ValueError("integers beyond int64 cannot be mixed with floats")
        x, y = x.astype(np.float64), y.astype(np.float64)
    return zero_pad(x, n), zero_pad(y, n)


def divide_exact(x: np.ndarray, n: int, name: str) -> np.ndarray:
    """``x / n`` for floats; for integers ``x // n`` after checking that it is exact."""
    if not is_integer_array(x):
        return x / n
    if any(int(v) % n for v in x):
        raise ValueError(
            f"{name}: the integer input is not the transform of an integer sequence "
            f"(some entries are not divisible by n = {n}); pass floats instead"
        )
    return x // n
