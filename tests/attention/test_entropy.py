"""The softmax-entropy identity, the lower bound and its sign failure, and length scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from blogcode.attention.entropy import (
    constant_scale,
    entropy_lower_bound,
    entropy_vs_length,
    gaussian_entropy_estimate,
    log_scale,
    softmax,
    softmax_entropy,
)

scores = arrays(
    np.float64,
    st.integers(1, 40),
    elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False),
)


def _direct(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@settings(max_examples=200, deadline=None)
@given(s=scores, lam=st.floats(0.0, 5.0))
def test_identity_matches_direct_entropy(s, lam):
    h = float(softmax_entropy(s, lam))
    assert h == pytest.approx(_direct(softmax(s, lam)), abs=1e-9)
    assert -1e-12 <= h <= math.log(s.size) + 1e-12


@settings(max_examples=200, deadline=None)
@given(s=scores, lam=st.floats(0.0, 5.0))
def test_quick_estimate_is_a_lower_bound(s, lam):
    assert float(entropy_lower_bound(s, lam)) <= float(softmax_entropy(s, lam)) + 1e-9


def test_batched_and_edge_cases():
    rng = np.random.default_rng(1)
    s = rng.standard_normal((3, 7))
    h = softmax_entropy(s, 2.0)
    assert h.shape == (3,)
    assert np.allclose(h, [_direct(softmax(row, 2.0)) for row in s])
    assert softmax_entropy(np.zeros(10), 3.0) == pytest.approx(math.log(10))
    assert softmax_entropy(np.array([0.0, 1e4]), 1.0) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        entropy_vs_length([], 8, constant_scale)
    with pytest.raises(ValueError):
        entropy_vs_length([4], 8, constant_scale, trials=0)


def test_bound_sign_failure_for_large_lambda():
    rng = np.random.default_rng(0)
    s = rng.standard_normal(512)
    assert entropy_lower_bound(s, 0.1) > 0
    big = 4.0
    assert entropy_lower_bound(s, big) < 0 < softmax_entropy(s, big)


def test_log_scaling_keeps_spread_smaller():
    ns = [2**j for j in range(4, 14)]
    const = entropy_vs_length(ns, 32, constant_scale, trials=8, seed=3)
    logn = entropy_vs_length(ns, 32, log_scale, trials=8, seed=3)
    assert logn.spread < const.spread
    # both scales agree at the reference length n0 = 512 (same seed -> same scores)
    i = ns.index(512)
    assert logn.exact[i] == pytest.approx(const.exact[i])
    assert (logn.bound <= logn.exact).all() and (const.bound <= const.exact).all()


def test_gaussian_estimate_tracks_exact_entropy():
    ns = [64, 1024, 8192]
    curve = entropy_vs_length(ns, 64, constant_scale, trials=8, seed=5)
    est = [gaussian_entropy_estimate(n, lam, 8.0) for n, lam in zip(ns, curve.lam, strict=True)]
    assert np.allclose(curve.exact, est, atol=0.15)
    assert log_scale(512, 64) == pytest.approx(constant_scale(512, 64))
