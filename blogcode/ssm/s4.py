"""S4: the HiPPO matrix as a convolution, computed efficiently (post 3 of 重温SSM).

Glossary:

* ``N`` (``d`` in the post) -- state size; ``L`` -- sequence length.
* continuous system ``x' = A x + B u``, ``y = C^* x`` with ``A (N, N)``, ``B (N,)``,
  ``C (N,)``; ``^*`` is the conjugate transpose.
* ``Ab, Bb`` -- the bilinear discretisation with step ``step`` (:func:`bilinear`).
* recurrent view: ``x_k = Ab x_{k-1} + Bb u_k`` (``x_{-1} = 0``), ``y_k = C^* x_k``
  (:func:`scan`);
* convolution view: ``y_k = sum_{j<=k} K_j u_{k-j}`` with the kernel
  ``K_j = C^* Ab^j Bb``, ``j = 0..L-1`` (:func:`kernel_direct`), applied by FFT with zero
  padding to ``2L`` (:func:`fft_conv`);
* generating function ``G(z) = sum_{j<L} K_j z^j = Ct^* (I - z Ab)^{-1} Bb`` at the roots
  of unity ``z^L = 1``, where ``Ct^* = C^* (I - Ab^L)`` (:func:`ctilde`); the inverse FFT of
  ``G(omega^j)``, ``omega = exp(-2 pi i / L)``, is ``K`` (:func:`kernel_genfn`);
* DPLR: ``A = V (diag(Lambda) - P P^*) V^*`` with ``V`` unitary (:func:`dplr_decompose`);
  in that basis the resolvent follows from :func:`woodbury_inverse`, giving the kernel in
  ``O(N L)`` (:func:`kernel_dplr`); the same structure makes one recurrent step ``O(N)``
  (:func:`dplr_scan`).

numpy float64 is used for the reference paths (:func:`kernel_direct`, :func:`scan`);
the generating-function kernels and the FFT convolution are torch (complex128/float64)
and run on ``blogcode.device.pick_device()`` -- CUDA when present, the CPU otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from blogcode.ssm.discretize import bilinear as _bilinear
from blogcode.ssm.discretize import check_system

__all__ = [
    "bilinear",
    "scan",
    "kernel_direct",
    "ctilde",
    "kernel_genfn",
    "dplr_decompose",
    "woodbury_inverse",
    "kernel_dplr",
    "dplr_scan",
    "legs_eigvec",
    "legs_eigvec_log10abs",
    "fft_conv",
    "conv_direct",
]


def _check_C(C, N: int) -> np.ndarray:
    C = np.asarray(C)
    if C.ndim == 2 and 1 in C.shape:
        C = C.reshape(-1)
    if C.ndim != 1 or C.shape[0] != N:
        raise ValueError(f"C must be a vector of length N={N}, got shape {C.shape}")
    return C.astype(np.result_type(C, np.float64))


def _check_L(L) -> int:
    if int(L) != L or L < 1:
        raise ValueError(f"the kernel length L must be a positive integer, got {L}")
    return int(L)


def _real_if_real(x: np.ndarray, *arrays) -> np.ndarray:
    if all(not np.iscomplexobj(a) for a in arrays):
        return x.real.copy()
    return x


def _device(device):
    import torch

    from blogcode.device import pick_device

    return pick_device() if device is None else torch.device(device)


# ----------------------------------------------------------------------------- views
def bilinear(A, B, step: float) -> tuple[np.ndarray, np.ndarray]:
    """S4's discretisation: ``Ab = (I - step*A/2)^{-1}(I + step*A/2)``,
    ``Bb = step*(I - step*A/2)^{-1} B``.

    Same as :func:`blogcode.ssm.discretize.bilinear`; ``C`` is unchanged by it.

    >>> import numpy as np
    >>> Ab, Bb = bilinear(-np.eye(1), np.ones(1), 1.0)
    >>> round(float(Ab[0, 0]), 6)
    0.333333
    """
    return _bilinear(A, B, step)


def scan(Ab, Bb, C, u) -> np.ndarray:
    """The recurrent view: ``x_k = Ab x_{k-1} + Bb u_k``, ``y_k = C^* x_k``, ``x_{-1} = 0``.

    ``u`` is ``(L,)``; returns ``y`` ``(L,)`` (real when all inputs are real).  ``O(L N^2)``.

    >>> import numpy as np
    >>> scan(0.5 * np.eye(1), np.ones(1), np.ones(1), [1.0, 0.0, 0.0])
    array([1.  , 0.5 , 0.25])
    """
    Ab, Bb = check_system(Ab, Bb)
    C = _check_C(C, len(Ab))
    u = np.asarray(u)
    if u.ndim != 1:
        raise ValueError(f"u must have shape (L,), got {u.shape}")
    x = np.zeros(len(Ab), dtype=np.result_type(Ab, Bb, u))
    y = np.empty(len(u), dtype=np.result_type(x, C))
    Cc = C.conj()
    for k, uk in enumerate(u):
        x = Ab @ x + Bb * uk
        y[k] = Cc @ x
    return _real_if_real(y, Ab, Bb, C, u)


def kernel_direct(Ab, Bb, C, L: int) -> np.ndarray:
    """The convolution kernel by direct powers: ``K_j = C^* Ab^j Bb``, ``j = 0..L-1``.

    Shapes ``Ab (N, N)``, ``Bb (N,)``, ``C (N,)`` -> ``K (L,)``.  ``O(L N^2)``: the reference.

    >>> import numpy as np
    >>> kernel_direct(0.5 * np.eye(1), np.ones(1), np.ones(1), 4)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    Ab, Bb = check_system(Ab, Bb)
    C = _check_C(C, len(Ab))
    L = _check_L(L)
    K = np.empty(L, dtype=np.result_type(Ab, Bb, C))
    x = Bb.copy()
    Cc = C.conj()
    for j in range(L):
        K[j] = Cc @ x
        x = Ab @ x
    return _real_if_real(K, Ab, Bb, C)


def ctilde(Ab, C, L: int) -> np.ndarray:
    """``Ct = (I - Ab^L)^* C``, i.e. ``Ct^* = C^* (I - Ab^L)``: the output vector that makes the
    untruncated generating function agree with the length-``L`` one at ``z^L = 1``.

    >>> import numpy as np
    >>> ctilde(0.5 * np.eye(1), np.ones(1), 2)
    array([0.75])
    """
    Ab = np.asarray(Ab)
    if Ab.ndim != 2 or Ab.shape[0] != Ab.shape[1]:
        raise ValueError(f"Ab must be a square (N, N) matrix, got shape {Ab.shape}")
    C = _check_C(C, len(Ab))
    L = _check_L(L)
    M = np.eye(len(Ab)) - np.linalg.matrix_power(Ab, L)
    return M.conj().T @ C


def kernel_genfn(Ab, Bb, C, L: int, device=None):
    """The kernel from the generating function at the ``L``-th roots of unity (torch).

    ``G(omega^j) = Ct^* (I - omega^j Ab)^{-1} Bb`` with ``Ct`` from :func:`ctilde` and
    ``omega = exp(-2 pi i / L)``; then ``K = ifft(G)``.  One dense solve per root:
    ``O(L N^3)`` -- the point is the identity, the DPLR structure makes it cheap.
    Returns a torch tensor ``(L,)`` (float64 if the system is real, else complex128) on
    ``device`` (default :func:`blogcode.device.pick_device`).

    >>> import numpy as np
    >>> kernel_genfn(0.5 * np.eye(1), np.ones(1), np.ones(1), 4, device="cpu")
    tensor([1.0000, 0.5000, 0.2500, 0.1250], dtype=torch.float64)
    """
    import torch

    Ab, Bb = check_system(Ab, Bb)
    C = _check_C(C, len(Ab))
    L = _check_L(L)
    dev = _device(device)
    real = not any(np.iscomplexobj(a) for a in (Ab, Bb, C))
    Ct = ctilde(Ab, C, L)
    N = len(Ab)
    Abt = torch.as_tensor(Ab, dtype=torch.complex128, device=dev)
    Bbt = torch.as_tensor(Bb, dtype=torch.complex128, device=dev)
    Ctt = torch.as_tensor(Ct, dtype=torch.complex128, device=dev)
    j = torch.arange(L, device=dev, dtype=torch.float64)
    z = torch.exp(-2j * math.pi * j / L)  # (L,) roots of unity
    M = torch.eye(N, dtype=torch.complex128, device=dev) - z[:, None, None] * Abt  # (L, N, N)
    R = torch.linalg.solve(M, Bbt.expand(L, N))  # (L, N): (I - z Ab)^{-1} Bb
    G = R @ Ctt.conj()  # (L,)
    K = torch.fft.ifft(G)
    return K.real.contiguous() if real else K


# ----------------------------------------------------------------------------- DPLR
def dplr_decompose(N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Diagonal-plus-low-rank form of the blog's LegS matrix ``A`` (:func:`hippo.legs`).

    With ``v_n = sqrt(2n+1)``, ``S = A + v v^T / 2 + I / 2`` is skew-symmetric, hence
    ``S = V diag(i*omega) V^*`` with ``V`` unitary, and

        ``A = V (diag(Lambda) - P P^*) V^*``,  ``Lambda = i*omega - 1/2``,  ``P = V^* v / sqrt 2``.

    Returns ``Lambda (N,)``, ``P (N,)``, ``V (N, N)`` (complex128).  Computed from the
    Hermitian matrix ``-i S`` with ``numpy.linalg.eigh``, so ``V`` is unitary to round-off.

    >>> import numpy as np
    >>> Lam, P, V = dplr_decompose(3)
    >>> bool(np.allclose(Lam.real, -0.5))
    True
    """
    from blogcode.ssm.hippo import legs

    A, _ = legs(N)
    v = np.sqrt(2.0 * np.arange(N) + 1.0)
    S = A + 0.5 * np.outer(v, v) + 0.5 * np.eye(N)
    omega, V = np.linalg.eigh(-1j * S)  # -iS Hermitian: S = V diag(i omega) V^*
    Lam = 1j * omega - 0.5
    P = V.conj().T @ v / np.sqrt(2.0)
    return Lam, P, V


def woodbury_inverse(D, U, W) -> np.ndarray:
    """``(diag(D) + U W^*)^{-1}`` by the Woodbury identity.

    ``D (N,)`` is the diagonal, ``U, W`` are ``(N,)`` (rank one) or ``(N, r)``:

        ``(D + U W^*)^{-1} = D^{-1} - D^{-1} U (I_r + W^* D^{-1} U)^{-1} W^* D^{-1}``.

    Only an ``r x r`` system is solved.  Returns the dense ``(N, N)`` inverse.

    >>> import numpy as np
    >>> Minv = woodbury_inverse(np.array([2.0, 3.0]), np.ones(2), np.ones(2))
    >>> bool(np.allclose(Minv, np.linalg.inv(np.diag([2.0, 3.0]) + 1.0)))
    True
    """
    D = np.asarray(D)
    U = np.asarray(U)
    W = np.asarray(W)
    if D.ndim != 1:
        raise ValueError(f"D must be the diagonal, a vector (N,), got shape {D.shape}")
    N = len(D)
    if U.ndim == 1:
        U = U[:, None]
    if W.ndim == 1:
        W = W[:, None]
    if U.shape[0] != N or W.shape != U.shape:
        raise ValueError(
            f"U and W must both have shape ({N},) or ({N}, r), got {U.shape}, {W.shape}"
        )
    if np.any(D == 0):
        raise ValueError("D has a zero entry: diag(D) is not invertible")
    Dinv = 1.0 / D
    DU = Dinv[:, None] * U  # (N, r)
    WD = W.conj().T * Dinv[None, :]  # (r, N)
    core = np.eye(U.shape[1]) + W.conj().T @ DU  # (r, r)
    return np.diag(Dinv) - DU @ np.linalg.solve(core, WD)


def kernel_dplr(Lam, P, Bt, Ct, step: float, L: int, device=None):
    """S4's kernel in ``O(N L)`` from the DPLR form, at the roots of unity (torch).

    ``A = diag(Lam) - P P^*`` (already in the rotated basis: ``Bt = V^* B``, ``Ct = V^* C'``
    where ``C'`` is the corrected output vector, ``C'^* = C^* (I - Ab^L)``, see :func:`ctilde`).
    For the bilinear ``Ab, Bb`` with step ``step``,

        ``(I - z Ab)^{-1} Bb = step * [(1-z) I - step (1+z) A / 2]^{-1} B``,

    a diagonal plus rank-one matrix, inverted by Woodbury: with ``D = (1-z) - b Lam``,
    ``b = step (1+z)/2`` and the Cauchy sums ``k_XY = sum_n conj(X_n) Y_n / D_n``,

        ``G(z) = step * (k_CB - b k_CP k_PB / (1 + b k_PP))``.

    Returns the complex128 kernel ``(L,)`` on ``device``; its real part is the kernel of a
    real system.
    """
    import torch

    Lam = np.asarray(Lam)
    N = Lam.shape[0] if Lam.ndim == 1 else -1
    for name, arr in (("Lam", Lam), ("P", P), ("Bt", Bt), ("Ct", Ct)):
        if np.asarray(arr).shape != (N,):
            raise ValueError(f"{name} must be a vector (N,) with N = len(Lam), got {np.shape(arr)}")
    L = _check_L(L)
    step = float(step)
    if not step > 0:
        raise ValueError(f"step must be positive, got {step}")
    dev = _device(device)
    c128 = dict(dtype=torch.complex128, device=dev)
    Lam_t, P_t, B_t, C_t = (torch.as_tensor(np.asarray(a), **c128) for a in (Lam, P, Bt, Ct))
    j = torch.arange(L, device=dev, dtype=torch.float64)
    z = torch.exp(-2j * math.pi * j / L)[:, None]  # (L, 1)
    b = step * (1 + z) / 2  # (L, 1)
    D = (1 - z) - b * Lam_t[None, :]  # (L, N)

    def cauchy(X, Y):  # sum_n conj(X_n) Y_n / D_n, for every root: (L,)
        return ((X.conj() * Y)[None, :] / D).sum(-1)

    kCB, kCP, kPB, kPP = cauchy(C_t, B_t), cauchy(C_t, P_t), cauchy(P_t, B_t), cauchy(P_t, P_t)
    bb = b[:, 0]
    G = step * (kCB - bb * kCP * kPB / (1 + bb * kPP))
    return torch.fft.ifft(G)


def dplr_scan(Lam, P, Bt, Ct, step: float, u) -> np.ndarray:
    """The recurrent view in the DPLR basis, ``O(N)`` per step, without forming ``Ab``.

    ``A = diag(Lam) - P P^*`` (the rotated basis of :func:`dplr_decompose`: ``Bt = V^* B``,
    ``Ct = V^* C``).  The bilinear step ``x_k = (I - step A/2)^{-1}[(I + step A/2) x_{k-1} +
    step B u_k]`` uses ``I - step A/2 = (step/2)(Delta + P P^*)`` with the diagonal
    ``Delta = 2/step - Lam``, inverted by Woodbury:

        ``(Delta + P P^*)^{-1} y
        = Delta^{-1} y - Delta^{-1} P (P^* Delta^{-1} y) / (1 + P^* Delta^{-1} P)``.

    Every product is elementwise or an inner product: ``O(N)``.  Returns ``y_k = Ct^* x_k``
    (complex128, ``(L,)``; its real part is the output of a real system), ``x_{-1} = 0``.

    >>> import numpy as np
    >>> y = dplr_scan(np.array([-1.0]), np.zeros(1), np.ones(1), np.ones(1), 0.5, [1.0, 0.0])
    >>> np.round(y.real, 6)  # Ab = (1 - 0.25)/(1 + 0.25) = 0.6, Bb = 0.5/1.25 = 0.4
    array([0.4 , 0.24])
    """
    Lam = np.asarray(Lam, dtype=np.complex128)
    if Lam.ndim != 1:
        raise ValueError(f"Lam must be a vector (N,), got shape {Lam.shape}")
    N = Lam.shape[0]
    P, Bt, Ct = (np.asarray(a, dtype=np.complex128) for a in (P, Bt, Ct))
    for name, arr in (("P", P), ("Bt", Bt), ("Ct", Ct)):
        if arr.shape != (N,):
            raise ValueError(f"{name} must be a vector (N,) with N = len(Lam), got {arr.shape}")
    step = float(step)
    if not step > 0:
        raise ValueError(f"step must be positive, got {step}")
    u = np.asarray(u)
    if u.ndim != 1:
        raise ValueError(f"u must have shape (L,), got {u.shape}")
    Dinv = 1.0 / (2.0 / step - Lam)  # Delta^{-1}, diagonal
    DP = Dinv * P
    denom = 1.0 + np.vdot(P, DP)  # 1 + P^* Delta^{-1} P, a scalar
    Cc = Ct.conj()
    x = np.zeros(N, dtype=np.complex128)
    y = np.empty(len(u), dtype=np.complex128)
    for k, uk in enumerate(u):
        # (I + step A/2) x + step B u, with A x = Lam x - P (P^* x)
        r = x + 0.5 * step * (Lam * x - P * np.vdot(P, x)) + step * Bt * uk
        z = Dinv * r
        x = (2.0 / step) * (z - DP * (np.vdot(P, z) / denom))
        y[k] = Cc @ x
    return y


# ----------------------------------------------------------------------------- eigenvectors
def _check_eig_index(d: int, m: int) -> tuple[int, int]:
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d}")
    if int(m) != m or not 0 <= m < d:
        raise ValueError(f"m must be an integer in [0, d), got {m}")
    return int(d), int(m)


def legs_eigvec(d: int, m: int, normalize: bool = True) -> np.ndarray:
    """Closed-form eigenvector of the LegS matrix for the eigenvalue ``-(m+1)``.

    ``v_n = 0`` for ``n < m`` and ``v_n = (-1)^(n-m) sqrt((2n+1)/(2m+1)) binom(n+m, n-m)``
    for ``n >= m`` (so ``v_m = 1``); ``normalize=True`` scales it to unit length.
    Float64: overflows once ``binom(2d, d)`` does (``d`` around 500); use
    :func:`legs_eigvec_log10abs` beyond that.

    >>> legs_eigvec(3, 0, normalize=False)
    array([ 1.        , -1.73205081,  2.23606798])
    """
    d, m = _check_eig_index(d, m)
    v = np.zeros(d)
    for k in range(m, d):
        v[k] = (-1.0) ** (k - m) * math.sqrt((2 * k + 1) / (2 * m + 1)) * math.comb(k + m, k - m)
    if normalize:
        v = v / np.linalg.norm(v)
    return v


def legs_eigvec_log10abs(d: int, m: int, normalize: bool = True) -> np.ndarray:
    """``log10 |v_n|`` of :func:`legs_eigvec`, via ``lgamma`` (no overflow); ``-inf`` for ``n < m``.

    >>> import numpy as np
    >>> v = legs_eigvec(6, 2)
    >>> bool(np.allclose(legs_eigvec_log10abs(6, 2)[2:], np.log10(np.abs(v[2:]))))
    True
    """
    d, m = _check_eig_index(d, m)
    out = np.full(d, -np.inf)
    ln10 = math.log(10.0)
    for k in range(m, d):
        lb = math.lgamma(k + m + 1) - math.lgamma(k - m + 1) - math.lgamma(2 * m + 1)
        out[k] = (0.5 * math.log((2 * k + 1) / (2 * m + 1)) + lb) / ln10
    if normalize:
        top = out[m:].max()
        out = out - (top + 0.5 * math.log10(np.sum(10.0 ** (2 * (out[m:] - top)))))
    return out


# ----------------------------------------------------------------------------- convolution
def conv_direct(u, K) -> np.ndarray:
    """Causal convolution by the definition: ``y_k = sum_{j<=k} K_j u_{k-j}``; ``(L,)``."""
    u = np.asarray(u)
    K = np.asarray(K)
    if u.ndim != 1 or K.shape != u.shape:
        raise ValueError(f"u and K must both have shape (L,), got {u.shape} and {K.shape}")
    return np.convolve(u, K)[: len(u)]


def fft_conv(u, K, device=None):
    """Causal convolution ``y_k = sum_{j<=k} K_j u_{k-j}`` by FFT with zero padding to ``2L``.

    ``u`` is ``(..., L)`` (batch dimensions allowed), ``K`` is ``(L,)``; numpy arrays or torch
    tensors.  Padding to ``2L`` turns the FFT's circular convolution into the linear one.
    Returns a torch float64 tensor ``(..., L)`` on ``device`` (default ``pick_device()``).

    >>> fft_conv([1.0, 0.0, 0.0], [1.0, 0.5, 0.25], device="cpu")
    tensor([1.0000, 0.5000, 0.2500], dtype=torch.float64)
    """
    import torch

    dev = _device(device)
    u_t = torch.as_tensor(np.asarray(u) if not torch.is_tensor(u) else u)
    K_t = torch.as_tensor(np.asarray(K) if not torch.is_tensor(K) else K)
    if u_t.ndim < 1 or K_t.ndim != 1 or K_t.shape[0] != u_t.shape[-1]:
        raise ValueError(
            f"u must be (..., L) and K (L,) with the same L, "
            f"got {tuple(u_t.shape)}, {tuple(K_t.shape)}"
        )
    if u_t.is_complex() or K_t.is_complex():
        raise ValueError("fft_conv expects real u and K (take .real of a complex kernel)")
    L = u_t.shape[-1]
    u_t = u_t.to(device=dev, dtype=torch.float64)
    K_t = K_t.to(device=dev, dtype=torch.float64)
    n = 2 * L
    y = torch.fft.irfft(torch.fft.rfft(u_t, n=n) * torch.fft.rfft(K_t, n=n), n=n)
    return y[..., :L]
