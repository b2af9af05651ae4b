"""Triton forward kernel for the selective scan (imported lazily: importing this imports triton).

One program owns ``BLOCK_D`` channels of one batch element and keeps their state
``h`` [BLOCK_D, N] in registers for the whole sequence.  It walks the sequence in tiles of
``BLOCK_T`` steps: each tile of ``u``, ``delta``, ``z`` (and ``B``, ``C``) is loaded once with
contiguous (coalesced) reads, the tile's recurrence is solved by an associative scan over the
pairs ``(a, b) = (exp(delta A), delta B u)`` with ``(a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2)``,
the carried state enters as ``h_t = a_{<=t} h_prev + b_{<=t}``, and only ``out`` [batch, D, L]
(and the last state) is written.  Nothing of size [batch, D, L, N] touches memory.

Padding: channels past ``D`` and steps past ``L`` get ``delta = 0`` (so ``a = 1, b = 0``), state
indices past ``N`` get ``A = B = C = 0``; the padded lanes carry the state unchanged and add 0.
Computation is in float32.  There is no backward kernel: the autograd wrapper raises.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from blogcode.ops import forward_only, interpret_mode

__all__ = ["selective_scan_triton", "INTERPRET"]

#: Whether triton was imported in interpreter mode (CPU tensors are accepted only then).
INTERPRET = interpret_mode()


@triton.jit
def _combine(a1, b1, a2, b2):
    return a1 * a2, a2 * b1 + b2


@triton.jit
def _selective_scan_fwd_kernel(
    u_ptr, dt_ptr, a_ptr, b_ptr, c_ptr, d_ptr, z_ptr, bias_ptr, h0_ptr, out_ptr, last_ptr,
    dim, length, n_state,
    s_u_b, s_u_d, s_u_l,
    s_dt_b, s_dt_d, s_dt_l,
    s_a_d, s_a_n,
    s_b_0, s_b_1, s_b_2,
    s_c_0, s_c_1, s_c_2,
    s_z_b, s_z_d, s_z_l,
    s_o_b, s_o_d, s_o_l,
    B_VARIABLE: tl.constexpr, C_VARIABLE: tl.constexpr,
    HAS_D: tl.constexpr, HAS_Z: tl.constexpr, HAS_BIAS: tl.constexpr,
    SOFTPLUS: tl.constexpr, HAS_H0: tl.constexpr, STORE_LAST: tl.constexpr,
    BLOCK_D: tl.constexpr, BLOCK_T: tl.constexpr, BLOCK_N: tl.constexpr,
):
    pid_b = tl.program_id(0)
    pid_d = tl.program_id(1)
    offs_d = pid_d * BLOCK_D + tl.arange(0, BLOCK_D)  # [BD]
    offs_n = tl.arange(0, BLOCK_N)  # [BN]
    offs_tt = tl.arange(0, BLOCK_T)  # [BT]
    mask_d = offs_d < dim
    mask_n = offs_n < n_state
    mask_dn = mask_d[:, None] & mask_n[None, :]

    a_mat = tl.load(a_ptr + offs_d[:, None] * s_a_d + offs_n[None, :] * s_a_n,
                    mask=mask_dn, other=0.0).to(tl.float32)  # [BD, BN]
    if not B_VARIABLE:
        b_fix = tl.load(b_ptr + offs_d[:, None] * s_b_0 + offs_n[None, :] * s_b_1,
                        mask=mask_dn, other=0.0).to(tl.float32)
    if not C_VARIABLE:
        c_fix = tl.load(c_ptr + offs_d[:, None] * s_c_0 + offs_n[None, :] * s_c_1,
                        mask=mask_dn, other=0.0).to(tl.float32)
    if HAS_D:
        d_vec = tl.load(d_ptr + offs_d, mask=mask_d, other=0.0).to(tl.float32)
    if HAS_BIAS:
        bias = tl.load(bias_ptr + offs_d, mask=mask_d, other=0.0).to(tl.float32)

    if HAS_H0:  # contiguous [batch, D, N] float32 (prepared by the wrapper)
        h = tl.load(h0_ptr + pid_b * dim * n_state + offs_d[:, None] * n_state + offs_n[None, :],
                    mask=mask_dn, other=0.0)
    else:
        h = tl.zeros((BLOCK_D, BLOCK_N), dtype=tl.float32)
    for t0 in range(0, length, BLOCK_T):
        offs_t = t0 + offs_tt
        mask_t = offs_t < length
        mask_dt = mask_d[:, None] & mask_t[None, :]  # [BD, BT]
        u = tl.load(u_ptr + pid_b * s_u_b + offs_d[:, None] * s_u_d + offs_t[None, :] * s_u_l,
                    mask=mask_dt, other=0.0).to(tl.float32)
        dt = tl.load(dt_ptr + pid_b * s_dt_b + offs_d[:, None] * s_dt_d + offs_t[None, :] * s_dt_l,
                     mask=mask_dt, other=0.0).to(tl.float32)
        if HAS_BIAS:
            dt = dt + bias[:, None]
        if SOFTPLUS:  # softplus with PyTorch's threshold 20
            dt = tl.where(dt <= 20.0, tl.log(1.0 + tl.exp(dt)), dt)
        dt = tl.where(mask_dt, dt, 0.0)  # padded steps: a = 1, b = 0
        if B_VARIABLE:
            b_t = tl.load(b_ptr + pid_b * s_b_0 + offs_n[:, None] * s_b_1 + offs_t[None, :] * s_b_2,
                          mask=mask_n[:, None] & mask_t[None, :], other=0.0).to(tl.float32)
            b_3 = tl.trans(b_t)[None, :, :]  # [1, BT, BN]
        else:
            b_3 = b_fix[:, None, :]  # [BD, 1, BN]
        if C_VARIABLE:
            c_t = tl.load(c_ptr + pid_b * s_c_0 + offs_n[:, None] * s_c_1 + offs_t[None, :] * s_c_2,
                          mask=mask_n[:, None] & mask_t[None, :], other=0.0).to(tl.float32)
            c_3 = tl.trans(c_t)[None, :, :]
        else:
            c_3 = c_fix[:, None, :]
        a = tl.exp(dt[:, :, None] * a_mat[:, None, :])  # [BD, BT, BN]
        x = (dt * u)[:, :, None] * b_3  # [BD, BT, BN]
        a_cum, x_cum = tl.associative_scan((a, x), axis=1, combine_fn=_combine)
        hs = a_cum * h[:, None, :] + x_cum  # state after each step of the tile
        y = tl.sum(hs * c_3, axis=2)  # [BD, BT]
        if HAS_D:
            y = y + d_vec[:, None] * u
        if HAS_Z:
            zz = tl.load(z_ptr + pid_b * s_z_b + offs_d[:, None] * s_z_d + offs_t[None, :] * s_z_l,
                         mask=mask_dt, other=0.0).to(tl.float32)
            y = y * zz * tl.sigmoid(zz)
        tl.store(out_ptr + pid_b * s_o_b + offs_d[:, None] * s_o_d + offs_t[None, :] * s_o_l,
                 y.to(out_ptr.dtype.element_ty), mask=mask_dt)
        # Padded steps carry the state unchanged, so the tile's last row is the state so far.
        h = tl.sum(tl.where(offs_tt[None, :, None] == BLOCK_T - 1, hs, 0.0), axis=1)
    if STORE_LAST:
        tl.store(last_ptr + pid_b * dim * n_state + offs_d[:, None] * n_state + offs_n[None, :],
                 h, mask=mask_dn)


def _forward(u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0, store_last,
             block_d=None, block_t=None):
    batch, dim, length = u.shape
    n_state = A.shape[1]
    block_n = max(triton.next_power_of_2(n_state), 2)
    if block_t is None:
        block_t = 16 if INTERPRET else 64
    if block_d is None:
        block_d = 4 if INTERPRET else max(1, min(16, 1024 // (block_t * block_n)))
    out = torch.empty_like(u)
    last = u.new_empty((batch, dim, n_state), dtype=torch.float32)
    b_var, c_var = B.dim() == 3, C.dim() == 3
    bs = B.stride() if b_var else (*B.stride(), 0)
    cs = C.stride() if c_var else (*C.stride(), 0)
    zt = z if z is not None else u  # never read when HAS_Z is False
    grid = (batch, triton.cdiv(dim, block_d))
    _selective_scan_fwd_kernel[grid](
        u, delta, A, B, C,
        D if D is not None else A, zt, delta_bias if delta_bias is not None else A,
        h0 if h0 is not None else last, out, last,
        dim, length, n_state,
        *u.stride(), *delta.stride(), *A.stride(), *bs, *cs, *zt.stride(), *out.stride(),
        B_VARIABLE=b_var, C_VARIABLE=c_var,
        HAS_D=D is not None, HAS_Z=z is not None, HAS_BIAS=delta_bias is not None,
        SOFTPLUS=bool(delta_softplus), HAS_H0=h0 is not None, STORE_LAST=bool(store_last),
        BLOCK_D=block_d, BLOCK_T=block_t, BLOCK_N=block_n,
    )
    return out, last


def selective_scan_triton(u, delta, A, B, C, D=None, z=None, delta_bias=None,
                          delta_softplus=False, initial_state=None, output_final_state=True,
                          block_d: int | None = None, block_t: int | None = None):
    """Same contract as ``selective_scan_naive`` (inputs validated by ``selective_scan``).

    ``output_final_state=False`` skips writing the state (the returned one is then undefined).
    """
    if u.device.type != "cuda" and not INTERPRET:
        raise RuntimeError("the Triton kernel needs CUDA tensors (or TRITON_INTERPRET=1 set before "
                           "triton is imported)")
    h0 = None if initial_state is None else initial_state.to(torch.float32).contiguous()

    def run():
        return _forward(u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0,
                        output_final_state, block_d, block_t)

    return forward_only(run, (u, delta, A, B, C, D, z, delta_bias, initial_state),
                        "the Triton selective scan")
