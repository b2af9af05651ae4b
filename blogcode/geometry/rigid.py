"""Rigid-body (Euclidean) transforms: SO(3), SE(3) and homogeneous coordinates.

Glossary (the symbols of 《视觉SLAM十四讲》 chapter 3):

* ``R`` a rotation matrix, ``R in SO(3) = {R : R^T R = I, det R = 1}``
  (:func:`is_rotation`);
* ``t`` a translation, ``T = [[R, t], [0^T, 1]] in SE(3)`` a 4x4 transform
  (:func:`make_T`, :func:`split_T`) acting on homogeneous points ``[a; 1]``;
* subscripts read "frame 1 from frame 2": ``a_1 = R_12 a_2 + t_12``, i.e.
  ``T_12`` maps coordinates in frame 2 to coordinates in frame 1;
  ``T_w1`` maps frame 1 to the world frame ``w``;
* inverse ``T^{-1} = [[R^T, -R^T t], [0^T, 1]]`` (:func:`invert_T`), so
  ``t_21 = -R_21 t_12`` with ``R_21 = R_12^T`` -- in general *not* ``-t_12``;
* composition ``T_1 T_2 = [[R_1 R_2, R_1 t_2 + t_1], [0^T, 1]]``, not commutative;
  ``T_12 = T_w1^{-1} T_w2`` (:func:`relative`).

Arrays broadcast over leading axes; everything is float64.

Example::

    >>> import numpy as np
    >>> T = make_T(np.eye(3), [1.0, 2.0, 3.0])
    >>> transform_points(invert_T(T), [1.0, 2.0, 3.0])
    array([0., 0., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from ._arrays import real_array

__all__ = [
    "compose",
    "invert_T",
    "is_rotation",
    "is_transform",
    "orthogonality_tangent",
    "latex_block",
    "make_T",
    "random_rotation",
    "random_transform",
    "relative",
    "split_T",
    "symbolic_compose",
    "symbolic_inverse_check",
    "to_homogeneous",
    "from_homogeneous",
    "transform_points",
]


def _real(a: Any, name: str) -> np.ndarray:
    return real_array(a, name)


def _mat(a: Any, n: int, name: str) -> np.ndarray:
    arr = _real(a, name)
    if arr.ndim < 2 or arr.shape[-2:] != (n, n):
        raise ValueError(f"{name}: expected shape (..., {n}, {n}), got shape {arr.shape}")
    return arr


def _vec3(a: Any, name: str) -> np.ndarray:
    arr = _real(a, name)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name}: expected shape (..., 3), got shape {arr.shape}")
    return arr


# ----------------------------------------------------------------------------- SO(3)


def is_rotation(R: Any, tol: float = 1e-9) -> bool:
    """True iff every matrix in ``R`` (shape ``(..., 3, 3)``) is in SO(3) to ``tol``.

    Checks ``max |R^T R - I| <= tol`` and ``|det R - 1| <= tol``.  A reflection
    (orthogonal with ``det R = -1``) is not a rotation.  Wrong shapes raise.
    """
    R = _mat(R, 3, "R")
    if not tol >= 0:
        raise ValueError(f"is_rotation: tol must be >= 0, got {tol!r}")
    gram = np.swapaxes(R, -1, -2) @ R
    ortho = np.max(np.abs(gram - np.eye(3))) <= tol
    return bool(ortho and np.max(np.abs(np.linalg.det(R) - 1.0)) <= tol)


def random_rotation(
    size: int | tuple[int, ...] | None = None, *, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Uniformly distributed rotation matrices (shape ``size + (3, 3)``), seeded.

    Draws a standard normal 4-vector ``[s, x, y, z]`` (its direction is uniform on
    the 3-sphere, i.e. a uniform unit quaternion) and returns the matrix of
    ``v -> q v q*`` for ``q`` normalised.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shape = () if size is None else ((size,) if isinstance(size, int) else tuple(size))
    q = rng.standard_normal(shape + (4,))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    s, x, y, z = np.moveaxis(q, -1, 0)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - s * z), 2 * (x * z + s * y)],
        [2 * (x * y + s * z), 1 - 2 * (x * x + z * z), 2 * (y * z - s * x)],
        [2 * (x * z - s * y), 2 * (y * z + s * x), 1 - 2 * (x * x + y * y)],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def orthogonality_tangent(R: Any, tol: float = 1e-10) -> tuple[int, np.ndarray]:
    """Rank of the constraint ``R^T R = I`` at ``R`` and the directions it leaves free.

    The differential of ``R -> R^T R`` is ``dR -> dR^T R + R^T dR``; its value is a
    symmetric matrix, so it has at most 6 independent components.  Returns
    ``(rank, null)`` where ``rank`` is the rank of this linear map on the 9 entries
    of ``dR`` (6 at every rotation) and ``null`` (shape ``(9 - rank, 3, 3)``) is an
    orthonormal basis of the directions ``dR`` that keep ``R`` orthogonal to first
    order: the 3 degrees of freedom of a rotation.  Each satisfies
    ``R^T dR`` skew-symmetric.
    """
    R = _mat(R, 3, "R")
    if R.shape != (3, 3):
        raise ValueError(f"orthogonality_tangent: expected one (3, 3) matrix, got {R.shape}")
    iu = np.triu_indices(3)
    cols = []
    for k in range(9):
        dR = np.zeros(9)
        dR[k] = 1.0
        dR = dR.reshape(3, 3)
        cols.append((dR.T @ R + R.T @ dR)[iu])
    J = np.stack(cols, axis=1)  # (6, 9)
    _, sv, vt = np.linalg.svd(J)
    rank = int(np.sum(sv > tol * max(1.0, sv[0])))
    return rank, vt[rank:].reshape(-1, 3, 3)


# ----------------------------------------------------------------------------- SE(3)


def make_T(R: Any, t: Any, *, check: bool = True, tol: float = 1e-6) -> np.ndarray:
    """``T = [[R, t], [0, 0, 0, 1]]`` (shape ``(..., 4, 4)``).

    With ``check`` (default) ``R`` must be a rotation to ``tol``; leading axes of
    ``R`` and ``t`` broadcast.
    """
    R = _mat(R, 3, "R")
    t = _vec3(t, "t")
    if check and not is_rotation(R, tol):
        raise ValueError("make_T: R is not a rotation matrix (need R^T R = I and det R = 1)")
    shape = np.broadcast_shapes(R.shape[:-2], t.shape[:-1])
    T = np.zeros(shape + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = t
    T[..., 3, 3] = 1.0
    return T


def is_transform(T: Any, tol: float = 1e-9) -> bool:
    """True iff ``T`` is ``[[R, t], [0, 1]]`` with ``R`` in SO(3) (to ``tol``)."""
    T = _mat(T, 4, "T")
    bottom = np.zeros(4)
    bottom[3] = 1.0
    return bool(np.max(np.abs(T[..., 3, :] - bottom)) <= tol and is_rotation(T[..., :3, :3], tol))


def split_T(T: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(R, t)`` of a transform ``T`` (shape ``(..., 4, 4)``); the bottom row is checked."""
    T = _mat(T, 4, "T")
    if not np.allclose(T[..., 3, :], [0.0, 0.0, 0.0, 1.0], atol=1e-9, rtol=0):
        raise ValueError("split_T: bottom row of T must be [0, 0, 0, 1]")
    return T[..., :3, :3].copy(), T[..., :3, 3].copy()


def invert_T(T: Any, *, check: bool = True, tol: float = 1e-6) -> np.ndarray:
    """Closed-form inverse ``[[R^T, -R^T t], [0, 1]]`` -- no general matrix inversion.

    Derivation: ``b = R a + t`` gives ``a = R^T (b - t) = R^T b - R^T t``.
    With ``check`` the block ``R`` must be a rotation to ``tol`` (for any other
    4x4 matrix this formula is wrong).
    """
    R, t = split_T(T)
    if check and not is_rotation(R, tol):
        raise ValueError("invert_T: the 3x3 block of T is not a rotation; use np.linalg.inv")
    Rt = np.swapaxes(R, -1, -2)
    return make_T(Rt, -(Rt @ t[..., None])[..., 0], check=False)


def compose(*Ts: Any) -> np.ndarray:
    """Product ``T_1 T_2 ... T_k`` of transforms (applied right to left)."""
    if not Ts:
        raise ValueError("compose: need at least one transform")
    out = _mat(Ts[0], 4, "T[0]")
    for i, T in enumerate(Ts[1:], start=1):
        out = out @ _mat(T, 4, f"T[{i}]")
    return out


def relative(T_w1: Any, T_w2: Any) -> np.ndarray:
    """``T_12 = T_w1^{-1} T_w2``: the transform taking frame-2 coordinates to frame 1.

    If ``a_w = T_w1 a_1 = T_w2 a_2`` then ``a_1 = T_w1^{-1} T_w2 a_2``.
    """
    return invert_T(T_w1) @ _mat(T_w2, 4, "T_w2")


def to_homogeneous(points: Any) -> np.ndarray:
    """``(..., 3) -> (..., 4)`` by appending a 1."""
    p = _vec3(points, "points")
    return np.concatenate([p, np.ones(p.shape[:-1] + (1,))], axis=-1)


def from_homogeneous(points: Any) -> np.ndarray:
    """``(..., 4) -> (..., 3)`` by dividing by the last coordinate (must be non-zero)."""
    p = _real(points, "points")
    if p.ndim == 0 or p.shape[-1] != 4:
        raise ValueError(f"points: expected shape (..., 4), got shape {p.shape}")
    w = p[..., 3:]
    if np.any(w == 0):
        raise ValueError("from_homogeneous: a point at infinity (last coordinate 0)")
    return p[..., :3] / w


def transform_points(T: Any, points: Any) -> np.ndarray:
    """Apply ``T`` to points of shape ``(..., 3)``: ``R a + t`` via homogeneous coordinates.

    ``T`` is a single ``(4, 4)`` transform (applied to every point) or a stack
    broadcasting with the points' leading axes.
    """
    T = _mat(T, 4, "T")
    h = to_homogeneous(points)
    return from_homogeneous((T @ h[..., None])[..., 0])


# ----------------------------------------------------------------------------- symbolic


def _block_symbols(k: int | None = None) -> tuple[sympy.MatrixSymbol, sympy.MatrixSymbol]:
    sub = "" if k is None else f"_{k}"
    return sympy.MatrixSymbol(f"R{sub}", 3, 3), sympy.MatrixSymbol(f"t{sub}", 3, 1)


def latex_block(B: Any) -> str:
    """LaTeX of a sympy block matrix with the homogeneous-coordinate conventions.

    Each block goes through ``sympy.latex``; a 1x1 identity block is written ``1``, a
    larger identity ``I``,
    a zero row block ``\\mathbf{0}^\\top`` and a zero column block ``\\mathbf{0}``.
    """
    if not isinstance(B, sympy.BlockMatrix):
        raise TypeError(f"latex_block: expected a sympy BlockMatrix, got {type(B).__name__}")
    rows = []
    for i in range(B.blocks.rows):
        cells = []
        for j in range(B.blocks.cols):
            b = B.blocks[i, j]
            if isinstance(b, sympy.Identity) and b.shape == (1, 1):
                cells.append("1")
            elif isinstance(b, sympy.Identity):
                cells.append("I")
            elif isinstance(b, sympy.ZeroMatrix) and b.shape[0] == 1:
                cells.append("\\mathbf{0}^\\top")
            elif isinstance(b, sympy.ZeroMatrix):
                cells.append("\\mathbf{0}")
            else:
                cells.append(sympy.latex(b))
        rows.append(" & ".join(cells))
    return "\\begin{bmatrix}" + " \\\\ ".join(rows) + "\\end{bmatrix}"


def _T_block(R: Any, t: Any) -> sympy.BlockMatrix:
    return sympy.BlockMatrix([[R, t], [sympy.ZeroMatrix(1, 3), sympy.Identity(1)]])


def symbolic_compose() -> dict[str, Any]:
    """Block forms of ``T_1 T_2`` and ``T_2 T_1`` and their difference (sympy objects).

    Returns ``{"T1", "T2", "T1T2", "T2T1", "diff"}``; ``T1T2`` is
    ``[[R_1 R_2, R_1 t_2 + t_1], [0, 1]]``.
    """
    R1, t1 = _block_symbols(1)
    R2, t2 = _block_symbols(2)
    T1, T2 = _T_block(R1, t1), _T_block(R2, t2)
    a = sympy.block_collapse(T1 * T2)
    b = sympy.block_collapse(T2 * T1)
    diff = sympy.BlockMatrix(
        [[a.blocks[0, 0] - b.blocks[0, 0], a.blocks[0, 1] - b.blocks[0, 1]]]
    )
    return {"T1": T1, "T2": T2, "T1T2": a, "T2T1": b, "diff": diff}


def symbolic_inverse_check() -> dict[str, Any]:
    """Symbolic evidence for the closed-form inverse.

    Returns ``{"T", "Tinv", "product", "product_simplified", "explicit_ok"}``:
    ``product`` is ``Tinv * T`` block-collapsed (``[[R^T R, R^T t - R^T t], ...]``),
    ``product_simplified`` substitutes ``R^T R = I`` and is the identity;
    ``explicit_ok`` is True when, for ``R`` the rotation about ``z`` by a symbol
    ``theta`` and a symbolic ``t``, sympy's general ``.inv()`` simplifies to
    the closed form entry by entry.
    """
    R, t = _block_symbols()
    T = _T_block(R, t)
    Tinv = _T_block(R.T, -R.T * t)
    prod = sympy.block_collapse(Tinv * T)
    tl = prod.blocks[0, 0].subs(R.T * R, sympy.Identity(3))
    tr = sympy.simplify(prod.blocks[0, 1])
    simplified = sympy.BlockMatrix([[tl, tr], [prod.blocks[1, 0], prod.blocks[1, 1]]])

    th = sympy.symbols("theta", real=True)
    tx, ty, tz = sympy.symbols("t_x t_y t_z", real=True)
    c, s = sympy.cos(th), sympy.sin(th)
    Rz = sympy.Matrix([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    tv = sympy.Matrix([tx, ty, tz])
    Tz = sympy.Matrix(sympy.BlockMatrix([[Rz, tv], [sympy.zeros(1, 3), sympy.ones(1, 1)]]))
    closed = sympy.Matrix(
        sympy.BlockMatrix([[Rz.T, -Rz.T * tv], [sympy.zeros(1, 3), sympy.ones(1, 1)]])
    )
    explicit_ok = sympy.simplify(Tz.inv() - closed) == sympy.zeros(4, 4)
    return {
        "T": T,
        "Tinv": Tinv,
        "product": prod,
        "product_simplified": simplified,
        "explicit_ok": bool(explicit_ok),
        "Tz": Tz,
        "Tz_inv": closed,
    }


def random_transform(
    size: int | tuple[int, ...] | None = None, *, seed: int = 0, scale: float = 1.0
) -> np.ndarray:
    """Random SE(3) transforms: uniform rotation, translation ``scale * N(0, I)``; seeded."""
    rng = np.random.default_rng(seed)
    R = random_rotation(size, seed=rng)
    t = scale * rng.standard_normal(R.shape[:-2] + (3,))
    return make_T(R, t, check=False)
