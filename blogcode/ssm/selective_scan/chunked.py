"""CPU fallback for the selective scan: segments of the sequence, each solved in closed form.

Inside a segment of ``T`` steps starting from state ``h_0`` (per batch element, channel ``d`` and
state index ``n``), write ``S_t = A[d, n] * sum_{s<=t} delta_s`` (``A`` does not depend on time, so
one cumulative sum over ``[batch, D, T]`` serves every ``n``) and ``x_s = delta_s B_s u_s``. Then

    h_t = exp(S_t) * (h_0 + sum_{s<=t} exp(-S_s) * x_s)

so a segment costs one ``exp``, one cumulative sum and a few products over a ``[batch, D, N, T]``
tile (time innermost, so every broadcast is contiguous) -- the full ``[batch, D, N, L]`` tensor is
never formed.  ``exp(-S_s)`` would overflow when the decay inside a segment is large, so a segment
ends before ``max |S|`` passes a dtype-dependent limit (one exact step is taken when even a single
step passes it): the result is finite whenever the recurrence is.  Rounding: the cumulative sum's
error is relative to ``sum_s exp(S_t - S_s) |x_s|``, the same bound as the step-by-step loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from blogcode.ops import compute_dtype

from .naive import prepare_delta

__all__ = ["selective_scan_chunked"]

#: Largest |S| allowed inside a segment, per work dtype: exp(60) ~ 1e26 leaves float32 room
#: for |x| up to ~1e12; exp(600) ~ 1e260 leaves float64 room for |x| up to ~1e48.
_S_LIMIT = {torch.float32: 60.0, torch.float64: 600.0}
#: Default tile size in numbers (256 KiB of float64: fits a core's L2 cache).
TILE_ELEMENTS = 32768
#: float32 inputs are solved in float32 tiles when float32's |S| limit still allows segments of
#: at least this many steps (or the whole tile); faster decays would cut float32 segments so
#: short that the per-segment overhead costs more than float64's wider tiles.  Measured in
#: ``benchmarks/bench_cpu_fallbacks.py``.
MIN_F32_SEGMENT = 32
WORK_DTYPES = ("auto", "float32", "float64")


def _segment_estimate(delta: torch.Tensor, a_absmax: torch.Tensor, limit: float) -> float:
    """Typical segment length under ``limit``: limit / the fastest channel's mean |S| per step."""
    rate = float((delta.mean(dim=-1) * a_absmax).amax().detach()) if delta.numel() else 0.0
    return float("inf") if not rate > 0 else limit / rate


def selective_scan_chunked(
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
    chunk_size: int | None = None,
    work_dtype: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as :func:`~blogcode.ssm.selective_scan.naive.selective_scan_naive`.

    ``chunk_size`` [int] is the most steps solved at once; extra memory is
    O(batch * D * N * chunk_size) on top of the O(batch * D * L) inputs and output.  The default
    keeps a tile near ``TILE_ELEMENTS`` numbers (cache-sized), between 16 and 512 steps.

    ``work_dtype`` is the dtype of the tiles: float64 inputs always use float64; float32 (and
    half) inputs use float32 (``"auto"``) when the recurrence contracts (``delta >= 0`` after
    the bias and softplus, ``A <= 0``) and its decays allow segments of at least
    ``MIN_F32_SEGMENT`` steps under float32's |S| limit; ``"float32"`` / ``"float64"`` force
    one.  A growing recurrence (negative ``delta`` or positive ``A``) amplifies float32 rounding
    by its growth, hence float64 there.
    Either way a segment never lets ``exp(-S)`` overflow; float32 tiles round at float32's
    epsilon relative to the same bound as the step loop.

    Example::

        >>> import torch
        >>> u = torch.ones(1, 1, 3); A = -torch.ones(1, 1); Bm = torch.ones(1, 1)
        >>> y, h = selective_scan_chunked(u, u, A, Bm, Bm)
        >>> [round(x, 4) for x in y[0, 0].tolist()]
        [1.0, 1.3679, 1.5032]
    """
    if chunk_size is None:
        per_step = u.shape[0] * u.shape[1] * A.shape[1]
        chunk_size = max(16, min(512, TILE_ELEMENTS // max(per_step, 1)))
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if work_dtype not in WORK_DTYPES:
        raise ValueError(f"work_dtype must be one of {WORK_DTYPES}, got {work_dtype!r}")
    cdt = compute_dtype(u, delta, A, B, C, D, z, delta_bias, initial_state)
    out_dtype = u.dtype
    inputs = (u, delta, A, B, C)

    def cast(work: torch.dtype):
        u, delta, A, B, C = (t.to(work) for t in inputs)
        bias = None if delta_bias is None else delta_bias.to(work)
        return u, prepare_delta(delta, bias, delta_softplus), A, B, C

    work = torch.float64 if cdt == torch.float64 or work_dtype == "float64" else torch.float32
    u, delta, A, B, C = cast(work)
    if work == torch.float32 and work_dtype == "auto":
        # float32 tiles only for a contraction (delta >= 0, A <= 0: every state decays), where
        # rounding stays relative to the output's own size, and only when the decays leave
        # float32 segments long enough to pay for themselves
        contracting = bool((delta.detach() >= 0).all()) and bool((A.detach() <= 0).all())
        estimate = _segment_estimate(delta, A.abs().amax(dim=1), _S_LIMIT[torch.float32])
        if not contracting or estimate < min(MIN_F32_SEGMENT, chunk_size):
            work = torch.float64
            u, delta, A, B, C = cast(work)
    batch, dim, length = u.shape
    limit = _S_LIMIT[work]
    a_col = A[None, :, :, None]  # (1, D, N, 1)
    a_absmax = A.abs().amax(dim=1)  # (D,): bounds |S| over n
    dtu = delta * u  # (batch, D, L)
    # Views with time innermost: (batch, 1, N, L) for input-dependent B/C, (1, D, N, 1) if fixed.
    b_all = B[:, None] if B.dim() == 3 else B[None, :, :, None]
    c_all = C[:, None] if C.dim() == 3 else C[None, :, :, None]
    b_var, c_var = B.dim() == 3, C.dim() == 3
    h = (u.new_zeros(batch, dim, A.shape[1]) if initial_state is None
         else initial_state.to(work))
    y = u.new_empty(batch, dim, length)
    pos, window = 0, chunk_size
    while pos < length:
        end = min(length, pos + window)
        cum_dt = torch.cumsum(delta[:, :, pos:end], dim=-1)  # (batch, D, T)
        s_max = (cum_dt.abs() * a_absmax[:, None]).amax(dim=(0, 1))  # (T,): max |S_t|
        bad = ~(s_max <= limit)  # NaN/inf count as bad
        steps = int(bad.int().argmax()) if bool(bad.any()) else end - pos
        b_t = b_all[..., pos : pos + max(steps, 1)] if b_var else b_all
        c_t = c_all[..., pos : pos + max(steps, 1)] if c_var else c_all
        if steps == 0:  # one exact step: the decay of this single step is already huge
            dt = delta[:, :, pos, None, None]  # (batch, D, 1, 1)
            hs = torch.exp(dt * a_col) * h[..., None] + dtu[:, :, None, pos : pos + 1] * b_t
            steps = 1
        else:
            growth = torch.exp(a_col * cum_dt[:, :, None, :steps])  # exp(S_t): (batch, D, N, T)
            hs = dtu[:, :, None, pos : pos + steps] * b_t  # x_s = delta_s B_s u_s
            # exp(-S_s) x_s, as a product: the backward of a division squares exp(S), which
            # underflows to 0 for |S| > ~354 and makes the gradients inf/nan
            hs.mul_(torch.exp(-a_col * cum_dt[:, :, None, :steps]))
            hs[..., 0] += h  # fold h_0 into the first term of the sum
            hs.cumsum_(dim=-1).mul_(growth)  # h_t
        y[:, :, pos : pos + steps] = (hs * c_t).sum(dim=2)  # y_t = sum_n C_t[n] h_t[n]
        h = hs[..., -1]
        pos += steps
        window = max(1, min(chunk_size, 2 * steps))  # follow the segment length (bounded waste)
    if D is not None:
        y = y + D.to(work)[:, None] * u
    if z is not None:
        y = y * F.silu(z.to(work))
    y = y.to(out_dtype)
    return y, h.to(cdt)
