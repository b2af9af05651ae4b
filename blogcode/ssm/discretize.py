"""Discretising the HiPPO ODEs (post 2 of the 重温SSM series).

Glossary (the letters used throughout ``blogcode.ssm``):

* ``N`` / ``d`` -- state size; ``A`` is ``(N, N)``, ``B`` is ``(N,)``.
* ``eps``       -- the step size epsilon; the input is piecewise constant,
  ``u(t) = u_k`` for ``t`` in ``[k*eps, (k+1)*eps)``.
* ``Ab, Bb``    -- the discrete pair, ``x_{k+1} = Ab @ x_k + Bb * u_k``.

Two ODEs are discretised:

* HiPPO-LegT (time invariant): ``x'(t) = A x(t) + B u(t)``;
  :func:`forward_euler`, :func:`backward_euler`, :func:`bilinear`, :func:`zoh`, and the
  family :func:`theta_method` that contains the first three.
* HiPPO-LegS (time varying): ``x'(t) = A x(t) / t + B u(t) / t``;
  :func:`legs_bilinear_step`, :func:`legs_zoh_step`, :func:`legs_scan`.  In the
  recursions the step size cancels: state ``k`` depends only on ``u_0 .. u_{k-1}``.

The LegS matrix is lower triangular with an ``O(N)`` structure, so
``A @ v`` (:func:`legs_matvec_fast`) and ``(I - lam*A)^{-1} v``
(:func:`legs_solve_fast`) cost ``O(N)`` instead of ``O(N^2)`` / ``O(N^3)``.
:func:`fourier_legs` gives the Fourier-basis analogue of LegS.

Everything is float64 (complex128 for the Fourier matrices) numpy.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = [
    "forward_euler",
    "backward_euler",
    "bilinear",
    "zoh",
    "theta_method",
    "legs_bilinear_step",
    "legs_zoh_step",
    "legs_scan",
    "legs_matvec_fast",
    "legs_solve_fast",
    "fourier_legs",
]


# ----------------------------------------------------------------------------- validation
def check_system(A, B) -> tuple[np.ndarray, np.ndarray]:
    """Validate a state pair: ``A`` square ``(N, N)``, ``B`` a vector ``(N,)``.

    Returns float64 (or complex128, if either is complex) copies.
    Raises ``ValueError`` naming what is wrong.
    """
    A = np.asarray(A)
    B = np.asarray(B)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (N, N) matrix, got shape {A.shape}")
    if B.ndim == 2 and 1 in B.shape:  # accept a column or row vector
        B = B.reshape(-1)
    if B.ndim != 1 or B.shape[0] != A.shape[0]:
        raise ValueError(f"B must be a vector of length N={A.shape[0]}, got shape {B.shape}")
    if A.shape[0] == 0:
        raise ValueError("the state size N must be at least 1")
    dtype = np.result_type(A.dtype, B.dtype, np.float64)
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating)):
        raise ValueError(f"A and B must be numeric, got dtypes {A.dtype}, {B.dtype}")
    return A.astype(dtype), B.astype(dtype)


def _check_eps(eps) -> float:
    eps = float(eps)
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"the step size eps must be a positive finite number, got {eps}")
    return eps


# ----------------------------------------------------------------------------- LegT-type
def forward_euler(A, B, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward (explicit) Euler: ``Ab = I + eps*A``, ``Bb = eps*B``.

    Shapes: ``A (N, N)``, ``B (N,)`` -> ``Ab (N, N)``, ``Bb (N,)``.

    >>> import numpy as np
    >>> Ab, Bb = forward_euler(-np.eye(2), np.ones(2), 0.1)
    >>> float(Ab[0, 0]), float(Bb[0])
    (0.9, 0.1)
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    return np.eye(len(A)) + eps * A, eps * B


def backward_euler(A, B, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Backward (implicit) Euler: ``Ab = (I - eps*A)^{-1}``, ``Bb = eps*(I - eps*A)^{-1} B``.

    Shapes as in :func:`forward_euler`.

    >>> import numpy as np
    >>> Ab, Bb = backward_euler(-np.eye(1), np.ones(1), 1.0)
    >>> float(Ab[0, 0]), float(Bb[0])
    (0.5, 0.5)
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    M = np.eye(len(A)) - eps * A
    return np.linalg.solve(M, np.eye(len(A))), eps * np.linalg.solve(M, B)


def bilinear(A, B, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear (trapezoidal, Tustin) rule.

    ``Ab = (I - eps*A/2)^{-1} (I + eps*A/2)``, ``Bb = eps * (I - eps*A/2)^{-1} B``.
    Local error ``O(eps^3)`` against the exact :func:`zoh` step.

    >>> import numpy as np
    >>> Ab, Bb = bilinear(-np.eye(1), np.ones(1), 1.0)
    >>> round(float(Ab[0, 0]), 6), round(float(Bb[0]), 6)
    (0.333333, 0.666667)
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    I = np.eye(len(A))
    M = I - 0.5 * eps * A
    return np.linalg.solve(M, I + 0.5 * eps * A), eps * np.linalg.solve(M, B)


def zoh(A, B, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact step for piecewise-constant input (zero-order hold).

    ``Ab = exp(eps*A)``, ``Bb = A^{-1} (exp(eps*A) - I) B = int_0^eps exp(s*A) ds B``.
    The integral is taken from the exponential of the block matrix
    ``[[A, B], [0, 0]] * eps``, so ``A`` need not be invertible.

    >>> import numpy as np
    >>> Ab, Bb = zoh(-np.eye(1), np.ones(1), 1.0)
    >>> round(float(Ab[0, 0]), 6), round(float(Bb[0]), 6)
    (0.367879, 0.632121)
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    N = len(A)
    M = np.zeros((N + 1, N + 1), dtype=A.dtype)
    M[:N, :N] = A
    M[:N, N] = B
    E = scipy.linalg.expm(eps * M)
    return E[:N, :N], E[:N, N]


def theta_method(A, B, eps: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The one-parameter family between the Euler rules: ``int x ds ~ eps*(alpha x_k +
    (1-alpha) x_{k+1})``.

    ``Ab = (I - (1-alpha) eps A)^{-1} (I + alpha eps A)``,
    ``Bb = eps (I - (1-alpha) eps A)^{-1} B``; ``alpha = 1`` is :func:`forward_euler`,
    ``0`` :func:`backward_euler`, ``1/2`` :func:`bilinear`.

    >>> import numpy as np
    >>> Ab, Bb = theta_method(-np.eye(1), np.ones(1), 1.0, 0.5)   # the bilinear rule
    >>> round(float(Ab[0, 0]), 6), round(float(Bb[0]), 6)
    (0.333333, 0.666667)
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    I = np.eye(len(A))
    M = I - (1.0 - alpha) * eps * A
    return np.linalg.solve(M, I + alpha * eps * A), eps * np.linalg.solve(M, B)


# ----------------------------------------------------------------------------- LegS
def _check_state(A, x, u, k) -> tuple[np.ndarray, complex, int]:
    x = np.asarray(x)
    if x.shape != (A.shape[0],):
        raise ValueError(f"x must have shape ({A.shape[0]},), got {x.shape}")
    if int(k) != k or k < 1:
        raise ValueError(f"the step index k must be an integer >= 1, got {k}")
    u = np.asarray(u)
    if u.ndim != 0:
        raise ValueError(f"u must be a scalar (one input sample), got shape {u.shape}")
    return x, u[()], int(k)


def legs_bilinear_step(A, B, x, u, k: int) -> np.ndarray:
    """One bilinear step of the LegS ODE ``x' = (A x + B u) / t``, from ``t = k*eps`` to
    ``(k+1)*eps``.

    ``x_{k+1} = (I - A/(2(k+1)))^{-1} [ (I + A/(2k)) x_k + B u_k / k ]``; the step size
    has cancelled (``eps / t_k = 1/k``).  ``k >= 1``; shapes ``x (N,)``, ``u`` scalar.

    >>> import numpy as np
    >>> A, B = -np.eye(1), np.ones(1)
    >>> legs_bilinear_step(A, B, np.array([1.0]), 1.0, 1)   # (1 - 1/2 + 1) / (1 + 1/4)
    array([1.2])
    """
    A, B = check_system(A, B)
    x, u, k = _check_state(A, x, u, k)
    I = np.eye(len(A))
    rhs = x + (A @ x) / (2 * k) + B * (u / k)
    return np.linalg.solve(I - A / (2 * (k + 1)), rhs)


def legs_zoh_step(A, B, x, u, k: int) -> np.ndarray:
    """Exact LegS step for an input constant on ``[k*eps, (k+1)*eps)``.

    With ``tau = ln t`` the LegS ODE becomes ``dx/dtau = A x + B u``, time invariant, and the
    step in ``tau`` is ``ln((k+1)/k)`` whatever ``eps`` is, so this is :func:`zoh` with
    ``eps = ln((k+1)/k)``.

    >>> import numpy as np
    >>> A, B = -np.eye(1), np.ones(1)
    >>> legs_zoh_step(A, B, np.array([0.0]), 1.0, 1)    # x_2 = 1 - 1/2
    array([0.5])
    """
    A, B = check_system(A, B)
    x, u, k = _check_state(A, x, u, k)
    Ab, Bb = zoh(A, B, np.log1p(1.0 / k))
    return Ab @ x + Bb * u


def legs_scan(A, B, u, method: str = "zoh", eps: float = 1.0) -> np.ndarray:
    """Run the LegS memory over a whole sequence; returns the states ``x_1 .. x_L``, ``(L, N)``.

    ``u`` has shape ``(L,)``; ``u[k]`` is the input on ``[k*eps, (k+1)*eps)``; row ``k`` of the
    result is the state at ``t = (k+1)*eps``.  The first state is the exact one for a constant
    input on ``[0, eps)``, ``x_1 = -A^{-1} B u_0``.

    ``method``:

    * ``"zoh"``       -- :func:`legs_zoh_step` (exact for piecewise-constant input);
    * ``"bilinear"``  -- :func:`legs_bilinear_step` (dense solve);
    * ``"bilinear-eps"`` -- the trapezoidal rule written with ``t_k = k*eps`` *before* the step
      size is cancelled; it exists to show that the result does not depend on ``eps``;
    * ``"bilinear-fast"`` -- the bilinear step with :func:`legs_matvec_fast` and
      :func:`legs_solve_fast`, ``O(N)`` per step; ``A, B`` must then be the blog's LegS pair.

    >>> import numpy as np
    >>> A = np.array([[-1.0, 0.0], [-np.sqrt(3.0), -2.0]]); B = np.sqrt(2.0 * np.array([1, 3]))
    >>> X = legs_scan(A, B, np.ones(5))            # constant input: x = (sqrt 2, 0) for all k
    >>> bool(np.allclose(X, [[np.sqrt(2.0), 0.0]] * 5))
    True
    """
    A, B = check_system(A, B)
    eps = _check_eps(eps)
    u = np.asarray(u, dtype=np.result_type(u, np.float64))
    if u.ndim != 1 or len(u) == 0:
        raise ValueError(f"u must be a non-empty 1-D sequence (L,), got shape {u.shape}")
    N, L = len(A), len(u)
    I = np.eye(N)
    X = np.empty((L, N), dtype=np.result_type(A, u))
    X[0] = -np.linalg.solve(A, B) * u[0]
    if method == "bilinear-fast":
        _require_legs(A, B)
    for k in range(1, L):
        x = X[k - 1]
        if method == "zoh":
            X[k] = legs_zoh_step(A, B, x, u[k], k)
        elif method == "bilinear":
            X[k] = legs_bilinear_step(A, B, x, u[k], k)
        elif method == "bilinear-eps":
            t0, t1 = k * eps, (k + 1) * eps
            rhs = x + 0.5 * eps * (A @ x) / t0 + eps * B * u[k] / t0
            X[k] = np.linalg.solve(I - 0.5 * eps * A / t1, rhs)
        elif method == "bilinear-fast":
            rhs = x + legs_matvec_fast(x) / (2 * k) + B * (u[k] / k)
            X[k] = legs_solve_fast(1.0 / (2 * (k + 1)), rhs)
        else:
            raise ValueError(
                f"unknown method {method!r}; "
                "use 'zoh', 'bilinear', 'bilinear-eps' or 'bilinear-fast'"
            )
    return X


def _require_legs(A, B) -> None:
    N = len(A)
    n = np.arange(N)
    r = np.sqrt(2 * n + 1.0)
    ref = -np.tril(np.outer(r, r), -1) - np.diag(n + 1.0)
    if not (np.allclose(A, ref, rtol=1e-12, atol=1e-12) and np.allclose(B, np.sqrt(2) * r)):
        raise ValueError("method 'bilinear-fast' needs the blog's LegS pair (A, B) = legs(N)")


# ----------------------------------------------------------------------------- O(N) tricks
def legs_matvec_fast(v) -> np.ndarray:
    """``A @ v`` for the LegS matrix in ``O(N)``, without forming ``A``.

    ``(A v)_n = -sqrt(2n+1) * sum_{k<n} sqrt(2k+1) v_k - (n+1) v_n``: an exclusive cumulative
    sum.  ``v`` has shape ``(..., N)`` (the last axis is the state).

    >>> import numpy as np
    >>> legs_matvec_fast(np.array([1.0, 0.0]))   # first column of A: (-1, -sqrt 3)
    array([-1.        , -1.73205081])
    """
    v = np.asarray(v)
    if v.ndim < 1 or v.shape[-1] == 0:
        raise ValueError(f"v must have shape (..., N) with N >= 1, got {v.shape}")
    N = v.shape[-1]
    n = np.arange(N)
    r = np.sqrt(2.0 * n + 1.0)
    w = r * v
    excl = np.cumsum(w, axis=-1) - w  # sum_{k<n} sqrt(2k+1) v_k
    return -r * excl - (n + 1.0) * v


def legs_solve_fast(lam: float, v) -> np.ndarray:
    """Solve ``(I - lam*A) z = v`` for the LegS matrix ``A`` in ``O(N)``.

    Row ``n`` reads ``(1 + lam(n+1)) z_n = v_n - lam*sqrt(2n+1) * S_n`` with
    ``S_n = sum_{k<n} sqrt(2k+1) z_k``, a first-order recurrence in ``n``.
    ``lam`` must keep ``1 + lam(n+1) != 0`` (any ``lam >= 0`` does).  ``v`` is ``(..., N)``.

    >>> import numpy as np
    >>> legs_solve_fast(0.5, np.array([1.5, 0.0]))   # (I - A/2) z = v
    array([ 1.       , -0.4330127])
    """
    v = np.asarray(v)
    if v.ndim < 1 or v.shape[-1] == 0:
        raise ValueError(f"v must have shape (..., N) with N >= 1, got {v.shape}")
    lam = float(lam)
    N = v.shape[-1]
    diag = 1.0 + lam * (np.arange(N) + 1.0)
    if np.any(diag == 0):
        raise ValueError(f"I - lam*A is singular for lam={lam}")
    z = np.empty(v.shape, dtype=np.result_type(v, np.float64))
    S = np.zeros(v.shape[:-1], dtype=z.dtype)
    for n in range(N):
        rn = np.sqrt(2.0 * n + 1.0)
        z[..., n] = (v[..., n] - lam * rn * S) / diag[n]
        S = S + rn * z[..., n]
    return z


# ----------------------------------------------------------------------------- Fourier basis
def fourier_legs(N: int, freqs=None) -> tuple[np.ndarray, np.ndarray]:
    """The Fourier basis with the whole-history map ``t = T s`` (a LegS-type memory).

    Coefficients ``c_n(T) = int_0^1 u(T s) exp(-2 i pi n s) ds`` obey
    ``T c'(T) = A c + B u(T)`` (after truncating ``u(Ts)`` to the basis), with

    * ``A[n, n] = i*pi*n - 1``,
    * ``A[n, k] = -n / (n - k)`` for ``k != n``,
    * ``B[n] = 1``.

    ``freqs`` are the integer frequencies ``n`` (default ``0 .. N-1``); row/column ``j``
    belongs to ``freqs[j]``.  Returns complex128 ``A (N, N)``, ``B (N,)``.

    >>> A, B = fourier_legs(2)
    >>> A
    array([[-1.+0.j        ,  0.+0.j        ],
           [-1.+0.j        , -1.+3.14159265j]])
    """
    if freqs is None:
        if int(N) != N or N < 1:
            raise ValueError(f"N must be a positive integer, got {N}")
        freqs = np.arange(int(N))
    freqs = np.asarray(freqs)
    if freqs.ndim != 1 or len(freqs) != N:
        raise ValueError(f"freqs must be a 1-D array of length N={N}, got shape {freqs.shape}")
    if not np.all(freqs == np.round(freqs)) or len(set(freqs.tolist())) != len(freqs):
        raise ValueError("freqs must be distinct integers")
    n = freqs.astype(float)[:, None]
    k = freqs.astype(float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        A = (-n / (n - k)).astype(complex)
    diag = 1j * np.pi * freqs - 1.0
    A[np.arange(N), np.arange(N)] = diag
    return A, np.ones(N, dtype=complex)
