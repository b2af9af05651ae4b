"""Rodrigues' formula against the quaternion sandwich, scipy, expm and sympy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from blogcode.geometry import axis_angle as A
from blogcode.geometry import quaternion as Q

FAST = settings(max_examples=50, deadline=None)
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
vecs = arrays(np.float64, (3,), elements=finite)
axes = vecs.filter(lambda a: float(np.linalg.norm(a)) > 1e-2)
angles = st.floats(-2 * np.pi, 2 * np.pi, allow_nan=False)


@FAST
@given(vecs, axes, angles)
def test_rodrigues_equals_quaternion_sandwich_and_scipy(v, axis, theta):
    out = A.rodrigues_rotate(v, axis, theta)
    q = Q.from_axis_angle(axis, theta)
    np.testing.assert_allclose(out, Q.rotate(q, v), atol=1e-10)
    np.testing.assert_allclose(A.rodrigues(axis, theta), Q.to_rotation_matrix(q), atol=1e-12)
    # scipy: independent implementation (scalar-last quaternions, rotation vectors)
    rv = theta * axis / np.linalg.norm(axis)
    np.testing.assert_allclose(out, Rotation.from_rotvec(rv).apply(v), atol=1e-10)


@FAST
@given(axes, angles)
def test_rodrigues_matrix_is_expm_of_skew(axis, theta):
    w = theta * A.unit_axis(axis)
    R = A.rodrigues(axis, theta)
    np.testing.assert_allclose(R, scipy.linalg.expm(A.hat(w)), atol=1e-11)
    np.testing.assert_allclose(R, A.expm_skew_series(w, terms=60), atol=1e-9)
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(R @ A.unit_axis(axis), A.unit_axis(axis), atol=1e-12)


@FAST
@given(vecs, axes, angles)
def test_split_and_step_by_step_rotation(v, axis, theta):
    par, perp = A.split(v, axis)
    n = A.unit_axis(axis)
    np.testing.assert_allclose(par + perp, v, atol=1e-12)
    assert abs(float(n @ perp)) < 1e-10
    np.testing.assert_allclose(np.cross(n, par), 0, atol=1e-10)
    np.testing.assert_allclose(
        A.rotate_by_split(v, axis, theta), A.rodrigues(axis, theta) @ v, atol=1e-10
    )


@FAST
@given(vecs, vecs)
def test_hat_is_cross_product_and_square_identity(w, v):
    K = A.hat(w)
    np.testing.assert_allclose(K @ v, np.cross(w, v), atol=1e-12)
    np.testing.assert_allclose(K.T, -K)
    np.testing.assert_allclose(A.vee(K), w)
    if np.linalg.norm(w) > 1e-3:
        n = w / np.linalg.norm(w)
        Kn = A.hat(n)
        np.testing.assert_allclose(Kn @ Kn, np.outer(n, n) - np.eye(3), atol=1e-12)
        np.testing.assert_allclose(Kn @ Kn @ Kn, -Kn, atol=1e-12)


def test_standard_rotations_and_broadcasting():
    np.testing.assert_allclose(A.rodrigues_rotate([1, 0, 0], [0, 0, 1], np.pi / 2), [0, 1, 0],
                               atol=1e-15)
    np.testing.assert_allclose(A.rodrigues_rotate([1, 0, 0], [1, 1, 1], 2 * np.pi / 3),
                               [0, 1, 0], atol=1e-15)
    rng = np.random.default_rng(3)
    ax = rng.standard_normal((4, 3))
    th = rng.uniform(-3, 3, 4)
    Rs = A.rodrigues(ax, th)
    assert Rs.shape == (4, 3, 3)
    for i in range(4):
        np.testing.assert_allclose(Rs[i], A.rodrigues(ax[i], th[i]))


def test_symbolic_rodrigues_matches_numeric():
    R, (n1, n2, n3, th) = A.symbolic_rodrigues()
    n = np.array([2.0, -1.0, 2.0]) / 3.0
    val = R.subs({n1: n[0], n2: n[1], n3: n[2], th: 0.9})
    np.testing.assert_allclose(np.array(val, dtype=float), A.rodrigues(n, 0.9), atol=1e-14)
    # symbolic: R^T R = I under the unit constraint, trace = 1 + 2 cos(theta), K^3 = -K
    ns = (n1, n2, n3)
    assert A.unit_reduce(R.T * R - sympy.eye(3), ns, th) == sympy.zeros(3, 3)
    assert A.unit_reduce(R.trace() - 1 - 2 * sympy.cos(th), ns, th) == 0
    K = sympy.Matrix([[0, -n3, n2], [n3, 0, -n1], [-n2, n1, 0]])
    assert A.unit_reduce(K**3 + K, ns, th) == sympy.zeros(3, 3)
    # and it is not trivially zero: without |n| = 1, K^3 + K != 0
    assert sympy.expand(K**3 + K) != sympy.zeros(3, 3)
    assert A.unit_reduce(n1**2, ns, th) != 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="non-zero"):
        A.rodrigues([0, 0, 0], 1.0)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\)"):
        A.rodrigues_rotate([1, 2], [0, 0, 1], 1.0)
    with pytest.raises(ValueError, match="NaN"):
        A.rodrigues([0, 0, 1], float("nan"))
    with pytest.raises(TypeError, match="complex"):
        A.hat(np.array([1j, 0, 0]))
    with pytest.raises(ValueError, match="skew"):
        A.vee(np.eye(3))
    with pytest.raises(ValueError, match="three axis symbols"):
        A.unit_reduce(sympy.Integer(0), sympy.symbols("a b"), sympy.Symbol("t"))
    with pytest.raises(ValueError, match="positive integer"):
        A.expm_skew_series([0, 0, 1], terms=0)
