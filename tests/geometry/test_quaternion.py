"""Tests of blogcode.geometry.quaternion against independent references.

References: the 2x2 complex-matrix representation of the quaternions (an
independent model of the same algebra), scipy.spatial.transform.Rotation
(scalar-LAST convention: we reorder), closed forms, sympy identities, and
algebraic properties checked by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from blogcode.geometry import quaternion as Q

FAST = settings(max_examples=40, deadline=None)

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
quats = arrays(np.float64, (4,), elements=finite)
vecs = arrays(np.float64, (3,), elements=finite)


def nonzero(q: np.ndarray) -> bool:
    return float(np.linalg.norm(q)) > 1e-3


def as_complex2(q: np.ndarray) -> np.ndarray:
    """s + x i + y j + z k  ->  [[s + x I, y + z I], [-y + z I, s - x I]] (I = sqrt(-1))."""
    s, x, y, z = q
    return np.array([[s + 1j * x, y + 1j * z], [-y + 1j * z, s - 1j * x]])


def to_scipy(q: np.ndarray) -> Rotation:
    return Rotation.from_quat(np.roll(np.asarray(q), -1, axis=-1))  # scipy: [x, y, z, s]


def from_scipy(r: Rotation) -> np.ndarray:
    return np.roll(r.as_quat(), 1, axis=-1)


E = np.eye(4)
ONE, I, J, K = E


# ----------------------------------------------------------------------------- table


def test_hamilton_relations() -> None:
    for u in (I, J, K):
        np.testing.assert_array_equal(Q.hamilton(u, u), -ONE)
    np.testing.assert_array_equal(Q.hamilton(Q.hamilton(I, J), K), -ONE)
    np.testing.assert_array_equal(Q.hamilton(I, J), K)
    np.testing.assert_array_equal(Q.hamilton(J, I), -K)
    np.testing.assert_array_equal(Q.hamilton(J, K), I)
    np.testing.assert_array_equal(Q.hamilton(K, J), -I)
    np.testing.assert_array_equal(Q.hamilton(K, Q.hamilton(I, ONE)), J)
    np.testing.assert_array_equal(Q.hamilton(I, K), -J)


def test_mul_table_matches_complex_matrix_model() -> None:
    table = Q.mul_table()
    names = {sympy.Integer(1): 0, **{u: n + 1 for n, u in enumerate(Q._UNITS[1:])}}
    for a in range(4):
        for b in range(4):
            entry = table[a, b]
            coeff, unit = entry.as_coeff_Mul()
            vec = float(coeff) * E[names[unit]]
            np.testing.assert_allclose(
                as_complex2(E[a]) @ as_complex2(E[b]), as_complex2(vec), atol=0
            )
    assert table[1, 1] == table[2, 2] == table[3, 3] == -1


@FAST
@given(quats, quats)
def test_product_matches_complex_matrix_model(p: np.ndarray, q: np.ndarray) -> None:
    np.testing.assert_allclose(
        as_complex2(Q.hamilton(p, q)), as_complex2(p) @ as_complex2(q), atol=1e-9
    )


@FAST
@given(quats, quats)
def test_scalar_vector_form_equals_components(p: np.ndarray, q: np.ndarray) -> None:
    np.testing.assert_allclose(Q.hamilton_sv(p, q), Q.hamilton(p, q), atol=1e-10)


def test_symbolic_scalar_vector_equals_components() -> None:
    p, q = Q.symbolic_quaternion("a"), Q.symbolic_quaternion("b")
    diff = Q.symbolic_hamilton(p, q) - Q.symbolic_product_components(p, q)
    assert diff.applyfunc(sympy.expand) == sympy.zeros(4, 1)


def test_unit_product_bad_input() -> None:
    with pytest.raises(ValueError, match="int in 0..3"):
        Q.unit_product(4, 0)
    with pytest.raises(ValueError, match="int in 0..3"):
        Q.unit_product(1, 1.0)


def test_symbolic_product_equals_numeric() -> None:
    p, q = Q.symbolic_quaternion("a"), Q.symbolic_quaternion("b")
    sym = Q.symbolic_product_components(p, q)
    vals = np.random.default_rng(0).standard_normal(8)
    subs = dict(zip(list(p) + list(q), vals, strict=True))
    np.testing.assert_allclose(
        np.array([float(c.subs(subs)) for c in sym]), Q.hamilton(vals[:4], vals[4:]), atol=1e-12
    )


# ----------------------------------------------------------------------------- algebra


@FAST
@given(quats, quats)
def test_norm_is_multiplicative(p: np.ndarray, q: np.ndarray) -> None:
    np.testing.assert_allclose(
        Q.norm(Q.hamilton(p, q)), Q.norm(p) * Q.norm(q), rtol=1e-12, atol=1e-12
    )


def test_four_square_identity_symbolic() -> None:
    p, q = Q.symbolic_quaternion("a"), Q.symbolic_quaternion("b")
    lhs = Q.symbolic_norm2(Q.symbolic_hamilton(p, q))
    assert sympy.expand(lhs - Q.symbolic_norm2(p) * Q.symbolic_norm2(q)) == 0


@FAST
@given(quats, quats)
def test_conjugate_of_product_reverses(p: np.ndarray, q: np.ndarray) -> None:
    np.testing.assert_allclose(
        Q.conj(Q.hamilton(p, q)), Q.hamilton(Q.conj(q), Q.conj(p)), atol=1e-10
    )


@FAST
@given(quats, quats, quats)
def test_associative(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> None:
    lhs = Q.hamilton(Q.hamilton(p, q), r)
    rhs = Q.hamilton(p, Q.hamilton(q, r))
    np.testing.assert_allclose(lhs, rhs, atol=1e-9 * (1 + np.abs(lhs).max()))


@FAST
@given(quats, quats)
def test_commutator_is_twice_cross_product(p: np.ndarray, q: np.ndarray) -> None:
    comm = Q.hamilton(p, q) - Q.hamilton(q, p)
    np.testing.assert_allclose(comm[0], 0, atol=1e-10)
    np.testing.assert_allclose(comm[1:], 2 * np.cross(p[1:], q[1:]), atol=1e-10)


def test_not_commutative_example() -> None:
    assert not np.allclose(Q.hamilton(I, J), Q.hamilton(J, I))


@FAST
@given(quats)
def test_inverse(q: np.ndarray) -> None:
    if not nonzero(q):
        return
    inv = Q.inverse(q)
    np.testing.assert_allclose(Q.hamilton(q, inv), ONE, atol=1e-12)
    np.testing.assert_allclose(Q.hamilton(inv, q), ONE, atol=1e-12)
    np.testing.assert_allclose(as_complex2(inv), np.linalg.inv(as_complex2(q)), atol=1e-10)


def test_broadcasting() -> None:
    rng = np.random.default_rng(1)
    p = rng.standard_normal((5, 1, 4))
    q = rng.standard_normal((1, 3, 4))
    out = Q.hamilton(p, q)
    assert out.shape == (5, 3, 4)
    np.testing.assert_allclose(out[2, 1], Q.hamilton(p[2, 0], q[0, 1]))
    assert Q.norm(p).shape == (5, 1)


# ----------------------------------------------------------------------------- axis-angle


@FAST
@given(vecs, st.floats(-7, 7))
def test_axis_angle_matches_scipy(axis: np.ndarray, angle: float) -> None:
    if np.linalg.norm(axis) < 1e-3:
        return
    q = Q.from_axis_angle(axis, angle)
    np.testing.assert_allclose(Q.norm(q), 1.0, atol=1e-14)
    ref = Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle)
    np.testing.assert_allclose(Q.to_rotation_matrix(q), ref.as_matrix(), atol=1e-12)


@FAST
@given(quats)
def test_to_axis_angle_round_trip(q: np.ndarray) -> None:
    if not nonzero(q):
        return
    axis, angle = Q.to_axis_angle(q)
    assert 0 <= angle <= 2 * np.pi
    np.testing.assert_allclose(Q.from_axis_angle(axis, angle), Q.normalize(q), atol=1e-12)


def test_axis_angle_identity() -> None:
    axis, angle = Q.to_axis_angle([2.0, 0, 0, 0])
    np.testing.assert_array_equal(axis, [1.0, 0, 0])
    assert angle == 0.0


# ----------------------------------------------------------------------------- matrices


@FAST
@given(quats, quats)
def test_left_right_matrices(a: np.ndarray, b: np.ndarray) -> None:
    prod = Q.hamilton(a, b)
    np.testing.assert_allclose(Q.left_matrix(a) @ b, prod, atol=1e-10)
    np.testing.assert_allclose(Q.right_matrix(b) @ a, prod, atol=1e-10)
    np.testing.assert_allclose(
        Q.left_matrix(a) @ Q.right_matrix(b), Q.right_matrix(b) @ Q.left_matrix(a), atol=1e-9
    )


def test_symbolic_left_right_match_numeric() -> None:
    q = Q.symbolic_quaternion()
    vals = np.array([0.3, -1.2, 0.7, 2.0])
    subs = dict(zip(q, vals, strict=True))
    L = np.array(Q.symbolic_left_matrix(q).subs(subs), dtype=float)
    R = np.array(Q.symbolic_right_matrix(q).subs(subs), dtype=float)
    np.testing.assert_allclose(L, Q.left_matrix(vals))
    np.testing.assert_allclose(R, Q.right_matrix(vals))
    # L and R commute for any two quaternions, symbolically.
    a, b = Q.symbolic_quaternion("a"), Q.symbolic_quaternion("b")
    La, Rb = Q.symbolic_left_matrix(a), Q.symbolic_right_matrix(b)
    assert (La * Rb - Rb * La).applyfunc(sympy.expand) == sympy.zeros(4, 4)


def test_symbolic_rotation_matrix_is_one_plus_R() -> None:
    M, p = Q.symbolic_rotation_matrix(unit=True)
    s, x, y, z = p
    assert M[0, 0] == 1
    assert all(M[0, c] == 0 and M[c, 0] == 0 for c in range(1, 4))
    expected = sympy.Matrix(
        [
            [1 - 2 * (y**2 + z**2), 2 * (x * y - s * z), 2 * (x * z + s * y)],
            [2 * (x * y + s * z), 1 - 2 * (x**2 + z**2), 2 * (y * z - s * x)],
            [2 * (x * z - s * y), 2 * (y * z + s * x), 1 - 2 * (x**2 + y**2)],
        ]
    )
    assert (M[1:, 1:] - expected).applyfunc(sympy.expand) == sympy.zeros(3, 3)
    # The general (non-unit) form agrees with to_rotation_matrix numerically.
    G, p2 = Q.symbolic_rotation_matrix(unit=False)
    vals = np.array([1.5, -0.4, 2.2, 0.9])
    num = np.array(G.subs(dict(zip(p2, vals, strict=True))), dtype=float)
    np.testing.assert_allclose(num[1:, 1:], Q.to_rotation_matrix(vals), atol=1e-14)
    np.testing.assert_allclose(num[0], [1, 0, 0, 0], atol=1e-14)


@FAST
@given(quats, vecs)
def test_matrix_equals_sandwich(q: np.ndarray, v: np.ndarray) -> None:
    if not nonzero(q):
        return
    np.testing.assert_allclose(Q.to_rotation_matrix(q) @ v, Q.rotate(q, v), atol=1e-9)
    np.testing.assert_allclose(Q.rotate(q, v), to_scipy(Q.normalize(q)).apply(v), atol=1e-9)


@FAST
@given(quats)
def test_rotation_matrix_is_special_orthogonal(q: np.ndarray) -> None:
    if not nonzero(q):
        return
    R = Q.to_rotation_matrix(q)
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    np.testing.assert_allclose(R, Q.to_rotation_matrix(-q), atol=0)


@FAST
@given(quats)
def test_from_rotation_matrix_round_trip(q: np.ndarray) -> None:
    if not nonzero(q):
        return
    u = Q.normalize(q)
    back = Q.from_rotation_matrix(Q.to_rotation_matrix(u))
    assert back[0] >= 0
    sign = 1.0 if np.dot(back, u) >= 0 else -1.0
    np.testing.assert_allclose(back, sign * u, atol=1e-12)


def test_from_rotation_matrix_near_pi_and_scipy() -> None:
    rng = np.random.default_rng(7)
    axes = rng.standard_normal((200, 3))
    angles = np.pi - np.concatenate([np.zeros(50), 10.0 ** -rng.uniform(1, 12, 150)])
    q = Q.from_axis_angle(axes, angles)
    R = Q.to_rotation_matrix(q)
    back = Q.from_rotation_matrix(R)
    signs = np.sign(np.sum(back * q, axis=-1))
    np.testing.assert_allclose(back, signs[:, None] * q, atol=1e-12)
    ref = from_scipy(Rotation.from_matrix(R))
    ref = np.where(ref[:, :1] < 0, -ref, ref)
    np.testing.assert_allclose(np.abs(np.sum(back * ref, axis=-1)), 1.0, atol=1e-12)
    # The naive trace formula breaks down there.
    naive = Q.from_rotation_matrix_trace(R[:50])
    assert not np.all(np.isfinite(naive)) or np.abs(naive - q[:50]).max() > 1e-3


def test_trace_formula_fine_away_from_pi() -> None:
    q = Q.from_axis_angle([1.0, 2.0, -0.5], 1.0)
    np.testing.assert_allclose(Q.from_rotation_matrix_trace(Q.to_rotation_matrix(q)), q)


def test_scipy_random_rotations() -> None:
    r = Rotation.random(100, random_state=3)
    q = from_scipy(r)
    np.testing.assert_allclose(Q.to_rotation_matrix(q), r.as_matrix(), atol=1e-12)
    back = Q.from_rotation_matrix(r.as_matrix())
    np.testing.assert_allclose(np.abs(np.sum(back * q, axis=-1)), 1.0, atol=1e-12)
    # Composition: rotating by p then q is the product q p.
    p = from_scipy(Rotation.random(100, random_state=4))
    np.testing.assert_allclose(
        Q.to_rotation_matrix(Q.hamilton(q, p)),
        (r * to_scipy(p)).as_matrix(),
        atol=1e-12,
    )


# ----------------------------------------------------------------------------- slerp


@FAST
@given(quats, quats)
def test_slerp_endpoints_norm_speed(a: np.ndarray, b: np.ndarray) -> None:
    if not (nonzero(a) and nonzero(b)):
        return
    a, b = Q.normalize(a), Q.normalize(b)
    t = np.linspace(0, 1, 11)
    path = Q.slerp(a, b, t)
    np.testing.assert_allclose(path[0], a, atol=1e-12)
    b_near = b if np.dot(a, b) >= 0 else -b
    np.testing.assert_allclose(path[-1], b_near, atol=1e-9)
    np.testing.assert_allclose(Q.norm(path), 1.0, atol=1e-12)
    total = Q.rotation_angle_between(a, b)
    np.testing.assert_allclose(Q.rotation_angle_between(a, path), t * total, atol=1e-7)


def test_slerp_matches_scipy_slerp() -> None:
    from scipy.spatial.transform import Slerp

    r = Rotation.random(2, random_state=11)
    q = from_scipy(r)
    t = np.linspace(0, 1, 7)
    ours = Q.to_rotation_matrix(Q.slerp(q[0], q[1], t))
    ref = Slerp([0, 1], r)(t).as_matrix()
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_nlerp_is_not_constant_speed() -> None:
    a = Q.from_axis_angle([0, 0, 1], 0.0)
    b = Q.from_axis_angle([0, 0, 1], 3.0)
    t = np.linspace(0, 1, 5)
    ang = Q.rotation_angle_between(a, Q.nlerp(a, b, t))
    assert abs(ang[1] - 0.25 * 3.0) > 0.05
    np.testing.assert_allclose(ang[[0, 2, 4]], [0, 1.5, 3.0], atol=1e-12)


def test_slerp_tiny_angle() -> None:
    a = Q.from_axis_angle([0, 1, 0], 0.3)
    b = Q.from_axis_angle([0, 1, 0], 0.3 + 1e-12)
    np.testing.assert_allclose(Q.slerp(a, b, 0.5), a, atol=1e-12)


# ----------------------------------------------------------------------------- 3D fails


def test_triplet_left_i_has_real_eigenvalue() -> None:
    a, b, c = sympy.symbols("a b c", real=True)
    Li = Q.triplet_left_i(a, b, c)
    lam = sympy.Symbol("lambda")
    assert sympy.factor(Li.charpoly(lam).as_expr()) == sympy.factor((lam**2 + 1) * (lam - c))
    # An explicit nonzero u with (i - c) u = 0.
    u = sympy.Matrix([a * c - b, a + b * c, c**2 + 1])
    assert (Li * u - c * u).applyfunc(sympy.simplify) == sympy.zeros(3, 1)


def test_three_squares() -> None:
    assert Q.three_square_representations(15) == []
    assert Q.three_square_representations(3) == [(1, 1, 1)]
    assert Q.three_square_representations(5) == [(0, 1, 2)]
    # Legendre: n is a sum of three squares unless n = 4^a (8b + 7).
    for n in range(200):
        m = n
        while m and m % 4 == 0:
            m //= 4
        assert (Q.three_square_representations(n) == []) == (m % 8 == 7)
    with pytest.raises(ValueError, match="non-negative int"):
        Q.three_square_representations(-1)


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\)"):
        Q.hamilton([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3\)"):
        Q.rotate([1, 0, 0, 0], [1, 2])
    with pytest.raises(ValueError, match="zero quaternion has no inverse"):
        Q.inverse([0, 0, 0, 0])
    with pytest.raises(ValueError, match="zero quaternion"):
        Q.to_rotation_matrix(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        Q.norm([np.nan, 0, 0, 0])
    with pytest.raises(TypeError, match="real numbers"):
        Q.conj(np.array([1j, 0, 0, 0]))
    with pytest.raises(TypeError, match="real numbers"):
        Q.conj(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="non-zero vector"):
        Q.from_axis_angle([0, 0, 0], 1.0)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3, 3\)"):
        Q.from_rotation_matrix(np.eye(4))
    with pytest.raises(ValueError, match="not a rotation matrix"):
        Q.from_rotation_matrix(np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="4-component"):
        Q.symbolic_hamilton(sympy.Matrix([1, 2, 3]), sympy.Matrix([1, 2, 3, 4]))
