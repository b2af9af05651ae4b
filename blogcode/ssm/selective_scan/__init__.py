"""Mamba's selective scan: a readable reference, a CPU fallback and a Triton kernel, one entry point.

Layout (after flash-linear-attention's ``fla/ops/<op>/``):

* ``naive.py``   -- the recurrence one step at a time: the definition and the test oracle;
* ``chunked.py`` -- the CPU fallback: segments solved in closed form with cumulative sums;
* ``triton.py``  -- the GPU kernel (state kept on chip, one pass over the inputs); it runs on CPU
  tensors only under ``TRITON_INTERPRET=1``.  Triton is imported only when that backend is used.

Dimension letters: ``batch`` (batch size), ``D`` (channels, Mamba's ``d_inner``), ``L`` (length),
``N`` (state size, ``d_state``).  ``B`` and ``C`` always mean the SSM matrices.
"""

from __future__ import annotations

import os

import torch

from .chunked import selective_scan_chunked
from .naive import selective_scan_naive

__all__ = ["selective_scan", "BACKENDS", "triton_available"]

BACKENDS = ("auto", "naive", "cpu", "triton")
_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def triton_available(device: torch.device | str) -> tuple[bool, str]:
    """Whether the Triton backend can run on ``device``, and why not if it cannot."""
    device = torch.device(device)
    try:
        import importlib.util

        if importlib.util.find_spec("triton") is None:
            return False, "the 'triton' package is not installed"
    except (ImportError, ValueError):
        return False, "the 'triton' package is not installed"
    if device.type == "cuda":
        return True, ""
    if os.environ.get("TRITON_INTERPRET") == "1":
        return True, ""
    return False, (
        f"tensors are on {device.type!r}; Triton needs CUDA tensors, or TRITON_INTERPRET=1 set "
        "before triton is imported to run its interpreter on the CPU"
    )


def _check_float(name: str, t: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_complex():
        raise TypeError(f"{name} is complex ({t.dtype}); only real selective scans are supported")
    if t.dtype not in _FLOATS:
        raise TypeError(f"{name} must be a floating tensor (float16/bfloat16/float32/float64), "
                        f"got {t.dtype}")


def _validate(u, delta, A, B, C, D, z, delta_bias):
    named = {"u": u, "delta": delta, "A": A, "B": B, "C": C, "D": D, "z": z,
             "delta_bias": delta_bias}
    for name, t in named.items():
        if t is not None:
            _check_float(name, t)
    if u.dim() != 3:
        raise ValueError(f"u must have shape [batch, D, L], got {tuple(u.shape)}")
    batch, dim, length = u.shape
    if length < 1 or dim < 1 or batch < 1:
        raise ValueError(f"u must have non-empty dimensions, got {tuple(u.shape)}")
    for name in ("delta", "z"):
        t = named[name]
        if t is not None and t.shape != u.shape:
            raise ValueError(f"{name} must have the shape of u {tuple(u.shape)}, got {tuple(t.shape)}")
    if A.dim() != 2 or A.shape[0] != dim:
        raise ValueError(f"A must have shape [D={dim}, N], got {tuple(A.shape)}")
    n_state = A.shape[1]
    for name, t in (("B", B), ("C", C)):
        if t.shape not in ((batch, n_state, length), (dim, n_state)):
            raise ValueError(
                f"{name} must have shape [batch={batch}, N={n_state}, L={length}] (input-dependent) "
                f"or [D={dim}, N={n_state}] (fixed), got {tuple(t.shape)}"
            )
    for name in ("D", "delta_bias"):
        t = named[name]
        if t is not None and t.shape != (dim,):
            raise ValueError(f"{name} must have shape [D={dim}], got {tuple(t.shape)}")
    devices = {t.device for t in named.values() if t is not None}
    if len(devices) > 1:
        raise ValueError(f"all tensors must be on one device, got {sorted(map(str, devices))}")
    return u.device


def selective_scan(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    z: torch.Tensor | None = None,
    delta_bias: torch.Tensor | None = None,
    delta_softplus: bool = False,
    return_last_state: bool = False,
    backend: str = "auto",
):
    """Mamba's selective scan ``h_t = exp(delta_t A) h_{t-1} + delta_t B_t u_t``, ``y_t = C_t h_t``.

    Args:
        u: [batch, D, L] input.
        delta: [batch, D, L] step sizes (before ``delta_bias`` and ``softplus``).
        A: [D, N] real state matrix (diagonal per channel; Mamba's ``-exp(A_log)``).
        B, C: [batch, N, L] (input-dependent, as in Mamba) or [D, N] (fixed, as in S4D).
        D: [D] skip connection, ``y += D * u``.
        z: [batch, D, L] gate, ``out = y * silu(z)``.
        delta_bias: [D] added to ``delta`` before the softplus.
        delta_softplus: apply ``softplus`` to ``delta + delta_bias``.
        return_last_state: also return the state after the last step, [batch, D, N].
        backend: ``"auto"`` (Triton on CUDA, the CPU fallback elsewhere), ``"naive"``,
            ``"cpu"`` (the chunked fallback; runs on any device) or ``"triton"``.

    Returns ``out`` [batch, D, L] in ``u.dtype`` (and the last state in float32, or float64 when
    an input is float64).  The Triton backend computes in float32 and has no backward pass:
    differentiating through it raises ``RuntimeError``.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> u, dt = torch.randn(2, 4, 9, generator=g), torch.rand(2, 4, 9, generator=g)
        >>> A = -torch.rand(4, 3, generator=g); Bm, Cm = torch.randn(2, 2, 3, 9, generator=g)
        >>> y = selective_scan(u, dt, A, Bm, Cm, backend="cpu")
        >>> bool(torch.allclose(y, selective_scan(u, dt, A, Bm, Cm, backend="naive"), atol=1e-5))
        True
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    device = _validate(u, delta, A, B, C, D, z, delta_bias)
    if backend == "auto":
        backend = "triton" if device.type == "cuda" and triton_available(device)[0] else "cpu"
    kwargs = dict(D=D, z=z, delta_bias=delta_bias, delta_softplus=delta_softplus,
                  return_last_state=return_last_state)
    if backend == "naive":
        return selective_scan_naive(u, delta, A, B, C, **kwargs)
    if backend == "cpu":
        return selective_scan_chunked(u, delta, A, B, C, **kwargs)
    ok, why = triton_available(device)
    if not ok:
        raise RuntimeError(f"backend='triton' is unavailable: {why}")
    if any(t is not None and t.dtype == torch.float64 for t in (u, delta, A, B, C, D, z, delta_bias)):
        raise TypeError("backend='triton' computes in float32; use backend='cpu' or 'naive' for "
                        "float64 inputs")
    from .triton import selective_scan_triton

    return selective_scan_triton(u, delta, A, B, C, **kwargs)
