"""Triton forward kernel for RWKV-4's WKV (imported lazily: importing this imports triton).

One program owns ``BLOCK_C`` channels of one batch element and keeps their state
``(aa, bb, pp)`` in registers while it walks the sequence; the reads of ``k[b, t, :]`` and
``v[b, t, :]`` are contiguous in the channel dimension (coalesced), each input is read once and
each output written once.  The update is the running-max recurrence of ``model_run.py``, in
float32.  At the end the state is written in the canonical form ``bb = 1``.  No backward kernel:
the autograd wrapper raises.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from blogcode.ops import forward_only, interpret_mode

from .naive import empty_state

__all__ = ["wkv_triton", "INTERPRET"]

INTERPRET = interpret_mode()


@triton.jit
def _wkv4_fwd_kernel(
    w_ptr, u_ptr, k_ptr, v_ptr, s_ptr, y_ptr, out_s_ptr,
    T, C,
    s_k_b, s_k_t, s_k_c,
    s_v_b, s_v_t, s_v_c,
    s_y_b, s_y_t, s_y_c,
    s_s_b, s_s_3, s_s_c,
    BLOCK_C: tl.constexpr,
):
    pid_b = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    mask = offs < C
    lam = -tl.exp(tl.load(w_ptr + offs, mask=mask, other=0.0).to(tl.float32))
    u = tl.load(u_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    base_s = s_ptr + pid_b * s_s_b + offs * s_s_c
    aa = tl.load(base_s, mask=mask, other=0.0).to(tl.float32)
    bb = tl.load(base_s + s_s_3, mask=mask, other=1.0).to(tl.float32)
    pp = tl.load(base_s + 2 * s_s_3, mask=mask, other=0.0).to(tl.float32)
    k_base = k_ptr + pid_b * s_k_b + offs * s_k_c
    v_base = v_ptr + pid_b * s_v_b + offs * s_v_c
    y_base = y_ptr + pid_b * s_y_b + offs * s_y_c
    for t in range(T):
        kt = tl.load(k_base + t * s_k_t, mask=mask, other=0.0).to(tl.float32)
        vt = tl.load(v_base + t * s_v_t, mask=mask, other=0.0).to(tl.float32)
        ww = u + kt
        p = tl.maximum(pp, ww)
        e1 = tl.exp(pp - p)
        e2 = tl.exp(ww - p)
        y = (e1 * aa + e2 * vt) / (e1 * bb + e2)
        tl.store(y_base + t * s_y_t, y.to(y_ptr.dtype.element_ty), mask=mask)
        ww = pp + lam
        p = tl.maximum(ww, kt)
        e1 = tl.exp(ww - p)
        e2 = tl.exp(kt - p)
        aa = e1 * aa + e2 * vt
        bb = e1 * bb + e2
        pp = p
    out_base = out_s_ptr + pid_b * 3 * C + offs
    tl.store(out_base, aa / bb, mask=mask)
    tl.store(out_base + C, bb / bb, mask=mask)
    tl.store(out_base + 2 * C, pp + tl.log(bb), mask=mask)


def _forward(w, u, k, v, state, block_c):
    batch, T, C = k.shape
    if block_c is None:
        block_c = 32 if INTERPRET else 128
    y = torch.empty_like(v)
    out_state = torch.empty(batch, 3, C, dtype=torch.float32, device=k.device)
    grid = (batch, triton.cdiv(C, block_c))
    _wkv4_fwd_kernel[grid](
        w, u, k, v, state, y, out_state, T, C,
        *k.stride(), *v.stride(), *y.stride(), *state.stride(),
        BLOCK_C=block_c,
    )
    return y, out_state


def wkv_triton(w, u, k, v, initial_state=None, block_c: int | None = None):
    """Forward WKV on CUDA (inputs validated by ``blogcode.rwkv.wkv``): ``(y, final_state)``."""
    if k.device.type != "cuda" and not INTERPRET:
        raise RuntimeError("the Triton kernel needs CUDA tensors (or TRITON_INTERPRET=1 set before "
                           "triton is imported)")
    batch, _, C = k.shape
    w, u = w.contiguous(), u.contiguous()
    state = (empty_state(batch, C, torch.float32, k.device) if initial_state is None
             else initial_state.to(torch.float32))
    return forward_only(lambda: _forward(w, u, k, v, state, block_c), (w, u, k, v, state),
                        "the Triton WKV kernel")
