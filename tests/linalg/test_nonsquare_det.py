"""Tests for blogcode.linalg.nonsquare_det against independent references.

References: numpy's square determinant, the Euclidean norm, the cross product, brute-force
minors via the Leibniz permutation formula, closed forms, mpmath at high precision, sympy's
exact arithmetic, and hypothesis property tests.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from blogcode.linalg.nonsquare_det import (
    abs_det,
    abs_det_mp,
    cauchy_binet_sq,
    compound_matrix,
    gram_det,
    integer_volume_counts,
    invariant_form_dimension,
    minors,
    random_rotation,
    surface_area,
    swap_path,
    volume_via_qr,
    volume_via_svd,
)

METHODS = ("svd", "qr", "gram")


def _leibniz_det(a: list[list[float]]) -> float:
    """Determinant by the permutation sum (independent of LAPACK)."""
    n = len(a)
    total = 0.0
    for perm in itertools.permutations(range(n)):
        inv = sum(1 for i in range(n) for j in range(i + 1, n) if perm[i] > perm[j])
        prod = 1.0
        for i in range(n):
            prod *= a[i][perm[i]]
        total += (-1) ** inv * prod
    return total


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("method", METHODS)
def test_square_equals_abs_det(n: int, method: str) -> None:
    rng = np.random.default_rng(n)
    b = rng.standard_normal((n, n))
    assert abs_det(b, method) == pytest.approx(abs(_leibniz_det(b.tolist())), rel=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_k1_is_norm(method: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(7)
    assert abs_det(x[:, None], method) == pytest.approx(math.sqrt(sum(t * t for t in x)), rel=1e-12)
    assert abs_det(np.array([[3.0], [4.0]]), method) == pytest.approx(5.0, rel=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_parallelogram_area_is_cross_product(method: str) -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        u, v = rng.standard_normal(3), rng.standard_normal(3)
        area = np.linalg.norm(np.cross(u, v))
        assert abs_det(np.column_stack([u, v]), method) == pytest.approx(area, rel=1e-10)


def test_parallelogram_closed_form_sympy() -> None:
    """sqrt(det(Z^T Z)) = sqrt(|x|^2 |y|^2 - (x.y)^2) = |x x y| symbolically."""
    xs = sympy.symbols("x1:4", real=True)
    ys = sympy.symbols("y1:4", real=True)
    z = sympy.Matrix([[xs[i], ys[i]] for i in range(3)])
    x, y = sympy.Matrix(xs), sympy.Matrix(ys)
    cross = x.cross(y)
    assert sympy.expand((z.T * z).det() - cross.dot(cross)) == 0
    assert sympy.expand((z.T * z).det() - (x.dot(x) * y.dot(y) - x.dot(y) ** 2)) == 0


def test_orthogonal_left_invariance() -> None:
    rng = np.random.default_rng(3)
    for n, k in [(3, 2), (5, 3), (6, 1), (4, 4)]:
        b = rng.standard_normal((n, k))
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))  # orthogonal, det +-1
        for method in METHODS:
            assert abs_det(q @ b, method) == pytest.approx(abs_det(b, method), rel=1e-10)


def test_column_operations() -> None:
    rng = np.random.default_rng(4)
    b = rng.standard_normal((5, 3))
    vol = abs_det(b)
    shear = b.copy()
    shear[:, 2] += 2.7 * b[:, 0] - 1.3 * b[:, 1]
    assert abs_det(shear) == pytest.approx(vol, rel=1e-12)
    assert abs_det(b[:, [2, 0, 1]]) == pytest.approx(vol, rel=1e-12)
    scaled = b.copy()
    scaled[:, 1] *= -3.5
    assert abs_det(scaled) == pytest.approx(3.5 * vol, rel=1e-12)
    c = rng.standard_normal((3, 3))
    assert abs_det(b @ c) == pytest.approx(vol * abs(np.linalg.det(c)), rel=1e-10)


def test_not_additive_in_a_column() -> None:
    """|det| is absolutely homogeneous but not linear: |(1,0)+(0,1)| != |(1,0)|+|(0,1)|."""
    assert abs_det(np.array([[1.0], [1.0]])) == pytest.approx(math.sqrt(2))
    assert abs_det(np.array([[1.0], [1.0]])) < 2.0


def test_product_of_singular_values_and_batch() -> None:
    rng = np.random.default_rng(5)
    b = rng.standard_normal((4, 6, 3))
    s = np.linalg.svd(b, compute_uv=False)
    expected = s[:, 0] * s[:, 1] * s[:, 2]
    np.testing.assert_allclose(volume_via_svd(b), expected, rtol=1e-12)
    np.testing.assert_allclose(volume_via_qr(b), expected, rtol=1e-10)
    np.testing.assert_allclose(np.sqrt(gram_det(b)), expected, rtol=1e-9)
    assert abs_det(b).shape == (4,)


def test_minors_and_cauchy_binet_brute_force() -> None:
    rng = np.random.default_rng(6)
    b = rng.standard_normal((5, 3))
    subsets, vals = minors(b)
    assert len(subsets) == math.comb(5, 3)
    for s, v in zip(subsets, vals, strict=True):
        assert v == pytest.approx(_leibniz_det(b[list(s)].tolist()), rel=1e-10, abs=1e-12)
    brute = sum(_leibniz_det(b[list(s)].tolist()) ** 2 for s in itertools.combinations(range(5), 3))
    assert cauchy_binet_sq(b) == pytest.approx(brute, rel=1e-10)
    assert cauchy_binet_sq(b) == pytest.approx(abs_det(b) ** 2, rel=1e-10)


def test_cauchy_binet_exact_integers() -> None:
    b = sympy.Matrix([[1, 2], [3, -1], [0, 4], [2, 2]])
    brute = sum(b.extract(list(s), [0, 1]).det() ** 2 for s in itertools.combinations(range(4), 2))
    assert (b.T * b).det() == brute
    assert cauchy_binet_sq(np.array(b.tolist(), dtype=float)) == pytest.approx(float(brute))


def test_compound_matrix_transforms_minors() -> None:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 4))
    b = rng.standard_normal((4, 2))
    _, mb = minors(b)
    _, mab = minors(a @ b)
    np.testing.assert_allclose(compound_matrix(a, 2) @ mb, mab, rtol=1e-10, atol=1e-12)
    assert compound_matrix(a, 4)[0, 0] == pytest.approx(np.linalg.det(a))


def test_invariant_forms_only_for_square() -> None:
    for n in range(1, 5):
        for k in range(1, n + 1):
            assert invariant_form_dimension(n, k) == (1 if k == n else 0)


def test_random_rotation() -> None:
    q = random_rotation(5, np.random.default_rng(8))
    np.testing.assert_allclose(q.T @ q, np.eye(5), atol=1e-12)
    assert np.linalg.det(q) == pytest.approx(1.0)


def test_swap_path() -> None:
    rng = np.random.default_rng(9)
    b = rng.standard_normal((4, 3))
    path = swap_path(b, num=101)
    np.testing.assert_allclose(path[0], b, atol=1e-12)
    np.testing.assert_allclose(path[-1], b[:, [1, 0, 2]], atol=1e-12)
    assert np.min(np.linalg.svd(path, compute_uv=False)[:, -1]) > 1e-3
    assert np.max(np.abs(np.diff(path, axis=0))) < 0.2  # continuous: small steps


def test_integer_volume_counts_brute_force() -> None:
    # n = 2, k = 1: |(a, b)| integer iff a^2 + b^2 is a perfect square
    brute = sum(1 for a in range(-3, 4) for b in range(-3, 4)
                if (a or b) and math.isqrt(a * a + b * b) ** 2 == a * a + b * b)
    assert integer_volume_counts(2, 1, 3) == (brute, 48)
    ints, total = integer_volume_counts(2, 2, 1)
    assert ints == total  # square integer matrices always have integer |det|
    ints, total = integer_volume_counts(3, 2, 1)
    assert 0 < ints < total


def test_ill_conditioned_against_mpmath_and_closed_form() -> None:
    eps = 2.0**-30  # 1 + eps is exact in float64
    b = np.array([[1.0, 1.0], [1.0, 1.0 + eps], [1.0, 1.0]])
    exact = math.sqrt(2) * eps  # |u x v| = |(-eps, 0, eps)|
    ref = abs_det_mp(b, dps=50)
    assert abs(float(ref) - exact) <= 1e-15 * exact
    with mpmath.workdps(50):
        # det(B^T B) ~ 2 eps^2 cancels ~18 of the 50 digits; 25 correct digits remain
        exact_mp = mpmath.sqrt(2) * mpmath.mpf(2) ** -30
        assert abs(ref - exact_mp) < mpmath.mpf(10) ** -25 * exact_mp
    assert abs(abs_det(b) - exact) / exact < 1e-6
    assert abs(volume_via_qr(b) - exact) / exact < 1e-6
    assert abs(abs_det(b, "gram") - exact) / exact > 0.5  # the Gram determinant loses it all


def test_surface_area_sphere() -> None:
    def jac(th: np.ndarray, ph: np.ndarray) -> np.ndarray:
        d_th = np.stack([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)], -1)
        d_ph = np.stack([-np.sin(th) * np.sin(ph), np.sin(th) * np.cos(ph), 0 * th], -1)
        return np.stack([d_th, d_ph], -1)

    assert surface_area(jac, (0, math.pi), (0, 2 * math.pi), m=100) == pytest.approx(
        4 * math.pi, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(1, 3)),
              elements=st.floats(-10, 10, allow_nan=False, width=64)))
def test_property_methods_agree_and_scale(b: np.ndarray) -> None:
    n, k = b.shape
    if k > n:
        return
    vol = abs_det(b)
    s = np.linalg.svd(b, compute_uv=False)
    if s[-1] < 1e-6 * max(s[0], 1.0):
        return  # nearly singular: only the stable methods are expected to agree
    assert volume_via_qr(b) == pytest.approx(vol, rel=1e-8)
    assert math.sqrt(cauchy_binet_sq(b)) == pytest.approx(vol, rel=1e-6)
    assert abs_det(2.0 * b) == pytest.approx(2.0**k * vol, rel=1e-10)
    assert vol <= np.prod(np.linalg.norm(b, axis=0)) * (1 + 1e-10)  # Hadamard's inequality


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3), st.integers(0, 10_000))
def test_property_rotation_invariance(k: int, extra: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = k + extra
    b = rng.standard_normal((n, k))
    q = random_rotation(n, rng)
    assert abs_det(q @ b) == pytest.approx(abs_det(b), rel=1e-9)


@pytest.mark.parametrize("bad, err, match", [
    (np.ones((2, 3)), ValueError, "more columns than rows"),
    (np.ones(3), ValueError, "at least 2-D"),
    (np.array([[1.0], [np.nan]]), ValueError, "NaN"),
    (np.array([[1.0], [np.inf]]), ValueError, "NaN or infinite"),
    (np.array([["a"], ["b"]]), TypeError, "real numeric"),
    (np.ones((0, 0)), ValueError, "n >= 1"),
])
def test_bad_inputs(bad: np.ndarray, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        abs_det(bad)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        abs_det(np.ones((2, 1)), method="lu")
    with pytest.raises(ValueError, match="2-D matrix"):
        minors(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="square"):
        compound_matrix(np.ones((3, 2)), 1)
    with pytest.raises(ValueError, match="1 <= k <= n"):
        compound_matrix(np.eye(3), 4)
    with pytest.raises(ValueError, match="no such path"):
        swap_path(np.eye(3))
    with pytest.raises(ValueError, match="full column rank"):
        swap_path(np.ones((3, 2)))
    with pytest.raises(ValueError, match="k <= n"):
        integer_volume_counts(2, 3, 1)
    with pytest.raises(ValueError, match="dps"):
        abs_det_mp(np.ones((2, 1)), dps=5)
    with pytest.raises(ValueError, match=r"shape \[m, m, n, 2\]"):
        surface_area(lambda u, v: np.zeros((3, 3)), (0, 1), (0, 1), m=3)
