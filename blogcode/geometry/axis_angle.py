"""Rotation about an axis in 3D: Rodrigues' formula and its pieces.

Glossary (the post's symbols):

* ``n`` a unit axis, ``theta`` the angle (radians, counter-clockwise when the
  axis points at the viewer), ``v`` the vector being rotated;
* split ``v = v_par + v_perp`` with ``v_par = (n . v) n`` along the axis and
  ``v_perp = v - (n . v) n`` in the plane orthogonal to it (:func:`split`);
* in that plane ``v_perp`` and ``n x v_perp = n x v`` are an orthogonal pair of
  equal length, so rotating ``v_perp`` is the 2D rotation
  ``cos(theta) v_perp + sin(theta) n x v``; ``v_par`` does not move.  Summing:

      v' = cos(theta) v + (1 - cos(theta)) (n . v) n + sin(theta) n x v
                                                     (:func:`rodrigues_rotate`);

* ``[n]_x`` the cross-product (skew) matrix with ``[n]_x v = n x v``
  (:func:`hat`); since ``[n]_x^2 = n n^T - I`` the formula becomes the matrix

      R = I + sin(theta) [n]_x + (1 - cos(theta)) [n]_x^2      (:func:`rodrigues`),

  which is also ``exp(theta [n]_x)`` (:func:`expm_skew_series` sums the series).

Arrays broadcast over leading axes; everything is float64.

Example::

    >>> import numpy as np
    >>> np.round(rodrigues_rotate([1, 0, 0], [0, 0, 1], np.pi / 2), 12)
    array([0., 1., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from ._arrays import real_array

__all__ = [
    "expm_skew_series",
    "hat",
    "rodrigues",
    "rodrigues_rotate",
    "rotate_by_split",
    "split",
    "symbolic_rodrigues",
    "unit_reduce",
    "unit_axis",
    "vee",
]


def _vec(a: Any, name: str) -> np.ndarray:
    return real_array(a, name, 3, "[x, y, z]")


def _angle(theta: Any) -> np.ndarray:
    t = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ValueError("angle: contains NaN or infinity")
    return t


def unit_axis(axis: Any) -> np.ndarray:
    """``axis / |axis|``; raises ``ValueError`` for a zero axis (no rotation axis)."""
    a = _vec(axis, "axis")
    length = np.linalg.norm(a, axis=-1, keepdims=True)
    if np.any(length == 0):
        raise ValueError("axis: the rotation axis must be a non-zero vector")
    return a / length


def hat(w: Any) -> np.ndarray:
    """Cross-product matrix ``[w]_x = [[0, -w3, w2], [w3, 0, -w1], [-w2, w1, 0]]``.

    ``hat(w) @ v == np.cross(w, v)``; shape ``(..., 3, 3)``.  It is skew:
    ``hat(w).T == -hat(w)``.
    """
    w = _vec(w, "w")
    x, y, z = np.moveaxis(w, -1, 0)
    o = np.zeros_like(x)
    rows = [[o, -z, y], [z, o, -x], [-y, x, o]]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def vee(m: Any, *, atol: float = 1e-9) -> np.ndarray:
    """Inverse of :func:`hat`: the vector ``w`` of a skew matrix (checked to ``atol``)."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim < 2 or m.shape[-2:] != (3, 3):
        raise ValueError(f"vee: expected shape (..., 3, 3), got {m.shape}")
    if not np.allclose(m, -np.swapaxes(m, -1, -2), atol=atol, rtol=0):
        raise ValueError("vee: matrix is not skew-symmetric")
    return np.stack([m[..., 2, 1], m[..., 0, 2], m[..., 1, 0]], axis=-1)


def split(v: Any, axis: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(v_par, v_perp)``: the parts of ``v`` along and orthogonal to the unit ``axis``.

    ``v_par = (n . v) n``, ``v_perp = v - v_par``; ``n . v_perp = 0``.
    """
    v = _vec(v, "v")
    n = unit_axis(axis)
    par = np.sum(n * v, axis=-1, keepdims=True) * n
    return par, v - par


def rotate_by_split(v: Any, axis: Any, angle: Any) -> np.ndarray:
    """Rotate ``v`` step by step: keep ``v_par``, turn ``v_perp`` in its plane.

    ``v' = v_par + cos(theta) v_perp + sin(theta) (n x v_perp)``; the derivation
    of Rodrigues' formula written as code (used as a cross-check).
    """
    par, perp = split(v, axis)
    n = unit_axis(axis)
    t = _angle(angle)[..., None]
    return par + np.cos(t) * perp + np.sin(t) * np.cross(n, perp)


def rodrigues_rotate(v: Any, axis: Any, angle: Any) -> np.ndarray:
    """Rodrigues' vector formula ``cos t v + (1 - cos t)(n.v) n + sin t (n x v)``.

    ``v`` and ``axis`` have shape ``(..., 3)`` (the axis need not be unit, only
    non-zero); ``angle`` in radians broadcasts with the leading axes.
    """
    v = _vec(v, "v")
    n = unit_axis(axis)
    t = _angle(angle)[..., None]
    c, s = np.cos(t), np.sin(t)
    return c * v + (1 - c) * np.sum(n * v, axis=-1, keepdims=True) * n + s * np.cross(n, v)


def rodrigues(axis: Any, angle: Any) -> np.ndarray:
    """Rotation matrix ``R = I + sin t [n]_x + (1 - cos t) [n]_x^2`` (shape ``(..., 3, 3)``).

    Equivalently ``cos t I + (1 - cos t) n n^T + sin t [n]_x``.
    """
    n = unit_axis(axis)
    t = _angle(angle)
    shape = np.broadcast_shapes(t.shape, n.shape[:-1])
    n = np.broadcast_to(n, shape + (3,))
    t = np.broadcast_to(t, shape)[..., None, None]
    K = hat(n)
    return np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * (K @ K)


def expm_skew_series(w: Any, terms: int = 40) -> np.ndarray:
    """``exp([w]_x) = sum_k [w]_x^k / k!`` summed term by term (``terms`` terms).

    A plain power series, independent of Rodrigues' closed form; with
    ``w = theta n`` it converges to :func:`rodrigues` ``(n, theta)``.  Meant for
    moderate ``|w|`` (a few units); ``terms`` must be >= 1.
    """
    if int(terms) != terms or terms < 1:
        raise ValueError(f"expm_skew_series: terms must be a positive integer, got {terms!r}")
    K = hat(w)
    out = np.broadcast_to(np.eye(3), K.shape).copy()
    term = out.copy()
    for k in range(1, int(terms)):
        term = term @ K / k
        out = out + term
    return out


def symbolic_rodrigues() -> tuple[sympy.Matrix, tuple[sympy.Symbol, ...]]:
    """Rodrigues' matrix with symbols ``(n1, n2, n3, theta)``, as a sympy Matrix.

    Built from ``I + sin(theta) K + (1 - cos(theta)) K^2`` with ``K = [n]_x`` and
    simplified using ``n1^2 + n2^2 + n3^2 = 1``.
    """
    n1, n2, n3, th = sympy.symbols("n_1 n_2 n_3 theta", real=True)
    K = sympy.Matrix([[0, -n3, n2], [n3, 0, -n1], [-n2, n1, 0]])
    R = sympy.eye(3) + sympy.sin(th) * K + (1 - sympy.cos(th)) * K * K
    # diagonal of K^2 is -(n_j^2 + n_k^2); the unit constraint turns it into n_i^2 - 1
    n = (n1, n2, n3)
    out = sympy.zeros(3, 3)
    for i in range(3):
        for j in range(3):
            e = sympy.expand(R[i, j])
            if i == j:
                a, b = (n[k] for k in range(3) if k != i)
                e = sympy.expand(e.subs(a**2, 1 - n[i] ** 2 - b**2))
            out[i, j] = sympy.collect(e, n[i] * n[j])
    return out, (n1, n2, n3, th)


def unit_reduce(expr: Any, n: tuple[sympy.Symbol, ...], theta: sympy.Symbol) -> Any:
    """Reduce a polynomial in ``n`` and ``cos/sin(theta)`` modulo ``|n|^2 = 1`` and
    ``cos^2 + sin^2 = 1`` (multivariate division; a matrix is reduced entrywise).

    The remainder is 0 exactly when ``expr`` vanishes for every unit ``n`` and
    every ``theta`` (for the polynomials met here); used to check identities
    such as ``R^T R = I`` symbolically.
    """
    if len(n) != 3:
        raise ValueError(f"unit_reduce: expected three axis symbols, got {len(n)}")
    c, s = sympy.Dummy("c"), sympy.Dummy("s")
    rel = [n[0] ** 2 + n[1] ** 2 + n[2] ** 2 - 1, c**2 + s**2 - 1]

    def one(e: Any) -> Any:
        e = sympy.expand(sympy.sympify(e).subs({sympy.cos(theta): c, sympy.sin(theta): s}))
        r = sympy.reduced(e, rel, n[2], n[1], n[0], s, c)[1] if e != 0 else e
        return sympy.expand(r.subs({c: sympy.cos(theta), s: sympy.sin(theta)}))

    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(one)
    return one(expr)
