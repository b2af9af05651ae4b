"""The pure-PyTorch Mamba block: decoding, the LTI special case, parameter count, discretisation."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.mamba import (
    MambaBlock,
    MambaConfig,
    causal_conv,
    euler,
    lti_kernel,
    param_breakdown,
    param_count,
    time_scan,
    zoh,
)
from blogcode.ssm.selective_scan import selective_scan

F64 = torch.float64


def randn(*shape, seed=0, dtype=F64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------------------------------------------------------------- forward == step-by-step decoding


@pytest.mark.parametrize("d_model,d_state,d_conv,expand,length",
                         [(16, 16, 4, 2, 37), (8, 4, 3, 1, 1), (20, 5, 2, 1.5, 9),
                          (33, 8, 4, 2, 2)])
def test_forward_equals_step_by_step_decoding(d_model, d_state, d_conv, expand, length):
    blk = MambaBlock(MambaConfig(d_model, d_state, d_conv, expand), seed=1, dtype=F64)
    x = randn(3, length, d_model, seed=2)
    with torch.no_grad():
        y, (conv_full, ssm_full) = blk(x, backend="naive", return_state=True)
        conv_state, ssm_state = blk.allocate_inference_cache(3)
        outs = []
        for t in range(length):
            out, conv_state, ssm_state = blk.step(x[:, t], conv_state, ssm_state)
            outs.append(out)
    torch.testing.assert_close(torch.stack(outs, 1), y, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ssm_state, ssm_full, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(conv_state, conv_full, atol=1e-14, rtol=1e-12)


def test_prefill_then_decode_equals_full_forward():
    """forward(..., return_state=True) on a prefix, then step: same as one forward (the cache)."""
    blk = MambaBlock(MambaConfig(12, 6, 4, 2), seed=3, dtype=F64)
    x = randn(2, 25, 12, seed=4)
    with torch.no_grad():
        full = blk(x, backend="naive")
        head, (conv_state, ssm_state) = blk(x[:, :10], backend="chunked", return_state=True)
        tail = [blk.step(x[:, t:t + 1], conv_state, ssm_state)[0] for t in range(10, 25)]
    torch.testing.assert_close(torch.cat([head, *tail], 1), full, atol=1e-12, rtol=1e-10)
    assert tail[0].shape == (2, 1, 12)  # a [batch, 1, d_model] token comes back in that shape


def test_step_against_explicit_formulas():
    """One decoding step from a nonzero cache, recomputed here from the defining formulas."""
    blk = MambaBlock(MambaConfig(6, 3, 3, 2), seed=5, dtype=F64)
    x_t = randn(2, 6, seed=6)
    conv_state, ssm_state = randn(2, 12, 3, seed=7), randn(2, 12, 3, seed=8)
    c0, s0 = conv_state.clone(), ssm_state.clone()
    with torch.no_grad():
        out, _, _ = blk.step(x_t, conv_state, ssm_state)
        W_in = blk.in_proj.weight
        xz = x_t @ W_in.T
        x, z = xz[:, :12], xz[:, 12:]
        window = torch.cat([c0[:, :, 1:], x[:, :, None]], -1)
        w = blk.conv1d.weight[:, 0, :]
        u = F.silu((window * w).sum(-1) + blk.conv1d.bias)
        proj = u @ blk.x_proj.weight.T
        dt, Bv, Cv = proj[:, :1], proj[:, 1:4], proj[:, 4:7]
        delta = torch.log1p(torch.exp(dt @ blk.dt_proj.weight.T + blk.dt_proj.bias))
        A = -torch.exp(blk.A_log)
        h = torch.exp(delta[..., None] * A) * s0 + delta[..., None] * Bv[:, None] * u[..., None]
        y = (h * Cv[:, None]).sum(-1) + blk.D * u
        ref = (y * z * torch.sigmoid(z)) @ blk.out_proj.weight.T
    torch.testing.assert_close(out, ref, atol=1e-13, rtol=1e-12)
    torch.testing.assert_close(ssm_state, h, atol=1e-13, rtol=1e-12)


# ------------------------------------------------------------------ LTI case == causal convolution


@pytest.mark.parametrize("length", [1, 17, 64])
def test_lti_scan_equals_causal_convolution(length):
    d_inner, n = 5, 7
    g = torch.Generator().manual_seed(9)
    delta = torch.rand(d_inner, generator=g, dtype=F64) * 0.2 + 0.01
    A = -torch.arange(1, n + 1, dtype=F64).repeat(d_inner, 1)
    Bm, Cm = randn(d_inner, n, seed=10), randn(d_inner, n, seed=11)
    u = randn(2, d_inner, length, seed=12)
    y_scan = selective_scan(u, delta[None, :, None].expand(2, d_inner, length).contiguous(), A, Bm,
                            Cm, backend="naive")
    K = lti_kernel(delta, A, Bm, Cm, length)
    # independent kernel: brute force powers of the per-state decay
    K_ref = torch.stack([(Cm * (torch.exp(delta[:, None] * A) ** k) * delta[:, None] * Bm).sum(-1)
                         for k in range(length)], -1)
    torch.testing.assert_close(K, K_ref, atol=1e-14, rtol=1e-12)
    y_conv = causal_conv(u, K)
    # and an independent convolution: torch's conv1d with flipped kernel and left padding
    y_torch = F.conv1d(F.pad(u, (length - 1, 0)), K.flip(-1)[:, None, :], groups=d_inner)
    torch.testing.assert_close(y_conv, y_torch, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(y_scan, y_conv, atol=1e-12, rtol=1e-12)


def test_lti_kernel_shared_B_C():
    A = -torch.rand(3, 4, dtype=F64) - 0.1
    delta = torch.full((3,), 0.1, dtype=F64)
    b, c = randn(4, seed=1), randn(4, seed=2)
    torch.testing.assert_close(lti_kernel(delta, A, b, c, 5),
                               lti_kernel(delta, A, b.repeat(3, 1), c.repeat(3, 1), 5))


# ------------------------------------------------------------------------------- parameter count


@pytest.mark.parametrize("d_model,d_state,d_conv,expand,bias,conv_bias",
                         [(16, 16, 4, 2, False, True), (768, 16, 4, 2, False, True),
                          (10, 3, 2, 3, True, False), (40, 8, 4, 1.5, True, True)])
def test_param_count_equals_numel(d_model, d_state, d_conv, expand, bias, conv_bias):
    cfg = MambaConfig(d_model, d_state, d_conv, expand, bias=bias, conv_bias=conv_bias)
    blk = MambaBlock(cfg)
    assert param_count(cfg) == sum(p.numel() for p in blk.parameters())
    named = {name.split(".")[0]: 0 for name, _ in blk.named_parameters()}
    for name, p in blk.named_parameters():
        named[name.split(".")[0]] += p.numel()
    assert named == param_breakdown(cfg)


@settings(max_examples=25, deadline=None)
@given(d_model=st.integers(1, 300), d_state=st.integers(1, 64), d_conv=st.integers(1, 8),
       expand=st.integers(1, 4))
def test_param_count_closed_form(d_model, d_state, d_conv, expand):
    """The docstring's formula 3 E d^2 + d_inner (d_conv + 2R + 3N + 3), and the README rule."""
    d_inner, r = expand * d_model, math.ceil(d_model / 16)
    exact = param_count(MambaConfig(d_model, d_state, d_conv, expand))
    assert exact == 3 * expand * d_model ** 2 + d_inner * (d_conv + 2 * r + 3 * d_state + 3)
    rule = 3 * expand * d_model ** 2
    assert exact > rule
    # the rule's relative error is below (d_conv + 2R + 3N + 3) / (3 d_model): small for wide models
    assert (exact - rule) / rule <= (d_conv + 2 * r + 3 * d_state + 3) / (3 * d_model) + 1e-12


def test_readme_rule_is_close_only_for_wide_models():
    ratio = {d: param_count(MambaConfig(d)) / (3 * 2 * d * d) for d in (16, 768, 2560)}
    assert ratio[16] > 2  # the README's own example d_model = 16: more than twice the rule
    assert 1 < ratio[2560] < ratio[768] < 1.1


# ------------------------------------------------------------------------------- discretisation


def test_zoh_closed_form_and_limits():
    delta = torch.tensor([[0.3]], dtype=F64)
    A = torch.tensor([[-2.0, -0.5, 0.0]], dtype=F64)
    B = torch.tensor([1.5, -1.0, 2.0], dtype=F64)
    Ab, Bb = zoh(delta, A, B)
    # scalar ZOH: B_bar = (exp(a delta) - 1) / a * b, and delta * b when a = 0
    ref = [(math.exp(-0.6) - 1) / -2.0 * 1.5, (math.exp(-0.15) - 1) / -0.5 * -1.0, 0.3 * 2.0]
    torch.testing.assert_close(Bb[0], torch.tensor(ref, dtype=F64), atol=1e-15, rtol=1e-14)
    torch.testing.assert_close(Ab, torch.exp(delta * A))
    Ae, Be = euler(delta, A, B)
    torch.testing.assert_close(Ae, Ab)
    torch.testing.assert_close(Be[0], 0.3 * B)


def test_zoh_is_the_exact_solution_for_constant_input():
    """ZOH reproduces h(delta) of h' = a h + b u from h(0) = h0 with u constant (closed form)."""
    a, b, u, h0, dt = -1.7, 0.8, 1.3, 0.4, 0.25
    Ab, Bb = zoh(torch.tensor(dt, dtype=F64), torch.tensor(a, dtype=F64),
                 torch.tensor(b, dtype=F64))
    exact = h0 * math.exp(a * dt) + b * u / a * (math.exp(a * dt) - 1)
    assert abs(float(Ab * h0 + Bb * u) - exact) < 1e-15


def test_zoh_euler_agree_to_second_order():
    A = -torch.arange(1, 17, dtype=F64)
    B = torch.ones(16, dtype=F64)
    deltas = [1e-1 / 2 ** k for k in range(8)]
    errs = [float((zoh(torch.tensor(d, dtype=F64), A, B)[1]
                   - euler(torch.tensor(d, dtype=F64), A, B)[1]).abs().max()) for d in deltas]
    rates = [math.log2(errs[i] / errs[i + 1]) for i in range(len(errs) - 1)]
    assert all(abs(r - 2) < 0.1 for r in rates[2:]), rates
    # leading term delta^2 |A| B / 2 at the largest |A| = 16
    lead = deltas[-1] ** 2 * 16 / 2
    assert abs(errs[-1] / lead - 1) < 0.01


def test_discretize_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        zoh(torch.tensor(-0.1), torch.ones(2), torch.ones(2))
    with pytest.raises(ValueError, match="broadcast"):
        euler(torch.ones(3), torch.ones(2), torch.ones(2))
    with pytest.raises(TypeError):
        zoh(torch.ones(2, dtype=torch.int64), torch.ones(2), torch.ones(2))
    with pytest.raises(ValueError):
        lti_kernel(torch.ones(2), torch.ones(3, 4), torch.ones(4), torch.ones(4), 5)
    with pytest.raises(ValueError):
        lti_kernel(torch.ones(3), torch.ones(3, 4), torch.ones(4), torch.ones(4), 0)
    with pytest.raises(ValueError):
        causal_conv(torch.ones(1, 3, 5), torch.ones(3, 4))


# ------------------------------------------------------------------------ backends on the block


@pytest.mark.parametrize("length", [1, 15, 63, 300])
def test_block_backends_agree(length):
    blk = MambaBlock(MambaConfig(16, 16, 4, 2), seed=0)
    x = randn(2, length, 16, seed=3, dtype=torch.float32)
    with torch.no_grad():
        y_naive = blk(x, backend="naive")
        y_cpu = blk(x, backend="chunked")
        y_ref = blk.double()(x.double(), backend="naive")
    torch.testing.assert_close(y_cpu, y_naive, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(y_cpu.double(), y_ref, atol=1e-5, rtol=1e-4)


def test_init_matches_mamba_simple():
    blk = MambaBlock(MambaConfig(64, 16, 4, 2), seed=7)
    dt = F.softplus(blk.dt_proj.bias.detach())
    assert blk.d_inner == 128 and blk.dt_rank == 4
    assert float(dt.min()) >= 1e-3 * (1 - 1e-5) and float(dt.max()) <= 1e-1 * (1 + 1e-5)
    # log-uniform: log dt roughly uniform on [log 1e-3, log 1e-1], mean near log 1e-2
    assert abs(float(torch.log(dt).mean()) - math.log(1e-2)) < 0.5
    torch.testing.assert_close(blk.A, -torch.arange(1, 17, dtype=torch.float32).repeat(128, 1))
    assert torch.equal(blk.D, torch.ones(128))
    assert blk.conv1d.padding == (3,) and blk.conv1d.groups == 128
    bound = 4 ** -0.5
    assert float(blk.dt_proj.weight.detach().abs().max()) <= bound


def test_seeded_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    cfg = MambaConfig(8)
    a, b, c = MambaBlock(cfg, seed=1), MambaBlock(cfg, seed=1), MambaBlock(cfg, seed=2)
    assert torch.equal(torch.get_rng_state(), state)
    for (n, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(p, q), n
        if n not in ("A_log", "D"):
            assert not torch.equal(p, r), n


def test_conv_is_causal():
    """Changing token t changes no output before t."""
    blk = MambaBlock(MambaConfig(8, 4, 4, 2), seed=0, dtype=F64)
    x = randn(1, 20, 8, seed=1)
    x2 = x.clone()
    x2[:, 12] += 1.0
    with torch.no_grad():
        y, y2 = blk(x, backend="naive"), blk(x2, backend="naive")
    assert torch.equal(y[:, :12], y2[:, :12])
    assert not torch.allclose(y[:, 12:], y2[:, 12:])


# ------------------------------------------------------------------------------------- bad input


def test_bad_input_raises():
    blk = MambaBlock(MambaConfig(16), seed=0)
    with pytest.raises(ValueError, match="d_model=16"):
        blk(torch.zeros(2, 5, 8))
    with pytest.raises(ValueError, match=r"\[batch, L, d_model\]"):
        blk(torch.zeros(5, 16))
    with pytest.raises(TypeError):
        blk(torch.zeros(2, 5, 16, dtype=torch.int64))
    with pytest.raises(TypeError):
        blk([[0.0] * 16])
    conv_state, ssm_state = blk.allocate_inference_cache(2)
    with pytest.raises(ValueError, match="one token"):
        blk.step(torch.zeros(2, 3, 16), conv_state, ssm_state)
    with pytest.raises(ValueError, match="d_model=16"):
        blk.step(torch.zeros(2, 15), conv_state, ssm_state)
    with pytest.raises(ValueError, match="ssm_state"):
        blk.step(torch.zeros(2, 16), conv_state, ssm_state[:, :, :3])
    with pytest.raises(ValueError, match="conv_state"):
        blk.step(torch.zeros(3, 16), conv_state, ssm_state)
    with pytest.raises(ValueError, match="backend"):
        blk(torch.zeros(1, 4, 16), backend="cuda")
    with pytest.raises(ValueError):
        blk.allocate_inference_cache(0)


@pytest.mark.parametrize("kwargs,field", [
    (dict(d_model=0), "d_model"), (dict(d_model=16, d_state=0), "d_state"),
    (dict(d_model=16, d_conv=True), "d_conv"), (dict(d_model=16, expand=0), "expand"),
    (dict(d_model=3, expand=1.5), "expand"), (dict(d_model=16, dt_rank=0), "dt_rank"),
    (dict(d_model=16, dt_rank="full"), "dt_rank"), (dict(d_model=16, dt_min=0.2), "dt_min"),
    (dict(d_model=16, dt_max=float("inf")), "dt_max"),
    (dict(d_model=16, dt_scale=-1.0), "dt_scale"),
    (dict(d_model=16, dt_init_floor="0"), "dt_init_floor"), (dict(d_model=16, bias=1), "bias"),
    (dict(d_model=2.5), "d_model")])
def test_bad_hyperparameters_raise(kwargs, field):
    """A bad config fails where it is made, naming the field; so no block or count gets one."""
    with pytest.raises(ValueError, match=field):
        MambaConfig(**kwargs)
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(MambaConfig(16), **kwargs)


def test_config_sizes_defaults_and_misuse():
    cfg = MambaConfig(16)
    assert (cfg.d_state, cfg.d_conv, cfg.expand, cfg.dt_rank) == (16, 4, 2, "auto")
    assert (cfg.dt_min, cfg.dt_max, cfg.dt_scale, cfg.dt_init_floor) == (1e-3, 1e-1, 1.0, 1e-4)
    assert (cfg.conv_bias, cfg.bias) == (True, False)
    assert (cfg.d_inner, cfg.rank) == (32, 1)
    # "auto" is resolved from the current d_model, also after replace
    wide = dataclasses.replace(cfg, d_model=64)
    assert (wide.d_inner, wide.rank) == (128, 4)
    assert (MambaConfig(20, expand=1.5, dt_rank=3).d_inner, MambaConfig(20, dt_rank=3).rank) == (
        30, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 8
    blk = MambaBlock(cfg)
    assert blk.config is cfg and (blk.d_inner, blk.dt_rank) == (32, 1)
    with pytest.raises(ValueError, match="backend"):
        MambaBlock(cfg, backend="gpu")
    for fn in (MambaBlock, param_count, param_breakdown):
        with pytest.raises(TypeError, match="MambaConfig"):
            fn(16)


# --------------------------------------------------------------------------------- timing helper


def test_time_scan_rows_and_thread_count_restored():
    before = torch.get_num_threads()
    rows = time_scan([(1, 3, 2, 5), (2, 4, 3, 7)], min_repeats=1, max_repeats=1, threads=1)
    assert torch.get_num_threads() == before
    assert [(r["batch"], r["L"]) for r in rows] == [(1, 5), (2, 7)]
    assert all(r["naive"] > 0 and r["chunked"] > 0 for r in rows)
    assert all(r["_measurements"]["naive"].threads == 1 for r in rows)
    with pytest.raises(ValueError):
        time_scan([(1, 3, 2, 5)], backends=())
