"""Naive Bayes vs brute-force enumeration of explicit joint tables."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.attention.naive_bayes import (
    attention_as_weighted_nb,
    ci_joint,
    exact_posterior,
    nb_posterior,
    pair_conditionals,
    random_joint,
    skipgram_log_conditionals,
    target_marginal,
)


def _brute_posterior(joint, context):
    """p(y | context) by looping over every cell of the table."""
    n, v = joint.ndim - 1, joint.shape[0]
    num = np.zeros(v)
    for cell in itertools.product(range(v), repeat=n + 1):
        if tuple(cell[:n]) == tuple(context):
            num[cell[n]] += joint[cell]
    return num / num.sum()


def _brute_pair(joint, j):
    """p(y | x_j) by looping over every cell."""
    n, v = joint.ndim - 1, joint.shape[0]
    pair = np.zeros((v, v))
    for cell in itertools.product(range(v), repeat=n + 1):
        pair[cell[j], cell[n]] += joint[cell]
    return pair / pair.sum(axis=1, keepdims=True)


tables = st.tuples(st.integers(1, 4), st.integers(2, 4), st.integers(0, 2**32 - 1))


@settings(max_examples=40, deadline=None)
@given(tables)
def test_nb_exact_on_conditionally_independent_table(params):
    n, v, seed = params
    rng = np.random.default_rng(seed)
    joint = random_joint(rng, n, v, ci=True, alpha=2.0)
    assert np.isclose(joint.sum(), 1.0)
    for j in range(n):
        assert np.allclose(pair_conditionals(joint)[j], _brute_pair(joint, j), atol=1e-14)
    for context in itertools.product(range(v), repeat=n):
        exact = _brute_posterior(joint, context)
        assert np.allclose(exact_posterior(joint, context), exact, atol=1e-14)
        assert np.allclose(nb_posterior(joint, context), exact, rtol=1e-10, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(tables)
def test_uniform_weights_with_beta_t_minus_2_is_plain_nb(params):
    n, v, seed = params
    rng = np.random.default_rng(seed)
    joint = random_joint(rng, n, v, ci=bool(seed % 2), alpha=1.5)
    cond, prior = pair_conditionals(joint), target_marginal(joint)
    for context in itertools.product(range(v), repeat=n):
        log_cond = np.log(cond[np.arange(n), list(context)])
        out = attention_as_weighted_nb(log_cond, np.full(n, 1.0 / n), beta=n - 1,
                                       log_prior=np.log(prior))
        assert np.allclose(out, nb_posterior(joint, context), rtol=1e-12, atol=1e-14)


def test_ci_joint_factorises():
    rng = np.random.default_rng(0)
    prior = rng.dirichlet(np.ones(3))
    conds = rng.dirichlet(np.ones(3), size=(2, 3))
    joint = ci_joint(prior, conds)
    for a, b, y in itertools.product(range(3), repeat=3):
        assert np.isclose(joint[a, b, y], prior[y] * conds[0, y, a] * conds[1, y, b])


def test_nb_fails_without_conditional_independence():
    rng = np.random.default_rng(1)
    joint = random_joint(rng, 3, 3, ci=False)
    gaps = [np.abs(nb_posterior(joint, c) - exact_posterior(joint, c)).max()
            for c in itertools.product(range(3), repeat=3)]
    assert max(gaps) > 0.05


def test_skipgram_constants_drop_out():
    """sum_j a_j log p(y|x_j) with skip-gram conditionals = softmax of (sum_j a_j v_j).w."""
    rng = np.random.default_rng(2)
    vocab, d, n = 7, 4, 5
    v_emb, w_emb = rng.normal(size=(vocab, d)), rng.normal(size=(vocab, d))
    q, k = rng.normal(size=(vocab, d)), rng.normal(size=(vocab, d))
    ctx = rng.integers(0, vocab, size=n)
    scores = k[ctx] @ q[ctx[-1]]
    a = np.exp(scores - scores.max())
    a /= a.sum()
    nb = attention_as_weighted_nb(skipgram_log_conditionals(v_emb, w_emb)[ctx], a)
    o = a @ v_emb[ctx]
    logits = w_emb @ o
    direct = np.exp(logits - logits.max())
    assert np.allclose(nb, direct / direct.sum(), atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError):
        exact_posterior(np.full((2, 3), 1 / 6), [0])
    joint = random_joint(np.random.default_rng(0), 2, 2, ci=True)
    with pytest.raises(ValueError):
        nb_posterior(joint, [0])
    with pytest.raises(ValueError):
        attention_as_weighted_nb(np.zeros((2, 2)), np.array([0.3, 0.3]))
    with pytest.raises(ValueError):
        attention_as_weighted_nb(np.zeros((2, 2)), np.array([0.5, 0.5]), beta=1.0)
