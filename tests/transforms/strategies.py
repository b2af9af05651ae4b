"""Hypothesis strategies shared by the transform tests."""

from hypothesis import strategies as st


def int_lists(min_size=1, max_size=40, lo=-1000, hi=1000):
    return st.lists(st.integers(lo, hi), min_size=min_size, max_size=max_size)


def pow2_lengths(max_log2=7):
    return st.integers(0, max_log2).map(lambda k: 1 << k)


def float_lists_of_len(n, bound=100.0):
    return st.lists(
        st.floats(-bound, bound, allow_nan=False, allow_infinity=False), min_size=n, max_size=n
    )
