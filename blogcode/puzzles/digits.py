"""Digit sums, carries and the "how many digits" puzzle.

The puzzle: a positive integer ``N`` whose decimal digits are all taken from
``{3, 4, 5, 6}`` has digit sum ``S(N) = 900`` and ``S(2N) = 900``.  How many
digits has the product of the largest and the smallest such ``N``?

Glossary (the names used below and in the post):

* ``S(n)``   -- the decimal digit sum of ``n >= 0``.
* ``c``      -- the number of carries when ``2N`` is computed by schoolbook
  addition ``N + N``; it equals the number of digits of ``N`` that are ``>= 5``.
* ``a_d``    -- how many times digit ``d`` occurs in ``N`` (a *count vector*).
* ``D``      -- the number of digits of ``N``, ``D = sum_d a_d``.

The carry lemma: every carry turns a 10 in one place into a 1 in the next, so
``S(a + b) = S(a) + S(b) - 9 * carries(a, b)``; for ``a = b = N`` a carry
leaves digit position ``i`` exactly when the digit there is ``>= 5`` (since
``2d + 1 <= 9`` for ``d <= 4`` and ``2d >= 10`` for ``d >= 5``), hence
``S(2N) = 2 S(N) - 9 * #{digits >= 5}``.

Everything is exact Python integer arithmetic.

>>> digit_sum(2 * 6555333)
24
>>> carry_identity_check(6555333).holds
True
>>> ex = extreme_numbers(18)
>>> ex.largest, ex.smallest
(6633, 3366)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sympy

__all__ = [
    "CarryCheck",
    "Extremes",
    "ProductDigits",
    "brute_force_extremes",
    "carry_count",
    "carry_identity_check",
    "count_solutions",
    "digit_count_formulas",
    "digit_sum",
    "extreme_numbers",
    "int_log10",
    "product_digit_count",
]

PUZZLE_DIGITS: tuple[int, ...] = (3, 4, 5, 6)
BRUTE_FORCE_MAX_TARGET = 50  # 3-6 digit strings with sum 50 already number about 2.6 million


def _check_nonneg_int(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be a Python int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name} must be >= 0, got {n}")
    return n


def _check_digits(digits: Sequence[int]) -> tuple[int, ...]:
    try:
        ds = tuple(digits)
    except TypeError as exc:
        raise TypeError(f"digits must be a sequence of ints, got {digits!r}") from exc
    if not ds:
        raise ValueError("digits must not be empty")
    for d in ds:
        if isinstance(d, bool) or not isinstance(d, int):
            raise TypeError(f"digits must be ints, got {d!r}")
        if not 1 <= d <= 9:
            raise ValueError(f"digits must lie in 1..9 (0 would allow leading zeros), got {d}")
    if len(set(ds)) != len(ds):
        raise ValueError(f"digits must be distinct, got {ds}")
    return tuple(sorted(ds))


def digit_sum(n: int) -> int:
    """``S(n)``: the sum of the decimal digits of the integer ``n >= 0``."""
    _check_nonneg_int("n", n)
    return sum(map(int, str(n)))


def carry_count(a: int, b: int | None = None) -> int:
    """Number of carries in the schoolbook addition ``a + b`` (``b`` defaults to ``a``).

    Computed digit by digit from the right, independently of the lemma
    ``S(a + b) = S(a) + S(b) - 9 * carries``.
    """
    _check_nonneg_int("a", a)
    b = a if b is None else _check_nonneg_int("b", b)
    carries = carry = 0
    while a or b or carry:
        carry = 1 if a % 10 + b % 10 + carry >= 10 else 0
        carries += carry
        a //= 10
        b //= 10
    return carries


@dataclass(frozen=True)
class CarryCheck:
    """Both sides of ``S(2n) = 2 S(n) - 9 c`` for one ``n``."""

    n: int
    s_n: int  # S(n)
    s_2n: int  # S(2n), computed from the digits of 2n
    big_digits: int  # number of digits of n that are >= 5
    carries: int  # carries counted in the schoolbook addition n + n

    @property
    def holds(self) -> bool:
        """Whether ``S(2n) = 2 S(n) - 9 * big_digits`` and ``carries == big_digits``."""
        return self.s_2n == 2 * self.s_n - 9 * self.big_digits and self.carries == self.big_digits


def carry_identity_check(n: int) -> CarryCheck:
    """Evaluate both sides of the carry lemma ``S(2n) = 2 S(n) - 9 #{digits >= 5}``."""
    _check_nonneg_int("n", n)
    return CarryCheck(
        n=n,
        s_n=digit_sum(n),
        s_2n=digit_sum(2 * n),
        big_digits=sum(ch >= "5" for ch in str(n)),
        carries=carry_count(n),
    )


def _count_vectors(digits: tuple[int, ...], total: int, lo: int,
                   weighted: bool = True) -> Iterator[dict[int, int]]:
    """Count vectors ``{d: a_d}``, every ``a_d >= lo``, with ``sum_d d a_d = total``
    (``weighted``) or ``sum_d a_d = total`` (a given number of digits)."""
    if not digits:
        if total == 0:
            yield {}
        return
    d, rest = digits[0], digits[1:]
    w = d if weighted else 1
    if not rest:  # the last digit's count is forced
        if total % w == 0 and total // w >= lo:
            yield {d: total // w}
        return
    for a in range(lo, total // w + 1):
        for tail in _count_vectors(rest, total - a * w, lo, weighted):
            yield {d: a, **tail}


def _number(counts: dict[int, int], descending: bool) -> int:
    order = sorted(counts, reverse=descending)
    return int("".join(str(d) * counts[d] for d in order))


@dataclass(frozen=True)
class Extremes:
    """The largest and smallest numbers of one puzzle instance."""

    target_sum: int
    double_sum: int
    digits: tuple[int, ...]
    each_digit_must_occur: bool
    carries: int  # c = (2 T - T2) / 9 digits are >= 5
    largest: int
    smallest: int
    largest_counts: dict[int, int]
    smallest_counts: dict[int, int]
    n_vectors: int  # feasible count vectors (digit multisets)

    @property
    def largest_len(self) -> int:
        return len(str(self.largest))

    @property
    def smallest_len(self) -> int:
        return len(str(self.smallest))


def _feasible_vectors(
    target_sum: int, digits: tuple[int, ...], double_sum: int, must: bool
) -> tuple[int, list[dict[int, int]]] | None:
    excess = 2 * target_sum - double_sum
    if excess < 0 or excess % 9:
        return None
    c = excess // 9
    lo = 1 if must else 0
    low = tuple(d for d in digits if d < 5)
    high = tuple(d for d in digits if d >= 5)
    found = []
    for hv in _count_vectors(high, c, lo, weighted=False):  # the c digits >= 5, any digit sum
        s_high = sum(d * a for d, a in hv.items())
        if s_high > target_sum:
            continue
        for lv in _count_vectors(low, target_sum - s_high, lo):
            vec = {**lv, **hv}
            if sum(vec.values()) > 0:
                found.append(vec)
    return c, found


def extreme_numbers(
    target_sum: int,
    digits: Sequence[int] = PUZZLE_DIGITS,
    double_sum: int | None = None,
    each_digit_must_occur: bool = False,
) -> Extremes | None:
    """Largest and smallest ``N`` with digits in ``digits``, ``S(N) = target_sum`` and
    ``S(2N) = double_sum`` (default: ``target_sum``); ``None`` when no such ``N`` exists.

    By the carry lemma the condition is ``c = (2 T - T_2)/9`` digits ``>= 5``, so it
    fixes the multiset's count of large digits; we enumerate all count vectors
    ``(a_d)`` with ``sum_d d a_d = T`` and ``sum_{d >= 5} a_d = c`` (every ``a_d >= 1``
    when ``each_digit_must_occur``).  A longer number is larger; among numbers with the
    same multiset the digits sorted descending give the largest and ascending the
    smallest; among equally long candidates the larger (smaller) of those is chosen.
    """
    _check_nonneg_int("target_sum", target_sum)
    ds = _check_digits(digits)
    t2 = target_sum if double_sum is None else _check_nonneg_int("double_sum", double_sum)
    if target_sum == 0:
        raise ValueError("target_sum must be positive (0 has no nonzero digits)")
    res = _feasible_vectors(target_sum, ds, t2, bool(each_digit_must_occur))
    if res is None or not res[1]:
        return None
    c, vecs = res

    def key_large(v: dict[int, int]) -> tuple[int, ...]:
        # longer first; then more copies of the highest digit, then of the next, ...
        return (sum(v.values()), *(v.get(d, 0) for d in reversed(ds)))

    def key_small(v: dict[int, int]) -> tuple[int, ...]:
        # shorter first; then more copies of the lowest digit, then of the next, ...
        return (-sum(v.values()), *(v.get(d, 0) for d in ds))

    vl = max(vecs, key=key_large)
    vs = max(vecs, key=key_small)
    return Extremes(
        target_sum=target_sum,
        double_sum=t2,
        digits=ds,
        each_digit_must_occur=bool(each_digit_must_occur),
        carries=c,
        largest=_number(vl, descending=True),
        smallest=_number(vs, descending=False),
        largest_counts=dict(sorted(vl.items())),
        smallest_counts=dict(sorted(vs.items())),
        n_vectors=len(vecs),
    )


def count_solutions(
    target_sum: int,
    digits: Sequence[int] = PUZZLE_DIGITS,
    double_sum: int | None = None,
    each_digit_must_occur: bool = False,
) -> int:
    """How many ``N`` satisfy the conditions of :func:`extreme_numbers`: the sum over the
    feasible count vectors of the multinomial ``D! / prod_d a_d!`` (all arrangements)."""
    _check_nonneg_int("target_sum", target_sum)
    ds = _check_digits(digits)
    t2 = target_sum if double_sum is None else _check_nonneg_int("double_sum", double_sum)
    res = _feasible_vectors(target_sum, ds, t2, bool(each_digit_must_occur))
    if res is None:
        return 0
    total = 0
    for v in res[1]:
        m = math.factorial(sum(v.values()))
        for a in v.values():
            m //= math.factorial(a)
        total += m
    return total


def _strings_with_sum(
    digits: tuple[str, ...], values: tuple[int, ...], total: int
) -> Iterator[str]:
    if total == 0:
        yield ""
        return
    for ch, v in zip(digits, values, strict=True):
        if v <= total:
            for tail in _strings_with_sum(digits, values, total - v):
                yield ch + tail


def brute_force_extremes(
    target_sum: int,
    digits: Sequence[int] = PUZZLE_DIGITS,
    double_sum: int | None = None,
    each_digit_must_occur: bool = False,
) -> tuple[int, int, int] | None:
    """Brute force: every digit string over ``digits`` with digit sum ``target_sum``,
    doubled with Python integers and its digit sum taken directly (no carry lemma).

    Returns ``(largest, smallest, count)`` or ``None`` when nothing qualifies.  Only
    for small ``target_sum <= 50`` (the number of strings grows like ``1.375**T``).
    """
    _check_nonneg_int("target_sum", target_sum)
    ds = _check_digits(digits)
    t2 = target_sum if double_sum is None else _check_nonneg_int("double_sum", double_sum)
    if not 1 <= target_sum <= BRUTE_FORCE_MAX_TARGET:
        raise ValueError(
            f"brute force is for 1 <= target_sum <= {BRUTE_FORCE_MAX_TARGET}, got {target_sum}"
        )
    chars = tuple(str(d) for d in ds)
    need = set(chars) if each_digit_must_occur else set()
    best = worst = None
    count = 0
    for s in _strings_with_sum(chars, ds, target_sum):
        n = int(s)
        if sum(map(int, str(2 * n))) != t2 or not need.issubset(s):
            continue
        count += 1
        best = n if best is None or n > best else best
        worst = n if worst is None or n < worst else worst
    if count == 0:
        return None
    return best, worst, count


def digit_count_formulas() -> dict[tuple[str, bool], sympy.Expr]:
    """Closed forms of the digit counts for digits ``{3,4,5,6}`` and ``S(N) = S(2N) = 9c``.

    Keys ``("max" | "min", each_digit_must_occur)``; values are sympy expressions in
    the positive integer symbol ``c``:

    * need not occur: ``D_max = c + floor(4c/3)``, ``D_min = c + ceiling(3c/4)``;
    * must occur:     ``D_max = c + floor((4c-2)/3)``, ``D_min = c + ceiling((3c+2)/4)``
      (valid for ``c >= 2``; for ``c = 1`` there is no such number).

    Derivation: with ``a_5 + a_6 = c`` the digit sum gives ``3a_3 + 4a_4 = 4c - a_6``;
    then ``3(a_3 + a_4) = 4c - a_6 - a_4`` and ``4(a_3 + a_4) = 4c - a_6 + a_3``.
    """
    c = sympy.Symbol("c", integer=True, positive=True)
    return {
        ("max", False): c + sympy.floor(sympy.Rational(4, 3) * c),
        ("min", False): c + sympy.ceiling(sympy.Rational(3, 4) * c),
        ("max", True): c + sympy.floor((4 * c - 2) / sympy.Integer(3)),
        ("min", True): c + sympy.ceiling((3 * c + 2) / sympy.Integer(4)),
    }


def int_log10(n: int, keep: int = 17) -> float:
    """``log10(n)`` for a positive Python integer of any size, from its ``keep`` leading
    digits and its length (``float(n)`` would overflow beyond ``10**308``)."""
    _check_nonneg_int("n", n)
    if n == 0:
        raise ValueError("log10 of 0 is undefined")
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    s = str(n)
    k = min(len(s), keep)
    return (len(s) - k) + math.log10(int(s[:k]))


@dataclass(frozen=True)
class ProductDigits:
    """Digit count of ``a * b`` by three routes."""

    exact: int  # len(str(a * b))
    by_logarithm: int  # floor(log10 a + log10 b) + 1
    by_leading_digits: int  # len(a) + len(b), minus 1 when mantissa(a) * mantissa(b) < 10
    log10_product: float
    leading_digits: str  # first digits of a * b


def product_digit_count(a: int, b: int, lead: int = 6) -> ProductDigits:
    """Number of decimal digits of ``a * b`` (``a, b >= 1``), computed exactly, by
    ``floor(log10 a + log10 b) + 1``, and from the lengths and leading digits:
    with ``a = x 10^{m-1}``, ``b = y 10^{n-1}``, ``1 <= x, y < 10``, the product has
    ``m + n`` digits when ``x y >= 10`` and ``m + n - 1`` otherwise."""
    for name, v in (("a", a), ("b", b)):
        _check_nonneg_int(name, v)
        if v == 0:
            raise ValueError(f"{name} must be positive, got 0")
    p = a * b
    la, lb = int_log10(a), int_log10(b)
    m, n = len(str(a)), len(str(b))
    xy = 10 ** (la - (m - 1) + lb - (n - 1))
    # xy near 10 could be misjudged in floating point; settle that case exactly
    if abs(xy - 10) < 1e-9:
        big = a * b >= 10 ** (m + n - 1)
    else:
        big = xy >= 10
    return ProductDigits(
        exact=len(str(p)),
        by_logarithm=math.floor(la + lb) + 1,
        by_leading_digits=m + n - (0 if big else 1),
        log10_product=la + lb,
        leading_digits=str(p)[:lead],
    )
