"""Rational transfer functions (RTF): SSM kernels without the state (post 4 of 重温SSM).

Glossary:

* ``d`` -- state size; ``L`` -- kernel length, ``L > d``.
* a discrete SSM ``x_k = Ab x_{k-1} + Bb u_k``, ``y_k = C^* x_k`` has the kernel
  ``K_j = C^* Ab^j Bb`` (:func:`blogcode.ssm.s4.kernel_direct`).
* At ``z^L = 1`` its truncated generating function is rational:

      ``sum_{j<L} K_j z^j = b(z) / a(z)``,
      ``a(z) = 1 + a_1 z + ... + a_d z^d``,  ``b(z) = b_1 + b_2 z + ... + b_d z^(d-1)``.

  ``a`` and ``b`` are stored as vectors ``a = [a_1..a_d]``, ``b = [b_1..b_d]``, shape ``(d,)``
  (:func:`coeffs_from_ssm`).
* ``K = ifft(fft(b, L) / fft([1, a], L))``: ``O(L log L)`` whatever ``d`` is (:func:`kernel_fft`).
* The companion matrix turns ``(a, b)`` back into an SSM with ``O(d)`` work per step
  (:func:`companion`, :func:`realize`, :func:`companion_scan`).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from blogcode.ssm.discretize import check_system

__all__ = [
    "coeffs_from_ssm",
    "coeffs_from_series",
    "kernel_fft",
    "companion",
    "realize",
    "companion_scan",
    "shift_register_demo",
    "max_root_modulus",
    "time_kernel_methods",
]


def _check_ab(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(
            f"a and b must be vectors of the same length d >= 1, got shapes {a.shape}, {b.shape}"
        )
    dt = np.result_type(a, b, np.float64)
    return a.astype(dt), b.astype(dt)


def _check_L(L, d: int) -> int:
    if int(L) != L:
        raise ValueError(f"L must be an integer, got {L}")
    if L <= d:
        raise ValueError(f"L must exceed the state size d={d} (got L={L}): b/a has d+1 terms")
    return int(L)


def _rev_charpoly(M: np.ndarray) -> np.ndarray:
    """``det(I - z M) = 1 + c_1 z + ... + c_d z^d``; returns ``[1, c_1, .., c_d]``."""
    return np.poly(M)  # det(lam I - M) = lam^d + c_1 lam^{d-1} + ...: same coefficients


def coeffs_from_ssm(Ab, Bb, C, L: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` with ``sum_{j<L} K_j z^j = b(z)/a(z)`` at ``z^L = 1``, by characteristic
    polynomials.

    With ``Ct^* = C^* (I - Ab^L)`` the truncated generating function at the roots of unity is
    ``Ct^* (I - z Ab)^{-1} Bb``.  Its denominator is ``a(z) = det(I - z Ab)``.  For the
    numerator, ``det(I + UV) = det(I + VU)`` gives

        ``det(I - z Ab + Bb Ct^*) = a(z) (1 + Ct^*(I - z Ab)^{-1} Bb)``,

    and ``det(I + Bb Ct^* - z Ab) = (1 + Ct^* Bb) det(I - z (I + Bb Ct^*)^{-1} Ab)``, so
    ``b(z) = (1 + Ct^* Bb) revcharpoly((I + Bb Ct^*)^{-1} Ab) - revcharpoly(Ab)`` (its ``z^d``
    term cancels).  Needs ``1 + Ct^* Bb != 0``.  Returns ``a (d,)``, ``b (d,)``.

    >>> import numpy as np
    >>> a, b = coeffs_from_ssm(0.5 * np.eye(1), np.ones(1), np.ones(1), 8)
    >>> a, b        # K_j = 0.5^j: b/a = (1 - 0.5^8) / (1 - 0.5 z)
    (array([-0.5]), array([0.99609375]))
    """
    from blogcode.ssm.s4 import ctilde

    Ab, Bb = check_system(Ab, Bb)
    d = len(Ab)
    L = _check_L(L, d)
    Ct = ctilde(Ab, C, L)
    a_full = _rev_charpoly(Ab)
    s = 1.0 + Ct.conj() @ Bb
    if abs(s) < 1e-12:
        raise ValueError("1 + Ct^* Bb vanishes: use coeffs_from_series instead")
    M = np.linalg.solve(np.eye(d) + np.outer(Bb, Ct.conj()), Ab)
    num = s * _rev_charpoly(M) - a_full
    a, b = a_full[1:], num[:d]
    if not any(np.iscomplexobj(x) for x in (Ab, Bb, C)):
        a, b = a.real, b.real
    return a, b


def coeffs_from_series(Ab, Bb, C, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Same ``(a, b)`` as :func:`coeffs_from_ssm`, by power series instead of determinants.

    ``b(z) = a(z) * sum_j Ct^* Ab^j Bb z^j`` truncated to degree ``d-1`` (the product is a
    polynomial of degree ``< d`` by Cayley-Hamilton).  An independent route, for tests.
    """
    from blogcode.ssm.s4 import ctilde, kernel_direct

    Ab, Bb = check_system(Ab, Bb)
    d = len(Ab)
    L = _check_L(L, d)
    Ct = ctilde(Ab, C, L)
    a_full = _rev_charpoly(Ab)
    Kt = kernel_direct(Ab, Bb, Ct, d)  # first d terms of the untruncated series
    b = np.convolve(a_full, Kt)[:d]
    a = a_full[1:]
    if not any(np.iscomplexobj(x) for x in (Ab, Bb, C)):
        a, b = a.real, b.real
    return a, b


def kernel_fft(a, b, L: int, device=None):
    """The length-``L`` kernel ``K = ifft(fft(b, L) / fft([1, a], L))`` (torch, ``O(L log L)``).

    ``fft(x, L)_j = sum_k x_k omega^{jk}`` evaluates a polynomial at ``omega^j``,
    ``omega = exp(-2 pi i / L)``, so the quotient is ``b/a`` at the roots of unity.  ``L > d``.
    Returns a torch tensor ``(L,)`` (float64 for real ``a, b``) on ``device``.

    >>> kernel_fft([-0.5], [1 - 0.5 ** 4], 4, device="cpu")
    tensor([1.0000, 0.5000, 0.2500, 0.1250], dtype=torch.float64)
    """
    import torch

    from blogcode.device import pick_device

    a, b = _check_ab(a, b)
    d = len(a)
    L = _check_L(L, d)
    dev = pick_device() if device is None else torch.device(device)
    a_t = torch.as_tensor(np.concatenate([[1.0], a]), device=dev)
    b_t = torch.as_tensor(b, device=dev)
    if not (a_t.is_complex() or b_t.is_complex()):
        a_t, b_t = a_t.double(), b_t.double()
        return torch.fft.irfft(torch.fft.rfft(b_t, n=L) / torch.fft.rfft(a_t, n=L), n=L)
    a_t, b_t = a_t.to(torch.complex128), b_t.to(torch.complex128)
    return torch.fft.ifft(torch.fft.fft(b_t, n=L) / torch.fft.fft(a_t, n=L))


def companion(a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A state-space realisation ``(Ac, Bc, Cc)`` of ``b(z)/a(z)`` (controllable canonical form).

    ``Ac`` has first row ``-a`` and ones on the sub-diagonal, ``Bc = e_1``, ``Cc = b``; then
    ``Cc^T (I - z Ac)^{-1} Bc = b(z)/a(z)`` as power series, i.e. the impulse response
    ``Cc^T Ac^j Bc`` is the series of ``b/a``, and ``det(lam I - Ac) = lam^d + a_1 lam^{d-1}
    + ... + a_d`` (``np.poly(Ac) == [1, *a]``).  The state is a shift register of
    ``w_k = u_k - a_1 w_{k-1} - ... - a_d w_{k-d}``.

    >>> Ac, Bc, Cc = companion([0.1, 0.2], [1.0, 2.0])
    >>> Ac
    array([[-0.1, -0.2],
           [ 1. ,  0. ]])
    """
    a, b = _check_ab(a, b)
    d = len(a)
    Ac = np.zeros((d, d), dtype=a.dtype)
    Ac[0] = -a
    Ac[np.arange(1, d), np.arange(d - 1)] = 1.0
    Bc = np.zeros(d, dtype=a.dtype)
    Bc[0] = 1.0
    return Ac, Bc, b.copy()


def realize(a, b, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A recurrent realisation whose first ``L`` kernel terms equal :func:`kernel_fft`
    ``(a, b, L)``.

    ``kernel_fft`` returns the ``L``-periodic aliasing of the series of ``b/a``; the companion
    system with the output vector ``C`` solving ``C^T (I - Ac^L) = Cc^T`` has exactly that
    kernel for ``j < L`` (the inverse of the ``Ct`` correction of S4).  Returns ``(Ac, Bc, C)``.
    """
    a, b = _check_ab(a, b)
    L = _check_L(L, len(a))
    Ac, Bc, Cc = companion(a, b)
    M = np.eye(len(a)) - np.linalg.matrix_power(Ac, L)
    C = np.linalg.solve(M.T, Cc)
    return Ac, Bc, C


def companion_scan(a, b, u, c=None) -> np.ndarray:
    """Run the companion realisation over ``u (L,)`` with ``O(d)`` work per step.

    ``w_k = u_k - sum_i a_i w_{k-i}``, ``y_k = sum_i c_i w_{k-i+1}`` (``c = b`` by default;
    pass the ``C`` of :func:`realize` to reproduce the length-``L`` FFT kernel).  No matrix
    is formed: the state is the last ``d`` values of ``w``.

    >>> companion_scan([0.0, 0.0], [1.0, 2.0], [1.0, 0.0, 0.0])
    array([1., 2., 0.])
    """
    a, b = _check_ab(a, b)
    c = b if c is None else np.asarray(c)
    if c.shape != b.shape:
        raise ValueError(f"c must have shape {b.shape}, got {c.shape}")
    u = np.asarray(u)
    if u.ndim != 1:
        raise ValueError(f"u must have shape (L,), got {u.shape}")
    d = len(a)
    w = np.zeros(d, dtype=np.result_type(a, c, u))  # w[0] is the newest value
    y = np.empty(len(u), dtype=w.dtype)
    for k, uk in enumerate(u):
        wk = uk - a @ w
        w = np.roll(w, 1)
        w[0] = wk
        y[k] = c @ w
    return y


def shift_register_demo(b, u) -> tuple[np.ndarray, np.ndarray]:
    """Zero initialisation ``a = 0``: the companion matrix is a pure shift and the SSM is the FIR
    filter with taps ``b``.  Returns ``(y_ssm, y_fir)`` for comparison.

    >>> y, f = shift_register_demo([1.0, -1.0], [1.0, 2.0, 4.0])
    >>> y, f
    (array([1., 1., 2.]), array([1., 1., 2.]))
    """
    b = np.asarray(b, dtype=float)
    if b.ndim != 1 or len(b) == 0:
        raise ValueError(f"b must be a non-empty vector, got shape {b.shape}")
    u = np.asarray(u, dtype=float)
    y = companion_scan(np.zeros_like(b), b, u)
    return y, np.convolve(u, b)[: len(u)]


def max_root_modulus(a) -> float:
    """Largest ``|lam|`` over the roots of ``lam^d + a_1 lam^{d-1} + ... + a_d`` (the poles of the
    SSM).  If ``sum |a_i| < 1`` it is ``< 1``.

    >>> round(max_root_modulus([0.0, -0.25]), 12)
    0.5
    """
    a = np.asarray(a)
    if a.ndim != 1 or len(a) == 0:
        raise ValueError(f"a must be a non-empty vector, got shape {a.shape}")
    return float(np.max(np.abs(np.roots(np.concatenate([[1.0], a])))))


def _direct_powers_torch(Ab_t, Bb_t, C_t, L: int):
    """``K_j = C^T Ab^j Bb`` by ``L`` matrix-vector products in torch (the timing baseline)."""
    import torch

    out = torch.empty(L, dtype=Ab_t.dtype, device=Ab_t.device)
    x = Bb_t
    for j in range(L):
        out[j] = C_t @ x
        x = Ab_t @ x
    return out


def time_kernel_methods(ds, L: int = 1024, device=None, **protocol) -> list[dict]:
    """Seconds to compute a length-``L`` kernel, per state size, under :mod:`blogcode.timing`.

    Methods (torch, on ``device``; default :func:`blogcode.device.pick_device`):

    * ``"direct"`` -- ``L`` matrix-vector products ``Ab^j Bb`` (``O(L d^2)``);
    * ``"s4"``     -- S4's DPLR generating function, Cauchy sums at ``L`` roots (``O(L d)``);
    * ``"rtf"``    -- ``ifft(fft(b)/fft(a))`` (``O(L log L)``, independent of ``d``).

    ``direct`` and ``s4`` use the LegS matrix with a fixed random ``C`` (seed 0), step ``1/L``;
    ``rtf`` uses random ``(a, b)`` with ``sum |a_i| = 1/2`` (its own parameterisation: the
    LegS-to-``(a, b)`` conversion is ill-conditioned at large ``d``, see the post); the three
    kernels are checked against each other in the tests and the post.  Returns one dict per
    ``d``: ``{"d", "direct", "s4", "rtf"}`` (median seconds); ``protocol`` goes to
    :func:`blogcode.timing.measure` (one thread by default; on CUDA every sample synchronises).
    """
    import torch

    from blogcode.device import pick_device
    from blogcode.ssm.hippo import legs
    from blogcode.ssm.s4 import bilinear, dplr_decompose, kernel_dplr
    from blogcode.timing import time_table

    dev = pick_device() if device is None else torch.device(device)
    if dev.type == "cuda":
        protocol.setdefault("sync", torch.cuda.synchronize)
    rng = np.random.default_rng(0)
    ds = [int(d) for d in ds]
    for d in ds:
        _check_L(L, d)

    def setup(d):
        A, B = legs(d)
        C = rng.standard_normal(d)
        step = 1.0 / L
        Ab, Bb = bilinear(A, B, step)
        Lam, P, V = dplr_decompose(d)
        Bt, Ct = V.conj().T @ B, V.conj().T @ C
        a = rng.standard_normal(d)
        a *= 0.5 / np.abs(a).sum()
        b = rng.standard_normal(d)
        as_t = partial(torch.as_tensor, device=dev)
        return {
            "direct": partial(_direct_powers_torch, as_t(Ab), as_t(Bb), as_t(C), L),
            "s4": partial(kernel_dplr, Lam, P, Bt, Ct, step, L, device=dev),
            "rtf": partial(kernel_fft, a, b, L, device=dev),
        }

    methods = {name: (lambda fns, name=name: fns[name]()) for name in ("direct", "s4", "rtf")}
    return time_table([{"d": d} for d in ds], setup, methods, **protocol)
