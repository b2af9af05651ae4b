"""Tests for blogcode.linalg.rank1_exp against independent references."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.linalg as sla
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.linalg.rank1_exp import (
    RankOneExpLinear,
    apply_expm_rank1,
    expm_rank1,
    expm_rank1_naive,
    expm_rank1_symbolic,
    fit_linear_flow,
    gaussian_nll,
    inv_expm_rank1,
    logdet_expm_rank1,
    phi,
    rank1_update_as_exp,
)

vec = st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.floats(0.1, 2.0))
def test_matches_scipy_expm(k: int, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    x, y = scale * rng.standard_normal((2, k))
    ref = sla.expm(np.outer(x, y))
    # scipy's scaling and squaring errs by ~1e-12 relative once |<x, y>| ~ 10 (entries ~ 1e6);
    # the closed form's own accuracy is checked against mpmath elsewhere in this file
    np.testing.assert_allclose(expm_rank1(x, y), ref, rtol=1e-10, atol=1e-12)


def test_series_power_identity() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 5))
    M, s = np.outer(x, y), x @ y
    for n in range(1, 6):
        np.testing.assert_allclose(np.linalg.matrix_power(M, n), s ** (n - 1) * M,
                                   rtol=1e-12, atol=1e-12)


def test_batched_and_broadcast() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5))
    y = rng.standard_normal((4, 5))
    E = expm_rank1(x, y)
    assert E.shape == (3, 4, 5, 5)
    np.testing.assert_allclose(E[2, 1], sla.expm(np.outer(x[2, 1], y[1])), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_det_and_inverse(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((2, k))
    E, Ei = expm_rank1(x, y), inv_expm_rank1(x, y)
    assert np.isclose(np.linalg.det(E), np.exp(x @ y), rtol=1e-10)
    assert np.isclose(logdet_expm_rank1(x, y), np.linalg.slogdet(E)[1], atol=1e-10)
    np.testing.assert_allclose(Ei, np.linalg.inv(E), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Ei, sla.expm(-np.outer(x, y)), rtol=1e-12, atol=1e-12)
    # Sherman-Morrison gives the same inverse independently
    c = np.expm1(x @ y) / (x @ y) if x @ y != 0 else 1.0
    sm = np.eye(k) - c * np.outer(x, y) / (1 + c * (x @ y))
    np.testing.assert_allclose(Ei, sm, rtol=1e-10, atol=1e-10)


def test_apply_matches_matrix() -> None:
    rng = np.random.default_rng(3)
    x, y, v = rng.standard_normal((3, 7))
    np.testing.assert_allclose(apply_expm_rank1(x, y, v), expm_rank1(x, y) @ v, rtol=1e-13)
    np.testing.assert_allclose(apply_expm_rank1(x, y, v, inverse=True),
                               np.linalg.solve(expm_rank1(x, y), v), rtol=1e-11)


def test_phi_precision_vs_mpmath() -> None:
    mpmath.mp.dps = 50
    s = np.concatenate([-np.logspace(-17, 1, 40), [0.0], np.logspace(-17, 1, 40)])
    ref = np.array([float((mpmath.expm1(mpmath.mpf(v)) / mpmath.mpf(v)) if v != 0 else 1)
                    for v in s])
    rel = np.abs(phi(s) - ref) / ref
    assert rel.max() < 4e-16
    # continuity around the Taylor cut and at zero
    eps = np.array([0.99e-4, 1.01e-4, -0.99e-4, -1.01e-4])
    ref = np.array([float(mpmath.expm1(mpmath.mpf(v)) / mpmath.mpf(v)) for v in eps])
    assert (np.abs(phi(eps) - ref) / ref).max() < 4e-16
    assert phi(0.0) == 1.0 and isinstance(phi(0.0), float)


def test_naive_loses_precision_near_zero() -> None:
    x = np.array([1e-6, 1.0])
    y = np.array([1e-6, 0.0])  # s = 1e-12; entry [1, 0] is phi(s) * 1e-6
    exact = 1 + 0.5e-12  # phi(s) to double precision
    c_naive = expm_rank1_naive(x, y)[1, 0] / 1e-6
    c_good = expm_rank1(x, y)[1, 0] / 1e-6
    assert abs(c_naive - exact) > 1e-5 > 1e-15 > abs(c_good - exact)
    with pytest.raises(ValueError, match="divides by zero"):
        expm_rank1_naive(np.array([1.0, 0.0]), np.array([0.0, 1.0]))


def test_limit_s_to_zero_is_continuous() -> None:
    x = np.array([1.0, 2.0, -1.0])
    y0 = np.array([2.0, -1.0, 0.0])  # orthogonal: exp(x y^T) = I + x y^T
    np.testing.assert_array_equal(expm_rank1(x, y0), np.eye(3) + np.outer(x, y0))
    for t in (1e-3, 1e-8, 1e-14):
        y = y0 + t * x / (x @ x)
        np.testing.assert_allclose(expm_rank1(x, y), sla.expm(np.outer(x, y)), atol=1e-14)


def test_torch_matches_numpy_and_grad_at_zero() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 4))
    E_t = expm_rank1(torch.tensor(x), torch.tensor(y))
    assert isinstance(E_t, torch.Tensor) and E_t.dtype == torch.float64
    np.testing.assert_allclose(E_t.numpy(), expm_rank1(x, y), rtol=1e-14)
    s = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    phi(s).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), 0.5)
    assert torch.isfinite(torch.autograd.functional.jacobian(
        lambda a: expm_rank1(a, torch.tensor([0.0, 1.0], dtype=torch.float64)),
        torch.tensor([1.0, 0.0], dtype=torch.float64))).all()


def test_products_do_not_commute() -> None:
    rng = np.random.default_rng(5)
    x1, y1, x2, y2 = rng.standard_normal((4, 3))
    P = expm_rank1(x1, y1) @ expm_rank1(x2, y2)
    Q = expm_rank1(x2, y2) @ expm_rank1(x1, y1)
    S = sla.expm(np.outer(x1, y1) + np.outer(x2, y2))
    assert np.abs(P - S).max() > 1e-2 and np.abs(P - Q).max() > 1e-2
    # determinants agree: e^{s1 + s2} for all three
    for A in (P, Q, S):
        assert np.isclose(np.linalg.det(A), np.exp(x1 @ y1 + x2 @ y2))
    # parallel outer products commute, and then the product is exp of the sum
    P2 = expm_rank1(x1, y1) @ expm_rank1(2 * x1, y1)
    np.testing.assert_allclose(P2, sla.expm(3 * np.outer(x1, y1)), rtol=1e-11, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_rank1_update_as_exp(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal((2, k))
    if 1 + u @ v <= 1e-3:
        v = -v
    if 1 + u @ v <= 1e-3:
        return
    x, y = rank1_update_as_exp(u, v)
    np.testing.assert_allclose(expm_rank1(x, y), np.eye(k) + np.outer(u, v), atol=1e-11)


def test_rank1_update_negative_det_rejected() -> None:
    with pytest.raises(ValueError, match="1 \\+ <u, v> > 0"):
        rank1_update_as_exp(np.array([1.0, 0.0]), np.array([-2.0, 0.0]))


def test_symbolic_forms() -> None:
    d = expm_rank1_symbolic(2)
    assert sp.simplify(d["det"] - sp.exp(d["s"])) == 0
    assert d["inv_residual"] == sp.zeros(2, 2)
    # closed form vs sympy's own matrix exponential at a rational point
    subs = {d["x"][0]: 1, d["x"][1]: 2, d["y"][0]: sp.Rational(1, 3), d["y"][1]: -1}
    M = d["M"].subs(subs)
    assert sp.simplify(M.exp() - d["E"].subs(subs)) == sp.zeros(2, 2)
    with pytest.raises(ValueError, match="positive int"):
        expm_rank1_symbolic(0)


def _layer(k: int = 5, m: int = 4, seed: int = 0) -> RankOneExpLinear:
    g = torch.Generator().manual_seed(seed)
    layer = RankOneExpLinear(k, m, init_scale=0.6, generator=g)
    with torch.no_grad():
        layer.bias.copy_(torch.randn(k, dtype=torch.float64, generator=g))
    return layer


def test_layer_forward_inverse_logdet() -> None:
    layer = _layer()
    h = torch.randn(3, 8, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    z, ld = layer(h)
    W = layer.weight()
    dense = torch.linalg.multi_dot([expm_rank1(layer.x[i], layer.y[i]) for i in range(4)])
    torch.testing.assert_close(W, dense)
    torch.testing.assert_close(z, h @ W.T + layer.bias)
    sign, logabs = torch.linalg.slogdet(W)
    assert sign.item() == 1.0
    torch.testing.assert_close(ld, logabs)
    torch.testing.assert_close(layer.inverse(z), h, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(layer.inverse(z), torch.linalg.solve(W, (z - layer.bias).mT).mT)


def test_layer_gradients_match_dense() -> None:
    layer = _layer(4, 3, seed=2)
    h = torch.randn(16, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    z, ld = layer(h)
    gaussian_nll(z, ld).backward()
    g_fast = [p.grad.clone() for p in (layer.x, layer.y)]
    layer.zero_grad()
    W = layer.weight()
    zd = h @ W.T + layer.bias
    gaussian_nll(zd, torch.linalg.slogdet(W)[1]).backward()
    for a, p in zip(g_fast, (layer.x, layer.y), strict=True):
        torch.testing.assert_close(a, p.grad)


def test_flow_fit_reaches_gaussian_optimum() -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    C = torch.tensor([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.4]], dtype=torch.float64)
    data = torch.randn(500, 3, dtype=torch.float64, generator=g) @ torch.linalg.cholesky(C).T
    layer, hist = fit_linear_flow(data, 3, steps=600)
    S = torch.cov(data.T, correction=0)
    best = 1.5 * (1 + np.log(2 * np.pi)) + 0.5 * torch.logdet(S).item()
    assert hist[-1] >= best - 1e-9  # nothing beats the ML Gaussian
    assert hist[-1] - best < 1e-3 < hist[0] - best


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="same length"):
        expm_rank1(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="at least one axis"):
        expm_rank1(np.float64(1.0), np.ones(1))
    with pytest.raises(ValueError, match="finite"):
        expm_rank1(np.array([np.nan, 1.0]), np.ones(2))
    with pytest.raises(TypeError, match="real numeric"):
        expm_rank1(np.array(["a"]), np.ones(1))
    with pytest.raises(TypeError, match="complex"):
        expm_rank1(torch.ones(2, dtype=torch.complex128), torch.ones(2, dtype=torch.complex128))
    with pytest.raises(TypeError, match="both be numpy"):
        expm_rank1(np.ones(2), torch.ones(2))
    with pytest.raises(ValueError, match="k >= 1"):
        expm_rank1(np.ones(0), np.ones(0))
    with pytest.raises(ValueError, match="length k=2"):
        apply_expm_rank1(np.ones(2), np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="n_factors must be a positive int"):
        RankOneExpLinear(3, 0)
    layer = RankOneExpLinear(3, 2)
    with pytest.raises(ValueError, match=r"shape \[\.\.\., 3\]"):
        layer(torch.ones(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="dtype"):
        layer(torch.ones(2, 3, dtype=torch.float32))
    # integer inputs are promoted to float64
    assert expm_rank1(np.array([1, 0]), np.array([0, 1])).dtype == np.float64
