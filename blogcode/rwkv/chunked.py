"""CPU fallback for WKV: the sums over the past as cumulative sums, one segment at a time.

With ``lam = -exp(w)``, the sums over the past of token ``s + j`` (``j`` steps into a segment that
starts at ``s`` with carried sums ``N_0 = aa e^pp`` and ``M_0 = bb e^pp``) are

    N_j = e^{j lam} (N_0 + sum_{i<j} e^{x_i} v_{s+i}),     x_i = k_{s+i} - (i+1) lam

and the same without ``v`` for ``M_j``: an ordinary (exclusive) cumulative sum once every term is
scaled by ``e^{-r}``, where ``r`` is the largest exponent of the segment.  A term far below ``r``
underflows to 0, which is harmless as long as, at every position, the largest exponent seen *so
far* is within ``LIMIT`` of ``r`` -- the segment ends before that fails (the first step of a
segment always qualifies).  Outputs add the current token's ``e^{u + k_t} v_t`` with the usual
max-shift, so ``|k|`` up to 1e3 stays finite.  Computed in float64 (the exponents grow like
``T exp(w)`` inside a segment; float64 keeps their rounding far below float32 output precision).
"""

from __future__ import annotations

import torch

from .naive import empty_state

__all__ = ["wkv_chunked"]

#: Largest exponent spread inside a segment (e^-600 ~ 1e-261 is still a normal float64).
LIMIT = 600.0


def wkv_chunked(w, u, k, v, state=None, chunk_size: int = 1024):
    """Same contract as :func:`~blogcode.rwkv.naive.wkv_naive`; at most ``chunk_size`` steps at once.

    The look-ahead window adapts: it starts at 64 steps and follows twice the length of the last
    segment, so strongly decaying channels (short segments) do not waste work.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> y, _ = wkv_chunked(torch.zeros(1), torch.zeros(1), k, v)
        >>> y[0, :, 0].tolist()
        [1.0, 2.0]
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    cdt = torch.float64
    state_dtype = (torch.float64 if any(t is not None and t.dtype == torch.float64
                                        for t in (w, u, k, v, state)) else torch.float32)
    batch, T, C = k.shape
    lam = -torch.exp(w.to(cdt))  # [C]
    u = u.to(cdt)
    if state is None:
        state = empty_state(batch, C, cdt, k.device)
    aa, bb, pp = state.to(cdt).unbind(1)  # [batch, C] each
    y = torch.empty(batch, T, C, dtype=v.dtype, device=k.device)
    steps_all = torch.arange(1, chunk_size + 1, dtype=cdt, device=k.device)[:, None]  # i + 1
    pos, window = 0, min(chunk_size, 64)
    while pos < T:
        end = min(T, pos + window)
        kc = k[:, pos:end].to(cdt)
        x = kc - steps_all[: end - pos] * lam  # x_i: [batch, n, C]
        x[:, 0] = torch.maximum(x[:, 0], pp)  # the running max starts with the carried state
        run_max = torch.cummax(x, dim=1).values
        spread = (run_max - run_max[:, :1]).amax(dim=(0, 2))  # [n]
        bad = ~(spread <= LIMIT)
        n = int(bad.int().argmax()) if bool(bad.any()) else end - pos  # >= 1: spread[0] = 0
        x = kc[:, :n] - steps_all[:n] * lam  # recompute without the max folded in
        vc = v[:, pos : pos + n].to(cdt)
        r = run_max[:, n - 1]  # [batch, C]: largest exponent of the segment
        wts = torch.exp(x - r[:, None])  # [batch, n, C]
        s_wt = torch.exp(pp - r)  # carried sums, scaled
        num = torch.cumsum(torch.cat([(aa * s_wt)[:, None], wts * vc], dim=1), dim=1)
        den = torch.cumsum(torch.cat([(bb * s_wt)[:, None], wts], dim=1), dim=1)  # [b, n+1, C]
        j = torch.arange(n + 1, dtype=cdt, device=k.device)[:, None]
        log_scale = j * lam + r[:, None]  # the past sums are e^{log_scale} * (num, den)
        # output j: past (scale e^{log_scale_j}) plus the current token (scale e^{u + k_j})
        cur = u + kc[:, :n]
        has_past = den[:, :n] > 0
        past_log = log_scale[:, :n] + torch.log(torch.where(has_past, den[:, :n], 1.0))
        q = torch.where(has_past, torch.maximum(past_log, cur), cur)
        f_past = torch.where(has_past, torch.exp(log_scale[:, :n] - q), 0.0)
        f_cur = torch.exp(cur - q)
        y[:, pos : pos + n] = ((f_past * num[:, :n] + f_cur * vc)
                               / (f_past * den[:, :n] + f_cur)).to(v.dtype)
        # carry: canonical form bb = 1, pp = log of the denominator
        aa = num[:, n] / den[:, n]
        bb = torch.ones_like(aa)
        pp = log_scale[:, n] + torch.log(den[:, n])
        pos += n
        # look ahead about twice as far as the last segment reached (bounded waste)
        window = max(1, min(chunk_size, 2 * n))
    return y, torch.stack([aa, bb, pp], dim=1).to(state_dtype)
