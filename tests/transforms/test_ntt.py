"""NTT modulo 998244353: the root of unity, the transform, products, big integers."""

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.transforms import ntt as N
from blogcode.transforms.naive import naive_multiply, naive_ntt

from .strategies import pow2_lengths

SETTINGS = settings(max_examples=40, deadline=None)
residues = st.integers(0, N.P - 1)


def test_prime_and_primitive_root():
    assert sympy.isprime(N.P) and N.P == 119 * 2**23 + 1
    assert sympy.n_order(N.G, N.P) == N.P - 1  # 3 generates the whole group
    for k in range(N.MAX_LOG2 + 1):
        w = N.primitive_root_of_unity(1 << k)
        assert sympy.n_order(w, N.P) == 1 << k
    with pytest.raises(ValueError, match="2\\*\\*23"):
        N.primitive_root_of_unity(1 << 24)


@SETTINGS
@given(st.data(), pow2_lengths(6))
def test_ntt_matches_definition(data, n):
    a = data.draw(st.lists(residues, min_size=n, max_size=n))
    w = N.primitive_root_of_unity(n)
    assert N.ntt(a).tolist() == naive_ntt(a, N.P, w)
    assert N.intt(a).tolist() == [
        v * pow(n, -1, N.P) % N.P for v in naive_ntt(a, N.P, pow(w, -1, N.P))
    ]


@SETTINGS
@given(st.data(), pow2_lengths(12))
def test_inverse_is_identity(data, n):
    a = data.draw(st.lists(residues, min_size=n, max_size=n))
    assert N.intt(N.ntt(a)).tolist() == a
    assert N.ntt(N.intt(a)).tolist() == a


@SETTINGS
@given(
    st.lists(residues, min_size=1, max_size=200),
    st.lists(residues, min_size=1, max_size=200),
)
def test_multiply_matches_schoolbook_mod_p(a, b):
    assert N.multiply(a, b).tolist() == naive_multiply(a, b, modulus=N.P)


def test_multiply_reduces_large_inputs():
    assert N.multiply([N.P + 2, 10**30], [3]).tolist() == [6, 10**30 * 3 % N.P]


@SETTINGS
@given(st.integers(-(10**3000), 10**3000), st.integers(-(10**3000), 10**3000))
def test_bigint_multiply_matches_python(a, b):
    assert N.bigint_multiply(a, b) == a * b


@SETTINGS
@given(st.integers(0, 10**200), st.integers(0, 10**200), st.integers(1, 3))
def test_bigint_explicit_limb_size(a, b, k):
    assert N.bigint_multiply(a, b, digits_per_limb=k) == a * b


def test_bigint_large_and_edge_cases():
    rng = np.random.default_rng(0)
    a = int.from_bytes(rng.bytes(8000), "little")  # ~19000 digits: beyond str()'s 4300 limit
    b = (10**9000 - 1) // 7
    assert N.bigint_multiply(a, b) == a * b
    assert N.bigint_multiply(0, 10**50) == 0
    assert N.bigint_multiply(-1, -1) == 1
    assert N.bigint_multiply(10**6 - 1, 10**6 - 1) == (10**6 - 1) ** 2


def test_limb_helpers():
    x = 31415926535897932384626433832795028841971
    limbs = N.to_limbs(x, 1000, 14)
    assert all(0 <= d < 1000 for d in limbs) and N.from_limbs(limbs, 1000) == x
    assert N.carry([25, 25], 10) == [5, 7, 2]  # 25 + 250 = 275
    assert N.max_safe_limbs(3) == (N.P - 1) // 999**2


def test_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        N.ntt([1, -2])
    with pytest.raises(TypeError):
        N.ntt([1.5, 2.0])
    with pytest.raises(ValueError, match="power of two"):
        N.ntt([1, 2, 3])
    with pytest.raises(ValueError):
        N.multiply([], [1])
    with pytest.raises(TypeError):
        N.bigint_multiply(1.0, 2)
    with pytest.raises(TypeError):
        N.bigint_multiply(True, 2)
    with pytest.raises(ValueError, match="fewer digits per limb"):
        N.bigint_multiply(10**6000, 10**6000, digits_per_limb=4)
    with pytest.raises(ValueError):
        N.bigint_multiply(5, 5, digits_per_limb=0)
