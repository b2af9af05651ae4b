"""Tests for blogcode.ssm.legs_eigen: every closed form against exact brute force (Fractions,
sympy) for small d, and the asymptotic constants of the erratum."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from blogcode.ssm import legs_eigen as le
from blogcode.ssm.hippo import legs


@pytest.mark.parametrize("d", [1, 2, 5, 9, 13])
def test_bruteforce_eigvec_is_closed_form(d):
    for m in range(d):
        w = le.eigvec_bruteforce(d, m + 1)
        assert w == [Fraction(x) for x in le.eigvec_w(d, m)]


@pytest.mark.parametrize("d", [3, 6])
def test_sympy_nullspace_of_true_legs(d):
    """Exact eigenvectors of the LegS matrix itself (irrational entries) with sympy."""
    import sympy

    from blogcode.ssm.hippo import legs_sympy

    A, _ = legs_sympy(d)
    for lam in range(1, d + 1):
        ns = (A + lam * sympy.eye(d)).nullspace()
        assert len(ns) == 1
        v = ns[0]
        m = lam - 1
        v = v / v[m]
        w = le.eigvec_w(d, m)
        for n in range(d):
            assert sympy.simplify(v[n] - sympy.sqrt(2 * n + 1) * w[n] / sympy.sqrt(2 * m + 1)) == 0


@pytest.mark.parametrize("d", [1, 2, 6, 11])
def test_partial_sums_three_ways(d):
    for lam in range(1, d + 1):
        S = le.partial_sums(d, lam)
        assert S == le.partial_sums_closed(d, lam) == le.partial_sums_bruteforce(d, lam)
        assert S[-1] == 1
        assert all(s == 0 for s in S[: max(lam - 1, 0)])  # S_n = 0 for n <= lam - 2
        assert S[lam - 1] != 0  # the source's "S_{lam-1} = 0" does not hold


def test_source_index_off_by_one_d6():
    S = le.partial_sums_bruteforce(6, 2)
    assert S[0] == 0  # S_{lam-2}
    assert S[1] == Fraction(1, 35)  # S_{lam-1}


@pytest.mark.parametrize("d", [3, 6, 9, 12, 15, 24])
def test_source_S_third_against_bruteforce(d):
    lam = d // 3
    assert le.source_S_third(d) == abs(le.partial_sums_bruteforce(d, lam)[lam])


@pytest.mark.parametrize("d", [1, 2, 4, 7, 12])
def test_unit_first_entry_against_bruteforce(d):
    for m in range(d):
        assert le.unit_first_entry(d, m) ** 2 == le.unit_first_entry_sq_bruteforce(d, m)
        # and |S_{lam-1}| (with S_{d-1} = 1) is the same number
        assert abs(le.partial_sums_bruteforce(d, m + 1)[m]) == le.unit_first_entry(d, m)


def test_unit_first_entry_against_lapack():
    d = 7
    A, _ = legs(d)
    w, V = np.linalg.eig(A)
    for m in range(d):
        col = V[:, np.argmin(np.abs(w + (m + 1)))]
        assert abs(abs(col[m]) / np.linalg.norm(col) - float(le.unit_first_entry(d, m))) < 1e-9


@pytest.mark.parametrize("m", [0, 1, 4, 10])
def test_telescoping_sum(m):
    for N in range(m, m + 15):
        lhs = sum((2 * n + 1) * math.comb(n + m, 2 * m) ** 2 for n in range(m, N + 1))
        assert lhs * (2 * m + 1) == (N + m + 1) ** 2 * math.comb(N + m, 2 * m) ** 2


@pytest.mark.parametrize("d", [3, 6, 30, 99])
def test_same_eigenvalue_identity(d):
    lam = d // 3
    # |S_lam| = 2 lam |S_{lam-1}| and |S_{lam-1}| = |v_{lam-1}| / ||v||
    assert le.source_S_third(d) == 2 * lam * le.unit_first_entry(d, lam - 1)


def test_erratum_constants():
    rows = le.erratum_rows([6, 30, 300, 3000])
    c_s, c_v = le.s_constant(), le.v_constant()
    assert all(r["identity"] for r in rows)
    assert all(r["S_recursion"] in (True, None) for r in rows)
    errs_s = [abs(r["S_three_half"] / c_s - 1) for r in rows]
    errs_v = [abs(r["v_half"] / c_v - 1) for r in rows]
    assert errs_s == sorted(errs_s, reverse=True) and errs_s[-1] < 1e-4
    assert errs_v == sorted(errs_v, reverse=True) and errs_v[-1] < 1e-3
    # the sqrt(d) prefactor for |S_{d/3}| leaves a factor growing like d
    assert abs(rows[-1]["S_half"] / rows[-1]["d"] / c_s - 1) < 1e-4
    assert rows[-1]["S_half"] > 100 * rows[0]["S_half"]
    # the closed forms' leading terms (Stirling) at d = 3000
    d = 3000
    k = 2 * d // 3
    assert abs(float(c_s) - 4 / 3 * math.sqrt(2 * math.pi / 3)) < 1e-15
    assert abs(math.lgamma(2 * k + 1) - 2 * math.lgamma(k + 1)
               - (k * math.log(4) - 0.5 * math.log(math.pi * k))) < 1 / (8 * k) * 1.01


def test_mantissa_exponent():
    assert le.mantissa_exponent(Fraction(999996, 10**5), 4) == (1.0, 1)
    assert le.mantissa_exponent(Fraction(-25, 10**2001)) == (-2.5, -2000)
    m, e = le.mantissa_exponent(le.source_S_third(3000))
    assert e == -1199 and 1 <= m < 10


def test_ballot_inverse_entries():
    X = le.ballot_inverse(20)
    assert all(x >= 0 for row in X for x in row)
    assert [X[n][0] for n in range(8)] == [math.comb(2 * n, n) // (n + 1) for n in range(8)]


def test_ballot_is_two_sided_inverse():
    d = 12
    W0 = np.array([le.eigvec_w(d, m) for m in range(d)], dtype=object).T
    X = np.array(le.ballot_inverse(d), dtype=object)
    eye = np.eye(d, dtype=int).astype(object)
    assert (W0.dot(X) == eye).all() and (X.dot(W0) == eye).all()


@pytest.mark.parametrize("d", [1, 5, 10])
def test_eigvec_matrix(d):
    A, _ = legs(d)
    V = le.eigvec_matrix(d)
    assert np.allclose(np.linalg.norm(V, axis=0), 1, atol=1e-14)
    assert np.abs(A @ V + V * np.arange(1, d + 1)).max() < 1e-10
    assert np.allclose(le.eigvec_matrix_inverse(d) @ V, np.eye(d), atol=1e-9)


@pytest.mark.parametrize("d", [8, 16, 32])
def test_cond2_against_mpmath(d):
    c = le.eigvec_cond2(d)
    ref = float(le.eigvec_cond2_mpmath(d, dps=80))
    assert abs(c["cond"] / ref - 1) < 1e-10
    assert abs(c["sigma_max"] / c["sigma_min"] / ref - 1) < 1e-10


def test_float64_svd_cannot_see_sigma_min():
    c = le.eigvec_cond2(64)
    eps = np.finfo(float).eps
    assert c["sigma_min"] < 1e-40
    assert c["sigma_min_svd"] < 64 * eps * c["sigma_max"]  # inside the rounding band
    assert c["sigma_min_svd"] > 1e20 * c["sigma_min"]


def test_component_spread():
    for d, m in [(3, 0), (9, 2), (20, 6)]:
        v = [math.sqrt(2 * n + 1) * x for n, x in enumerate(le.eigvec_w(d, m))]
        nz = [abs(x) for x in v if x != 0]
        assert abs(max(nz) ** 2 / min(nz) ** 2 / float(le.component_spread_sq(d, m)) - 1) < 1e-12


def test_bad_input():
    with pytest.raises(ValueError, match="multiple of 3"):
        le.source_S_third(7)
    with pytest.raises(ValueError, match="lam must be"):
        le.partial_sums(4, 0)
    with pytest.raises(ValueError, match="lam must be"):
        le.unit_first_entry(4, 4)
    with pytest.raises(ValueError, match="d must be"):
        le.eigvec_bruteforce(0, 1)
    with pytest.raises(ValueError, match="d must be"):
        le.legs_rational(True)
