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
* Checks of the derivation: the transfer function through the Schur complement of a bordered
  block matrix (:func:`schur_block`, :func:`transfer_schur`, against :func:`transfer`); the power
  series of ``b/a`` by long division (:func:`series_coeffs`) and its ``L``-periodic folding
  (:func:`fold`), which is what the FFT kernel returns.
* Training in the ``(a, b)`` parameterisation: :func:`kernel_fft_torch` (differentiable) and
  :func:`fit_rtf`; stability of ``lam^d + a_1 lam^{d-1} + ... + a_d`` (:func:`max_root_modulus`,
  :func:`max_root_modulus_batch`, :func:`diamond_fraction`).
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
    "max_root_modulus_batch",
    "transfer",
    "schur_block",
    "transfer_schur",
    "series_coeffs",
    "fold",
    "kernel_fft_torch",
    "fit_rtf",
    "diamond_fraction",
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
    ``Ct^* (I - z Ab)^{-1} Bb``.  Put ``lam = 1/z``.  The Schur complement of the bordered
    matrix ``[[lam I - Ab, Bb], [-Ct^*, 1]]`` (or ``det(I + UV) = det(I + VU)``) gives

        ``1 + Ct^* (lam I - Ab)^{-1} Bb = det(lam I - Ab + Bb Ct^*) / det(lam I - Ab)``,

    so with ``p_M(lam) = det(lam I - M)``: ``a`` = the coefficients of ``p_Ab`` after the leading
    1, and ``a + b`` = those of ``p_{Ab - Bb Ct^*}`` (the two ``lam^d`` terms cancel, so ``b``
    has ``d`` coefficients).  Returns ``a (d,)``, ``b (d,)``.

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
    p_A = _rev_charpoly(Ab)
    p_ABC = _rev_charpoly(Ab - np.outer(Bb, Ct.conj()))
    a, b = p_A[1:], p_ABC[1:] - p_A[1:]
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


def max_root_modulus_batch(a) -> np.ndarray:
    """:func:`max_root_modulus` for each row of ``a (n, d)``: the largest ``|eigenvalue|`` of each
    companion matrix, by one batched eigenvalue call.  Returns ``(n,)``.

    >>> max_root_modulus_batch([[0.0, -0.25], [-1.5, 0.5]]).round(12)
    array([0.5, 1. ])
    """
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[1] == 0:
        raise ValueError(f"a must have shape (n, d) with d >= 1, got {a.shape}")
    n, d = a.shape
    M = np.zeros((n, d, d))
    M[:, 0, :] = -a
    M[:, np.arange(1, d), np.arange(d - 1)] = 1.0
    return np.abs(np.linalg.eigvals(M)).max(axis=1)


def transfer(Ab, Bb, Ct, z) -> complex:
    """``Ct^* (I - z Ab)^{-1} Bb`` by one linear solve (the reference for :func:`transfer_schur`).

    >>> import numpy as np
    >>> transfer(0.5 * np.eye(1), np.ones(1), np.ones(1), 1.0)
    (2+0j)
    """
    Ab, Bb = check_system(Ab, Bb)
    Ct = np.asarray(Ct)
    if Ct.shape != Bb.shape:
        raise ValueError(f"Ct must have shape {Bb.shape}, got {Ct.shape}")
    x = np.linalg.solve(np.eye(len(Ab)) - z * Ab.astype(complex), Bb.astype(complex))
    return complex(Ct.conj() @ x)


def schur_block(Ab, Bb, Ct, z) -> np.ndarray:
    """The bordered matrix ``M = [[I - z Ab, Bb], [-Ct^*, 1]]``, shape ``(d+1, d+1)``, complex.

    Its two Schur complements are ``1 + Ct^*(I - z Ab)^{-1} Bb`` (of the top-left block) and
    ``I - z Ab + Bb Ct^*`` (of the bottom-right ``1``).
    """
    Ab, Bb = check_system(Ab, Bb)
    Ct = np.asarray(Ct)
    if Ct.shape != Bb.shape:
        raise ValueError(f"Ct must have shape {Bb.shape}, got {Ct.shape}")
    d = len(Ab)
    M = np.zeros((d + 1, d + 1), dtype=complex)
    M[:d, :d] = np.eye(d) - z * Ab
    M[:d, d] = Bb
    M[d, :d] = -Ct.conj()
    M[d, d] = 1.0
    return M


def transfer_schur(Ab, Bb, Ct, z) -> tuple[complex, complex]:
    """``G(z) = Ct^* (I - z Ab)^{-1} Bb`` two ways through :func:`schur_block` ``M``, without
    solving with ``I - z Ab`` against ``Bb``:

    * determinant: ``det M = det(I - z Ab) (1 + G)``, so ``G = det M / det(I - z Ab) - 1``;
    * inverse: the bottom-right entry of ``M^{-1}`` is ``1 / (1 + G)``.

    Returns ``(G_det, G_inv)``.

    >>> import numpy as np
    >>> [round(g.real, 12) for g in transfer_schur(0.5 * np.eye(1), np.ones(1), np.ones(1), 1.0)]
    [2.0, 2.0]
    """
    M = schur_block(Ab, Bb, Ct, z)
    d = len(M) - 1
    g_det = np.linalg.det(M) / np.linalg.det(M[:d, :d]) - 1.0
    g_inv = 1.0 / np.linalg.inv(M)[d, d] - 1.0
    return complex(g_det), complex(g_inv)


def series_coeffs(a, b, n: int) -> np.ndarray:
    """The first ``n`` power-series coefficients ``h_k`` of ``b(z)/a(z)`` by long division:
    ``h_k = b_{k+1} - sum_{i=1}^{min(k, d)} a_i h_{k-i}`` (``b_{k+1} = 0`` for ``k >= d``).
    No matrices: an independent check of the companion realisation.  Returns ``(n,)``.

    >>> series_coeffs([-0.5], [1.0], 4)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    a, b = _check_ab(a, b)
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    d = len(a)
    h = np.zeros(n, dtype=a.dtype)
    for k in range(n):
        m = min(k, d)  # h_{k-1}, ..., h_{k-m} pair with a_1, ..., a_m
        past = h[k - m : k][::-1]
        h[k] = (b[k] if k < d else 0.0) - a[:m] @ past
    return h


def fold(h, L: int) -> np.ndarray:
    """The ``L``-periodic folding ``F_j = sum_{m >= 0} h_{j + m L}``, ``j < L``, of a (long,
    decaying) sequence ``h``; zero-pads ``h`` to a multiple of ``L``.  The inverse DFT of a power
    series sampled at the ``L``-th roots of unity is exactly this folding.

    >>> fold([1.0, 2.0, 3.0, 4.0, 5.0], 2)
    array([9., 6.])
    """
    h = np.asarray(h)
    L = int(L)
    if h.ndim != 1 or L < 1:
        raise ValueError(f"h must be a vector and L >= 1, got shape {h.shape}, L={L}")
    m = -(-len(h) // L)
    return np.pad(h, (0, m * L - len(h))).reshape(m, L).sum(axis=0)


def kernel_fft_torch(a, b, L: int):
    """:func:`kernel_fft` for torch tensors ``a, b (..., d)`` (real), differentiable: the
    training path.  ``irfft(rfft(b, L) / rfft([1, a], L))``; returns ``(..., L)``.
    Three FFTs of length ``L``: two forward (``a``, ``b``) and one inverse.
    """
    import torch

    if a.shape != b.shape or a.ndim < 1:
        raise ValueError(f"a and b must have the same shape (..., d), got {a.shape}, {b.shape}")
    L = _check_L(L, a.shape[-1])
    one = torch.ones(*a.shape[:-1], 1, dtype=a.dtype, device=a.device)
    den = torch.fft.rfft(torch.cat([one, a], dim=-1), n=L)
    num = torch.fft.rfft(b, n=L)
    return torch.fft.irfft(num / den, n=L)


def fit_rtf(target, d: int, steps: int = 2000, lr: float = 1e-2, record_every: int = 50) -> dict:
    """Fit ``(a, b)`` so that :func:`kernel_fft_torch` matches ``target (L,)`` in mean squared
    error, by Adam (float64, CPU, deterministic), from the RTF initialisation ``a = 0``
    (and ``b = 0``).  Nothing keeps ``sum |a_i| < 1`` or the roots inside the unit circle.

    Returns ``{"a", "b" (d,), "loss" (final MSE / mean(target^2)), "loss0" (the same at the
    start), "steps" (the recorded step numbers), "root" and "l1" (max root modulus and
    sum |a_i| at those steps)}``.
    """
    import torch

    target = np.asarray(target, dtype=float)
    if target.ndim != 1:
        raise ValueError(f"target must have shape (L,), got {target.shape}")
    L = _check_L(len(target), int(d))
    T = torch.as_tensor(target, dtype=torch.float64)
    scale = float((target**2).mean())
    a = torch.zeros(int(d), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(int(d), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([a, b], lr=lr)
    rec_steps, roots, l1 = [], [], []
    loss0 = None
    for step in range(int(steps) + 1):
        if step % record_every == 0 or step == steps:
            an = a.detach().numpy().copy()
            rec_steps.append(step)
            roots.append(max_root_modulus(an))
            l1.append(float(np.abs(an).sum()))
        opt.zero_grad()
        loss = ((kernel_fft_torch(a, b, L) - T) ** 2).mean()
        if loss0 is None:
            loss0 = loss.item() / scale
        if step == steps:
            break
        loss.backward()
        opt.step()
    return {
        "a": a.detach().numpy().copy(),
        "b": b.detach().numpy().copy(),
        "loss": loss.item() / scale,
        "loss0": loss0,
        "steps": np.array(rec_steps),
        "root": np.array(roots),
        "l1": np.array(l1),
    }


def _poly_from_roots_batch(roots: np.ndarray) -> np.ndarray:
    """Rows ``[1, c_1, .., c_d]`` of ``prod_i (lam - r_i)`` for each row of ``roots (n, d)``."""
    coef = np.ones((len(roots), 1), dtype=complex)
    for r in np.asarray(roots).T:  # multiply in (lam - r), one root at a time
        coef = np.concatenate([coef, np.zeros((len(roots), 1))], axis=1)
        coef[:, 1:] = coef[:, 1:] - r[:, None] * coef[:, :-1]
    return coef


def _sample_stable_coeffs(d: int, trials: int, seed: int) -> np.ndarray:
    """``a (trials, d)`` of real polynomials with ``d/2`` conjugate root pairs, each root uniform
    by area in the unit disc."""
    rng = np.random.default_rng(seed)
    rad = np.sqrt(rng.uniform(0, 1, (trials, d // 2)))
    z = rad * np.exp(1j * rng.uniform(0, np.pi, (trials, d // 2)))
    return _poly_from_roots_batch(np.concatenate([z, z.conj()], axis=1))[:, 1:].real


def diamond_fraction(d: int, trials: int, seed: int = 0) -> tuple[float, float]:
    """How much of the stable set the condition ``sum |a_i| < 1`` covers, by sampling roots.

    For even ``d``: ``d/2`` conjugate pairs, each root uniform (by area) in the unit disc, so
    every sampled polynomial ``lam^d + a_1 lam^{d-1} + ... + a_d`` is stable.  Returns
    ``(fraction with sum |a_i| < 1, median of sum |a_i|)``.
    """
    d, trials = int(d), int(trials)
    if d < 2 or d % 2 or trials < 1:
        raise ValueError(f"need an even d >= 2 and trials >= 1, got d={d}, trials={trials}")
    s = np.abs(_sample_stable_coeffs(d, trials, seed)).sum(axis=1)
    return float((s < 1).mean()), float(np.median(s))


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
