"""The RWKV-4 WKV operator, defined two ways: the O(T^2) formula and the step-by-step recurrence.

Conventions (as in RWKV-4's training code and flash-linear-attention's ``fused_recurrent_rwkv4``):
``w`` [C] is the ``time_decay`` parameter and the per-step log-decay is ``-exp(w)``; ``u`` [C] is
``time_first`` (the bonus of the current token); ``k, v`` [batch, T, C].  With ``lam = -exp(w)``:

    wkv_t = (sum_{i<t} e^{(t-1-i) lam + k_i} v_i + e^{u + k_t} v_t)
            / (sum_{i<t} e^{(t-1-i) lam + k_i}     + e^{u + k_t})

The state [batch, 3, C] is ``(aa, bb, pp)`` as in ``model_run.py``: the numerator and
denominator sums over the past are ``aa * e^pp`` and ``bb * e^pp``.  The initial state (when not
given) is empty: ``aa = bb = 0, pp = -1e38``.  Every backend returns the final state in one
canonical form, ``bb = 1`` and ``pp = log(denominator)``, so ``aa`` is the running weighted mean of
``v``; states that differ only by the scale ``e^pp`` describe the same past.
"""

from __future__ import annotations

import torch

from blogcode.ops import compute_dtype

__all__ = ["wkv_direct", "wkv_naive", "wkv_unstabilised", "empty_state", "canonical_state",
           "EMPTY_PP"]

#: ``pp`` of the empty state (RWKV's CUDA kernels use the same value).
EMPTY_PP = -1e38


def empty_state(batch: int, channels: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """The state before any token: ``aa = bb = 0``, ``pp = -1e38``; shape [batch, 3, C]."""
    state = torch.zeros(batch, 3, channels, dtype=dtype, device=device)
    state[:, 2] = EMPTY_PP
    return state


def canonical_state(aa, bb, pp) -> torch.Tensor:
    """Rescale ``(aa, bb, pp)`` to ``bb = 1`` (needs ``bb > 0``); returns [batch, 3, C]."""
    return torch.stack([aa / bb, torch.ones_like(bb), pp + torch.log(bb)], dim=1)


def wkv_direct(w, u, k, v, initial_state=None):
    """The O(T^2) formula: every output is a softmax-weighted average of values.

    Row ``t`` collects the exponents ``(t-1-i) lam + k_i`` (``i < t``), ``u + k_t`` and, for the
    initial state, ``t lam + pp + log bb``; subtracting the row maximum before ``exp`` keeps
    ``|k|`` up to 1e3 finite.  Memory is O(batch T^2 C): for tests and small examples.
    Returns ``(y [batch, T, C] in v.dtype, final state [batch, 3, C])``.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> y, _ = wkv_direct(torch.zeros(1), torch.zeros(1), k, v)
        >>> y[0, :, 0].tolist()
        [1.0, 2.0]
    """
    cdt = compute_dtype(w, u, k, v, initial_state)
    batch, T, C = k.shape
    lam = -torch.exp(w.to(cdt))  # [C]
    k, v, u = k.to(cdt), v.to(cdt), u.to(cdt)
    state = empty_state(batch, C, cdt, k.device) if initial_state is None else initial_state
    aa, bb, pp = state.to(cdt).unbind(1)  # [batch, C] each
    t = torch.arange(T + 1, device=k.device, dtype=cdt)
    # gap[t, i] = t - 1 - i for the past (i < t); rows t = 0..T (row T gives the final state)
    gap = t[:, None] - 1 - t[None, :T]  # [T+1, T]
    past = gap >= 0
    expo = gap[None, :, :, None] * lam + k[:, None, :, :]  # [batch, T+1, T, C]
    expo = torch.where(past[None, :, :, None], expo, -torch.inf)
    # the initial state contributes e^{t lam} (aa, bb) e^{pp}
    s_expo = (t[None, :, None] * lam + pp[:, None, :] + torch.log(bb)[:, None, :])  # [b, T+1, C]
    s_mean = torch.where(bb > 0, aa / torch.where(bb > 0, bb, 1), 0)[:, None, :]
    # the bonus e^{u + k_t} v_t for rows t < T (the final state has no current token)
    bonus = torch.cat([u + k, torch.full_like(k[:, :1], -torch.inf)], dim=1)  # [b, T+1, C]
    v_bonus = torch.cat([v, torch.zeros_like(v[:, :1])], dim=1)
    all_expo = torch.cat([expo, s_expo[:, :, None], bonus[:, :, None]], dim=2)  # [b, T+1, T+2, C]
    m = all_expo.amax(dim=2, keepdim=True)
    m = torch.where(torch.isfinite(m), m, 0)
    wts = torch.exp(all_expo - m)
    vals = torch.cat([v[:, None].expand(batch, T + 1, T, C),
                      s_mean[:, None].expand(-1, T + 1, 1, C),
                      v_bonus[:, :, None]], dim=2)
    num = (wts * vals).sum(dim=2)  # [b, T+1, C], scaled by e^{-m}
    den = wts.sum(dim=2)
    y = (num[:, :T] / den[:, :T]).to(v.dtype)
    # final state: row T without the bonus term
    m_T = m[:, T, 0]
    final = torch.stack([num[:, T] / den[:, T], torch.ones_like(m_T), m_T + torch.log(den[:, T])],
                        dim=1)
    return y, final


def wkv_naive(w, u, k, v, initial_state=None):
    """The numerically stable recurrence of RWKV-4's RNN mode, one token per iteration.

    ``pp`` tracks the largest exponent seen so far; both sums are kept divided by ``e^pp``, so
    every ``exp`` has a non-positive argument.  Returns ``(y [batch, T, C], final state)``.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> y, _ = wkv_naive(torch.zeros(1), torch.zeros(1), k, v)
        >>> y[0, :, 0].tolist()
        [1.0, 2.0]
    """
    cdt = compute_dtype(w, u, k, v, initial_state)
    batch, T, C = k.shape
    lam = -torch.exp(w.to(cdt))
    u = u.to(cdt)
    state = empty_state(batch, C, cdt, k.device) if initial_state is None else initial_state
    aa, bb, pp = state.to(cdt).unbind(1)
    ys = []
    for t in range(T):
        kt, vt = k[:, t].to(cdt), v[:, t].to(cdt)
        # output: past sums plus the current token with its bonus u
        ww = u + kt
        p = torch.maximum(pp, ww)
        e1, e2 = torch.exp(pp - p), torch.exp(ww - p)
        ys.append((e1 * aa + e2 * vt) / (e1 * bb + e2))
        # update: decay the past by e^lam, then add the current token without the bonus
        ww = pp + lam
        p = torch.maximum(ww, kt)
        e1, e2 = torch.exp(ww - p), torch.exp(kt - p)
        aa, bb, pp = e1 * aa + e2 * vt, e1 * bb + e2, p
    y = torch.stack(ys, dim=1).to(v.dtype)
    return y, canonical_state(aa, bb, pp)


def wkv_unstabilised(w, u, k, v):
    """WKV by the formula as written, no max subtracted: ``y`` [batch, T, C] (float64).

    What the running-max form avoids: with ``|k|`` in the hundreds the float64 exponentials
    overflow to ``inf`` and the ratio becomes ``nan``.

    ``y_t = (sum_{i<t} e^{(t-1-i) lam + k_i} v_i + e^{u + k_t} v_t) / (same without v)`` with
    ``lam = -exp(w)``.  O(T^2) memory; correct only while every ``e^{...}`` is finite and the
    denominator does not underflow.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> wkv_unstabilised(torch.zeros(1), torch.zeros(1), k, v)[0, :, 0].tolist()
        [1.0, nan]
    """
    for name, t in (("w", w), ("u", u), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if k.dim() != 3 or v.shape != k.shape or w.shape != (k.shape[2],) or u.shape != w.shape:
        raise ValueError("need k, v [batch, T, C] and w, u [C]")
    w, u, k, v = (t.double() for t in (w, u, k, v))
    T = k.shape[1]
    t = torch.arange(T, dtype=torch.float64)
    gap = t[:, None] - 1 - t[None, :]  # t - 1 - i
    expo = gap[None, :, :, None] * -torch.exp(w) + k[:, None, :, :]  # [batch, T, T, C]
    weights = torch.where(gap[None, :, :, None] >= 0, torch.exp(expo), 0.0)
    bonus = torch.exp(u + k)  # e^{u + k_t}
    num = (weights * v[:, None, :, :]).sum(dim=2) + bonus * v
    den = weights.sum(dim=2) + bonus
    return num / den
