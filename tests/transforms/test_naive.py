"""The oracles themselves, on hand-checked cases and against numpy / Python ints."""

import numpy as np
from hypothesis import given, settings

from blogcode.transforms import naive

from .strategies import int_lists


def test_hand_checked_cases():
    assert naive.naive_multiply([1, 2, 3], [4, 5]) == [4, 13, 22, 15]
    assert naive.naive_multiply([1, 1], [1, 1], modulus=3) == [1, 2, 1]
    # index sets {0,1} x {0,1}: 0^0=0, 0^1=1, 1^0=1, 1^1=0
    assert naive.naive_xor_conv([1, 1], [1, 1]) == [2, 2]
    assert naive.naive_or_conv([1, 1], [1, 1]) == [1, 3]
    assert naive.naive_and_conv([1, 1], [1, 1]) == [3, 1]
    assert naive.naive_walsh_hadamard([1, 0, 0, 0]) == [1, 1, 1, 1]
    assert naive.naive_subset_sum([1, 1, 1, 1]) == [1, 2, 2, 4]
    assert naive.naive_superset_sum([1, 1, 1, 1]) == [4, 2, 2, 1]


@settings(max_examples=40, deadline=None)
@given(int_lists(max_size=30), int_lists(max_size=30))
def test_multiply_agrees_with_numpy_and_integers(a, b):
    c = naive.naive_multiply(a, b)
    assert c == np.convolve(a, b).tolist()
    assert naive.schoolbook_multiply(a, b).tolist() == c
    # evaluating at x = 10**8 turns the product of polynomials into a product of integers
    ev = lambda p: sum(v * 10 ** (8 * i) for i, v in enumerate(p))  # noqa: E731
    assert ev(c) == ev(a) * ev(b)
