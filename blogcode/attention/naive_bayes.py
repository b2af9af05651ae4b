"""Naive Bayes as (generalised) attention, on explicit joint probability tables.

A table ``joint`` has ``n + 1`` axes of equal size ``V``: axes ``0..n-1`` are the context tokens
``x_1..x_n`` and the last axis is the target ``x_t`` (so ``t = n + 1``).  Everything is float64
and works in log space.

* :func:`exact_posterior` -- ``p(x_t | x_1..x_n)`` read off the table.
* :func:`nb_posterior` -- the naive-Bayes formula
  ``log p(x_t|x_<t) = sum_j log p(x_t|x_j) - (t-2) log p(x_t) + const``, built only from the
  table's pairwise conditionals ``p(x_t|x_j)`` and the target marginal ``p(x_t)``.
* :func:`attention_as_weighted_nb` -- the NBCE-style generalisation
  ``log p = (1+beta) sum_j a_j log p(x_t|x_j) - beta log p(x_t) + const``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "attention_as_weighted_nb",
    "ci_joint",
    "exact_posterior",
    "log_normalize",
    "nb_posterior",
    "pair_conditionals",
    "random_joint",
    "skipgram_log_conditionals",
    "target_marginal",
]


def log_normalize(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from unnormalised logits along the last axis (a stable log-softmax)."""
    logits = np.asarray(logits, dtype=np.float64)
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


def ci_joint(prior: np.ndarray, conds: np.ndarray) -> np.ndarray:
    """Joint table in which the context tokens are conditionally independent given the target.

    ``prior[y] = p(x_t = y)``; ``conds[j, y, x] = p(x_j = x | x_t = y)`` (one conditional per
    position).  Returns ``joint[x_1, ..., x_n, y] = p(y) prod_j p(x_j | y)``.
    """
    prior = np.asarray(prior, dtype=np.float64)
    conds = np.asarray(conds, dtype=np.float64)
    n, v, _ = conds.shape
    joint = prior.reshape((1,) * n + (v,)).copy()
    for j in range(n):
        shape = [1] * (n + 1)
        shape[j], shape[n] = v, v
        joint = joint * conds[j].T.reshape(shape)  # conds[j].T[x, y] = p(x_j = x | y)
    return joint


def random_joint(rng: np.random.Generator, n: int, v: int, ci: bool, alpha: float = 1.0):
    """A seeded joint table over ``n`` context tokens and a target, vocabulary ``v``.

    ``ci=True``: a Dirichlet prior and per-position Dirichlet conditionals (conditionally
    independent contexts).  ``ci=False``: the whole table is one Dirichlet draw (no structure).
    """
    if ci:
        prior = rng.dirichlet(np.full(v, alpha))
        conds = rng.dirichlet(np.full(v, alpha), size=(n, v))
        return ci_joint(prior, conds)
    return rng.dirichlet(np.full(v ** (n + 1), alpha)).reshape((v,) * (n + 1))


def _check(joint: np.ndarray) -> tuple[int, int]:
    joint = np.asarray(joint, dtype=np.float64)
    if joint.ndim < 2 or len(set(joint.shape)) != 1:
        raise ValueError(f"joint must have >= 2 equal axes, got shape {joint.shape}")
    if (joint < 0).any() or not np.isclose(joint.sum(), 1.0):
        raise ValueError("joint must be a probability table")
    return joint.ndim - 1, joint.shape[0]


def target_marginal(joint: np.ndarray) -> np.ndarray:
    """``p(x_t)``, shape ``(V,)``."""
    n, _ = _check(joint)
    return np.asarray(joint).sum(axis=tuple(range(n)))


def pair_conditionals(joint: np.ndarray) -> np.ndarray:
    """``cond[j, x, y] = p(x_t = y | x_j = x)`` from the pairwise marginals, shape ``(n, V, V)``."""
    n, _ = _check(joint)
    joint = np.asarray(joint, dtype=np.float64)
    out = []
    for j in range(n):
        pair = joint.sum(axis=tuple(k for k in range(n) if k != j))  # (x_j, y)
        out.append(pair / pair.sum(axis=1, keepdims=True))
    return np.stack(out)


def exact_posterior(joint: np.ndarray, context) -> np.ndarray:
    """``p(x_t | x_1..x_n = context)`` straight from the table, shape ``(V,)``."""
    n, _ = _check(joint)
    context = tuple(int(c) for c in context)
    if len(context) != n:
        raise ValueError(f"context must have {n} tokens, got {len(context)}")
    row = np.asarray(joint, dtype=np.float64)[context]
    if row.sum() <= 0:
        raise ValueError("context has probability zero")
    return row / row.sum()


def nb_posterior(joint: np.ndarray, context) -> np.ndarray:
    """Naive Bayes: ``softmax_y( sum_j log p(y|x_j) - (t-2) log p(y) )`` with ``t = n + 1``."""
    n, _ = _check(joint)
    context = [int(c) for c in context]
    if len(context) != n:
        raise ValueError(f"context must have {n} tokens, got {len(context)}")
    log_cond = np.log(pair_conditionals(joint)[np.arange(n), context])  # (n, V)
    logits = log_cond.sum(axis=0) - (n - 1) * np.log(target_marginal(joint))
    return np.exp(log_normalize(logits))


def attention_as_weighted_nb(
    log_cond: np.ndarray, weights: np.ndarray, beta: float = 0.0, log_prior=None
) -> np.ndarray:
    """``softmax_y( (1+beta) sum_j a_j log p(y|x_j) - beta log p(y) )``.

    ``log_cond[j, y] = log p(x_t = y | x_j)`` (rows for the tokens actually in the context),
    ``weights[j] = a_{t,j}`` (summing to one), ``log_prior[y] = log p(y)`` (needed if beta != 0).
    With ``a_j = 1/n`` and ``beta = n - 1 = t - 2`` this is exactly :func:`nb_posterior`.
    """
    log_cond = np.asarray(log_cond, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != log_cond.shape[:1] or not np.isclose(weights.sum(), 1.0):
        raise ValueError("weights must be one per context token and sum to one")
    logits = (1.0 + beta) * (weights @ log_cond)
    if beta != 0.0:
        if log_prior is None:
            raise ValueError("log_prior is needed when beta != 0")
        logits = logits - beta * np.asarray(log_prior, dtype=np.float64)
    return np.exp(log_normalize(logits))


def skipgram_log_conditionals(v_emb: np.ndarray, w_emb: np.ndarray) -> np.ndarray:
    """Skip-gram ``log p(y | x) = v(x).w(y) - log Z(x)``, shape ``(V, V)`` indexed ``[x, y]``."""
    return log_normalize(np.asarray(v_emb, dtype=np.float64) @ np.asarray(w_emb).T)
