"""Mamba's selective scan: a readable reference, a CPU fallback and a Triton kernel,
one entry point.

Layout (after flash-linear-attention's ``fla/ops/<op>/``):

* ``naive.py``   -- the recurrence one step at a time: the definition and the test oracle;
* ``chunked.py`` -- the CPU fallback: segments solved in closed form with cumulative sums;
* ``triton.py``  -- the GPU kernel (state kept on chip, one pass over the inputs); it runs on CPU
  tensors only under ``TRITON_INTERPRET=1``.  Triton is imported only when that backend is used.

Dimension letters: ``batch`` (batch size), ``D`` (channels, Mamba's ``d_inner``), ``L`` (length),
``N`` (state size, ``d_state``).  ``B`` and ``C`` always mean the SSM matrices.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import torch

from blogcode.ops import check_floats, check_sequence, one_device, resolve_backend

from .chunked import selective_scan_chunked
from .naive import selective_scan_naive

__all__ = ["selective_scan", "BACKENDS"]

BACKENDS = ("auto", "naive", "chunked", "triton")


def _validate(u, delta, A, B, C, D, z, delta_bias, initial_state) -> torch.device:
    named = {"u": u, "delta": delta, "A": A, "B": B, "C": C, "D": D, "z": z,
             "delta_bias": delta_bias, "initial_state": initial_state}
    check_floats(named)
    batch, dim, length = check_sequence("u", u, "[batch, D, L]")
    for name in ("delta", "z"):
        t = named[name]
        if t is not None and t.shape != u.shape:
            raise ValueError(
                f"{name} must have the shape of u {tuple(u.shape)}, got {tuple(t.shape)}"
            )
    if A.dim() != 2 or A.shape[0] != dim:
        raise ValueError(f"A must have shape [D={dim}, N], got {tuple(A.shape)}")
    n_state = A.shape[1]
    for name, t in (("B", B), ("C", C)):
        if t.shape not in ((batch, n_state, length), (dim, n_state)):
            raise ValueError(
                f"{name} must have shape [batch={batch}, N={n_state}, L={length}] "
                "(input-dependent) "
                f"or [D={dim}, N={n_state}] (fixed), got {tuple(t.shape)}"
            )
    for name in ("D", "delta_bias"):
        t = named[name]
        if t is not None and t.shape != (dim,):
            raise ValueError(f"{name} must have shape [D={dim}], got {tuple(t.shape)}")
    if initial_state is not None and initial_state.shape != (batch, dim, n_state):
        raise ValueError(f"initial_state must have shape [batch={batch}, D={dim}, N={n_state}], "
                         f"got {tuple(initial_state.shape)}")
    return one_device(named)


@overload
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor | None = ..., z: torch.Tensor | None = ...,
                   delta_bias: torch.Tensor | None = ..., delta_softplus: bool = ...,
                   initial_state: torch.Tensor | None = ...,
                   output_final_state: Literal[False] = ..., backend: str = ...) -> torch.Tensor:
    ...
@overload
def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor | None = ..., z: torch.Tensor | None = ...,
                   delta_bias: torch.Tensor | None = ..., delta_softplus: bool = ...,
                   initial_state: torch.Tensor | None = ..., *,
                   output_final_state: Literal[True],
                   backend: str = ...) -> tuple[torch.Tensor, torch.Tensor]:
    ...
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
    initial_state: torch.Tensor | None = None,
    output_final_state: bool = False,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
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
        initial_state: [batch, D, N] state before the first step (``None``: zeros).
        output_final_state: also return the state after the last step, [batch, D, N].
        backend: ``"auto"`` (Triton on CUDA, ``"chunked"`` elsewhere), ``"naive"`` (the step
            loop), ``"chunked"`` (segments in closed form; any device) or ``"triton"``.

    Returns ``out`` [batch, D, L] in ``u.dtype``, or ``(out, final_state)`` with the state in
    float32 (float64 when an input is float64); feeding it back as ``initial_state`` continues
    the sequence.  The Triton backend computes in float32 and has no backward pass:
    differentiating through it raises ``RuntimeError``.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> u, dt = torch.randn(2, 4, 9, generator=g), torch.rand(2, 4, 9, generator=g)
        >>> A = -torch.rand(4, 3, generator=g); Bm, Cm = torch.randn(2, 2, 3, 9, generator=g)
        >>> y = selective_scan(u, dt, A, Bm, Cm, backend="chunked")
        >>> bool(torch.allclose(y, selective_scan(u, dt, A, Bm, Cm, backend="naive"), atol=1e-5))
        True
        >>> _, h = selective_scan(u[..., :4], dt[..., :4], A, Bm[..., :4], Cm[..., :4],
        ...                       output_final_state=True)
        >>> y2 = selective_scan(u[..., 4:], dt[..., 4:], A, Bm[..., 4:], Cm[..., 4:],
        ...                     initial_state=h)
        >>> bool(torch.allclose(y[..., 4:], y2, atol=1e-5))
        True
    """
    device = _validate(u, delta, A, B, C, D, z, delta_bias, initial_state)
    backend = resolve_backend("selective_scan", backend, BACKENDS, device,
                              (u, delta, A, B, C, D, z, delta_bias, initial_state))
    kwargs: dict[str, Any] = dict(D=D, z=z, delta_bias=delta_bias,
                                  delta_softplus=delta_softplus, initial_state=initial_state)
    if backend == "naive":
        out, final = selective_scan_naive(u, delta, A, B, C, **kwargs)
    elif backend == "chunked":
        out, final = selective_scan_chunked(u, delta, A, B, C, **kwargs)
    else:
        from .triton import selective_scan_triton

        out, final = selective_scan_triton(u, delta, A, B, C, **kwargs,
                                           output_final_state=output_final_state)
    return (out, final) if output_final_state else out
