"""The selective scan (Mamba's S6 recurrence), step by step: the definition and the test oracle.

Glossary (Mamba paper symbols):

* ``batch`` -- batch size (written ``B`` in shapes below only as ``batch``, to keep ``B`` for the
  SSM input matrix),
* ``D`` -- channels (``d_inner`` in ``mamba_simple.py``), ``L`` -- sequence length,
* ``N`` -- state size per channel (``d_state``),
* ``u`` -- input ``x_t``, ``delta`` -- step size ``\\Delta_t``, ``A`` -- (diagonal) state matrix,
  ``B``/``C`` -- input/output projections, ``D`` -- skip, ``z`` -- gate.

The recurrence, for every batch element ``b``, channel ``d`` and state index ``n``:

    h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t      (ZOH for A, Euler for B)
    y_t = sum_n C_t[n] * h_t[n] + D * u_t
    out = y * silu(z)                                             (if z is given)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from blogcode.ops import compute_dtype

__all__ = ["selective_scan_naive", "prepare_delta"]


def prepare_delta(delta: torch.Tensor, delta_bias: torch.Tensor | None, delta_softplus: bool):
    """``softplus(delta + bias)`` as in Mamba (``softplus`` with PyTorch's threshold 20)."""
    if delta_bias is not None:
        delta = delta + delta_bias[:, None]
    if delta_softplus:
        delta = F.softplus(delta)
    return delta


def selective_scan_naive(
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
) -> tuple[torch.Tensor, torch.Tensor]:
    """One time step per loop iteration; inputs are assumed validated (see ``selective_scan``).

    Args: ``u, delta, z`` [batch, D, L]; ``A`` [D, N]; ``B, C`` [batch, N, L] (input-dependent)
    or [D, N] (fixed); ``D, delta_bias`` [D]; ``initial_state`` [batch, D, N] (``None``: zeros).
    Returns ``(out [batch, D, L] in u.dtype, final state [batch, D, N])``, the state in the
    compute dtype (float64 if any input is float64, else float32).

    Example::

        >>> import torch
        >>> u = torch.ones(1, 1, 3); A = -torch.ones(1, 1); Bm = torch.ones(1, 1)
        >>> y, h = selective_scan_naive(u, u, A, Bm, Bm)
        >>> [round(x, 4) for x in y[0, 0].tolist()]
        [1.0, 1.3679, 1.5032]
    """
    cdt = compute_dtype(u, delta, A, B, C, D, z, delta_bias, initial_state)
    out_dtype = u.dtype
    u, delta, A, B, C = (t.to(cdt) for t in (u, delta, A, B, C))
    delta = prepare_delta(delta, None if delta_bias is None else delta_bias.to(cdt), delta_softplus)
    batch, dim, length = u.shape
    n_state = A.shape[1]
    b_variable, c_variable = B.dim() == 3, C.dim() == 3
    h = u.new_zeros(batch, dim, n_state) if initial_state is None else initial_state.to(cdt)
    ys = []
    for t in range(length):
        dt = delta[:, :, t, None]  # (batch, D, 1)
        decay = torch.exp(dt * A)  # (batch, D, N): exp(delta_t * A), the ZOH transition
        b_t = B[:, None, :, t] if b_variable else B  # (batch, 1, N) or (D, N)
        c_t = C[:, None, :, t] if c_variable else C
        h = decay * h + dt * b_t * u[:, :, t, None]  # Euler-style input term delta_t * B_t * u_t
        ys.append((h * c_t).sum(-1))  # (batch, D)
    y = torch.stack(ys, dim=-1)  # (batch, D, L)
    if D is not None:
        y = y + D.to(cdt)[:, None] * u
    if z is not None:
        y = y * F.silu(z.to(cdt))
    y = y.to(out_dtype)
    return y, h
