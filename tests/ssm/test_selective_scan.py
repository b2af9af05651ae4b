"""Selective scan: every backend against the float64 step loop (the definition)."""

import os

import torch

if not torch.cuda.is_available():  # must precede any import of triton
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from blogcode.device import pick_device  # noqa: E402
from blogcode.ssm.selective_scan import selective_scan  # noqa: E402
from blogcode.ssm.selective_scan.chunked import selective_scan_chunked  # noqa: E402
from blogcode.ssm.selective_scan.naive import selective_scan_naive  # noqa: E402

DEVICE = pick_device()
ON_GPU = DEVICE.type == "cuda"
# float32 tolerances (outputs are O(1)); the reference is computed in float64
ATOL, RTOL = 2e-4, 2e-4


def make(batch, dim, n, length, *, variable=True, extras=True, seed=0, scale_dt=1.0,
         device=DEVICE):
    g = torch.Generator().manual_seed(seed)

    def r(*s):
        return torch.randn(*s, generator=g)

    args = dict(
        u=r(batch, dim, length), delta=r(batch, dim, length) * scale_dt,
        A=-torch.rand(dim, n, generator=g) * 4 - 0.1,
        B=r(batch, n, length) if variable else r(dim, n),
        C=r(batch, n, length) if variable else r(dim, n),
    )
    if extras:
        args.update(D=r(dim), z=r(batch, dim, length), delta_bias=r(dim) * 0.5,
                    delta_softplus=True)
    return {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in args.items()}


def ref(args):
    a64 = {k: (v.double().cpu() if isinstance(v, torch.Tensor) else v) for k, v in args.items()}
    return selective_scan_naive(**a64)


def check(args, backend, atol=ATOL, rtol=RTOL):
    y, h = selective_scan(**args, output_final_state=True, backend=backend)
    y0, h0 = ref(args)
    assert y.dtype == args["u"].dtype and y.shape == args["u"].shape
    assert torch.allclose(y.double().cpu(), y0, atol=atol, rtol=rtol), \
        (y.double().cpu() - y0).abs().max()
    assert torch.allclose(h.double().cpu(), h0, atol=atol, rtol=rtol)


SHAPES = [(1, 1, 1, 1), (2, 3, 4, 17), (2, 5, 16, 63), (1, 7, 3, 130), (3, 2, 5, 300)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("variable", [True, False])
@pytest.mark.parametrize("extras", [True, False])
def test_chunked_matches_naive(shape, variable, extras):
    check(make(*shape, variable=variable, extras=extras), "chunked")


def test_naive_float32_matches_float64():
    check(make(2, 5, 16, 63), "naive")


# The interpreter is slow: small sizes only, with BLOCK_T / BLOCK_D not dividing L / D.
TRITON_SHAPES = [(1, 1, 1, 1), (2, 5, 3, 37), (1, 6, 16, 20)] + (
    [(2, 64, 16, 1000), (1, 33, 7, 4099)] if ON_GPU else [])


@pytest.mark.parametrize("shape", TRITON_SHAPES)
@pytest.mark.parametrize("variable", [True, False])
def test_triton_matches_naive(shape, variable):
    check(make(*shape, variable=variable, extras=True), "triton")


def test_triton_without_extras_and_auto_dispatch():
    args = make(2, 3, 4, 9, extras=False)
    check(args, "triton")
    expected = "triton" if ON_GPU else "chunked"
    assert torch.equal(selective_scan(**args), selective_scan(**args, backend=expected))


def test_large_decays_split_segments_and_stay_exact():
    # |delta * A| up to ~40 per step: the closed form must split segments, never overflow
    args = make(2, 4, 8, 97, scale_dt=10.0, extras=True)
    y = selective_scan(**args, backend="chunked")
    assert torch.isfinite(y).all()
    check(args, "chunked")


def test_float64_chunked_is_tight():
    args = {k: (v.double().cpu() if isinstance(v, torch.Tensor) else v)
            for k, v in make(2, 3, 5, 70).items()}
    y = selective_scan(**args, backend="chunked")
    assert torch.allclose(y, selective_scan_naive(**args)[0], atol=1e-11, rtol=1e-11)


def mamba_like(batch, dim, n, length, seed=0, bias=-3.0):
    """Inputs shaped like a Mamba layer's: softplus(delta + bias) > 0, A = -(1..N): decays."""
    args = {k: (v.cpu() if isinstance(v, torch.Tensor) else v)
            for k, v in make(batch, dim, n, length, seed=seed, device="cpu").items()}
    args["A"] = -torch.arange(1, n + 1, dtype=torch.float32).repeat(dim, 1)
    args["delta_bias"] = torch.full((dim,), bias)
    return args


@pytest.mark.parametrize("shape", [(1, 16, 16, 1000), (2, 8, 16, 600)])
def test_float32_tiles_match_float64_at_mamba_decays(shape):
    # segments of ~60 / (16 * softplus(-3 + noise)) steps, many of them over the sequence
    args = mamba_like(*shape)
    y0, h0 = ref(args)
    y32, h32 = selective_scan_chunked(**args, work_dtype="float32")
    y64, _ = selective_scan_chunked(**args, work_dtype="float64")
    assert y32.dtype == torch.float32
    # float32 tiles: within float32 rounding of the float64 definition (outputs are O(1-10))
    assert torch.allclose(y32.double(), y0, atol=1e-4, rtol=1e-4), (y32.double() - y0).abs().max()
    assert torch.allclose(h32.double(), h0, atol=1e-4, rtol=1e-4)
    # and no worse than float32 itself: the float64-tile result rounded to float32
    err32, err64 = (y32.double() - y0).abs().max(), (y64.double() - y0).abs().max()
    assert err32 < 200 * max(float(err64), 1e-7)


def test_auto_work_dtype_picks_float32_only_for_slow_contractions():
    slow = mamba_like(1, 4, 8, 200)  # ~60 / (8 * 0.05) steps per float32 segment: float32
    auto = selective_scan_chunked(**slow)[0]
    assert torch.equal(auto, selective_scan_chunked(**slow, work_dtype="float32")[0])
    assert not torch.equal(auto, selective_scan_chunked(**slow, work_dtype="float64")[0])
    fast = mamba_like(1, 4, 8, 200, bias=3.0)  # softplus(3) * 8 ~ 24 per step: float64
    assert torch.equal(selective_scan_chunked(**fast)[0],
                       selective_scan_chunked(**fast, work_dtype="float64")[0])
    growing = {**slow, "A": -slow["A"]}  # a growing recurrence: float64 whatever the rate
    assert torch.equal(selective_scan_chunked(**growing)[0],
                       selective_scan_chunked(**growing, work_dtype="float64")[0])
    doubles = {k: (v.double() if isinstance(v, torch.Tensor) else v) for k, v in slow.items()}
    y = selective_scan_chunked(**doubles, work_dtype="float32")[0]  # float64 in: float64 tiles
    assert torch.equal(y, selective_scan_chunked(**doubles)[0]) and y.dtype == torch.float64
    with pytest.raises(ValueError, match="work_dtype must be one of"):
        selective_scan_chunked(**slow, work_dtype="half")


@pytest.mark.parametrize("chunk", [1, 5, 16, 1000])
def test_chunk_size_does_not_change_result(chunk):
    args = {
        k: (v.cpu() if isinstance(v, torch.Tensor) else v) for k, v in make(1, 3, 4, 50).items()
    }
    y, _ = selective_scan_chunked(**args, chunk_size=chunk)
    assert torch.allclose(y.double(), ref(args)[0], atol=ATOL, rtol=RTOL)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 3), dim=st.integers(1, 6), n=st.integers(1, 9),
       length=st.integers(1, 90), variable=st.booleans(), seed=st.integers(0, 10_000))
def test_chunked_hypothesis(batch, dim, n, length, variable, seed):
    check(make(batch, dim, n, length, variable=variable, seed=seed, device="cpu"), "chunked")


def test_lti_case_is_a_convolution():
    # fixed B, C and constant delta: y = K * u with K_m = sum_n C_n exp(m delta A_n) delta B_n
    g = torch.Generator().manual_seed(3)
    dim, n, length, dt = 2, 4, 40, 0.3
    u = torch.randn(1, dim, length, generator=g, dtype=torch.float64)
    A = -torch.rand(dim, n, generator=g, dtype=torch.float64)
    Bm = torch.randn(dim, n, generator=g, dtype=torch.float64)
    Cm = torch.randn(dim, n, generator=g, dtype=torch.float64)
    y = selective_scan(u, torch.full_like(u, dt), A, Bm, Cm, backend="chunked")
    m = torch.arange(length, dtype=torch.float64)
    K = (Cm[:, None] * torch.exp(m[None, :, None] * dt * A[:, None]) * dt * Bm[:, None]).sum(-1)
    conv = torch.stack([sum(K[:, j] * u[0, :, t - j] for j in range(t + 1))
                        for t in range(length)], dim=-1)
    assert torch.allclose(y[0], conv, atol=1e-12)


def test_triton_has_no_backward():
    args = make(1, 2, 3, 5)
    args["u"] = args["u"].clone().requires_grad_(True)
    y = selective_scan(**args, backend="triton")
    with pytest.raises(RuntimeError, match="no backward"):
        y.sum().backward()


def test_chunked_backend_differentiates():
    args = {k: (v.double().cpu() if isinstance(v, torch.Tensor) else v)
            for k, v in make(1, 2, 3, 6).items()}
    u = args.pop("u").requires_grad_(True)
    g1, = torch.autograd.grad(selective_scan(u, **args, backend="chunked").sum(), u)
    g0, = torch.autograd.grad(selective_scan_naive(u, **args)[0].sum(), u)
    assert torch.allclose(g1, g0, atol=1e-10)


def test_bad_inputs_raise():
    a = make(2, 3, 4, 5, device="cpu")
    with pytest.raises(ValueError, match="backend"):
        selective_scan(**a, backend="cuda")
    with pytest.raises(ValueError, match="u must have shape"):
        selective_scan(**{**a, "u": a["u"][0]})
    with pytest.raises(ValueError, match="delta"):
        selective_scan(**{**a, "delta": a["delta"][:, :, :-1]})
    with pytest.raises(ValueError, match="A must"):
        selective_scan(**{**a, "A": a["A"][:-1]})
    with pytest.raises(ValueError, match="B must"):
        selective_scan(**{**a, "B": a["B"][:, :, :-1]})
    with pytest.raises(ValueError, match="D must"):
        selective_scan(**{**a, "D": a["D"][:-1]})
    with pytest.raises(TypeError, match="complex"):
        selective_scan(**{**a, "A": a["A"].to(torch.complex64)})
    with pytest.raises(TypeError, match="floating"):
        selective_scan(**{**a, "u": a["u"].long()})
    with pytest.raises(TypeError, match="float64"):
        selective_scan(**{k: (v.double() if isinstance(v, torch.Tensor) else v)
                          for k, v in a.items()}, backend="triton")


def test_triton_unavailable_is_a_clear_error(monkeypatch):
    if ON_GPU:
        pytest.skip("CUDA present: the Triton backend is available")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with pytest.raises(RuntimeError, match="unavailable"):
        selective_scan(**make(1, 2, 3, 4, device="cpu"), backend="triton")


def test_import_does_not_import_triton():
    import subprocess
    import sys

    code = ("import sys, blogcode.ssm.selective_scan, blogcode.rwkv; "
            "print('triton' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("backend", ["naive", "chunked", "triton"])
@pytest.mark.parametrize("variable", [True, False])
def test_initial_state_continues_the_sequence(backend, variable):
    """Scanning a prefix, then the rest from its final state == one scan (every backend)."""
    args = make(2, 3, 5, 37, variable=variable, extras=True,
                device=DEVICE if backend == "triton" else "cpu")
    cut = 16

    def part(sl):
        return {k: (v[..., sl] if isinstance(v, torch.Tensor) and v.dim() == 3 else v)
                for k, v in args.items()}

    y, h = selective_scan(**args, output_final_state=True, backend=backend)
    _, h_head = selective_scan(**part(slice(None, cut)), output_final_state=True, backend=backend)
    y_tail, h_tail = selective_scan(**part(slice(cut, None)), initial_state=h_head,
                                    output_final_state=True, backend=backend)
    assert torch.allclose(y_tail, y[..., cut:], atol=ATOL, rtol=RTOL)
    assert torch.allclose(h_tail, h, atol=ATOL, rtol=RTOL)
    # and against the float64 step loop started from the same state
    y0, h0 = selective_scan_naive(**{k: (v.double().cpu() if isinstance(v, torch.Tensor) else v)
                                     for k, v in part(slice(cut, None)).items()},
                                  initial_state=h_head.double().cpu())
    assert torch.allclose(y_tail.double().cpu(), y0, atol=ATOL, rtol=RTOL)
    assert torch.allclose(h_tail.double().cpu(), h0, atol=ATOL, rtol=RTOL)


def test_initial_state_shape_is_checked():
    a = make(2, 3, 4, 5, device="cpu")
    with pytest.raises(ValueError, match=r"initial_state must have shape \[batch=2, D=3, N=4\]"):
        selective_scan(**a, initial_state=torch.zeros(2, 4, 3))
