"""HiPPO matrices: online projection of a signal's history onto polynomials.

Conventions (the post "重温SSM（一）" derives all of them):

* ``N``  -- number of coefficients kept (the state size); indices ``n, k = 0..N-1``.
* ``s``  -- the basis variable, ``s in [-1, 1]`` for Legendre, ``s in [0, 1]`` for Fourier.
* ``g_n(s) = sqrt((2n+1)/2) P_n(s)`` -- Legendre polynomials normalised so that
  ``int_{-1}^{1} g_m g_n ds = delta_mn`` (the blog's "orthonormal basis").
* ``T``  -- the current time; the memory describes the history ``u`` up to ``T``.
* ``w``  -- the window length of LegT (the history ``[T-w, T]``).
* ``c_n(T) = int_{-1}^{1} u(t_T(s)) g_n(s) ds`` -- the memory, with
  ``t_T(s) = T + w (s-1)/2`` (LegT, sliding window) or ``t_T(s) = T (s+1)/2`` (LegS,
  the whole history ``[0, T]``).

With these, ``dc/dT = A c + B u(T)`` (LegT, approximate unless ``u`` is a polynomial of
degree ``< N`` on the window) and ``dc/dT = (A c + B u(T)) / T`` (LegS, exact).

Every function returns float64 (or complex128) numpy arrays; the ``*_sympy``
variants give the same matrices exactly, for display.

Example::

    >>> from blogcode.ssm.hippo import legs, legt
    >>> A, B = legs(3)
    >>> [float(x) for x in (A[1, 0], A[1, 1], B[0])]
    [-1.7320508075688772, -2.0, 1.4142135623730951]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.polynomial import legendre as npleg

__all__ = [
    "NORMALIZATIONS",
    "legs",
    "legt",
    "legs_sympy",
    "legt_sympy",
    "normalization_scale",
    "rescale",
    "fourier_frequencies",
    "fourier_window",
    "fourier_coeffs",
    "legendre_basis",
    "legendre_coeffs",
    "reconstruct",
    "ode_residual",
    "run_memory",
]

#: Accepted values of ``normalization`` (see :func:`normalization_scale`).
NORMALIZATIONS = ("blog", "paper", "lmu")

_KINDS = ("legt", "legs")
_DEFAULT_QUAD = 256


# --------------------------------------------------------------------------- validation


def _check_N(N: Any, name: str = "N") -> int:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(N).__name__} {N!r}")
    if N < 1:
        raise ValueError(f"{name} must be a positive int, got {N}")
    return int(N)


def _check_w(w: Any) -> float:
    if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)):
        raise TypeError(f"w must be a positive real number, got {type(w).__name__} {w!r}")
    w = float(w)
    if not np.isfinite(w) or w <= 0:
        raise ValueError(f"w (the window length) must be finite and > 0, got {w}")
    return w


def _check_normalization(normalization: Any, allowed: tuple[str, ...] = NORMALIZATIONS) -> str:
    if normalization not in allowed:
        raise ValueError(f"unknown normalization {normalization!r}; expected one of {allowed}")
    return normalization


def _check_kind(kind: Any) -> str:
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {_KINDS}")
    return kind


def _check_quad(quad_points: Any, N: int) -> int:
    if quad_points is None:
        return max(_DEFAULT_QUAD, 2 * N)
    q = _check_N(quad_points, "quad_points")
    if q < N:
        raise ValueError(f"quad_points={q} is too few for N={N} coefficients (need >= N)")
    return q


# --------------------------------------------------------------------------- matrices


def normalization_scale(N: int, normalization: str = "blog") -> np.ndarray:
    """The factors ``lam [N]`` with ``c_n = lam_n * c~_n`` that turn the blog's LegT/LegS
    memory ``c`` into the memory ``c~`` of another normalization.

    * ``"blog"``:  ``lam_n = 1`` (basis orthonormal for ``ds`` on ``[-1, 1]``).
    * ``"paper"``: ``lam_n = sqrt(2)`` (basis orthonormal for the probability measure
      ``ds/2``, as in the HiPPO paper); ``B_n`` becomes ``sqrt(2n+1)`` (times ``1/w`` for LegT).
    * ``"lmu"``:   ``lam_n = sqrt(2/(2n+1))`` (plain Legendre coefficients,
      ``u ~ sum c~_n P_n``); LegT's ``B_n`` becomes ``(2n+1)/w``.

    Example::

        >>> normalization_scale(2, "lmu")
        array([1.41421356, 0.81649658])
    """
    N = _check_N(N)
    _check_normalization(normalization)
    n = np.arange(N, dtype=np.float64)
    if normalization == "blog":
        return np.ones(N)
    if normalization == "paper":
        return np.full(N, np.sqrt(2.0))
    return np.sqrt(2.0 / (2 * n + 1))


def rescale(A: Any, B: Any, lam: Any) -> tuple[Any, Any]:
    """Change of variables ``c_n = lam_n * c~_n`` in ``c' = A c + B u``.

    Returns ``(A~, B~)`` with ``A~_{nk} = A_{nk} lam_k / lam_n`` and ``B~_n = B_n / lam_n``,
    so that ``c~' = A~ c~ + B~ u``.  Works on numpy arrays (``A [N, N]``, ``B [N]``,
    ``lam [N]``, all nonzero) and on sympy matrices (``B`` as ``N x 1``, ``lam`` a sequence).

    Example::

        >>> A, B = legt(3)
        >>> A2, B2 = rescale(A, B, normalization_scale(3, "lmu"))
        >>> B2
        array([1., 3., 5.])
    """
    sympy = sys.modules.get("sympy")
    if sympy is not None and isinstance(A, sympy.MatrixBase):
        N = A.shape[0]
        if A.shape != (N, N) or len(B) != N or len(lam) != N:
            raise ValueError(f"rescale: shapes A {A.shape}, B {len(B)}, lam {len(lam)} disagree")
        lam = [sympy.sympify(x) for x in lam]
        if any(x == 0 for x in lam):
            raise ValueError("rescale: every lam_n must be nonzero")
        A2 = sympy.Matrix(N, N, lambda n, k: sympy.simplify(A[n, k] * lam[k] / lam[n]))
        B2 = sympy.Matrix(N, 1, lambda n, _: sympy.simplify(B[n] / lam[n]))
        return A2, B2
    A = np.asarray(A)
    B = np.asarray(B)
    lam = np.asarray(lam)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"rescale: A must be square [N, N], got shape {A.shape}")
    N = A.shape[0]
    if B.shape != (N,):
        raise ValueError(f"rescale: B must have shape ({N},), got {B.shape}")
    if lam.shape != (N,):
        raise ValueError(f"rescale: lam must have shape ({N},), got {lam.shape}")
    if np.any(lam == 0) or not np.all(np.isfinite(lam)):
        raise ValueError("rescale: every lam_n must be finite and nonzero")
    return A * lam[None, :] / lam[:, None], B / lam


def legs(N: int, *, normalization: str = "blog") -> tuple[np.ndarray, np.ndarray]:
    """HiPPO-LegS: ``dc/dT = (A c + B u(T)) / T`` for the memory of the whole history.

    Returns ``A [N, N]`` and ``B [N]`` (float64) with, for ``normalization="blog"``::

        A_{n,k} = -sqrt((2n+1)(2k+1))  (k < n),   -(n+1)  (k = n),   0  (k > n)
        B_n     = sqrt(2(2n+1))

    ``normalization="paper"`` gives the HiPPO paper's ``B_n = sqrt(2n+1)`` (``A`` is
    unchanged).  ``"lmu"`` is accepted too (see :func:`normalization_scale`).

    Example::

        >>> A, B = legs(2)
        >>> A
        array([[-1.        ,  0.        ],
               [-1.73205081, -2.        ]])
    """
    N = _check_N(N)
    _check_normalization(normalization)
    n = np.arange(N, dtype=np.float64)
    r = np.sqrt(2 * n + 1)
    A = 0.0 - np.tril(np.outer(r, r), -1) - np.diag(n + 1)  # 0.0 - x: no negative zeros
    B = np.sqrt(2.0) * r
    if normalization != "blog":
        A, B = rescale(A, B, normalization_scale(N, normalization))
    return A, B


def legt(N: int, w: float = 1.0, normalization: str = "blog") -> tuple[np.ndarray, np.ndarray]:
    """HiPPO-LegT: ``dc/dT = A c + B u(T)`` for the memory of the window ``[T-w, T]``.

    Returns ``A [N, N]`` and ``B [N]`` (float64) with, for ``normalization="blog"``::

        A_{n,k} = -(1/w) sqrt((2n+1)(2k+1))             (k < n)
        A_{n,k} = -(1/w) (-1)^(n-k) sqrt((2n+1)(2k+1))  (k >= n)
        B_n     =  (1/w) sqrt(2(2n+1))

    ``"paper"``: ``B_n = sqrt(2n+1)/w`` (same ``A``).  ``"lmu"``:
    ``A_{n,k} = -(2n+1)/w`` (k < n), ``-(-1)^(n-k)(2n+1)/w`` (k >= n), ``B_n = (2n+1)/w``.

    Example::

        >>> A, B = legt(2, w=2.0)
        >>> A
        array([[-0.5      ,  0.8660254],
               [-0.8660254, -1.5      ]])
    """
    N = _check_N(N)
    w = _check_w(w)
    _check_normalization(normalization)
    n = np.arange(N)
    r = np.sqrt(2 * n + 1.0)
    sign = np.where(n[None, :] < n[:, None], 1.0, (-1.0) ** (n[:, None] - n[None, :]))
    A = -sign * np.outer(r, r) / w
    B = np.sqrt(2.0) * r / w
    if normalization != "blog":
        A, B = rescale(A, B, normalization_scale(N, normalization))
    return A, B


def _sympy_scale(N: int, normalization: str) -> list:
    import sympy

    if normalization == "blog":
        return [sympy.Integer(1)] * N
    if normalization == "paper":
        return [sympy.sqrt(2)] * N
    return [sympy.sqrt(sympy.Rational(2, 2 * n + 1)) for n in range(N)]


def legs_sympy(N: int, *, normalization: str = "blog"):
    """Exact ``(A, B)`` of :func:`legs` as sympy matrices (``B`` is ``N x 1``).

    Example::

        >>> A, B = legs_sympy(2)
        >>> A
        Matrix([
        [      -1,  0],
        [-sqrt(3), -2]])
    """
    import sympy

    N = _check_N(N)
    _check_normalization(normalization)

    def a(n: int, k: int):
        if k < n:
            return -sympy.sqrt((2 * n + 1) * (2 * k + 1))
        return -sympy.Integer(n + 1) if k == n else sympy.Integer(0)

    A = sympy.Matrix(N, N, a)
    B = sympy.Matrix(N, 1, lambda n, _: sympy.sqrt(2 * (2 * n + 1)))
    if normalization != "blog":
        A, B = rescale(A, B, _sympy_scale(N, normalization))
    return A, B


def legt_sympy(N: int, w: Any = 1, normalization: str = "blog"):
    """Exact ``(A, B)`` of :func:`legt` as sympy matrices (``B`` is ``N x 1``).

    ``w`` may be a positive number (converted exactly with ``nsimplify``), a sympy
    expression, or a string naming a positive symbol (``w="w"`` keeps ``1/w`` symbolic).

    Example::

        >>> A, B = legt_sympy(2, w="w")
        >>> B.T
        Matrix([[sqrt(2)/w, sqrt(6)/w]])
    """
    import sympy

    N = _check_N(N)
    _check_normalization(normalization)
    if isinstance(w, str):
        if not w.isidentifier():
            raise ValueError(f"w={w!r} is not a valid symbol name")
        w = sympy.Symbol(w, positive=True)
    elif isinstance(w, sympy.Basic):
        if w.is_positive is False:
            raise ValueError(f"w must be positive, got {w}")
    else:
        w = sympy.nsimplify(_check_w(w))

    def a(n: int, k: int):
        sign = 1 if k < n else (-1) ** (n - k)
        return -sign * sympy.sqrt((2 * n + 1) * (2 * k + 1)) / w

    A = sympy.Matrix(N, N, a)
    B = sympy.Matrix(N, 1, lambda n, _: sympy.sqrt(2 * (2 * n + 1)) / w)
    if normalization != "blog":
        A, B = rescale(A, B, _sympy_scale(N, normalization))
    return A, B


# --------------------------------------------------------------------------- Fourier


def fourier_frequencies(N: int) -> np.ndarray:
    """The integer frequencies ``f [N]`` of the Fourier memory, in FFT order
    ``0, 1, 2, ..., -2, -1`` (``numpy.fft.fftfreq(N, 1/N)``).

    Example::

        >>> fourier_frequencies(5)
        array([ 0,  1,  2, -2, -1])
    """
    N = _check_N(N)
    return np.rint(np.fft.fftfreq(N, 1.0 / N)).astype(np.int64)


def fourier_window(N: int, w: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Fourier memory of the window ``[T-w, T]``: ``dc/dT = A c + B u(T)`` (approximately).

    The memory is ``c_n(T) = int_0^1 u(T - w + s w) exp(-2 pi i f_n s) ds`` with the
    frequencies ``f = fourier_frequencies(N)``.  Returns complex128 ``A [N, N]``, ``B [N]``::

        A_{n,k} = (2 pi i f_n - 1)/w  (k = n),   -1/w  (k != n);     B_n = 1/w

    Example::

        >>> A, B = fourier_window(3)
        >>> np.round(A.diagonal().imag / (2 * np.pi), 12)
        array([ 0.,  1., -1.])
    """
    N = _check_N(N)
    w = _check_w(w)
    f = fourier_frequencies(N)
    A = np.full((N, N), -1.0 / w, dtype=np.complex128)
    A[np.diag_indices(N)] += 2j * np.pi * f / w
    B = np.full(N, 1.0 / w, dtype=np.complex128)
    return A, B


def fourier_coeffs(
    u: Callable[[np.ndarray], Any], T: Any, N: int, w: float = 1.0, quad_points: int | None = None
) -> np.ndarray:
    """The Fourier memory ``c [..., N]`` (complex) of ``u`` on ``[T-w, T]`` for each time
    in ``T`` (scalar or array), by Gauss-Legendre quadrature on ``s in [0, 1]``.

    Example::

        >>> c = fourier_coeffs(lambda t: np.exp(2j * np.pi * t), 0.25, 3)
        >>> np.round(np.abs(c), 12), round(float(np.angle(c[1]) / np.pi), 12)
        (array([0., 1., 0.]), 0.5)
    """
    N = _check_N(N)
    w = _check_w(w)
    q = _check_quad(quad_points, N)
    T = _check_times(T)
    x, wts = npleg.leggauss(q)
    s = (x + 1) / 2
    t = T[..., None] + w * (s - 1)
    vals = _call(u, t)
    basis = np.exp(-2j * np.pi * np.outer(s, fourier_frequencies(N)))  # [q, N]
    return (vals * (wts / 2)) @ basis


# --------------------------------------------------------------------------- Legendre memory


def legendre_basis(s: Any, N: int) -> np.ndarray:
    """The orthonormal Legendre basis ``g_n(s) = sqrt((2n+1)/2) P_n(s)`` at the points
    ``s`` (any shape); returns ``[*s.shape, N]`` float64.

    Example::

        >>> legendre_basis(np.array([1.0, -1.0]), 2) ** 2
        array([[0.5, 1.5],
               [0.5, 1.5]])
    """
    N = _check_N(N)
    s = np.asarray(s, dtype=np.float64)
    n = np.arange(N)
    V = npleg.legvander(s.reshape(-1), N - 1).reshape(*s.shape, N)
    return V * np.sqrt((2 * n + 1) / 2.0)


def _check_times(T: Any) -> np.ndarray:
    T = np.asarray(T, dtype=np.float64)
    if not np.all(np.isfinite(T)):
        raise ValueError("T must be finite")
    return T


def _call(u: Callable[[np.ndarray], Any], t: np.ndarray) -> np.ndarray:
    if not callable(u):
        raise TypeError(f"u must be a callable taking an array of times, got {type(u).__name__}")
    vals = np.asarray(u(t))
    if vals.shape != t.shape:
        try:
            vals = np.broadcast_to(vals, t.shape)
        except ValueError:
            raise ValueError(
                f"u(t) must return an array shaped like t {t.shape}, got {vals.shape}"
            ) from None
    return vals


def _times_of(s: np.ndarray, T: np.ndarray, kind: str, w: float) -> np.ndarray:
    if kind == "legt":
        return T[..., None] + w * (s - 1) / 2
    return T[..., None] * (s + 1) / 2


def legendre_coeffs(
    u: Callable[[np.ndarray], Any],
    T: Any,
    N: int,
    kind: str = "legt",
    w: float = 1.0,
    quad_points: int | None = None,
) -> np.ndarray:
    """The memory ``c_n(T) = int_{-1}^{1} u(t_T(s)) g_n(s) ds``, ``n < N``, by Gauss-Legendre
    quadrature with ``quad_points`` nodes (exact when ``u`` is a polynomial of degree
    ``< 2*quad_points - N``; default ``max(256, 2N)``).

    ``u`` is a vectorised callable (array of times -> array of values).  ``T`` is a scalar
    or an array of times; the result has shape ``[*T.shape, N]``.  ``kind="legt"`` uses
    the window ``t_T(s) = T + w (s-1)/2`` (``u`` is called on ``[T-w, T]``, also before 0
    if ``T < w``); ``kind="legs"`` uses ``t_T(s) = T (s+1)/2`` on ``[0, T]`` (``T >= 0``).

    Example::

        >>> c = legendre_coeffs(lambda t: 1 + 0 * t, 5.0, 3, kind="legs")
        >>> np.round(c, 12)
        array([1.41421356, 0.        , 0.        ])
    """
    N = _check_N(N)
    kind = _check_kind(kind)
    w = _check_w(w)
    q = _check_quad(quad_points, N)
    T = _check_times(T)
    if kind == "legs" and np.any(T < 0):
        raise ValueError("LegS memory needs T >= 0 (the history is [0, T])")
    x, wts = npleg.leggauss(q)
    vals = _call(u, _times_of(x, T, kind, w))
    return (vals * wts) @ legendre_basis(x, N)


def reconstruct(c: Any, t: Any, T: float, kind: str = "legt", w: float = 1.0) -> np.ndarray:
    """Evaluate ``sum_n c_n g_n(s(t))``: the signal the memory ``c [N]`` (blog
    normalization) describes, at the times ``t`` (any shape).  Times outside the
    remembered interval (``[T-w, T]`` for LegT, ``[0, T]`` for LegS) give ``nan``.

    Example::

        >>> c = legendre_coeffs(lambda t: t**2, 2.0, 3, kind="legs")
        >>> np.round(reconstruct(c, [0.5, 1.5, 3.0], 2.0, kind="legs"), 12)
        array([0.25, 2.25,  nan])
    """
    kind = _check_kind(kind)
    w = _check_w(w)
    c = np.asarray(c)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"c must be a 1-D array of N >= 1 coefficients, got shape {c.shape}")
    T = float(T)
    if not np.isfinite(T) or (kind == "legs" and T <= 0):
        raise ValueError(f"T must be finite (and > 0 for LegS), got {T}")
    t = np.asarray(t, dtype=np.float64)
    s = 2 * (t - T) / w + 1 if kind == "legt" else 2 * t / T - 1
    eps = 1e-12
    inside = (s >= -1 - eps) & (s <= 1 + eps)
    out = legendre_basis(np.clip(s, -1, 1), c.size) @ c
    return np.where(inside, out, np.nan)


def run_memory(
    u: Callable[[Any], Any],
    t_eval: Any,
    N: int,
    kind: str = "legt",
    w: float = 1.0,
    t0: float = 0.0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    method: str = "LSODA",
) -> np.ndarray:
    """Integrate the HiPPO ODE online from ``t0`` and return the memory at ``t_eval``.

    The state starts from the exact projection at ``t0`` (``legendre_coeffs``) and then
    only sees ``u(t)`` for ``t >= t0``: ``dc/dt = A c + B u(t)`` (LegT) or
    ``(A c + B u(t))/t`` (LegS, needs ``t0 > 0``), with ``scipy.integrate.solve_ivp``
    (``method``: LSODA switches to an implicit method where the system is stiff, as LegS
    is near ``t = 0``).  Returns ``[len(t_eval), N]`` float64.

    Example::

        >>> c = run_memory(np.sin, [2.0], 6, kind="legs", t0=0.01)
        >>> bool(np.allclose(c, legendre_coeffs(np.sin, [2.0], 6, kind="legs"), atol=1e-7))
        True
    """
    from scipy.integrate import solve_ivp

    N = _check_N(N)
    kind = _check_kind(kind)
    w = _check_w(w)
    t_eval = np.atleast_1d(np.asarray(t_eval, dtype=np.float64))
    if t_eval.ndim != 1 or not np.all(np.isfinite(t_eval)):
        raise ValueError("t_eval must be a finite 1-D array of times")
    if np.any(np.diff(t_eval) < 0) or t_eval[0] < t0:
        raise ValueError("t_eval must be sorted and >= t0")
    if kind == "legs" and not t0 > 0:
        raise ValueError("LegS is singular at t = 0: start from t0 > 0")
    c0 = legendre_coeffs(u, t0, N, kind=kind, w=w)
    if kind == "legt":
        A, B = legt(N, w)

        def rhs(t, c):
            return A @ c + B * float(u(t))

        def jac(t, c):
            return A
    else:
        A, B = legs(N)

        def rhs(t, c):
            return (A @ c + B * float(u(t))) / t

        def jac(t, c):
            return A / t

    if t_eval[-1] == t0:
        return np.tile(c0, (t_eval.size, 1))
    implicit = {"jac": jac} if method in ("Radau", "BDF", "LSODA") else {}
    sol = solve_ivp(
        rhs, (t0, t_eval[-1]), c0, method=method, t_eval=t_eval, rtol=rtol, atol=atol, **implicit
    )
    if not sol.success:
        raise RuntimeError(f"run_memory: the ODE solver failed: {sol.message}")
    return sol.y.T


def ode_residual(
    u: Callable[[np.ndarray], Any],
    T: float,
    N: int,
    kind: str = "legt",
    w: float = 1.0,
    A: Any = None,
    B: Any = None,
    h: float = 1e-3,
) -> np.ndarray:
    """``dc/dT - rhs`` at time ``T``: the memory ``c`` by quadrature, its derivative in
    ``T`` by a five-point central difference of step ``h`` (error ``O(h^4)``), and
    ``rhs = A c + B u(T)`` (LegT, Fourier) or ``(A c + B u(T)) / T`` (LegS).

    ``kind`` is ``"legt"``, ``"legs"`` or ``"fourier"`` (memory :func:`fourier_coeffs`,
    complex).  ``A, B`` default to :func:`legt` / :func:`legs` / :func:`fourier_window`;
    pass others to see them fail.  Returns ``[N]``.

    Example::

        >>> r = ode_residual(np.sin, 2.0, 8, kind="legs")
        >>> bool(np.abs(r).max() < 1e-9)
        True
    """
    N = _check_N(N)
    if kind != "fourier":
        kind = _check_kind(kind)
    w = _check_w(w)
    T = float(T)
    if not np.isfinite(T) or (kind == "legs" and T - 2 * h <= 0):
        raise ValueError(f"T must be finite (and > 2h for LegS), got {T}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be > 0, got {h}")
    defaults = {"legt": lambda: legt(N, w), "legs": lambda: legs(N)}
    defaults["fourier"] = lambda: fourier_window(N, w)
    if A is None and B is None:
        A, B = defaults[kind]()
    elif A is None or B is None:
        raise ValueError("pass both A and B, or neither")
    A, B = np.asarray(A), np.asarray(B)
    if A.shape != (N, N) or B.shape != (N,):
        raise ValueError(f"A must be [{N}, {N}] and B [{N}], got {A.shape} and {B.shape}")
    Ts = T + h * np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    if kind == "fourier":
        c = fourier_coeffs(u, Ts, N, w=w)
    else:
        c = legendre_coeffs(u, Ts, N, kind=kind, w=w)
    dc = (c[0] - 8 * c[1] + 8 * c[3] - c[4]) / (12 * h)
    rhs = A @ c[2] + B * np.asarray(u(np.array(T)))
    if kind == "legs":
        rhs = rhs / T
    return dc - rhs
