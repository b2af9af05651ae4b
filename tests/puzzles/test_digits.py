"""Tests for blogcode.puzzles.digits against independent references.

References: schoolbook doubling on digit lists, brute-force enumeration of every digit
string, mpmath logarithms, ``len(str(.))``, and the closed-form digit counts.
"""

from __future__ import annotations

import math
import random

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.puzzles.digits import (
    brute_force_extremes,
    carry_count,
    carry_identity_check,
    count_solutions,
    digit_count_formulas,
    digit_sum,
    extreme_numbers,
    int_log10,
    product_digit_count,
)

ALLOWED = set("3456")


def _naive_digit_sum(n: int) -> int:
    s = 0
    while n:
        n, r = divmod(n, 10)
        s += r
    return s


def _schoolbook_carries(a: int, b: int) -> int:
    """Carries of a + b on reversed digit lists (a different walk from the library's)."""
    da = [int(ch) for ch in reversed(str(a))]
    db = [int(ch) for ch in reversed(str(b))]
    da += [0] * (len(db) - len(da))
    db += [0] * (len(da) - len(db))
    carry, n = 0, 0
    for x, y in zip(da, db, strict=True):
        carry = (x + y + carry) // 10
        n += carry
    return n


# ---------------------------------------------------------------- digit sums and the lemma


@given(st.integers(min_value=0, max_value=10**300))
@settings(max_examples=200, deadline=None)
def test_digit_sum_matches_divmod_loop(n):
    assert digit_sum(n) == _naive_digit_sum(n)


@given(st.integers(min_value=0, max_value=10**200), st.integers(min_value=0, max_value=10**200))
@settings(max_examples=200, deadline=None)
def test_addition_loses_nine_per_carry(a, b):
    c = carry_count(a, b)
    assert c == _schoolbook_carries(a, b)
    assert digit_sum(a + b) == digit_sum(a) + digit_sum(b) - 9 * c


@given(st.integers(min_value=0, max_value=10**400))
@settings(max_examples=300, deadline=None)
def test_doubling_lemma_on_big_integers(n):
    chk = carry_identity_check(n)
    assert chk.holds
    assert chk.s_2n == _naive_digit_sum(2 * n)
    assert chk.big_digits == sum(int(ch) >= 5 for ch in str(n))


def test_doubling_lemma_exhaustive_small():
    for n in range(20000):
        big = sum(int(ch) >= 5 for ch in str(n))
        assert _naive_digit_sum(2 * n) == 2 * _naive_digit_sum(n) - 9 * big


def test_carry_count_examples():
    assert carry_count(5) == 1  # 5 + 5 = 10
    assert carry_count(4) == 0
    assert carry_count(999, 1) == 3
    assert carry_count(0, 0) == 0


# ---------------------------------------------------------------- the puzzle itself


@pytest.mark.parametrize("must", [False, True])
def test_extremes_of_the_puzzle_satisfy_conditions(must):
    ex = extreme_numbers(900, each_digit_must_occur=must)
    for n in (ex.largest, ex.smallest):
        s = str(n)
        assert set(s) <= ALLOWED
        if must:
            assert set(s) == ALLOWED
        assert _naive_digit_sum(n) == 900
        assert _naive_digit_sum(2 * n) == 900
        assert sum(ch in "56" for ch in s) == 100
    assert ex.carries == 100


def test_puzzle_answers_match_hand_derivation():
    free = extreme_numbers(900)
    assert free.largest == int("6" + "5" * 99 + "3" * 133)
    assert free.smallest == int("4" * 75 + "6" * 100)
    must = extreme_numbers(900, each_digit_must_occur=True)
    assert must.largest == int("666" + "5" * 97 + "4" + "3" * 131)
    assert must.smallest == int("333" + "4" * 73 + "5" + "6" * 99)
    for ex in (free, must):
        assert len(str(ex.largest * ex.smallest)) == 408


def _local_moves_do_not_improve(ex):
    """No number obtained by changing one digit pair keeps the conditions and beats the extreme
    in length-preserving order (an independent spot check for big targets)."""
    rng = random.Random(1922)
    s = str(ex.largest)
    for _ in range(300):
        i, j = sorted(rng.sample(range(len(s)), 2))
        t = list(s)
        t[i], t[j] = t[j], t[i]
        n = int("".join(t))
        assert n <= ex.largest
        assert _naive_digit_sum(2 * n) == ex.double_sum  # arrangement does not matter


@pytest.mark.parametrize("must", [False, True])
def test_swapping_digits_never_beats_the_largest(must):
    _local_moves_do_not_improve(extreme_numbers(900, each_digit_must_occur=must))


@pytest.mark.parametrize("target", list(range(1, 37)))
@pytest.mark.parametrize("must", [False, True])
def test_brute_force_agrees_with_construction(target, must):
    bf = brute_force_extremes(target, each_digit_must_occur=must)
    ex = extreme_numbers(target, each_digit_must_occur=must)
    if bf is None:
        assert ex is None
        assert count_solutions(target, each_digit_must_occur=must) == 0
        return
    assert ex is not None
    assert (ex.largest, ex.smallest) == bf[:2]
    assert count_solutions(target, each_digit_must_occur=must) == bf[2]


def test_solutions_need_multiple_of_nine():
    for t in range(1, 200):
        if t % 9:
            assert extreme_numbers(t) is None
            assert count_solutions(t) == 0
        else:
            assert extreme_numbers(t) is not None


@pytest.mark.parametrize(
    "digits,t,t2", [((1, 2, 7), 24, 21), ((2, 5, 9), 30, 24), ((4, 8), 24, 30), ((1, 9), 28, 29)]
)
def test_other_digit_sets_and_double_sums(digits, t, t2):
    bf = brute_force_extremes(t, digits=digits, double_sum=t2)
    ex = extreme_numbers(t, digits=digits, double_sum=t2)
    assert (bf is None) == (ex is None)
    if bf is not None:
        assert (ex.largest, ex.smallest) == bf[:2]
        assert count_solutions(t, digits=digits, double_sum=t2) == bf[2]


def test_closed_forms_match_enumeration():
    forms = digit_count_formulas()
    c = sympy.Symbol("c", integer=True, positive=True)
    for k in range(1, 61):
        for must in (False, True):
            ex = extreme_numbers(9 * k, each_digit_must_occur=must)
            if must and k == 1:
                assert ex is None
                continue
            assert ex.largest_len == int(forms[("max", must)].subs(c, k))
            assert ex.smallest_len == int(forms[("min", must)].subs(c, k))
            # plain-integer versions of the same formulas
            if not must:
                assert ex.largest_len == k + 4 * k // 3
                assert ex.smallest_len == k + -(-3 * k // 4)


# ---------------------------------------------------------------- product digit count


@given(st.integers(min_value=1, max_value=10**500), st.integers(min_value=1, max_value=10**500))
@settings(max_examples=200, deadline=None)
def test_product_digit_count_three_ways(a, b):
    pd = product_digit_count(a, b)
    assert pd.exact == len(str(a * b))
    assert pd.by_leading_digits == pd.exact
    mpmath.mp.dps = 50
    ref = mpmath.log10(a) + mpmath.log10(b)
    assert abs(pd.log10_product - float(ref)) < 1e-9
    # the float estimate can only be wrong when log10(ab) is within rounding of an integer
    if abs(ref - mpmath.nint(ref)) > 1e-9:
        assert pd.by_logarithm == pd.exact
    assert str(a * b).startswith(pd.leading_digits)


def test_product_digit_count_powers_of_ten_edge():
    pd = product_digit_count(10**200, 10**300)
    assert pd.exact == pd.by_leading_digits == 501
    pd = product_digit_count(2 * 10**50, 5 * 10**70)  # mantissas multiply to exactly 10
    assert pd.exact == pd.by_leading_digits == 122


def test_int_log10_against_mpmath():
    mpmath.mp.dps = 40
    for n in (1, 7, 10**17 - 1, 3**1000, int("6" + "5" * 99 + "3" * 133)):
        assert abs(int_log10(n) - float(mpmath.log10(n))) < 1e-12 * max(1.0, math.log10(n))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call,exc,msg",
    [
        (lambda: digit_sum(-3), ValueError, "n must be >= 0"),
        (lambda: digit_sum(3.0), TypeError, "must be a Python int"),
        (lambda: digit_sum(True), TypeError, "must be a Python int"),
        (lambda: carry_count(5, -1), ValueError, "b must be >= 0"),
        (lambda: carry_identity_check("12"), TypeError, "got str"),
        (lambda: extreme_numbers(900, digits=(0, 3)), ValueError, "1..9"),
        (lambda: extreme_numbers(900, digits=(3, 3)), ValueError, "distinct"),
        (lambda: extreme_numbers(900, digits=()), ValueError, "empty"),
        (lambda: extreme_numbers(900, digits=(3, "4")), TypeError, "ints"),
        (lambda: extreme_numbers(0), ValueError, "positive"),
        (lambda: extreme_numbers(900, double_sum=-9), ValueError, "double_sum"),
        (lambda: brute_force_extremes(900), ValueError, "target_sum <= 50"),
        (lambda: product_digit_count(0, 5), ValueError, "a must be positive"),
        (lambda: product_digit_count(5, 2.5), TypeError, "b must be a Python int"),
        (lambda: int_log10(0), ValueError, "undefined"),
        (lambda: int_log10(10, keep=0), ValueError, "keep"),
    ],
)
def test_bad_inputs(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()
