"""Quaternions, scalar first: ``q = [s, x, y, z] = s + x i + y j + z k``.

Glossary (the posts' symbols):

* ``s`` the real (scalar) part, ``v = (x, y, z)`` the imaginary (vector) part,
  so ``q = [s, v]``;
* ``i^2 = j^2 = k^2 = ijk = -1`` (Hamilton, 1843), hence ``ij = k = -ji``,
  ``jk = i = -kj``, ``ki = j = -ik``;
* product ``[s1, v1][s2, v2] = [s1 s2 - v1.v2, s1 v2 + s2 v1 + v1 x v2]``;
* conjugate ``q* = [s, -v]``, norm ``|q| = sqrt(s^2 + |v|^2)``, inverse ``q* / |q|^2``;
* unit quaternion of a rotation by ``theta`` about the unit axis ``n``:
  ``q = [cos(theta/2), sin(theta/2) n]``, acting on a vector by ``v -> q v q^{-1}``;
* left/right product matrices: ``q_a q_b = L(q_a) q_b = R(q_b) q_a``.

Numeric functions take array-likes whose last axis has length 4 (quaternions) or
3 (vectors), work in float64 and broadcast over the leading axes.  ``symbolic_*``
functions and :func:`mul_table` return sympy objects, used by the posts to derive
formulas at build time.

Example::

    >>> import numpy as np
    >>> q = from_axis_angle([0, 0, 1], np.pi / 2)
    >>> np.round(rotate(q, [1, 0, 0]), 12)
    array([0., 1., 0.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy

from ._arrays import real_array

__all__ = [
    "conj",
    "from_axis_angle",
    "from_rotation_matrix",
    "from_rotation_matrix_trace",
    "hamilton",
    "hamilton_sv",
    "inverse",
    "left_matrix",
    "mul_table",
    "nlerp",
    "norm",
    "normalize",
    "right_matrix",
    "rotate",
    "rotation_angle_between",
    "slerp",
    "symbolic_conj",
    "symbolic_hamilton",
    "symbolic_left_matrix",
    "symbolic_norm2",
    "symbolic_product_components",
    "symbolic_quaternion",
    "symbolic_right_matrix",
    "symbolic_rotation_matrix",
    "three_square_representations",
    "to_axis_angle",
    "to_rotation_matrix",
    "triplet_left_i",
    "unit_product",
]


# ----------------------------------------------------------------------------- validation


def _quat(q: Any, name: str = "q") -> np.ndarray:
    return real_array(q, name, 4, "[s, x, y, z]")


def _vec(v: Any, name: str = "v") -> np.ndarray:
    return real_array(v, name, 3, "[x, y, z]")


# ----------------------------------------------------------------------------- algebra


def hamilton(p: Any, q: Any) -> np.ndarray:
    """Hamilton product ``p q`` written out in components.

    With ``p = s1 + x1 i + y1 j + z1 k`` and ``q = s2 + x2 i + y2 j + z2 k``,
    expanding with the table ``ij = k, jk = i, ki = j`` (and the opposite signs
    for the reversed products, ``i^2 = j^2 = k^2 = -1``)::

        s = s1 s2 - x1 x2 - y1 y2 - z1 z2
        x = s1 x2 + x1 s2 + y1 z2 - z1 y2
        y = s1 y2 - x1 z2 + y1 s2 + z1 x2
        z = s1 z2 + x1 y2 - y1 x2 + z1 s2

    Shapes ``(..., 4)`` broadcast against each other.
    """
    p, q = _quat(p, "p"), _quat(q, "q")
    s1, x1, y1, z1 = np.moveaxis(p, -1, 0)
    s2, x2, y2, z2 = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            s1 * s2 - x1 * x2 - y1 * y2 - z1 * z2,
            s1 * x2 + x1 * s2 + y1 * z2 - z1 * y2,
            s1 * y2 - x1 * z2 + y1 * s2 + z1 * x2,
            s1 * z2 + x1 * y2 - y1 * x2 + z1 * s2,
        ],
        axis=-1,
    )


def hamilton_sv(p: Any, q: Any) -> np.ndarray:
    """Hamilton product in scalar-vector form:
    ``[s1, v1][s2, v2] = [s1 s2 - v1.v2, s1 v2 + s2 v1 + v1 x v2]``."""
    p, q = _quat(p, "p"), _quat(q, "q")
    s1, v1 = p[..., 0], p[..., 1:]
    s2, v2 = q[..., 0], q[..., 1:]
    s = s1 * s2 - np.sum(v1 * v2, axis=-1)
    v = s1[..., None] * v2 + s2[..., None] * v1 + np.cross(v1, v2)
    return np.concatenate([s[..., None], v], axis=-1)


def conj(q: Any) -> np.ndarray:
    """Conjugate ``q* = [s, -v]``."""
    q = _quat(q)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def norm(q: Any) -> np.ndarray:
    """Norm ``|q| = sqrt(s^2 + x^2 + y^2 + z^2)`` (shape ``q.shape[:-1]``)."""
    q = _quat(q)
    return np.sqrt(np.sum(q * q, axis=-1))


def normalize(q: Any) -> np.ndarray:
    """``q / |q|``; raises ``ValueError`` for a zero quaternion."""
    q = _quat(q)
    n = norm(q)
    if np.any(n == 0):
        raise ValueError("normalize: the zero quaternion has no direction")
    return q / n[..., None]


def inverse(q: Any) -> np.ndarray:
    """Inverse ``q^{-1} = q* / |q|^2``, so that ``q q^{-1} = q^{-1} q = 1``.

    Raises ``ValueError`` for the zero quaternion (the only one without inverse).
    """
    q = _quat(q)
    n2 = np.sum(q * q, axis=-1)
    if np.any(n2 == 0):
        raise ValueError("inverse: the zero quaternion has no inverse")
    return conj(q) / n2[..., None]


# ----------------------------------------------------------------------------- axis-angle


def from_axis_angle(axis: Any, angle: Any) -> np.ndarray:
    """Unit quaternion ``[cos(angle/2), sin(angle/2) n]`` with ``n = axis / |axis|``.

    ``axis`` has shape ``(..., 3)`` and must be non-zero; ``angle`` (radians)
    broadcasts with ``axis.shape[:-1]``.
    """
    axis = _vec(axis, "axis")
    angle = np.asarray(angle, dtype=np.float64)
    if not np.all(np.isfinite(angle)):
        raise ValueError("from_axis_angle: angle contains NaN or infinity")
    length = np.linalg.norm(axis, axis=-1)
    if np.any(length == 0):
        raise ValueError("from_axis_angle: the rotation axis must be a non-zero vector")
    n = axis / length[..., None]
    half = angle / 2.0
    shape = np.broadcast_shapes(half.shape, n.shape[:-1])
    s = np.broadcast_to(np.cos(half), shape)[..., None]
    v = np.broadcast_to(np.sin(half)[..., None] * n, shape + (3,))
    return np.concatenate([s, v], axis=-1)


def to_axis_angle(q: Any) -> tuple[np.ndarray, np.ndarray]:
    """Axis and angle of a non-zero quaternion: ``angle = 2 atan2(|v|, s)`` in ``[0, 2 pi]``.

    ``q`` is normalised first.  The axis is ``v / |v|``; when ``v = 0`` (the
    identity or its negative) the axis is undefined and ``[1, 0, 0]`` is returned.
    ``from_axis_angle(*to_axis_angle(q))`` gives back ``q / |q|``.
    """
    q = normalize(q)
    v = q[..., 1:]
    vn = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(vn, q[..., 0])
    safe = np.where(vn > 0, vn, 1.0)
    axis = np.where((vn > 0)[..., None], v / safe[..., None], np.array([1.0, 0.0, 0.0]))
    return axis, angle


# ----------------------------------------------------------------------------- matrices


def left_matrix(q: Any) -> np.ndarray:
    """``L(q)`` with ``q p = L(q) p`` (``p`` as a column ``[s, x, y, z]``)::

    [[s, -x, -y, -z],
     [x,  s, -z,  y],
     [y,  z,  s, -x],
     [z, -y,  x,  s]]
    """
    q = _quat(q)
    s, x, y, z = np.moveaxis(q, -1, 0)
    rows = [
        [s, -x, -y, -z],
        [x, s, -z, y],
        [y, z, s, -x],
        [z, -y, x, s],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def right_matrix(q: Any) -> np.ndarray:
    """``R(q)`` with ``p q = R(q) p``::

        [[s, -x, -y, -z],
         [x,  s,  z, -y],
         [y, -z,  s,  x],
         [z,  y, -x,  s]]

    It differs from :func:`left_matrix` by the transpose of the lower-right 3x3
    block (the cross product changes sign when the factors are swapped).
    """
    q = _quat(q)
    s, x, y, z = np.moveaxis(q, -1, 0)
    rows = [
        [s, -x, -y, -z],
        [x, s, z, -y],
        [y, -z, s, x],
        [z, y, -x, s],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def rotate(q: Any, v: Any) -> np.ndarray:
    """Rotate vectors: the vector part of ``q [0, v] q^{-1}``.

    ``q`` need not be unit (any non-zero ``q``: its length cancels between
    ``q`` and ``q^{-1}``); shapes ``(..., 4)`` and ``(..., 3)`` broadcast.
    """
    q = _quat(q)
    v = _vec(v)
    pure = np.concatenate([np.zeros(v.shape[:-1] + (1,)), v], axis=-1)
    return hamilton(hamilton(q, pure), inverse(q))[..., 1:]


def to_rotation_matrix(q: Any) -> np.ndarray:
    """3x3 matrix of ``v -> q v q^{-1}`` for any non-zero ``q`` (shape ``(..., 3, 3)``).

    With ``n = s^2 + x^2 + y^2 + z^2`` it is ``1/n`` times::

        [[s²+x²-y²-z², 2(xy - sz),   2(xz + sy)],
         [2(xy + sz),   s²-x²+y²-z², 2(yz - sx)],
         [2(xz - sy),   2(yz + sx),   s²-x²-y²+z²]]

    which for a unit ``q`` is the familiar ``1 - 2(y²+z²)`` ... form.
    """
    q = _quat(q)
    n = np.sum(q * q, axis=-1)
    if np.any(n == 0):
        raise ValueError("to_rotation_matrix: the zero quaternion is not a rotation")
    s, x, y, z = np.moveaxis(q, -1, 0)
    rows = [
        [s * s + x * x - y * y - z * z, 2 * (x * y - s * z), 2 * (x * z + s * y)],
        [2 * (x * y + s * z), s * s - x * x + y * y - z * z, 2 * (y * z - s * x)],
        [2 * (x * z - s * y), 2 * (y * z + s * x), s * s - x * x - y * y + z * z],
    ]
    m = np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)
    return m / n[..., None, None]


def _as_rotation(R: Any, check: bool, atol: float, name: str) -> np.ndarray:
    try:
        R = np.asarray(R)
    except Exception as exc:  # pragma: no cover
        raise TypeError(f"{name}: cannot convert to an array") from exc
    if R.dtype == object or np.iscomplexobj(R) or not np.issubdtype(R.dtype, np.number):
        raise TypeError(f"{name}: expected a real array, got dtype {R.dtype}")
    if R.ndim < 2 or R.shape[-2:] != (3, 3):
        raise ValueError(f"{name}: expected shape (..., 3, 3), got shape {R.shape}")
    R = R.astype(np.float64, copy=False)
    if not np.all(np.isfinite(R)):
        raise ValueError(f"{name}: contains NaN or infinity")
    if check:
        err = np.abs(np.swapaxes(R, -1, -2) @ R - np.eye(3)).max(initial=0.0)
        det = np.linalg.det(R)
        if err > atol or np.any(np.abs(det - 1.0) > atol):
            raise ValueError(
                f"{name}: not a rotation matrix (max |R^T R - I| = {err:.3g}, "
                f"det range [{np.min(det):.3g}, {np.max(det):.3g}]); pass check=False to skip"
            )
    return R


def from_rotation_matrix(R: Any, *, check: bool = True, atol: float = 1e-6) -> np.ndarray:
    """Unit quaternion (with ``s >= 0``) of a rotation matrix, by Shepperd's method.

    The four quantities ``4s² = 1 + tr R``, ``4x² = 1 + 2R₀₀ - tr R``,
    ``4y² = 1 + 2R₁₁ - tr R``, ``4z² = 1 + 2R₂₂ - tr R`` sum to 4, so the
    largest is at least 1.  The component it belongs to is taken from its square
    root and the other three from the off-diagonal sums/differences
    (``4sx = R₂₁ - R₁₂``, ``4xy = R₁₀ + R₀₁``, ...) divided by it: no division by
    a small number, accurate for every angle including ``pi``.

    ``check`` raises ``ValueError`` when ``R`` is not orthogonal with det 1
    within ``atol``.  Shapes ``(..., 3, 3)`` -> ``(..., 4)``.
    """
    R = _as_rotation(R, check, atol, "from_rotation_matrix")
    r00, r11, r22 = R[..., 0, 0], R[..., 1, 1], R[..., 2, 2]
    tr = r00 + r11 + r22
    # Squares times 4 of (s, x, y, z):
    cand = np.stack([1 + tr, 1 + 2 * r00 - tr, 1 + 2 * r11 - tr, 1 + 2 * r22 - tr], axis=-1)
    k = np.argmax(cand, axis=-1)
    d = np.sqrt(np.maximum(np.take_along_axis(cand, k[..., None], axis=-1)[..., 0], 0.0))
    # Products times 4: sx, sy, sz, xy, xz, yz.
    sx = R[..., 2, 1] - R[..., 1, 2]
    sy = R[..., 0, 2] - R[..., 2, 0]
    sz = R[..., 1, 0] - R[..., 0, 1]
    xy = R[..., 1, 0] + R[..., 0, 1]
    xz = R[..., 0, 2] + R[..., 2, 0]
    yz = R[..., 2, 1] + R[..., 1, 2]
    # For branch k, the 4-vector 4 q_k q equals (up to the diagonal entry d^2):
    branches = np.stack(
        [
            np.stack([d * d, sx, sy, sz], axis=-1),
            np.stack([sx, d * d, xy, xz], axis=-1),
            np.stack([sy, xy, d * d, yz], axis=-1),
            np.stack([sz, xz, yz, d * d], axis=-1),
        ],
        axis=-2,
    )
    four_qk_q = np.take_along_axis(branches, k[..., None, None], axis=-2)[..., 0, :]
    q = four_qk_q / (2.0 * d[..., None])  # 4 q_k q / (2 * 2 q_k) = q, since d = 2|q_k|
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def from_rotation_matrix_trace(R: Any) -> np.ndarray:
    """The naive conversion: ``s = sqrt(1 + tr R) / 2``, ``x = (R₂₁ - R₁₂) / (4s)``, ...

    Kept as the counterexample of the posts: it divides by ``4s``, which goes to
    zero as the rotation angle approaches ``pi``; it fails (division by zero) at
    exactly ``pi``.  Use :func:`from_rotation_matrix`.
    """
    R = _as_rotation(R, False, 0.0, "from_rotation_matrix_trace")
    tr = R[..., 0, 0] + R[..., 1, 1] + R[..., 2, 2]
    s = 0.5 * np.sqrt(np.maximum(1.0 + tr, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (R[..., 2, 1] - R[..., 1, 2]) / (4 * s)
        y = (R[..., 0, 2] - R[..., 2, 0]) / (4 * s)
        z = (R[..., 1, 0] - R[..., 0, 1]) / (4 * s)
    return np.stack([s, x, y, z], axis=-1)


# ----------------------------------------------------------------------------- interpolation


def rotation_angle_between(p: Any, q: Any) -> np.ndarray:
    """Angle in ``[0, pi]`` of the rotation taking ``p`` to ``q`` (unit quaternions):
    ``2 acos |s|`` for ``[s, v] = p* q``, computed stably as ``2 atan2(|v|, |s|)``."""
    p, q = normalize(p), normalize(q)
    d = hamilton(conj(p), q)
    return 2.0 * np.arctan2(np.linalg.norm(d[..., 1:], axis=-1), np.abs(d[..., 0]))


def slerp(q0: Any, q1: Any, t: Any, *, shortest: bool = True) -> np.ndarray:
    """Spherical linear interpolation of unit quaternions.

    ``slerp(q0, q1, t) = sin((1-t) W)/sin W q0 + sin(t W)/sin W q1`` with
    ``cos W = <q0, q1>``: the great-circle arc of the unit sphere in R^4, run at
    constant speed, so the rotation angle from ``q0`` grows linearly in ``t``.
    With ``shortest`` (default) ``q1`` is replaced by ``-q1`` when ``<q0, q1> < 0``
    (the same rotation, the shorter arc).  Inputs are normalised; ``t`` broadcasts
    with the leading axes of ``q0`` and ``q1``.  For ``W`` below 1e-8 the
    normalised linear interpolation is returned (identical to rounding).
    """
    q0, q1 = normalize(q0), normalize(q1)
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ValueError("slerp: t contains NaN or infinity")
    t = t[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    if shortest:
        q1 = np.where(dot < 0, -q1, q1)
        dot = np.abs(dot)
    # Stable angle between the two unit 4-vectors.
    omega = 2.0 * np.arctan2(
        np.linalg.norm(q1 - q0, axis=-1, keepdims=True),
        np.linalg.norm(q1 + q0, axis=-1, keepdims=True),
    )
    small = omega < 1e-8
    so = np.where(small, 1.0, np.sin(omega))
    a = np.where(small, 1.0 - t, np.sin((1.0 - t) * omega) / so)
    b = np.where(small, t, np.sin(t * omega) / so)
    out = a * q0 + b * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def nlerp(q0: Any, q1: Any, t: Any, *, shortest: bool = True) -> np.ndarray:
    """Normalised linear interpolation ``((1-t) q0 + t q1) / |...|`` (same arc as
    :func:`slerp`, but not at constant speed)."""
    q0, q1 = normalize(q0), normalize(q1)
    t = np.asarray(t, dtype=np.float64)[..., None]
    if shortest:
        q1 = np.where(np.sum(q0 * q1, axis=-1, keepdims=True) < 0, -q1, q1)
    out = (1.0 - t) * q0 + t * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- symbolic


def symbolic_quaternion(name: str = "") -> sympy.Matrix:
    """Column ``[s, x, y, z]`` of real sympy symbols, subscripted by ``name`` if given."""
    if not isinstance(name, str):
        raise TypeError("symbolic_quaternion: name must be a string")
    sub = f"_{{{name}}}" if name else ""
    return sympy.Matrix(sympy.symbols(f"s{sub} x{sub} y{sub} z{sub}", real=True))


def _sym4(q: Any, name: str) -> sympy.Matrix:
    m = sympy.Matrix(q)
    if m.shape != (4, 1):
        raise ValueError(f"{name}: expected a 4-component column, got shape {m.shape}")
    return m


def symbolic_hamilton(p: Any, q: Any) -> sympy.Matrix:
    """Symbolic Hamilton product in scalar-vector form (columns of 4 entries)."""
    p, q = _sym4(p, "p"), _sym4(q, "q")
    s1, v1 = p[0], p[1:, 0]
    s2, v2 = q[0], q[1:, 0]
    s = s1 * s2 - v1.dot(v2)
    v = s1 * v2 + s2 * v1 + v1.cross(v2)
    return sympy.Matrix([sympy.expand(s), *[sympy.expand(c) for c in v]])


def symbolic_conj(q: Any) -> sympy.Matrix:
    """Symbolic conjugate ``[s, -v]``."""
    q = _sym4(q, "q")
    return sympy.Matrix([q[0], -q[1], -q[2], -q[3]])


def symbolic_norm2(q: Any) -> sympy.Expr:
    """Symbolic squared norm ``s^2 + x^2 + y^2 + z^2``."""
    q = _sym4(q, "q")
    return sum(c**2 for c in q)


def _product_matrix(q: Any, side: str) -> sympy.Matrix:
    """Matrix of ``p -> q p`` (side='left') or ``p -> p q`` (side='right'),
    obtained by differentiating the symbolic product with respect to ``p``."""
    q = _sym4(q, "q")
    p = symbolic_quaternion("dummy")
    prod = symbolic_hamilton(q, p) if side == "left" else symbolic_hamilton(p, q)
    return prod.jacobian(p)


def symbolic_left_matrix(q: Any) -> sympy.Matrix:
    """``L(q)``: the Jacobian of ``q p`` in ``p`` (the product is linear in ``p``)."""
    return _product_matrix(q, "left")


def symbolic_right_matrix(q: Any) -> sympy.Matrix:
    """``R(q)``: the Jacobian of ``p q`` in ``p``."""
    return _product_matrix(q, "right")


def symbolic_rotation_matrix(unit: bool = True) -> tuple[sympy.Matrix, sympy.Matrix]:
    """``R(p^{-1}) L(p)`` for ``p = [s, x, y, z]``, computed by sympy.

    Returns ``(M, p)`` with ``M`` the 4x4 matrix of ``v -> p v p^{-1}``.  With
    ``unit=True`` ``p^{-1} = p*`` and ``s^2`` is replaced by
    ``1 - x^2 - y^2 - z^2`` in the diagonal (the unit-norm constraint); with
    ``unit=False`` the general ``p^{-1} = p* / |p|^2`` is used and ``M`` is
    simplified.
    """
    p = symbolic_quaternion()
    s, x, y, z = p
    n2 = symbolic_norm2(p)
    pinv = symbolic_conj(p) if unit else symbolic_conj(p) / n2
    M = (symbolic_right_matrix(pinv) * symbolic_left_matrix(p)).applyfunc(sympy.expand)
    if unit:
        M = M.applyfunc(lambda e: _tidy(sympy.expand(e.subs(s**2, 1 - x**2 - y**2 - z**2))))
    else:
        M = M.applyfunc(sympy.factor)
    return M, p


def _tidy(e: sympy.Expr) -> sympy.Expr:
    """``c + factor(e - c)`` for the constant term ``c``: ``1 - 2 (y^2 + z^2)``."""
    const, rest = sympy.expand(e).as_coeff_Add()
    if rest == 0:
        return const
    return const + sympy.factor(rest) if const != 0 else sympy.factor(rest)


_UNITS = sympy.symbols("1 i j k", commutative=False)


def unit_product(a: int, b: int) -> tuple[int, int]:
    """Product of basis units ``e_a e_b`` (``e_0 = 1, e_1 = i, e_2 = j, e_3 = k``)
    as ``(sign, index)``, straight from the defining relations.

    ``1`` is the unit; ``e_a^2 = -1`` for ``a = 1, 2, 3``; for distinct imaginary
    units ``e_a e_b = eps_{abc} e_c`` with the Levi-Civita symbol, i.e. ``ij = k``,
    ``jk = i``, ``ki = j`` and the reversed products negated.
    """
    for name, val in (("a", a), ("b", b)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or not 0 <= val <= 3:
            raise ValueError(f"unit_product: {name} must be an int in 0..3, got {val!r}")
    if a == 0:
        return 1, int(b)
    if b == 0:
        return 1, int(a)
    if a == b:
        return -1, 0
    c = 6 - a - b
    return int(sympy.LeviCivita(a, b, c)), c


def mul_table() -> sympy.Matrix:
    """The 4x4 table of products of the units ``1, i, j, k`` (row times column),
    as expressions in non-commutative sympy symbols, from :func:`unit_product`."""
    rows = []
    for a in range(4):
        row = []
        for b in range(4):
            sign, idx = unit_product(a, b)
            row.append(sign * (sympy.Integer(1) if idx == 0 else _UNITS[idx]))
        rows.append(row)
    return sympy.Matrix(rows)


def symbolic_product_components(p: Any, q: Any) -> sympy.Matrix:
    """``p q`` by distributing ``(sum_a p_a e_a)(sum_b q_b e_b)`` over the sixteen
    unit products of :func:`unit_product` (the component formula)."""
    p, q = _sym4(p, "p"), _sym4(q, "q")
    out = [sympy.Integer(0)] * 4
    for a in range(4):
        for b in range(4):
            sign, idx = unit_product(a, b)
            out[idx] += sign * p[a] * q[b]
    return sympy.Matrix([sympy.expand(c) for c in out])


# ----------------------------------------------------------------------------- 3D fails


def triplet_left_i(a: Any, b: Any, c: Any) -> sympy.Matrix:
    """Matrix of ``u -> i u`` on a would-be algebra of triplets ``p + q i + r j``.

    Assume a unit 1, bilinearity, ``i^2 = -1`` and ``ij = a + b i + c j`` (the
    product has to land somewhere in the 3D space).  In the basis ``(1, i, j)``
    the columns are ``i 1 = i``, ``i i = -1``, ``i j = a + b i + c j``.
    """
    a, b, c = (sympy.sympify(t) for t in (a, b, c))
    return sympy.Matrix([[0, -1, a], [1, 0, b], [0, 0, c]])


def three_square_representations(n: int) -> list[tuple[int, int, int]]:
    """All ``(a, b, c)`` with ``0 <= a <= b <= c`` and ``a^2 + b^2 + c^2 = n`` (brute force)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"three_square_representations: n must be a non-negative int, got {n!r}")
    n = int(n)
    out = []
    m = int(math.isqrt(n))
    for a in range(m + 1):
        for b in range(a, m + 1):
            c2 = n - a * a - b * b
            if c2 < b * b:
                break
            c = int(math.isqrt(c2))
            if c * c == c2:
                out.append((a, b, c))
    return out
