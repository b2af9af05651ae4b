"""SE(3) helpers against numpy's general inverse, scipy, brute force and sympy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from blogcode.geometry import rigid as G

FAST = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**31 - 1)


@FAST
@given(seeds)
def test_random_rotation_is_in_so3_and_matches_scipy(seed):
    R = G.random_rotation(5, seed=seed)
    assert R.shape == (5, 3, 3)
    assert G.is_rotation(R, 1e-12)
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((5, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    ref = Rotation.from_quat(q[:, [1, 2, 3, 0]]).as_matrix()  # scipy is scalar-last
    np.testing.assert_allclose(R, ref, atol=1e-12)


def test_random_rotation_is_seeded_and_roughly_uniform():
    a = G.random_rotation(3, seed=7)
    np.testing.assert_array_equal(a, G.random_rotation(3, seed=7))
    assert not np.allclose(a, G.random_rotation(3, seed=8))
    # uniform (Haar) rotations: E[R] = 0, E[trace R] = 0
    R = G.random_rotation(20000, seed=0)
    assert np.max(np.abs(R.mean(axis=0))) < 0.02
    assert abs(np.trace(R, axis1=-2, axis2=-1).mean()) < 0.03


@FAST
@given(seeds)
def test_rotation_has_three_degrees_of_freedom(seed):
    R = G.random_rotation(seed=seed)
    rank, null = G.orthogonality_tangent(R)
    assert rank == 6 and null.shape == (3, 3, 3)
    for dR in null:
        S = R.T @ dR
        np.testing.assert_allclose(S, -S.T, atol=1e-12)
        # moving along dR keeps R orthogonal to second order: |(R + e dR)^T (R + e dR) - I| ~ e^2
        e = 1e-4
        M = R + e * dR
        assert np.abs(M.T @ M - np.eye(3)).max() < 10 * e * e


def test_is_rotation_rejects_reflections_and_scalings():
    assert G.is_rotation(np.eye(3))
    assert not G.is_rotation(np.diag([1.0, 1.0, -1.0]))
    assert not G.is_rotation(2 * np.eye(3))
    assert G.is_rotation(np.eye(3) + 1e-8, tol=1e-6)
    assert not G.is_rotation(np.eye(3) + 1e-8, tol=1e-10)


@FAST
@given(seeds)
def test_closed_form_inverse_equals_numpy_inverse(seed):
    T = G.random_transform(4, seed=seed, scale=3.0)
    np.testing.assert_allclose(G.invert_T(T), np.linalg.inv(T), atol=1e-11)
    np.testing.assert_allclose(G.invert_T(T) @ T, np.broadcast_to(np.eye(4), T.shape),
                               atol=1e-12)
    assert G.is_transform(T) and G.is_transform(G.invert_T(T))


@FAST
@given(seeds)
def test_round_trips_and_homogeneous_equals_affine(seed):
    rng = np.random.default_rng(seed)
    T = G.random_transform(seed=seed, scale=2.0)
    R, t = G.split_T(T)
    pts = rng.standard_normal((10, 3))
    np.testing.assert_allclose(G.transform_points(T, pts), pts @ R.T + t, atol=1e-12)
    back = G.transform_points(G.invert_T(T), G.transform_points(T, pts))
    np.testing.assert_allclose(back, pts, atol=1e-12)
    # distances preserved (rigid)
    d0 = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    img = G.transform_points(T, pts)
    np.testing.assert_allclose(np.linalg.norm(img[:, None] - img[None], axis=-1), d0,
                               atol=1e-11)


@FAST
@given(seeds)
def test_t21_is_minus_R21_t12_not_minus_t12(seed):
    rng = np.random.default_rng(seed)
    T_w1 = G.random_transform(seed=seed)
    T_w2 = G.random_transform(seed=seed + 1)
    T_12 = G.relative(T_w1, T_w2)
    T_21 = G.relative(T_w2, T_w1)
    np.testing.assert_allclose(T_12 @ T_21, np.eye(4), atol=1e-12)
    R12, t12 = G.split_T(T_12)
    R21, t21 = G.split_T(T_21)
    np.testing.assert_allclose(R21, R12.T, atol=1e-12)
    np.testing.assert_allclose(t21, -R21 @ t12, atol=1e-12)
    # a point seen from both frames: a_1 = R12 a_2 + t12 and a_2 = R21 a_1 + t21
    a_w = rng.standard_normal(3)
    a_1 = G.transform_points(G.invert_T(T_w1), a_w)
    a_2 = G.transform_points(G.invert_T(T_w2), a_w)
    np.testing.assert_allclose(a_1, R12 @ a_2 + t12, atol=1e-12)
    np.testing.assert_allclose(a_2, R21 @ a_1 + t21, atol=1e-12)
    # generically t21 != -t12 (equality needs R21 t12 = t12: t12 on the rotation axis)
    assert np.linalg.norm(t21 + t12) > 1e-6


def test_t21_equals_minus_t12_when_translation_is_on_the_axis():
    R = Rotation.from_rotvec([0, 0, 0.8]).as_matrix()
    T = G.make_T(R, [0, 0, 2.0])
    _, t21 = G.split_T(G.invert_T(T))
    np.testing.assert_allclose(t21, [0, 0, -2.0], atol=1e-15)


def test_composition_is_not_commutative():
    A = G.make_T(Rotation.from_rotvec([0, 0, np.pi / 2]).as_matrix(), [0, 0, 0])
    B = G.make_T(np.eye(3), [1.0, 0, 0])
    p = np.zeros(3)
    np.testing.assert_allclose(G.transform_points(A @ B, p), [0, 1, 0], atol=1e-15)
    np.testing.assert_allclose(G.transform_points(B @ A, p), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(G.compose(A, B, G.invert_T(B)), A, atol=1e-15)


def test_symbolic_forms():
    d = G.symbolic_compose()
    R1, R2 = sympy.MatrixSymbol("R_1", 3, 3), sympy.MatrixSymbol("R_2", 3, 3)
    t1, t2 = sympy.MatrixSymbol("t_1", 3, 1), sympy.MatrixSymbol("t_2", 3, 1)
    assert d["T1T2"].blocks[0, 0] == R1 * R2
    assert sympy.simplify(d["T1T2"].blocks[0, 1] - (R1 * t2 + t1)) == sympy.ZeroMatrix(3, 1)
    e = G.symbolic_inverse_check()
    assert e["explicit_ok"]
    assert e["product_simplified"].blocks[0, 0] == sympy.Identity(3)
    # numeric instance of the block formula
    T1, T2 = G.random_transform(seed=1), G.random_transform(seed=2)
    f = sympy.lambdify([R1, t1, R2, t2], sympy.Matrix(d["T1T2"].blocks[0, 1]), "numpy")
    Ra, ta = G.split_T(T1)
    Rb, tb = G.split_T(T2)
    np.testing.assert_allclose(np.asarray(f(Ra, ta[:, None], Rb, tb[:, None]))[:, 0],
                               G.split_T(T1 @ T2)[1], atol=1e-12)
    latex = G.latex_block(e["Tinv"])
    assert "R^{T}" in latex and "\\mathbf{0}^\\top & 1" in latex


def test_bad_inputs():
    with pytest.raises(ValueError, match="not a rotation"):
        G.make_T(np.diag([1.0, 1.0, -1.0]), [0, 0, 0])
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 3\)"):
        G.make_T(np.eye(2), [0, 0])
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        G.make_T(np.eye(3), [0, 0])
    bad = np.eye(4)
    bad[3, 0] = 1.0
    with pytest.raises(ValueError, match="bottom row"):
        G.invert_T(bad)
    with pytest.raises(ValueError, match="use np.linalg.inv"):
        G.invert_T(np.diag([2.0, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        G.transform_points(np.eye(4), [np.nan, 0, 0])
    with pytest.raises(TypeError, match="dtype"):
        G.is_rotation([["a"] * 3] * 3)
    with pytest.raises(ValueError, match="tol"):
        G.is_rotation(np.eye(3), tol=-1)
    with pytest.raises(ValueError, match="infinity"):
        G.from_homogeneous([1.0, 2.0, 3.0, 0.0])
    with pytest.raises(ValueError, match="one \\(3, 3\\) matrix"):
        G.orthogonality_tangent(np.stack([np.eye(3)] * 2))
    with pytest.raises(TypeError, match="BlockMatrix"):
        G.latex_block(sympy.eye(2))
