"""Discretising Mamba's diagonal SSM, and the convolution kernel of its time-invariant case.

Glossary (names used in shapes; one meaning each):

* ``d_inner`` -- channels of the SSM (``expand * d_model``), written ``D`` nowhere: ``D`` is only
  the skip parameter of the block;
* ``N`` -- state size per channel (``d_state``); ``L`` -- sequence length;
* ``delta`` -- step size :math:`\\Delta`; ``A`` -- diagonal of the state matrix (negative reals);
  ``B``, ``C`` -- input/output vectors of the SSM.

For a diagonal ``A`` the continuous system ``h' = A h + B u`` has, per state index ``n``,

* zero-order hold (input constant on each step, the exact solution)::

      A_bar = exp(delta A),   B_bar = (delta A)^{-1} (exp(delta A) - 1) delta B
            = expm1(delta A) / A * B

* the simplification Mamba's code uses (ZOH for ``A``, an Euler step for ``B``)::

      A_bar = exp(delta A),   B_bar = delta B

The two ``B_bar`` differ by ``delta B (expm1(x)/x - 1)`` with ``x = delta A``, i.e. by
``delta^2 A B / 2 + O(delta^3)``.
"""

from __future__ import annotations

import torch

__all__ = ["zoh", "euler", "lti_kernel", "causal_conv"]


def _as_tensors(delta, A, B) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out = []
    for name, t in (("delta", delta), ("A", A), ("B", B)):
        if not isinstance(t, torch.Tensor):
            t = torch.as_tensor(t, dtype=torch.float64)
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a real floating tensor, got {t.dtype}")
        out.append(t)
    delta, A, B = out
    try:
        torch.broadcast_shapes(delta.shape, A.shape, B.shape)
    except RuntimeError as exc:
        raise ValueError(f"delta {tuple(delta.shape)}, A {tuple(A.shape)} and B {tuple(B.shape)} "
                         "do not broadcast together") from exc
    if bool((delta < 0).any()):
        raise ValueError("delta must be non-negative (a step size)")
    return delta, A, B


def zoh(delta, A, B) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order-hold discretisation of a diagonal SSM.

    Args:
        delta: step sizes, any shape broadcasting with ``A`` and ``B`` (e.g. [d_inner, 1]).
        A: diagonal of the state matrix, e.g. [d_inner, N].
        B: input vector, e.g. [N] or [d_inner, N].

    Returns ``(A_bar, B_bar)`` with ``A_bar = exp(delta A)`` and
    ``B_bar = (delta A)^{-1} (exp(delta A) - 1) delta B`` (``delta B`` where ``delta A = 0``),
    computed with ``expm1`` so that small ``delta A`` loses no digits.

    Example::

        >>> import torch
        >>> Ab, Bb = zoh(torch.tensor(0.5, dtype=torch.float64), torch.tensor([-2.0]),
        ...              torch.ones(1))
        >>> round(float(Ab), 6), round(float(Bb), 6)   # exp(-1), (1 - exp(-1)) / 2
        (0.367879, 0.31606)
    """
    delta, A, B = _as_tensors(delta, A, B)
    shape = torch.broadcast_shapes(delta.shape, A.shape, B.shape)
    x = delta * A
    small = x == 0
    ratio = torch.where(small, torch.ones_like(x), torch.expm1(x) / torch.where(small, 1, x))
    return torch.exp(x).expand(shape).clone(), (ratio * delta * B).expand(shape).clone()


def euler(delta, A, B) -> tuple[torch.Tensor, torch.Tensor]:
    """Mamba's discretisation: exact ``A_bar = exp(delta A)``, Euler ``B_bar = delta B``.

    Same arguments and shapes as :func:`zoh`.

    Example::

        >>> import torch
        >>> Ab, Bb = euler(torch.tensor(0.5, dtype=torch.float64), torch.tensor([-2.0]),
        ...                torch.ones(1))
        >>> round(float(Ab), 6), float(Bb)
        (0.367879, 0.5)
    """
    delta, A, B = _as_tensors(delta, A, B)
    shape = torch.broadcast_shapes(delta.shape, A.shape, B.shape)
    return torch.exp(delta * A).expand(shape).clone(), (delta * B).expand(shape).clone()


def lti_kernel(delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
               length: int) -> torch.Tensor:
    """Convolution kernel of the time-invariant scan (``delta``, ``B``, ``C`` fixed in time).

    With ``h_t = exp(delta A) h_{t-1} + delta B u_t`` and ``y_t = C . h_t`` the output is the causal
    convolution ``y_t = sum_k K[k] u_{t-k}`` with ``K[k] = sum_n C_n exp(k delta A_n) delta B_n``.

    Args:
        delta: [d_inner] step size per channel (after any softplus).
        A: [d_inner, N]; B, C: [d_inner, N] (or [N], shared by the channels).
        length: number of kernel taps ``L``.

    Returns ``K`` [d_inner, L].

    Example::

        >>> import torch
        >>> K = lti_kernel(torch.ones(1), -torch.ones(1, 1), torch.ones(1), torch.ones(1), 3)
        >>> [round(v, 4) for v in K[0].tolist()]
        [1.0, 0.3679, 0.1353]
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive int, got {length!r}")
    if delta.dim() != 1 or A.dim() != 2 or A.shape[0] != delta.shape[0]:
        raise ValueError(f"expected delta [d_inner] and A [d_inner, N], got {tuple(delta.shape)} "
                         f"and {tuple(A.shape)}")
    for name, t in (("B", B), ("C", C)):
        if t.shape not in (A.shape, A.shape[1:]):
            raise ValueError(f"{name} must have shape {tuple(A.shape)} or {tuple(A.shape[1:])}, "
                             f"got {tuple(t.shape)}")
    k = torch.arange(length, dtype=A.dtype, device=A.device)
    dA = (delta[:, None] * A)[:, :, None] * k  # (d_inner, N, L): k * delta * A_n
    weight = (C * delta[:, None] * B)[:, :, None]  # (d_inner, N, 1): C_n delta B_n
    return (weight * torch.exp(dA)).sum(1)


def causal_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """``y[..., c, t] = sum_{k<=t} K[c, k] u[..., c, t-k]`` by the definition (a double loop's sum).

    Args: ``u`` [batch, d_inner, L]; ``K`` [d_inner, L'] with ``L' >= L``.
    Returns [batch, d_inner, L].

    Example::

        >>> import torch
        >>> causal_conv(torch.ones(1, 1, 3), torch.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[[1.0, 3.0, 6.0]]]
    """
    if u.dim() != 3 or K.dim() != 2 or K.shape[0] != u.shape[1] or K.shape[1] < u.shape[2]:
        raise ValueError(f"expected u [batch, d_inner, L] and K [d_inner, >=L], got "
                         f"{tuple(u.shape)} and {tuple(K.shape)}")
    length = u.shape[-1]
    y = torch.zeros_like(u)
    for k in range(length):  # tap k contributes K[:, k] * u shifted right by k
        y[..., k:] += K[:, k, None] * u[..., : length - k]
    return y
