"""FFT: against numpy.fft and the O(n^2) DFT; inverse; polynomial product vs schoolbook."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.transforms import fft as F
from blogcode.transforms.naive import naive_dft, naive_multiply

from .strategies import int_lists, pow2_lengths

SETTINGS = settings(max_examples=40, deadline=None)


def _complex_vec(data, n):
    re = data.draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n))
    im = data.draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n))
    return np.array(re) + 1j * np.array(im)


@SETTINGS
@given(st.data(), pow2_lengths(10))
def test_fft_matches_numpy(data, n):
    x = _complex_vec(data, n)
    scale = 1 + np.abs(x).sum()
    np.testing.assert_allclose(F.fft(x), np.fft.fft(x), rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(F.fft_recursive(x), np.fft.fft(x), rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(F.ifft(x), np.fft.ifft(x), rtol=0, atol=1e-12 * scale)


@SETTINGS
@given(st.data(), pow2_lengths(6))
def test_fft_matches_definition(data, n):
    x = _complex_vec(data, n)
    scale = 1 + np.abs(x).sum()
    np.testing.assert_allclose(F.fft(x), naive_dft(x), rtol=0, atol=1e-9 * scale)


@SETTINGS
@given(st.data(), pow2_lengths(10))
def test_inverse_is_identity(data, n):
    x = _complex_vec(data, n)
    scale = 1 + np.abs(x).max()
    np.testing.assert_allclose(F.ifft(F.fft(x)), x, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(F.fft(F.ifft(x)), x, rtol=0, atol=1e-12 * scale)


def test_bit_reversal_and_known_values():
    from blogcode.transforms._common import bit_reverse_permutation

    assert bit_reverse_permutation(8).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    # delta at 1 -> the roots of unity themselves: w_4^k = (-i)^k
    np.testing.assert_allclose(F.fft([0, 1, 0, 0]), [1, -1j, -1, 1j], atol=1e-15)


@SETTINGS
@given(
    int_lists(max_size=300, lo=-(10**4), hi=10**4), int_lists(max_size=300, lo=-(10**4), hi=10**4)
)
def test_integer_multiply_is_exact(a, b):
    c = F.multiply(a, b)
    assert c.dtype == np.int64
    assert c.tolist() == naive_multiply(a, b)


@SETTINGS
@given(
    st.lists(st.floats(-100, 100), min_size=1, max_size=60),
    st.lists(st.floats(-100, 100), min_size=1, max_size=60),
)
def test_float_multiply_matches_numpy_convolve(a, b):
    c = F.multiply(a, b)
    assert c.dtype == np.float64
    np.testing.assert_allclose(c, np.convolve(a, b), rtol=0, atol=1e-9 * (1 + len(a) * 1e4))


def test_complex_multiply():
    a, b = [1j, 2], [3, -1j]
    np.testing.assert_allclose(F.multiply(a, b), np.convolve(a, b), atol=1e-12)


def test_rounding_error_grows_with_coefficients():
    rng = np.random.default_rng(0)
    small = F.max_rounding_error(rng.integers(0, 10, 1024), rng.integers(0, 10, 1024))
    big = F.max_rounding_error(rng.integers(0, 10**6, 1024), rng.integers(0, 10**6, 1024))
    assert small < 1e-9 < big


@pytest.mark.parametrize(
    "bad, exc",
    [
        ([1, 2, 3], ValueError),  # length not a power of two
        ([], ValueError),
        ([[1, 2], [3, 4]], ValueError),
        (["a", "b"], TypeError),
        ([1.0, float("nan")], ValueError),
        ([True, False], TypeError),
    ],
)
def test_fft_bad_input(bad, exc):
    with pytest.raises(exc):
        F.fft(bad)


def test_multiply_refuses_unsafe_rounding():
    with pytest.raises(ValueError, match="too large"):
        F.multiply([2**40] * 4, [2**20] * 4)
    with pytest.raises(ValueError, match="too large"):
        F.multiply([10**30], [1])
    with pytest.raises(ValueError):
        F.multiply([], [1])


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 11), st.integers(4, 24), st.integers(0, 2**32 - 1))
def test_rounding_bound_is_conservative(log_n, bits, seed):
    rng = np.random.default_rng(seed)
    n = 1 << log_n
    a, b = rng.integers(0, 2**bits, n), rng.integers(0, 2**bits, n)
    norms = np.linalg.norm(a.astype(float)) * np.linalg.norm(b.astype(float))
    err = F.max_rounding_error(a, b)
    assert err <= F.rounding_error_bound(norms, 2 * n - 1)
    if F.rounding_error_bound(norms, 2 * n - 1) <= F.ROUNDING_TOLERANCE:
        exact = np.array(naive_multiply(a.tolist(), b.tolist()), dtype=object)
        assert (F.multiply(a, b).astype(object) == exact).all()
