"""Complex numbers as plane rotations-with-scaling.

Glossary (the post's symbols):

* ``z = a + b i`` acts on ``w = c + d i`` by multiplication; as a matrix on the
  column ``[c, d]`` this is ``M(z) = [[a, -b], [b, a]]`` (:func:`as_matrix`);
* ``k = |z| = sqrt(a^2 + b^2)`` the modulus (the scaling), and
  ``theta = atan2(b, a)`` the argument (the counter-clockwise rotation angle,
  :func:`rotation_angle`) in ``(-pi, pi]``;
* polar decomposition ``M(z) = k R(theta)`` with
  ``R(theta) = [[cos, -sin], [sin, cos]]`` (:func:`polar`).

Note ``theta`` is ``atan2(b, a)``, not ``arctan(a / b)``: for ``1 + sqrt(3) i``
the angle is 60 degrees, while ``arctan(1 / sqrt(3))`` is 30 degrees.

Inputs are Python/numpy complex scalars or arrays (or real arrays, read as
``b = 0``); points are real arrays of shape ``(..., 2)``.  Everything is float64.

Example::

    >>> import numpy as np
    >>> round(float(np.degrees(rotation_angle(1 + np.sqrt(3) * 1j))), 9)
    60.0
    >>> as_matrix(2j)
    array([[ 0., -2.],
           [ 2.,  0.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import real_array

__all__ = [
    "as_matrix",
    "from_matrix",
    "polar",
    "rotate2d",
    "rotation_angle",
    "rotation_matrix2d",
    "scale_rotate_points",
]


def _as_complex(z: Any, name: str = "z") -> np.ndarray:
    try:
        arr = np.asarray(z)
    except Exception as exc:  # pragma: no cover - numpy raises many things
        raise TypeError(f"{name}: cannot convert {type(z).__name__} to an array") from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected (complex) numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.complex128, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr


def _as_points(p: Any, name: str = "points") -> np.ndarray:
    return real_array(p, name, 2, "[x, y]")


def as_matrix(z: Any) -> np.ndarray:
    """The real 2x2 matrix of ``w -> z w``: ``[[a, -b], [b, a]]`` for ``z = a + b i``.

    ``z`` may be an array; the result has shape ``z.shape + (2, 2)``.  Because
    ``(a + bi)(c + di) = (ac - bd) + (ad + bc) i``, ``as_matrix(z) @ [c, d]`` is
    the real/imaginary pair of ``z w``, and ``as_matrix(z1 z2) ==
    as_matrix(z1) @ as_matrix(z2)``.
    """
    z = _as_complex(z)
    a, b = z.real, z.imag
    return np.stack([np.stack([a, -b], axis=-1), np.stack([b, a], axis=-1)], axis=-2)


def from_matrix(m: Any, *, atol: float = 1e-12) -> np.ndarray:
    """Inverse of :func:`as_matrix`: ``[[a, -b], [b, a]] -> a + b i``.

    Raises ``ValueError`` if ``m`` is not of that form (``m[0,0] != m[1,1]`` or
    ``m[0,1] != -m[1,0]`` beyond ``atol``): such a matrix is not multiplication
    by a complex number.
    """
    m = np.asarray(m, dtype=np.float64)
    if m.ndim < 2 or m.shape[-2:] != (2, 2):
        raise ValueError(f"from_matrix: expected shape (..., 2, 2), got {m.shape}")
    if not (np.allclose(m[..., 0, 0], m[..., 1, 1], atol=atol, rtol=0)
            and np.allclose(m[..., 0, 1], -m[..., 1, 0], atol=atol, rtol=0)):
        raise ValueError("from_matrix: matrix is not of the form [[a, -b], [b, a]]")
    return m[..., 0, 0] + 1j * m[..., 1, 0]


def rotation_angle(z: Any) -> np.ndarray:
    """Counter-clockwise angle of ``z = a + b i``: ``atan2(b, a)`` in ``(-pi, pi]`` radians.

    This is the angle of the rotation performed by ``w -> z w``.  It is *not*
    ``arctan(a / b)`` (which swaps the roles of the two parts) nor even
    ``arctan(b / a)`` (which loses the quadrant: ``-1 - i`` and ``1 + i`` have
    the same ratio).  ``z = 0`` has no angle and raises ``ValueError``.
    """
    z = _as_complex(z)
    if np.any(z == 0):
        raise ValueError("rotation_angle: z = 0 has no argument (it is not a rotation)")
    return np.arctan2(z.imag, z.real)


def rotation_matrix2d(theta: Any) -> np.ndarray:
    """``R(theta) = [[cos theta, -sin theta], [sin theta, cos theta]]``, shape ``(..., 2, 2)``."""
    t = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ValueError("rotation_matrix2d: theta contains NaN or infinity")
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)


def polar(z: Any) -> tuple[np.ndarray, np.ndarray]:
    """Polar decomposition ``z = k e^{i theta}``: returns ``(k, theta)``.

    ``k = |z| >= 0`` and ``theta = atan2(b, a)``, so that
    ``as_matrix(z) == k * rotation_matrix2d(theta)``: multiplication by ``z``
    is a rotation by ``theta`` followed by a scaling by ``k`` (the two commute).
    Raises ``ValueError`` for ``z = 0``.
    """
    z = _as_complex(z)
    return np.abs(z), rotation_angle(z)


def rotate2d(points: Any, theta: Any) -> np.ndarray:
    """Rotate points ``(..., 2)`` counter-clockwise by ``theta`` radians about the origin.

    Computed as multiplication by ``e^{i theta}`` on ``x + y i``.
    """
    p = _as_points(points)
    t = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ValueError("rotate2d: theta contains NaN or infinity")
    w = (p[..., 0] + 1j * p[..., 1]) * np.exp(1j * t)
    return np.stack([w.real, w.imag], axis=-1)


def scale_rotate_points(points: Any, z: Any) -> np.ndarray:
    """Multiply every point ``x + y i`` of ``points`` (shape ``(..., 2)``) by ``z``.

    Returns the images as ``(..., 2)`` real pairs: a rotation by ``atan2(b, a)``
    and a scaling by ``|z|``.
    """
    p = _as_points(points)
    z = _as_complex(z)
    w = (p[..., 0] + 1j * p[..., 1]) * z
    return np.stack([w.real, w.imag], axis=-1)
