"""Selective scan backward: the chunked backend's gradients against the step loop's, in float64.

Every input gets a gradient (u, delta, A, B, C, D, z, delta_bias, initial_state), through the
output and the final state together (loss = <out, g1> + <final_state, g2> with random g1, g2),
at shapes where L is 1 or not a multiple of 16, with input-dependent [batch, N, L] and fixed
[D, N] B and C, with and without the softplus on delta.  ``gradcheck`` then checks the chunked
path against finite differences, independently of the step loop.
"""

import pytest
import torch

from blogcode.ssm.selective_scan import selective_scan
from blogcode.ssm.selective_scan.chunked import selective_scan_chunked

F64 = torch.float64
# Observed worst differences are ~1e-13 relative to the largest gradient entry; these leave room
# for reordered sums while still catching a gradient that is off by one part in a million.
ATOL, RTOL = 1e-10, 1e-9
SHAPES = [(1, 1, 1, 1), (2, 3, 4, 17), (2, 5, 16, 63), (1, 7, 3, 130)]  # (batch, D, N, L)
NAMES = ("u", "delta", "A", "B", "C", "D", "z", "delta_bias", "initial_state")


def make(batch, dim, n, length, *, variable=True, softplus=True, seed=0, scale_dt=1.0):
    """float64 inputs in the style of tests/ssm/test_selective_scan.py's ``make``, plus a state.

    Without the softplus, delta is drawn positive (it is a step size); with it, delta is any
    real number and goes through ``softplus(delta + delta_bias)``.
    """
    g = torch.Generator().manual_seed(seed)

    def r(*s):
        return torch.randn(*s, generator=g, dtype=F64)

    if softplus:
        delta = r(batch, dim, length) * scale_dt
    else:
        delta = (torch.rand(batch, dim, length, generator=g, dtype=F64) + 0.05) * scale_dt
    return dict(
        u=r(batch, dim, length), delta=delta,
        A=-torch.rand(dim, n, generator=g, dtype=F64) * 4 - 0.1,
        B=r(batch, n, length) if variable else r(dim, n),
        C=r(batch, n, length) if variable else r(dim, n),
        D=r(dim), z=r(batch, dim, length), delta_bias=r(dim) * 0.5,
        initial_state=r(batch, dim, n),
    ), softplus


def grads(fn, inputs, *, seed=1):
    """Gradients of <out, g1> + <final_state, g2> w.r.t. every tensor in ``inputs``."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in inputs.items()}
    out, final = fn(leaves)
    g = torch.Generator().manual_seed(seed)
    g1 = torch.randn(out.shape, generator=g, dtype=F64)
    g2 = torch.randn(final.shape, generator=g, dtype=F64)
    loss = (out * g1).sum() + (final * g2).sum()
    got = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    return {k: gr for k, gr in zip(leaves, got, strict=True)}, (out.detach(), final.detach())


def scan(backend, softplus, **kw):
    def fn(leaves):
        return selective_scan(**leaves, delta_softplus=softplus, output_final_state=True,
                              backend=backend, **kw)
    return fn


def assert_grads_match(got, want, names):
    for name in names:
        a, b = got[name], want[name]
        assert b is not None and bool(b.abs().max() > 0), f"reference gradient of {name} is zero"
        assert a is not None, f"no gradient for {name}"
        assert a.shape == b.shape and a.dtype == F64, name
        assert torch.allclose(a, b, atol=ATOL, rtol=RTOL), \
            f"d/d{name}: max |diff| {(a - b).abs().max().item():.3g}"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("variable", [True, False], ids=["BC-input", "BC-fixed"])
@pytest.mark.parametrize("softplus", [True, False], ids=["softplus", "raw-delta"])
def test_chunked_gradients_match_naive(shape, variable, softplus):
    inputs, sp = make(*shape, variable=variable, softplus=softplus)
    want, (y0, h0) = grads(scan("naive", sp), inputs)
    got, (y1, h1) = grads(scan("chunked", sp), inputs)
    assert torch.allclose(y1, y0, atol=ATOL, rtol=RTOL) and torch.allclose(h1, h0, atol=ATOL,
                                                                            rtol=RTOL)
    assert_grads_match(got, want, NAMES)


@pytest.mark.parametrize("variable", [True, False], ids=["BC-input", "BC-fixed"])
def test_gradients_without_optional_inputs(variable):
    # D, z, delta_bias and initial_state absent: the None paths still differentiate, and only
    # through the output when the final state is not asked for
    full, _ = make(2, 3, 4, 17, variable=variable, softplus=False, seed=5)
    inputs = {k: full[k] for k in ("u", "delta", "A", "B", "C")}

    def only_out(backend):
        def fn(leaves):
            out = selective_scan(**leaves, backend=backend)
            return out, out.new_zeros(())  # a zero cotangent for the (absent) final state
        return fn

    want, _ = grads(only_out("naive"), inputs)
    got, _ = grads(only_out("chunked"), inputs)
    assert_grads_match(got, want, list(inputs))


@pytest.mark.parametrize(("chunk_size", "spike"),
                         [(1, True), (5, True), (16, True), (None, True), (None, False)])
def test_gradients_across_segment_boundaries(chunk_size, spike):
    # selective_scan's default segment covers these short sequences whole; force boundaries
    # (chunk_size), large decays (None: segments cut only by the overflow guard, so |S| inside
    # a segment gets close to the guard's limit) and, with ``spike``, one step whose decay alone
    # passes the guard (|delta * A| > 600: the exact single-step path, taken by every batch
    # element and channel at that step; the slow mode A[2, 1] keeps its gradient non-zero)
    inputs, _ = make(2, 3, 4, 37, variable=True, softplus=False, seed=7, scale_dt=8.0)
    inputs["A"][0, 0] = -4.0
    if spike:
        inputs["delta"][0, 2, 11] = 200.0
        inputs["A"][2, :2] = torch.tensor([-3.5, -0.002], dtype=F64)  # 200 * 3.5 > 600

    def chunked(leaves):
        return selective_scan_chunked(**leaves, chunk_size=chunk_size)

    def naive(leaves):
        return selective_scan(**leaves, output_final_state=True, backend="naive")

    want, _ = grads(naive, inputs)
    got, _ = grads(chunked, inputs)
    assert_grads_match(got, want, NAMES)


def test_gradcheck_chunked():
    # finite differences, independent of the step loop: both outputs, every input
    inputs, _ = make(2, 2, 3, 5, variable=True, softplus=True, seed=11)
    leaves = tuple(inputs[k].clone().requires_grad_(True) for k in NAMES)

    def fn(*xs):
        return selective_scan(**dict(zip(NAMES, xs, strict=True)), delta_softplus=True,
                              output_final_state=True, backend="chunked")

    # gradcheck ignores an output that does not require grad: make sure neither is detached
    assert all(o.requires_grad for o in fn(*leaves))
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)

    fixed, _ = make(1, 2, 2, 4, variable=False, softplus=False, seed=12)
    leaves = tuple(fixed[k].clone().requires_grad_(True) for k in NAMES)

    def fn_split(*xs):  # segments of 3 steps: a boundary inside L = 4
        return selective_scan_chunked(**dict(zip(NAMES, xs, strict=True)), chunk_size=3)

    assert all(o.requires_grad for o in fn_split(*leaves))
    assert torch.autograd.gradcheck(fn_split, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)
