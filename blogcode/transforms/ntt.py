"""Number-theoretic transform modulo ``P = 998244353 = 119 * 2**23 + 1``, primitive root ``G = 3``.

The FFT recursion only uses three facts about ``w_n``: ``w_n^n = 1``, ``w_n^2 = w_{n/2}`` and
``w_n^(n/2) = -1``.  In the field ``Z_P`` the element ``w_n = G^((P-1)/n)`` has all three
whenever ``n`` divides ``P - 1``, i.e. for every power of two ``n <= 2**23``.  Hence, with
all arithmetic modulo ``P``::

    N(a)[k]    = sum_j a[j] w_n^(j k)            (the polynomial at w_n^k)
    N^-1(A)[j] = n^(-1) sum_k A[k] w_n^(-j k)

and the same butterfly as the FFT, for ``0 <= k < n/2``::

    N(a)[k]       = N(a0)[k] + w_n^k N(a1)[k]
    N(a)[k + n/2] = N(a0)[k] - w_n^k N(a1)[k]       (a0 = a[0::2], a1 = a[1::2])

Everything is exact.  ``P < 2**30``, so a product of two residues is below ``2**60`` and fits
``int64``: the numpy code below never overflows.

:func:`multiply` returns the product modulo ``P``; :func:`bigint_multiply` multiplies two
Python integers by writing them in base ``10**k`` and choosing ``k`` so that every
coefficient of the digit product is below ``P`` (then "modulo ``P``" changes nothing),
followed by carrying.

Example::

    >>> multiply([1, 2, 3], [4, 5]).tolist()
    [4, 13, 22, 15]
    >>> bigint_multiply(12345678901234567890, 98765432109876543210) == (
    ...     12345678901234567890 * 98765432109876543210)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ._common import bit_reverse_permutation, check_power_of_two, next_power_of_two

P = 998244353  #: the NTT prime, 119 * 2**23 + 1
G = 3  #: a primitive root modulo P (multiplicative order P - 1)
MAX_LOG2 = 23  #: 2**23 is the largest power of two dividing P - 1
MAX_LENGTH = 1 << MAX_LOG2


def _residues(a: Sequence | np.ndarray, name: str) -> np.ndarray:
    """Validate non-negative integers and reduce them modulo ``P`` -> int64 array."""
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty sequence")
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "i" and int(arr.min()) < 0:
            raise ValueError(
                f"{name}: entries must be non-negative integers, found {int(arr.min())}"
            )
        return (arr % P).astype(np.int64)
    if arr.dtype == object:
        items = list(arr)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            raise TypeError(f"{name}: entries must be integers")
        if any(v < 0 for v in items):
            raise ValueError(f"{name}: entries must be non-negative integers")
        return np.array([v % P for v in items], dtype=np.int64)
    raise TypeError(f"{name}: entries must be non-negative integers, got dtype {arr.dtype}")


def primitive_root_of_unity(n: int) -> int:
    """``w_n = G^((P-1)/n) mod P``, an element of multiplicative order exactly ``n``.

    ``n`` must be a power of two ``<= 2**23``.

    >>> w = primitive_root_of_unity(8)
    >>> pow(w, 8, P), pow(w, 4, P) == P - 1
    (1, True)
    """
    check_power_of_two(n, "primitive_root_of_unity")
    if n > MAX_LENGTH:
        raise ValueError(
            f"primitive_root_of_unity: n = {n} does not divide P - 1 = 119 * 2**23; "
            f"the NTT modulo {P} supports lengths up to 2**23"
        )
    return pow(G, (P - 1) // n, P)


@lru_cache(maxsize=64)
def _twiddles(h: int, inverse: bool) -> np.ndarray:
    """``[w^0, w^1, ..., w^(h-1)] mod P`` with ``w = w_{2h}`` (or its inverse)."""
    w = primitive_root_of_unity(2 * h)
    if inverse:
        w = pow(w, P - 2, P)
    out = np.empty(h, dtype=np.int64)
    cur = 1
    for k in range(h):
        out[k] = cur
        cur = cur * w % P
    out.flags.writeable = False
    return out


def ntt(a: Sequence | np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """NTT of ``a`` (``[n]`` non-negative ints, taken mod ``P``; ``n`` a power of two ``<= 2**23``).

    Returns ``[n]`` int64 residues in ``[0, P)``.  ``inverse=True`` uses ``w_n^-1`` and
    multiplies by ``n^-1 mod P`` (Fermat: ``x^-1 = x^(P-2)``).

    >>> ntt([1, 1, 0, 0]).tolist() == [2, (1 + primitive_root_of_unity(4)) % P, 0,
    ...                                 (1 - primitive_root_of_unity(4)) % P]
    True
    """
    x = _residues(a, "ntt")
    n = x.size
    check_power_of_two(n, "ntt")
    if n > MAX_LENGTH:
        raise ValueError(f"ntt: length {n} exceeds 2**23, the largest supported modulo {P}")
    x = x[bit_reverse_permutation(n)]
    h = 1
    while h < n:
        blocks = x.reshape(-1, 2, h)  # [n / 2h, (even, odd), h]
        even = blocks[:, 0, :]
        odd = blocks[:, 1, :] * _twiddles(h, inverse) % P  # < 2**60: no int64 overflow
        x = np.concatenate([(even + odd) % P, (even - odd) % P], axis=1).reshape(n)
        h *= 2
    if inverse:
        x = x * pow(n, P - 2, P) % P
    return x


def intt(a: Sequence | np.ndarray) -> np.ndarray:
    """Inverse of :func:`ntt`."""
    return ntt(a, inverse=True)


def multiply(a: Sequence, b: Sequence) -> np.ndarray:
    """``c[k] = sum_{i+j=k} a[i] b[j] mod P`` -> ``[len(a)+len(b)-1]`` int64.

    Entries must be non-negative integers (reduced mod ``P``); the padded length, the
    smallest power of two ``>= len(a) + len(b) - 1``, must be ``<= 2**23``.  The result is
    the exact product whenever every true coefficient is below ``P``.

    >>> multiply([P - 1], [P - 1]).tolist()   # (-1) * (-1) = 1 modulo P
    [1]
    """
    x, y = _residues(a, "a"), _residues(b, "b")
    size = x.size + y.size - 1
    n = next_power_of_two(size)
    if n > MAX_LENGTH:
        raise ValueError(
            f"multiply: product length {size} needs an NTT of length {n} > 2**23 modulo {P}"
        )
    fx = ntt(np.concatenate([x, np.zeros(n - x.size, dtype=np.int64)]))
    fy = ntt(np.concatenate([y, np.zeros(n - y.size, dtype=np.int64)]))
    return intt(fx * fy % P)[:size]


# ---------------------------------------------------------------- big integers


def max_safe_limbs(digits_per_limb: int) -> int:
    """Largest limb count ``m`` with ``m * (10**k - 1)**2 < P`` (``k = digits_per_limb``).

    A coefficient of the digit product is a sum of at most ``min(len_a, len_b)`` products
    of two limbs, each at most ``(10**k - 1)**2``; below ``P`` it survives reduction mod ``P``.
    """
    if not isinstance(digits_per_limb, int) or digits_per_limb < 1:
        raise ValueError(f"digits_per_limb must be a positive integer, got {digits_per_limb!r}")
    return (P - 1) // (10**digits_per_limb - 1) ** 2


def _num_limbs(x: int, base: int) -> int:
    """Number of base-``base`` limbs of ``x > 0`` (exact)."""
    m = max(1, int(x.bit_length() / math.log2(base)))
    while base**m <= x:
        m += 1
    while m > 1 and base ** (m - 1) > x:
        m -= 1
    return m


def to_limbs(x: int, base: int, count: int) -> list[int]:
    """Little-endian base-``base`` limbs of ``0 <= x < base**count`` (divide and conquer).

    Splitting ``x = hi * base**h + lo`` recursively avoids ``str(x)``, which Python limits
    to 4300 digits, and the quadratic one-limb-at-a-time ``divmod`` loop.

    >>> to_limbs(123456, 100, 3)
    [56, 34, 12]
    """
    if count == 1:
        return [x]
    h = count // 2
    hi, lo = divmod(x, base**h)
    return to_limbs(lo, base, h) + to_limbs(hi, base, count - h)


def from_limbs(limbs: Sequence[int], base: int) -> int:
    """Inverse of :func:`to_limbs`: ``sum_i limbs[i] * base**i`` (divide and conquer).

    >>> from_limbs([56, 34, 12], 100)
    123456
    """
    if len(limbs) <= 16:
        value = 0
        for d in reversed(limbs):
            value = value * base + int(d)
        return value
    h = len(limbs) // 2
    return from_limbs(limbs[:h], base) + from_limbs(limbs[h:], base) * base**h


def carry(coeffs: Sequence[int], base: int) -> list[int]:
    """Normalise non-negative coefficients to digits in ``[0, base)`` by propagating carries.

    >>> carry([4, 13, 22, 15], 10)   # 321 * 54 = 17334
    [4, 3, 3, 7, 1]
    """
    out: list[int] = []
    c = 0
    for v in coeffs:
        c, digit = divmod(int(v) + c, base)
        out.append(digit)
    while c:
        c, digit = divmod(c, base)
        out.append(digit)
    return out


def choose_digits_per_limb(la: int, lb: int) -> int:
    """The largest ``k <= 6`` whose limbs keep every product coefficient below ``P``.

    ``la``, ``lb`` are the operands' decimal digit counts.
    """
    for k in range(6, 0, -1):
        m = min(-(-la // k), -(-lb // k))
        if m <= max_safe_limbs(k):
            return k
    raise ValueError(f"bigint_multiply: operands of {la} and {lb} digits are too long for one NTT")


def bigint_multiply(a: int, b: int, *, digits_per_limb: int | None = None) -> int:
    """``a * b`` computed by an NTT over base-``10**k`` limbs, then carrying.

    ``k`` (``digits_per_limb``) is chosen as large as the exactness bound
    ``min(limbs_a, limbs_b) * (10**k - 1)**2 < P`` allows, unless given; an explicit ``k``
    that breaks the bound raises ``ValueError``.  Signs are handled separately.

    >>> bigint_multiply(-99, 99)
    -9801
    """
    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"bigint_multiply: {name} must be an int, got {type(v).__name__}")
    sign = -1 if (a < 0) != (b < 0) else 1
    a, b = abs(a), abs(b)
    if a == 0 or b == 0:
        return 0
    if digits_per_limb is not None:
        max_safe_limbs(digits_per_limb)  # validates the type and the value
    else:
        digits_per_limb = choose_digits_per_limb(_num_limbs(a, 10), _num_limbs(b, 10))
    base = 10**digits_per_limb
    na, nb = _num_limbs(a, base), _num_limbs(b, base)
    if min(na, nb) > max_safe_limbs(digits_per_limb):
        raise ValueError(
            f"bigint_multiply: with {digits_per_limb} digits per limb, {min(na, nb)} limbs can "
            f"make a coefficient reach {min(na, nb) * (base - 1) ** 2} >= P = {P}; "
            "use fewer digits per limb"
        )
    coeffs = multiply(to_limbs(a, base, na), to_limbs(b, base, nb))
    return sign * from_limbs(carry(coeffs.tolist(), base), base)
