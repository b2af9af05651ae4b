"""Tests of blogcode.geometry.complex2d against Python's complex arithmetic and closed forms."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.geometry import complex2d as C

FAST = settings(max_examples=60, deadline=None)
finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
cplx = st.builds(complex, finite, finite)


@FAST
@given(cplx, cplx)
def test_matrix_times_vector_is_complex_product(z, w):
    out = C.as_matrix(z) @ np.array([w.real, w.imag])
    ref = z * w  # Python's own complex multiplication
    np.testing.assert_allclose(out, [ref.real, ref.imag], rtol=1e-12, atol=1e-9)


@FAST
@given(cplx, cplx)
def test_matrix_is_a_homomorphism(z1, z2):
    np.testing.assert_allclose(
        C.as_matrix(z1 * z2), C.as_matrix(z1) @ C.as_matrix(z2), rtol=1e-12, atol=1e-8
    )


@FAST
@given(cplx)
def test_from_matrix_round_trip_and_det_is_modulus_squared(z):
    m = C.as_matrix(z)
    assert complex(C.from_matrix(m)) == pytest.approx(z)
    assert np.linalg.det(m) == pytest.approx(abs(z) ** 2, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("z", "deg"),
    [
        (1 + math.sqrt(3) * 1j, 60.0),
        (-1 + 1j, 135.0),
        (-1 - 1j, -135.0),
        (1j, 90.0),
        (-1, 180.0),
        (-1j, -90.0),
        (math.sqrt(3) + 1j, 30.0),
        (2.5, 0.0),
    ],
)
def test_standard_angles(z, deg):
    assert float(np.degrees(C.rotation_angle(z))) == pytest.approx(deg, abs=1e-12)


def test_arctan_a_over_b_is_wrong_and_arctan_b_over_a_loses_the_quadrant():
    z = 1 + math.sqrt(3) * 1j
    assert math.degrees(math.atan(z.real / z.imag)) == pytest.approx(30.0)
    assert float(np.degrees(C.rotation_angle(z))) == pytest.approx(60.0)
    w = -1 - 1j
    assert math.degrees(math.atan(w.imag / w.real)) == pytest.approx(45.0)
    assert float(np.degrees(C.rotation_angle(w))) == pytest.approx(-135.0)


@FAST
@given(cplx.filter(lambda z: abs(z) > 1e-6))
def test_angle_matches_cmath_phase_and_polar_decomposition(z):
    assert float(C.rotation_angle(z)) == pytest.approx(cmath.phase(z), abs=1e-12)
    k, th = C.polar(z)
    np.testing.assert_allclose(k * C.rotation_matrix2d(th), C.as_matrix(z), atol=1e-9)
    R = C.rotation_matrix2d(th)
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)


def test_rotate2d_against_rotation_matrix_and_vectorised():
    rng = np.random.default_rng(1)
    pts = rng.standard_normal((5, 7, 2))
    th = 0.37
    np.testing.assert_allclose(
        C.rotate2d(pts, th), pts @ C.rotation_matrix2d(th).T, atol=1e-13
    )
    np.testing.assert_allclose(C.rotate2d([1.0, 0.0], np.pi / 2), [0.0, 1.0], atol=1e-15)
    z = 2 * cmath.exp(0.5j)
    np.testing.assert_allclose(
        C.scale_rotate_points(pts, z), 2 * C.rotate2d(pts, 0.5), atol=1e-12
    )
    zs = np.array([1j, 2.0])
    assert C.as_matrix(zs).shape == (2, 2, 2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="no argument"):
        C.rotation_angle(0)
    with pytest.raises(ValueError, match="NaN"):
        C.as_matrix(complex("nan"))
    with pytest.raises(TypeError, match="dtype"):
        C.as_matrix("1+2j")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        C.rotate2d([1.0, 2.0, 3.0], 0.1)
    with pytest.raises(TypeError, match="complex dtype"):
        C.rotate2d(np.array([1j, 2j]), 0.1)
    with pytest.raises(ValueError, match="not of the form"):
        C.from_matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, 2\)"):
        C.from_matrix(np.eye(3))
    with pytest.raises(ValueError, match="theta"):
        C.rotate2d([1.0, 0.0], float("inf"))
