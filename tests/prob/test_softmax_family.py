"""Softmax and its alternatives, each checked against something independent of it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import optimize, special

from blogcode.prob import softmax_family as sf

# multiples of 1/8: ties are common and shifts by multiples of 1/8 are exact in float64
logits = arrays(np.float64, st.integers(1, 8), elements=st.integers(-64, 64).map(lambda v: v / 8))

MAPS = {
    "softmax": sf.softmax,
    "sparse_softmax_k2": lambda x: sf.sparse_softmax(x, min(2, x.shape[-1])),
    "sparsemax": sf.sparsemax,
    "entmax15": sf.entmax15,
    "entmax_bisect_1.3": lambda x: sf.entmax_bisect(x, 1.3),
    "entmax_bisect_3": lambda x: sf.entmax_bisect(x, 3.0),
    "perturb_gumbel": lambda x: sf.perturb_max(x, "gumbel", 2048),
    "perturb_normal": lambda x: sf.perturb_max(x, "normal", 2048),
}
STRICT = {"softmax", "perturb_gumbel", "perturb_normal"}


@pytest.mark.parametrize("name", sorted(MAPS))
@settings(max_examples=60, deadline=None)
@given(x=logits, c=st.integers(-160, 160).map(lambda v: v / 8))
def test_simplex_shift_invariance_monotonicity(name, x, c):
    f = MAPS[name]
    p = f(x)
    tol = 2e-3 if name.startswith("perturb") else 1e-10  # midpoint-rule error ~ 1/M
    assert np.all(p >= 0)
    assert abs(p.sum() - 1) < tol
    np.testing.assert_allclose(f(x + c), p, atol=tol)
    for i, j in itertools.permutations(range(x.size), 2):
        if x[i] > x[j]:
            assert p[i] >= p[j] - tol  # weak monotonicity for every map
            if name in STRICT and x[i] - x[j] > 1e-3 and p[j] > 1e-6:
                assert p[i] > p[j]
        if x[i] == x[j] and name != "sparse_softmax_k2":  # top-k may split a tie
            assert abs(p[i] - p[j]) < tol


@settings(max_examples=60, deadline=None)
@given(x=logits)
def test_taylor_softmax_is_a_distribution(x):
    p = sf.taylor_softmax(x, 4)
    assert np.all(p > 0) and abs(p.sum() - 1) < 1e-12


def test_taylor_softmax_breaks_both_properties():
    x = np.array([-3.0, -1.0])
    p = sf.taylor_softmax(x, 2)
    assert p[0] > p[1]  # f_2(-3) = 2.5 > f_2(-1) = 0.5: not monotone
    assert not np.allclose(sf.taylor_softmax(x + 1.0, 2), p)  # not shift invariant


def test_logsumexp_limit_and_stability():
    x = np.array([0.3, -1.2, 0.3, 0.1])
    for tau in (1.0, 0.1, 1e-3):
        v = sf.logsumexp(x, tau)
        assert x.max() <= v <= x.max() + tau * math.log(4) + 1e-15
    # two tied maxima: the gap is tau * log 2
    assert sf.logsumexp(x, 1e-3) - 0.3 == pytest.approx(1e-3 * math.log(2), rel=1e-6)
    big = np.array([1000.0, 999.0])
    np.testing.assert_allclose(sf.softmax(big), special.softmax(big), rtol=1e-14)
    assert sf.logsumexp(big) == pytest.approx(special.logsumexp(big), rel=1e-15)


@settings(max_examples=50, deadline=None)
@given(x=logits)
def test_softmax_jacobian_l1_and_autograd(x):
    jac = sf.softmax_jacobian(x)
    p = sf.softmax(x)
    assert 0.5 * np.abs(jac).sum() == pytest.approx(1 - (p**2).sum(), abs=1e-12)
    auto = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, -1), torch.tensor(x, dtype=torch.float64)
    )
    np.testing.assert_allclose(jac, auto.numpy(), atol=1e-12)


def test_softmax_jacobian_finite_differences():
    x = np.array([0.4, -0.7, 1.3, 0.0])
    h = 1e-6
    fd = np.stack([(sf.softmax(x + h * e) - sf.softmax(x - h * e)) / (2 * h) for e in np.eye(4)], 1)
    np.testing.assert_allclose(sf.softmax_jacobian(x), fd, atol=1e-9)


def _project_brute(x: np.ndarray) -> np.ndarray:
    """Projection onto the simplex by trying every support (KKT conditions)."""
    n = x.size
    for r in range(1, n + 1):
        for supp in itertools.combinations(range(n), r):
            s = list(supp)
            lam = (x[s].sum() - 1) / r
            p = np.zeros(n)
            p[s] = x[s] - lam
            rest = np.setdiff1d(np.arange(n), s)
            if np.all(p[s] >= -1e-12) and np.all(x[rest] <= lam + 1e-12):
                return np.maximum(p, 0)
    raise AssertionError("no KKT point found")


@settings(max_examples=100, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 6), elements=st.floats(-3, 3, width=64)))
def test_sparsemax_is_projection_brute_force(x):
    np.testing.assert_allclose(sf.sparsemax(x), _project_brute(x), atol=1e-10)


def test_sparsemax_is_projection_slsqp():
    rng = np.random.default_rng(1)
    for _ in range(10):
        x = rng.standard_normal(7) * 1.5
        res = optimize.minimize(
            lambda p, x=x: ((p - x) ** 2).sum(), np.full(7, 1 / 7),
            jac=lambda p, x=x: 2 * (p - x),
            method="SLSQP", bounds=[(0, None)] * 7,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        np.testing.assert_allclose(sf.sparsemax(x), res.x, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(x=logits)
def test_entmax_closed_forms_match_bisection(x):
    np.testing.assert_allclose(sf.entmax15(x), sf.entmax_bisect(x, 1.5), atol=1e-10)
    np.testing.assert_allclose(sf.entmax_bisect(x, 2.0), sf.sparsemax(x), atol=1e-10)


def test_entmax_alpha_to_one_is_softmax():
    x = np.array([0.5, -1.0, 2.0, 0.1, 0.0])
    errs = [np.abs(sf.entmax_bisect(x, 1 + b) - sf.softmax(x)).max() for b in (1e-2, 1e-3, 1e-4)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-4
    assert errs[0] / errs[1] == pytest.approx(10, rel=0.1)  # error is O(alpha - 1)
    np.testing.assert_allclose(sf.entmax_bisect(x, 1.0), sf.softmax(x))


def test_perturb_max_closed_forms_two_logits():
    d = np.linspace(-4, 4, 9)
    x = np.stack([d, np.zeros_like(d)], -1)
    np.testing.assert_allclose(sf.perturb_max(x, "gumbel")[:, 0], special.expit(d), atol=1e-4)
    np.testing.assert_allclose(
        sf.perturb_max(x, "normal")[:, 0], special.ndtr(d / math.sqrt(2)), atol=1e-4
    )


def test_gumbel_max_frequencies_match_softmax():
    x = np.array([1.0, 0.2, -0.5, 2.0, 0.0])
    n = 40000
    freq = sf.gumbel_argmax_frequencies(x, n, np.random.default_rng(7))
    p = sf.softmax(x)
    assert np.all(np.abs(freq - p) < 4.5 * np.sqrt(p * (1 - p) / n))


def test_losses_gradients_are_p_minus_onehot():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 6)) * 2
    t = rng.integers(0, 6, 20)
    h = 1e-6
    for loss, pmap in (
        (sf.sparsemax_loss, sf.sparsemax),
        (lambda x, t: sf.fenchel_young_loss(x, t, 1.5), sf.entmax15),
        (lambda x, t: sf.margin_softmax_loss(np.tanh(x), t, 0.0, 1.0), None),
    ):
        g = np.stack([(loss(x + h * e, t) - loss(x - h * e, t)) / (2 * h) for e in np.eye(6)], -1)
        if pmap is None:
            continue
        np.testing.assert_allclose(g, pmap(x) - np.eye(6)[t], atol=1e-6)
    # Fenchel-Young at alpha = 1 and 2 are cross entropy and the sparsemax loss
    ce = special.logsumexp(x, -1) - x[np.arange(20), t]
    np.testing.assert_allclose(sf.fenchel_young_loss(x, t, 1.0), ce, atol=1e-12)
    fy2 = sf.fenchel_young_loss(x, t, 2.0)
    np.testing.assert_allclose(fy2, sf.sparsemax_loss(x, t), atol=1e-12)
    assert np.all(sf.sparsemax_loss(x, t) >= -1e-12)
    assert sf.sparsemax_loss(np.array([3.0, 2.0, -1.0]), np.array(0)) == pytest.approx(0.0)


def test_margin_softmax_loss_reference():
    c = np.array([0.7, 0.2, -0.4])
    m, tau = 0.35, 1 / 30
    z = np.array([0.7 - m, 0.2, -0.4]) / tau
    assert sf.margin_softmax_loss(c, np.array(0), m, tau) == pytest.approx(
        -math.log(math.exp(z[0]) / np.exp(z).sum()), rel=1e-12
    )
    assert sf.margin_softmax_loss(c, np.array(0), m, tau) > sf.margin_softmax_loss(
        c, np.array(0), 0.0, tau
    )


def test_sparse_softmax_against_loop():
    x = np.array([0.3, 2.0, -1.0, 1.5, 0.9])
    p = sf.sparse_softmax(x, 3)
    idx = [1, 3, 4]
    ref = np.zeros(5)
    ref[idx] = np.exp(x[idx]) / np.exp(x[idx]).sum()
    np.testing.assert_allclose(p, ref, atol=1e-15)
    loss = sf.sparse_softmax_loss(x, np.array(0), 3)
    assert loss == pytest.approx(math.log(np.exp(x[idx]).sum()) - x[0])
    np.testing.assert_allclose(sf.sparse_softmax(x, 5), sf.softmax(x))


@pytest.mark.parametrize("pmap", [torch.nn.Softmax(-1), sf.sparsemax_torch, sf.entmax15_torch])
def test_surrogate_gradient_placement(pmap):
    torch.manual_seed(0)
    x = (2 * torch.randn(5, 7, dtype=torch.float64)).requires_grad_()
    t = torch.randint(0, 7, (5,))
    onehot = torch.nn.functional.one_hot(t, 7).double()
    (g_res,) = torch.autograd.grad(sf.surrogate_loss(x, t, pmap, "residual").sum(), x)
    np.testing.assert_allclose(g_res, (pmap(x) - onehot).detach(), atol=1e-12)
    (g_log,) = torch.autograd.grad(sf.surrogate_loss(x, t, pmap, "logits").sum(), x)
    jac = torch.stack([torch.autograd.functional.jacobian(pmap, xi) for xi in x.detach()])
    np.testing.assert_allclose(g_log, torch.einsum("bij,bi->bj", jac, x.detach()), atol=1e-12)
    assert (g_log - g_res).abs().max() > 1e-2


def test_torch_versions_match_numpy_and_jacobian():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(6) * 2
    xt = torch.tensor(x)
    np.testing.assert_allclose(sf.sparsemax_torch(xt).numpy(), sf.sparsemax(x), atol=1e-14)
    np.testing.assert_allclose(sf.entmax15_torch(xt).numpy(), sf.entmax15(x), atol=1e-14)
    jac = torch.autograd.functional.jacobian(sf.sparsemax_torch, xt).numpy()
    np.testing.assert_allclose(jac, sf.sparsemax_jacobian(x), atol=1e-12)


def test_tsallis_limits():
    p = np.array([0.5, 0.3, 0.2])
    shannon = -(p * np.log(p)).sum()
    assert sf.tsallis_entropy(p, 1.0) == pytest.approx(shannon)
    assert sf.tsallis_entropy(p, 1 + 1e-7) == pytest.approx(shannon, rel=1e-5)


@pytest.mark.parametrize(
    ("call", "exc", "msg"),
    [
        (lambda: sf.softmax(np.array([1.0, np.nan])), ValueError, "NaN or infinite"),
        (lambda: sf.softmax(np.float64(1.0)), ValueError, "at least one axis"),
        (lambda: sf.softmax(np.zeros((2, 0))), ValueError, "empty last axis"),
        (lambda: sf.softmax(np.array([True, False])), TypeError, "real numbers"),
        (lambda: sf.softmax([1.0, 2.0], tau=0.0), ValueError, "tau must be"),
        (lambda: sf.taylor_softmax([1.0], k=3), ValueError, "even integer"),
        (lambda: sf.sparse_softmax([1.0, 2.0], k=3), ValueError, r"\[1, 2\]"),
        (lambda: sf.entmax_bisect([1.0], alpha=0.5), ValueError, "alpha must be >= 1"),
        (lambda: sf.perturb_max([1.0], noise="cauchy"), ValueError, "noise must be one of"),
        (lambda: sf.sparsemax_loss([[1.0, 2.0]], np.array([0, 1])), ValueError, "batch shape"),
        (lambda: sf.sparsemax_loss([1.0, 2.0], np.array(2)), ValueError, r"\[0, 2\)"),
        (lambda: sf.sparsemax_loss([1.0, 2.0], np.array(0.5)), TypeError, "integer class"),
        (lambda: sf.margin_softmax_loss([1.5, 0.0], np.array(0)), ValueError, r"\[-1, 1\]"),
        (lambda: sf.gumbel_argmax_frequencies([1.0], 10, 0), TypeError, "Generator"),
        (lambda: sf.sparsemax_torch(torch.tensor([1, 2])), TypeError, "floating-point"),
        (
            lambda: sf.surrogate_loss(torch.zeros(2, 3), torch.tensor([0, 1]), torch.sigmoid, "p"),
            ValueError,
            "stop must be",
        ),
    ],
)
def test_bad_input_messages(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()
