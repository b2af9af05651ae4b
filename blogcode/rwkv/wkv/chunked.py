"""CPU fallback for WKV: the sums over the past as cumulative sums, chunk by chunk.

With ``g = exp(w)`` (the per-step log-decay is ``-g``) and a chunk of ``n`` tokens that starts with
the carried sums ``Den = bb e^pp`` and ``Num = aa e^pp``, put the state in front of the chunk as a
pseudo-token 0 (exponent ``pp + log bb``, value ``aa / bb``) and token ``s + i`` at entry ``i + 1``.
The sums over the past of token ``s + j`` (entries ``0..j``) are then

    Den_j = e^{-(j-h) g} sum_{i<=j} e^{z_i},     Num_j = e^{-(j-h) g} sum_{i<=j} e^{z_i} a_i

with ``z_i = k_{s+i-1} + (i-h) g``, ``z_0 = pp + log bb - h g`` and ``a_i`` the values;
``h = n/2`` centres the exponents.  Each exponent depends on one token only, so these are
cumulative sums -- of exponentials whose exponents spread over ``n g + (max k - min k)``: a plain
``cumsum(exp(z - max z))`` underflows as soon as that spread passes ~700.  Two exact ways around:

* **blocked** (the fast path): cut the entries into blocks of ``L`` (``L g <= BLOCK_SPAN``).
  Inside a block, exponents are measured from the block's own maximum, so ``exp`` cannot
  overflow and a plain ``cumsum`` gives the in-block prefix sums.  Across blocks, the block totals
  (one number per block, in log form) are combined with ``torch.logcumsumexp``, which keeps a
  running maximum and never underflows.  The carry-in of block ``b`` and its in-block prefix are
  added after scaling both by the larger of their two exponents.  If at some entry the sum so far
  is below ``e^{-600}`` of that scale (possible only when keys jump by hundreds inside one block,
  e.g. ``|k| ~ 1000``), the in-block sums could have lost terms to underflow, and the chunk is
  redone with the second way.
* **log space**: ``torch.logcumsumexp`` over every entry (exact for any spread, but slower on a
  CPU: a sequential ``log1p(exp(.))`` per element, where the fast path uses vectorised ``exp``
  and ``cumsum``).

Signed values go through ``logcumsumexp`` shifted by ``c = 1 - min a`` (all positive), and the
running weighted mean is recovered as ``e^{log Num' - log Den} - c`` (error ~ float64 eps times the
range of the values).  The output mixes the past mean with the current token, whose weight is
``e^{u + k}``:

    y_j = mu_j + sigmoid(u + k_{s+j} - log Den_j) (v_{s+j} - mu_j).

Everything is computed in float64.  A chunk holds at most ``SPAN / max g`` tokens so that the
exponents (of size up to ``SPAN / 2`` plus the keys) keep a rounding error near 1e-12; with
RWKV-4's ``time_decay <= 3`` that is ~400 tokens (an absurd decay such as ``exp(w) > 8192``
shrinks chunks to one token: still exact, but no faster than the step loop).  Memory is
O(batch n C); nothing of size T^2 is formed.
"""

from __future__ import annotations

import torch

from blogcode.ops import compute_dtype

from .naive import EMPTY_PP, empty_state

__all__ = ["wkv_chunked", "SPAN", "BLOCK_SPAN"]

#: Largest ``n * max g`` of one chunk: exponents stay within about +-SPAN/2 (rounding ~1e-12).
SPAN = 8192.0
#: Largest ``L * max g`` of one block of the fast path: the decay inside a block spans at most
#: e^-300, leaving 300 more for differences of keys before the fallback is needed.
BLOCK_SPAN = 300.0
#: A prefix sum below this fraction of its block's scale may have lost terms to underflow.
TINY = float(torch.finfo(torch.float64).tiny) ** (600 / 708)  # ~ e^-600


def _log_space(z, a):
    """``(log sum_{i<=j} e^{z_i}, weighted mean of a)`` over dim 1 by ``logcumsumexp``."""
    shift = 1.0 - a.amin(dim=1, keepdim=True)  # a + shift >= 1
    log_den = torch.logcumsumexp(z, dim=1)
    log_num = torch.logcumsumexp(z + torch.log(a + shift), dim=1)
    return log_den, torch.exp(log_num - log_den) - shift


def _blocked(lz0, kc, a, g, L: int, h: float, empty):
    """The fast path: ``(log Den_j, mu_j)`` for ``j = 0..n`` [batch, n+1, C], or ``None``.

    ``lz0`` [batch, C] is ``pp + log bb`` (``EMPTY_PP`` where ``empty``), ``kc`` [batch, n, C] the
    keys, ``a`` [batch, n+1, C] the values with the state's mean in front, ``g`` [C] = ``exp(w)``.
    Returns ``None`` when an in-block prefix sum is too small to be trusted.
    """
    batch, n, C = kc.shape
    nb = -(-(n + 1) // L)  # blocks
    pad = nb * L - (n + 1)
    ell = torch.arange(L, dtype=kc.dtype, device=kc.device)[:, None] * g  # l g, [L, C]
    # block-local exponents: entry i = b L + l has z_i = zl_i + o_b with o_b = (b L - h) g
    zl = torch.cat([lz0[:, None], kc, kc.new_full((batch, pad, C), -torch.inf)], dim=1)
    zl = zl.view(batch, nb, L, C) + ell
    a = torch.cat([a, a.new_zeros(batch, pad, C)], dim=1).view(batch, nb, L, C)
    ref = zl.amax(dim=2, keepdim=True)  # [batch, nb, 1, C]; finite: every block has a token
    e = torch.exp(zl - ref)  # in (0, 1], the block's largest entry is 1
    S = e.cumsum(dim=2)
    Q = (e * a).cumsum(dim=2)
    # block totals in chunk coordinates, then exclusive prefixes over blocks (log space)
    o = ((torch.arange(nb, dtype=kc.dtype, device=kc.device) * L - h)[:, None] * g)[:, None]
    log_tot, mean = torch.log(S[:, :, -1:]) + ref + o, Q[:, :, -1:] / S[:, :, -1:]
    log_inc, mu_inc = _log_space(log_tot, mean)
    log_prev = torch.cat([torch.full_like(log_inc[:, :1], -torch.inf), log_inc[:, :-1]], dim=1)
    mu_prev = torch.cat([torch.zeros_like(mu_inc[:, :1]), mu_inc[:, :-1]], dim=1)
    # carry-in (scale e^{log_prev - o}) plus in-block prefix (scale e^{ref}), both over e^M
    carry = log_prev - o
    M = torch.maximum(carry, ref)
    alpha, beta = torch.exp(carry - M), torch.exp(ref - M)
    den = alpha + beta * S
    bad = den < TINY
    bad[:, 0, 0] &= ~empty  # an empty state has nothing in its past: den = 0 is exact there
    if bool(bad.any()):
        return None
    den[:, 0, 0] = torch.where(empty, 1.0, den[:, 0, 0])  # (caller discards that entry)
    mu = (alpha * mu_prev + beta * Q) / den
    log_past = M + torch.log(den) - ell  # log Den_j: the -(j - h) g cancels o_b to -l g
    return (log_past.view(batch, nb * L, C)[:, : n + 1], mu.view(batch, nb * L, C)[:, : n + 1])


def wkv_chunked(
    w, u, k, v, initial_state=None, chunk_size: int = 1024, block_size: int | None = 16
):
    """Same contract as :func:`~blogcode.rwkv.wkv.naive.wkv_naive`; at most ``chunk_size`` steps
    at once.

    ``block_size`` is the block length ``L`` of the fast path (shortened to
    ``BLOCK_SPAN / max exp(w)``); ``None``, or a block shorter than 2, uses ``logcumsumexp`` for
    every chunk.  The result does not depend on these choices beyond float64 rounding.

    Example::

        >>> import torch
        >>> k = torch.tensor([[[0.0], [1000.0]]]); v = torch.tensor([[[1.0], [2.0]]])
        >>> y, _ = wkv_chunked(torch.zeros(1), torch.zeros(1), k, v)
        >>> y[0, :, 0].tolist()
        [1.0, 2.0]
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if block_size is not None and block_size < 1:
        raise ValueError(f"block_size must be >= 1 or None, got {block_size}")
    cdt = torch.float64
    state_dtype = compute_dtype(w, u, k, v, initial_state)
    batch, T, C = k.shape
    dev = k.device
    g = torch.exp(w.to(cdt))  # [C]: the per-step log-decay is -g
    u = u.to(cdt)
    state = empty_state(batch, C, cdt, dev) if initial_state is None else initial_state
    aa, bb, pp = state.to(cdt).unbind(1)  # [batch, C] each
    y = torch.empty(batch, T, C, dtype=v.dtype, device=dev)
    g_max = float(g.detach().max())
    n_max = max(1, min(chunk_size, int(SPAN / g_max) if g_max > 0 else chunk_size))
    L = 0 if block_size is None else (
        min(block_size, int(BLOCK_SPAN / g_max)) if g_max > 0 else block_size)
    pos = 0
    while pos < T:
        n = min(n_max, T - pos)
        h = n / 2
        kc, vc = k[:, pos : pos + n].to(cdt), v[:, pos : pos + n].to(cdt)  # [batch, n, C]
        # the carried state as pseudo-token 0: weight bb e^pp, value aa / bb; an empty state
        # gets weight e^-1e38 = 0 (finite, unlike -inf, so that gradients stay finite)
        empty = ~(bb > 0)
        bb_safe = torch.where(empty, 1.0, bb)
        lz0 = torch.where(empty, EMPTY_PP, pp + torch.log(bb_safe))
        a = torch.cat([torch.where(empty, 0.0, aa / bb_safe)[:, None], vc], dim=1)
        out = _blocked(lz0, kc, a, g, L, h, empty) if L >= 2 else None
        if out is None:
            steps = torch.arange(n + 1, dtype=cdt, device=dev)[:, None] - h  # j - h
            z = torch.cat([lz0[:, None], kc], dim=1) + steps * g
            log_den, mu = _log_space(z, a)
            out = (log_den - steps * g, mu)
        log_past, mu = out  # [batch, n+1, C]
        x = u + kc - log_past[:, :n]  # log-odds of the current token against the past
        if pos == 0 and bool(empty.any()):  # nothing in the past: y_0 = v_0 exactly
            mu[:, 0] = torch.where(empty, 0.0, mu[:, 0])
            x[:, 0] = torch.where(empty, torch.inf, x[:, 0])
        mu_j = mu[:, :n]
        gate = torch.sigmoid(x)  # the current token's share
        y[:, pos : pos + n] = (mu_j + gate * (vc - mu_j)).to(v.dtype)
        # carry in the canonical form bb = 1, pp = log Den_n
        aa, bb, pp = mu[:, n], torch.ones_like(aa), log_past[:, n]
        pos += n
    return y, torch.stack([aa, bb, pp], dim=1).to(state_dtype)
