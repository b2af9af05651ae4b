"""WKV: the O(T^2) formula, the recurrence, the CPU fallback and the Triton kernel agree."""

import os

import torch

if not torch.cuda.is_available():  # must precede any import of triton
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from blogcode.device import pick_device  # noqa: E402
from blogcode.rwkv import empty_state, wkv, wkv_chunked, wkv_direct, wkv_naive  # noqa: E402

DEVICE = pick_device()
ON_GPU = DEVICE.type == "cuda"
ATOL, RTOL = 1e-4, 1e-4  # float32 backends against the float64 formula


def make(batch, T, C, *, kscale=1.0, seed=0, device=DEVICE, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(C, generator=g) * 8 - 5  # RWKV-4's time_decay range [-5, 3]
    u = torch.randn(C, generator=g)
    k = torch.randn(batch, T, C, generator=g) * kscale
    v = torch.randn(batch, T, C, generator=g)
    return tuple(t.to(device=device, dtype=dtype) for t in (w, u, k, v))


def f64(*ts):
    return tuple(t.double().cpu() for t in ts)


def test_direct_formula_equals_recurrence_float64():
    w, u, k, v = f64(*make(2, 40, 7))
    y0, s0 = wkv_direct(w, u, k, v)
    y1, s1 = wkv_naive(w, u, k, v)
    assert torch.allclose(y0, y1, atol=1e-12, rtol=1e-12)
    assert torch.allclose(s0, s1, atol=1e-10, rtol=1e-12)


def test_direct_formula_by_hand():
    # T = 2, one channel: wkv_1 = (e^{k0} v0 + e^{u+k1} v1) / (e^{k0} + e^{u+k1}) (lam * 0 steps)
    w, u = torch.tensor([0.3], dtype=torch.float64), torch.tensor([0.7], dtype=torch.float64)
    k = torch.tensor([[[0.2], [-0.4]]], dtype=torch.float64)
    v = torch.tensor([[[1.5], [-2.0]]], dtype=torch.float64)
    y, _ = wkv_direct(w, u, k, v)
    e0, e1 = torch.exp(k[0, 0, 0]), torch.exp(u[0] + k[0, 1, 0])
    assert torch.isclose(y[0, 1, 0], (e0 * v[0, 0, 0] + e1 * v[0, 1, 0]) / (e0 + e1))
    assert torch.isclose(y[0, 0, 0], v[0, 0, 0])


SHAPES = [(1, 1, 1), (2, 17, 5), (1, 63, 33), (3, 130, 4), (1, 300, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("backend", ["chunked", "naive"])
def test_backends_match_formula(shape, backend):
    w, u, k, v = make(*shape, device="cpu")
    y, s = wkv(w, u, k, v, output_final_state=True, backend=backend)
    y0, s0 = wkv_direct(*f64(w, u, k, v))
    assert y.dtype == v.dtype
    assert torch.allclose(y.double(), y0, atol=ATOL, rtol=RTOL)
    assert torch.allclose(s.double(), s0, atol=ATOL, rtol=RTOL)


TRITON_SHAPES = [(1, 1, 1), (2, 13, 37), (1, 40, 5)] + ([(4, 1000, 300)] if ON_GPU else [])


@pytest.mark.parametrize("shape", TRITON_SHAPES)
def test_triton_matches_formula(shape):
    w, u, k, v = make(*shape)
    y, s = wkv(w, u, k, v, output_final_state=True, backend="triton")
    y0, s0 = wkv_direct(*f64(w, u, k, v))
    assert torch.allclose(y.double().cpu(), y0, atol=ATOL, rtol=RTOL)
    assert torch.allclose(s.double().cpu(), s0, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("backend", ["chunked", "naive", "triton"])
def test_extreme_keys_stay_finite_and_match_float64(backend):
    T = 30 if backend == "triton" and not ON_GPU else 200
    w, u, k, v = make(2, T, 6, device=DEVICE if backend == "triton" else "cpu")
    k = (torch.rand(k.shape, generator=torch.Generator().manual_seed(5)) * 2000 - 1000).to(k)
    y, s = wkv(w, u, k, v, output_final_state=True, backend=backend)
    y0, s0 = wkv_direct(*f64(w, u, k, v))
    assert torch.isfinite(y).all() and torch.isfinite(s).all()
    assert torch.allclose(y.double().cpu(), y0, atol=1e-3, rtol=1e-3)
    # exponents of size 1e3 carry float32 rounding of ~1e-4 per step into the running mean aa
    # (the float32 step loop drifts most); pp ~ 1e3 is compared relative to its size
    assert torch.allclose(s.double().cpu(), s0, atol=5e-3, rtol=1e-5)


def test_state_continues_the_sequence():
    w, u, k, v = f64(*make(2, 50, 4))
    y, s = wkv_chunked(w, u, k, v)
    _, s_half = wkv_chunked(w, u, k[:, :23], v[:, :23])
    y2, s2 = wkv_chunked(w, u, k[:, 23:], v[:, 23:], initial_state=s_half)
    assert torch.allclose(y[:, 23:], y2, atol=1e-12)
    assert torch.allclose(s, s2, atol=1e-10)
    # an explicit empty state is the same as none
    y3, _ = wkv_naive(w, u, k, v, initial_state=empty_state(2, 4, torch.float64))
    assert torch.allclose(y3, y, atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_chunk_size_does_not_change_result(chunk):
    w, u, k, v = f64(*make(1, 70, 5, kscale=5.0))
    assert torch.allclose(wkv_chunked(w, u, k, v, chunk_size=chunk)[0], wkv_naive(w, u, k, v)[0],
                          atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 3), T=st.integers(1, 80), C=st.integers(1, 9),
       kscale=st.sampled_from([0.1, 1.0, 30.0]), seed=st.integers(0, 10_000))
def test_chunked_hypothesis(batch, T, C, kscale, seed):
    w, u, k, v = f64(*make(batch, T, C, kscale=kscale, seed=seed, device="cpu"))
    y, s = wkv_chunked(w, u, k, v)
    y0, s0 = wkv_direct(w, u, k, v)
    assert torch.allclose(y, y0, atol=1e-9, rtol=1e-9)
    assert torch.allclose(s, s0, atol=1e-8, rtol=1e-9)


def test_triton_has_no_backward():
    w, u, k, v = make(1, 4, 3)
    k = k.clone().requires_grad_(True)
    y = wkv(w, u, k, v, backend="triton")
    with pytest.raises(RuntimeError, match="no backward"):
        y.sum().backward()


def test_auto_on_cpu_is_the_fallback():
    w, u, k, v = make(1, 9, 3, device="cpu")
    assert torch.equal(wkv(w, u, k, v), wkv(w, u, k, v, backend="chunked"))


def test_bad_inputs_raise(monkeypatch):
    w, u, k, v = make(2, 5, 3, device="cpu")
    with pytest.raises(ValueError, match="backend"):
        wkv(w, u, k, v, backend="gpu")
    with pytest.raises(ValueError, match="k must have shape"):
        wkv(w, u, k[0], v[0])
    with pytest.raises(ValueError, match="v must"):
        wkv(w, u, k, v[:, :-1])
    with pytest.raises(ValueError, match="w must"):
        wkv(w[:-1], u, k, v)
    with pytest.raises(TypeError, match="same dtype"):
        wkv(w, u, k, v.double())
    with pytest.raises(TypeError, match="floating"):
        wkv(w, u, k.long(), v)
    with pytest.raises(ValueError, match="initial_state must"):
        wkv(w, u, k, v, initial_state=torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match=">= 0"):
        wkv(w, u, k, v, initial_state=-torch.ones(2, 3, 3))
    with pytest.raises(ValueError, match="non-empty"):
        wkv(w, u, k[:, :0], v[:, :0])
    with pytest.raises(TypeError, match="float64"):
        wkv(w.double(), u.double(), k.double(), v.double(), backend="triton")
    if not ON_GPU:
        monkeypatch.delenv("TRITON_INTERPRET", raising=False)
        with pytest.raises(RuntimeError, match="unavailable"):
            wkv(w, u, k, v, backend="triton")
