"""LegS operations for post 2 of the 重温SSM series ("HiPPO的一些遗留问题").

The basic discretisations live in :mod:`blogcode.ssm.discretize`; this module adds what the
post derives on top of them:

* :func:`legs_matvec_cumsum` -- ``A @ v`` for the LegS matrix written as
  ``A = diag(n) - tril(r r^T)`` with ``r_n = sqrt(2n+1)``: an *inclusive* cumulative sum.
* :func:`legs_solve_coeffs`, :func:`legs_solve_recurrence` -- ``(I - lam*A)^{-1} v`` through
  the scalar recurrence ``S_n = a_n S_{n-1} + b_n`` for the partial sums
  ``S_n = sum_{k<=n} r_k z_k``; sequential (:func:`linear_recurrence`) or by an associative
  prefix scan (:func:`linear_recurrence_scan`, ``ceil(log2 d)`` vectorised rounds).
* :func:`legs_variant_scan` -- two more step-size-free LegS recursions (exact ``log`` input
  integral; the bilinear rule applied in ``tau = ln t``).
* :func:`legs_impulse_response`, :func:`spectral_projectors` -- the polynomial decay.
* :func:`s_partial_sum`, :func:`toeplitz_s`, :func:`fourier_coeffs_piecewise` -- the Fourier
  basis with the whole-history map (the LegS-type Fourier memory of
  :func:`blogcode.ssm.discretize.fourier_legs`).

Indices ``n, k = 0 .. d-1`` are state indices; the state is the last axis of every array.
Everything is float64 / complex128 numpy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import legendre as npleg

from blogcode.ssm.discretize import bilinear, check_system

__all__ = [
    "legs_matvec_cumsum",
    "legs_solve_coeffs",
    "legs_solve_recurrence",
    "linear_recurrence",
    "linear_recurrence_scan",
    "legs_variant_scan",
    "legs_impulse_response",
    "spectral_projectors",
    "s_partial_sum",
    "toeplitz_s",
    "fourier_coeffs_piecewise",
]


def _state_vector(v) -> np.ndarray:
    v = np.asarray(v)
    if v.ndim < 1 or v.shape[-1] == 0:
        raise ValueError(f"v must have shape (..., d) with d >= 1, got {v.shape}")
    if not (np.issubdtype(v.dtype, np.number)):
        raise ValueError(f"v must be numeric, got dtype {v.dtype}")
    return v


# ----------------------------------------------------------------------------- A @ v
def legs_matvec_cumsum(v) -> np.ndarray:
    """``A @ v`` for the LegS matrix via ``A_{n,k} = n*delta_{nk} - r_n r_k`` (``k <= n``).

    ``(A v)_n = n v_n - r_n * sum_{k<=n} r_k v_k`` with ``r_n = sqrt(2n+1)``: two elementwise
    products around one inclusive ``cumsum``, ``O(d)``.  ``v`` is ``(..., d)``.

    >>> import numpy as np
    >>> legs_matvec_cumsum(np.array([1.0, 0.0]))   # first column of A: (-1, -sqrt 3)
    array([-1.        , -1.73205081])
    """
    v = _state_vector(v)
    n = np.arange(v.shape[-1], dtype=float)
    r = np.sqrt(2.0 * n + 1.0)
    return n * v - r * np.cumsum(r * v, axis=-1)


# ----------------------------------------------------------------------------- recurrences
def linear_recurrence(a, b, s0=0.0) -> np.ndarray:
    """``s_n = a_n s_{n-1} + b_n`` along the last axis, one step at a time (``s_{-1} = s0``).

    ``a`` and ``b`` broadcast to a common shape ``(..., d)``; ``d`` sequential steps.

    >>> linear_recurrence([2.0, 2.0, 2.0], [1.0, 1.0, 1.0])   # 1, 3, 7
    array([1., 3., 7.])
    """
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    a, b = _state_vector(a), _state_vector(b)
    out = np.empty(a.shape, dtype=np.result_type(a, b, s0, np.float64))
    s = np.broadcast_to(np.asarray(s0, dtype=out.dtype), a.shape[:-1])
    for n in range(a.shape[-1]):
        s = a[..., n] * s + b[..., n]
        out[..., n] = s
    return out


def linear_recurrence_scan(a, b, return_rounds: bool = False):
    """The same recurrence as :func:`linear_recurrence` (with ``s_{-1} = 0``) by a prefix scan.

    Element ``n`` is the affine map ``s -> a_n s + b_n``; composing ``(a, b)`` after
    ``(a', b')`` gives ``(a a', a b' + b)``, an associative operation, so all prefixes are
    found in ``ceil(log2 d)`` rounds (Hillis-Steele): in round ``j`` every element
    ``n >= 2^j`` absorbs the composite ending at ``n - 2^j``.  Each round is one vectorised
    operation -- depth ``O(log d)``, work ``O(d log d)``.  With ``return_rounds`` the number
    of rounds is returned too.

    >>> linear_recurrence_scan([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], return_rounds=True)
    (array([1., 3., 7.]), 2)
    """
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    a, b = _state_vector(a), _state_vector(b)
    dtype = np.result_type(a, b, np.float64)
    A = np.array(a, dtype=dtype)  # composite multiplier of the prefix ending at n
    S = np.array(b, dtype=dtype)  # composite offset = s_n once the scan is done
    d, shift, rounds = a.shape[-1], 1, 0
    while shift < d:
        # right-hand sides are evaluated from the old values before assignment
        S[..., shift:] = A[..., shift:] * S[..., :-shift] + S[..., shift:]
        A[..., shift:] = A[..., shift:] * A[..., :-shift]
        shift *= 2
        rounds += 1
    return (S, rounds) if return_rounds else S


# ----------------------------------------------------------------------------- (I - lam A)^{-1}
def legs_solve_coeffs(lam: float, v) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of ``S_n = a_n S_{n-1} + b_n`` for ``(I - lam*A) z = v``.

    ``S_n = sum_{k<=n} r_k z_k``; row ``n`` of the system gives
    ``a_n = (1 - lam*n) / (1 + lam*n + lam)`` and ``b_n = r_n v_n / (1 + lam*n + lam)``.
    Needs ``1 + lam*(n+1) != 0`` for every ``n`` (true for ``lam >= 0``).

    >>> a, b = legs_solve_coeffs(0.5, [1.5, 0.0])
    >>> a.tolist(), b.tolist()
    ([0.6666666666666666, 0.25], [1.0, 0.0])
    """
    v = _state_vector(v)
    lam = float(lam)
    if not math.isfinite(lam):
        raise ValueError(f"lam must be finite, got {lam}")
    n = np.arange(v.shape[-1], dtype=float)
    den = 1.0 + lam * (n + 1.0)
    if np.any(den == 0):
        raise ValueError(f"I - lam*A is singular for lam={lam}")
    return (1.0 - lam * n) / den, np.sqrt(2.0 * n + 1.0) * v / den


def legs_solve_recurrence(lam: float, v, method: str = "sequential") -> np.ndarray:
    """Solve ``(I - lam*A) z = v`` for the LegS matrix through the partial sums ``S_n``.

    ``S`` comes from :func:`legs_solve_coeffs` and :func:`linear_recurrence` (``method=
    "sequential"``, ``d`` steps) or :func:`linear_recurrence_scan` (``method="scan"``,
    ``ceil(log2 d)`` rounds); then ``z_n = (S_n - S_{n-1}) / r_n``.  ``v`` is ``(..., d)``.

    >>> legs_solve_recurrence(0.5, [1.5, 0.0], method="scan")   # (I - A/2) z = v
    array([ 1.       , -0.4330127])
    """
    a, b = legs_solve_coeffs(lam, v)
    if method == "sequential":
        S = linear_recurrence(a, b)
    elif method == "scan":
        S = linear_recurrence_scan(a, b)
    else:
        raise ValueError(f"unknown method {method!r}; use 'sequential' or 'scan'")
    r = np.sqrt(2.0 * np.arange(S.shape[-1]) + 1.0)
    dS = np.diff(S, axis=-1, prepend=np.zeros_like(S[..., :1]))
    return dS / r


# ----------------------------------------------------------------------------- LegS recursions
def legs_variant_scan(A, B, u, variant: str) -> np.ndarray:
    """Two more step-size-free LegS recursions; returns ``x_1 .. x_L`` like ``legs_scan``.

    * ``"log-input"``: the trapezoidal rule for ``int A x / t`` as in ``legs_scan(...,
      "bilinear")``, but the input integral taken exactly, ``int u/t dt = u_k ln((k+1)/k)``,
      instead of ``u_k / k``;
    * ``"tau-bilinear"``: :func:`blogcode.ssm.discretize.bilinear` applied to the time-invariant
      system ``dx/dtau = A x + B u`` with the step ``ln((k+1)/k)``.

    The first state is ``x_1 = -A^{-1} B u_0`` (exact for a constant input on ``[0, eps)``).

    >>> import numpy as np
    >>> A = np.array([[-1.0, 0.0], [-np.sqrt(3.0), -2.0]]); B = np.sqrt(2.0 * np.array([1, 3]))
    >>> X = legs_variant_scan(A, B, np.ones(4), "tau-bilinear")   # constant input: a fixed point
    >>> bool(np.allclose(X, [[np.sqrt(2.0), 0.0]] * 4))
    True
    """
    A, B = check_system(A, B)
    u = np.asarray(u, dtype=np.result_type(u, np.float64))
    if u.ndim != 1 or len(u) == 0:
        raise ValueError(f"u must be a non-empty 1-D sequence (L,), got shape {u.shape}")
    if variant not in ("log-input", "tau-bilinear"):
        raise ValueError(f"unknown variant {variant!r}; use 'log-input' or 'tau-bilinear'")
    I = np.eye(len(A))
    X = np.empty((len(u), len(A)), dtype=np.result_type(A, u))
    X[0] = -np.linalg.solve(A, B) * u[0]
    for k in range(1, len(u)):
        h = np.log1p(1.0 / k)
        if variant == "log-input":
            rhs = X[k - 1] + (A @ X[k - 1]) / (2 * k) + B * (u[k] * h)
            X[k] = np.linalg.solve(I - A / (2 * (k + 1)), rhs)
        else:
            Ab, Bb = bilinear(A, B, h)
            X[k] = Ab @ X[k - 1] + Bb * u[k]
    return X


def legs_impulse_response(d: int, k) -> np.ndarray:
    """Exact LegS memory after a unit impulse ``u = 1`` on ``[0, eps)``, at ``t = k*eps``.

    ``x_{k,n} = int_{-1}^{-1+2/k} g_n(s) ds`` with ``g_n = sqrt((2n+1)/2) P_n``: a polynomial
    of degree ``n+1`` in ``1/k`` without constant term.  ``k >= 1`` (scalar or array);
    returns ``(*k.shape, d)``.

    >>> import numpy as np
    >>> bool(np.allclose(legs_impulse_response(3, 1), [np.sqrt(2.0), 0.0, 0.0]))
    True
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d must be a positive int, got {d!r}")
    k = np.asarray(k, dtype=float)
    if np.any(k < 1) or not np.all(np.isfinite(k)):
        raise ValueError("k must be >= 1 (the impulse occupies the first step)")
    out = np.empty((*k.shape, d))
    for n in range(d):
        c = np.zeros(n + 1)
        c[n] = np.sqrt((2 * n + 1) / 2)
        out[..., n] = npleg.legval(-1.0 + 2.0 / k, npleg.legint(c, lbnd=-1))
    return out


def spectral_projectors(A) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues ``lam_p`` and projectors ``Pi_p`` with ``f(A) = sum_p f(lam_p) Pi_p``.

    For ``A = P^{-1} diag(lam) P``, ``Pi_p = P^{-1} e_p e_p^T P``.  Needs ``A``
    diagonalisable with distinct eigenvalues; sorted by decreasing real part.  Returns
    ``lam (d,)`` and ``Pi (d, d, d)``.

    >>> import numpy as np
    >>> lam, Pi = spectral_projectors(np.array([[-1.0, 0.0], [-np.sqrt(3.0), -2.0]]))
    >>> lam.tolist(), bool(np.allclose(Pi.sum(0), np.eye(2)))
    ([-1.0, -2.0], True)
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    lam, V = np.linalg.eig(A)
    order = np.argsort(-lam.real, kind="stable")
    lam, V = lam[order], V[:, order]
    W = np.linalg.inv(V)  # rows: left eigenvectors; P = W, P^{-1} = V
    Pi = np.einsum("ip,pj->pij", V, W)
    if np.allclose(lam.imag, 0) and np.isrealobj(A):
        lam, Pi = lam.real, Pi.real
    return lam, Pi


# ----------------------------------------------------------------------------- Fourier basis
def s_partial_sum(s, N: int) -> np.ndarray:
    """Partial Fourier sum of the function ``s`` on ``[0, 1)``, frequencies ``|k| <= N``.

    ``s = 1/2 + (i / 2 pi) sum_{k != 0} e^{2 i pi k s} / k``
    ``  = 1/2 - sum_{k>=1} sin(2 pi k s) / (pi k)``.

    >>> round(float(s_partial_sum(0.0, 50)), 12)    # the mean of the jump at s = 0
    0.5
    """
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 0:
        raise ValueError(f"N must be an int >= 0, got {N!r}")
    s = np.asarray(s, dtype=float)
    k = np.arange(1, N + 1)
    return 0.5 - np.sum(np.sin(2 * np.pi * k * s[..., None]) / (np.pi * k), axis=-1)


def toeplitz_s(freqs) -> np.ndarray:
    """Matrix of "multiply by ``s``" in the Fourier basis ``e^{2 i pi n s}`` on ``[0, 1]``.

    ``T[n, k] = int_0^1 s e^{-2 i pi (n-k) s} ds`` = ``1/2`` on the diagonal and
    ``i / (2 pi (n-k))`` off it; Hermitian, and positive definite because ``s >= 0``.
    ``freqs``: distinct integers labelling rows and columns.

    >>> T = toeplitz_s([0, 1]); bool(np.allclose(T, T.conj().T))
    True
    """
    f = np.asarray(freqs)
    if f.ndim != 1 or len(f) == 0 or not np.all(f == np.round(f)) or len(set(f.tolist())) != len(f):
        raise ValueError("freqs must be a non-empty 1-D array of distinct integers")
    diff = (f[:, None] - f[None, :]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        T = 1j / (2 * np.pi * diff)
    T[diff == 0] = 0.5
    return T


def fourier_coeffs_piecewise(u, freqs) -> np.ndarray:
    """Exact ``c_n(T) = (1/T) int_0^T u(t) e^{-2 i pi n t/T} dt`` for a piecewise-constant input.

    ``u[k]`` holds on ``[k*eps, (k+1)*eps)`` and ``T = L*eps`` with ``L = len(u)``; the result
    does not depend on ``eps``.  Returns complex128 ``(len(freqs),)``.

    >>> import numpy as np
    >>> bool(np.allclose(fourier_coeffs_piecewise(np.ones(3), [0, 1]), [1.0, 0.0]))
    True
    """
    u = np.asarray(u, dtype=float)
    if u.ndim != 1 or len(u) == 0:
        raise ValueError(f"u must be a non-empty 1-D sequence, got shape {u.shape}")
    f = np.asarray(freqs)
    if f.ndim != 1 or not np.all(f == np.round(f)):
        raise ValueError("freqs must be a 1-D array of integers")
    L = len(u)
    edges = np.arange(L + 1) / L  # cell edges in s = t / T
    out = np.empty(len(f), dtype=complex)
    for j, n in enumerate(f):
        if n == 0:
            out[j] = u.mean()
        else:
            w = 2j * np.pi * n
            e = np.exp(-w * edges)
            out[j] = np.sum(u * (e[:-1] - e[1:])) / w
    return out
