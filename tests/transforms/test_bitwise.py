"""Walsh–Hadamard and subset/superset zeta transforms; XOR/OR/AND convolutions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.transforms import fmt as M
from blogcode.transforms import fwt as W
from blogcode.transforms import naive

from .strategies import int_lists, pow2_lengths

SETTINGS = settings(max_examples=40, deadline=None)

TRANSFORMS = [
    (W.fwt, W.ifwt, naive.naive_walsh_hadamard),
    (M.subset_zeta, M.subset_mobius, naive.naive_subset_sum),
    (M.superset_zeta, M.superset_mobius, naive.naive_superset_sum),
]
CONVS = [
    (W.xor_conv, naive.naive_xor_conv),
    (M.or_conv, naive.naive_or_conv),
    (M.and_conv, naive.naive_and_conv),
]


@pytest.mark.parametrize("fwd, inv, ref", TRANSFORMS)
@SETTINGS
@given(data=st.data(), n=pow2_lengths(7))
def test_transform_matches_definition_and_inverts(fwd, inv, ref, data, n):
    a = data.draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
    t = fwd(a)
    assert t.tolist() == ref(a)
    assert inv(t).tolist() == a


@pytest.mark.parametrize("fwd, inv, ref", TRANSFORMS)
@SETTINGS
@given(data=st.data(), n=pow2_lengths(7))
def test_float_round_trip(fwd, inv, ref, data, n):
    a = np.array(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n)))
    np.testing.assert_allclose(inv(fwd(a)), a, rtol=0, atol=1e-9)


@pytest.mark.parametrize("conv, ref", CONVS)
@SETTINGS
@given(a=int_lists(max_size=70), b=int_lists(max_size=70))
def test_conv_matches_brute_force(conv, ref, a, b):
    assert conv(a, b).tolist() == ref(a, b)


@pytest.mark.parametrize("conv, ref", CONVS)
def test_conv_exact_for_huge_integers(conv, ref):
    rng = np.random.default_rng(0)
    a = [int(v) * 10**25 + 1 for v in rng.integers(-9, 10, 16)]
    b = [int(v) * 10**30 - 3 for v in rng.integers(-9, 10, 13)]
    out = conv(a, b)
    assert out.dtype == object and out.tolist() == ref(a, b)


@pytest.mark.parametrize("conv, ref", CONVS)
def test_conv_floats(conv, ref):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=32), rng.normal(size=20)
    np.testing.assert_allclose(conv(a, b), ref(a, b), rtol=0, atol=1e-10)


def test_or_and_are_not_swapped():
    # The erratum: OR is |, AND is &.  1|2 = 3 and 1&2 = 0.
    a = [0, 1, 0, 0]  # x^1
    b = [0, 0, 1, 0]  # x^2
    assert M.or_conv(a, b).tolist() == [0, 0, 0, 1]
    assert M.and_conv(a, b).tolist() == [1, 0, 0, 0]
    assert W.xor_conv(a, b).tolist() == [0, 0, 0, 1]


def test_walsh_is_hadamard_matrix():
    n = 8
    H = np.array([[(-1) ** bin(j & k).count("1") for j in range(n)] for k in range(n)])
    assert (H @ H == n * np.eye(n, dtype=int)).all()
    assert (np.stack([W.fwt(e) for e in np.eye(n, dtype=int)], axis=1) == H).all()


@pytest.mark.parametrize("fwd", [W.fwt, M.subset_zeta, M.superset_zeta, M.subset_mobius])
@pytest.mark.parametrize(
    "bad, exc",
    [
        ([1, 2, 3], ValueError),
        ([], ValueError),
        ([[1], [2]], ValueError),
        ([1j, 1], TypeError),
        (["x", "y"], TypeError),
        ([float("inf"), 1.0], ValueError),
    ],
)
def test_bad_input(fwd, bad, exc):
    with pytest.raises(exc):
        fwd(bad)


def test_inverse_of_non_transform_integers_raises():
    with pytest.raises(ValueError, match="divisible"):
        W.ifwt([1, 0])
    np.testing.assert_allclose(W.ifwt([1.0, 0.0]), [0.5, 0.5])


@pytest.mark.parametrize("conv", [W.xor_conv, M.or_conv, M.and_conv])
def test_conv_bad_input(conv):
    with pytest.raises(ValueError):
        conv([], [1])
    with pytest.raises(ValueError):
        conv([10**30], [0.5])
