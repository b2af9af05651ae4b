"""Entropy of a scaled softmax, and the quick "entropy-invariant" estimate.

For scores ``s_1..s_n`` and a scale ``lam`` the softmax ``p_i = e^{lam s_i} / sum_j e^{lam s_j}``
has entropy

    H = log sum_i e^{lam s_i} - lam * sum_i p_i s_i,

which :func:`softmax_entropy` evaluates (stably, via log-sum-exp).  Replacing the first term by
its mean-field value ``log n + lam * mean(s)`` and the second by ``lam * max(s)`` gives
:func:`entropy_lower_bound`, ``log n - lam (max s - mean s)``; both replacements err in the same
direction, so it is a lower bound (it can be negative, and then says nothing).
:func:`gaussian_entropy_estimate` is the second-order (cumulant) estimate for i.i.d. Gaussian
scores, and :func:`entropy_vs_length` measures all of them for random Gaussian ``q``, ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EntropyCurve",
    "constant_scale",
    "entropy_lower_bound",
    "entropy_vs_length",
    "gaussian_entropy_estimate",
    "log_scale",
    "softmax",
    "softmax_entropy",
]

Scale = Callable[[int, int], float]


def softmax(s: np.ndarray, lam: float = 1.0) -> np.ndarray:
    """``softmax(lam * s)`` along the last axis."""
    z = lam * np.asarray(s, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_entropy(s: np.ndarray, lam: float = 1.0) -> np.ndarray:
    """Entropy (nats) of ``softmax(lam * s)`` along the last axis, by the identity
    ``H = logsumexp(lam s) - lam * sum p s`` (shifted by ``max`` for stability)."""
    z = lam * np.asarray(s, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=-1)
    p = e / total[..., None]
    return np.log(total) - (p * z).sum(axis=-1)


def entropy_lower_bound(s: np.ndarray, lam: float = 1.0) -> np.ndarray:
    """The quick estimate ``log n - lam (max s - mean s)``, a lower bound on the entropy."""
    s = np.asarray(s, dtype=np.float64)
    n = s.shape[-1]
    return math.log(n) - lam * (s.max(axis=-1) - s.mean(axis=-1))


def gaussian_entropy_estimate(n: int, lam: float, sigma: float) -> float:
    """``log n - (lam sigma)^2 / 2``: the entropy of ``softmax(lam s)`` for many i.i.d.
    ``N(0, sigma^2)`` scores while ``lam sigma`` stays well below ``sqrt(2 log n)``."""
    return math.log(n) - 0.5 * (lam * sigma) ** 2


def constant_scale(n: int, d: int) -> float:
    """The usual ``1 / sqrt(d)``, whatever the length."""
    return 1.0 / math.sqrt(d)


def log_scale(n: int, d: int, n0: int = 512) -> float:
    """``kappa log n / d`` with ``kappa = sqrt(d) / log n0``: equal to ``1 / sqrt(d)`` at
    ``n = n0`` and growing like ``log n`` away from it."""
    kappa = math.sqrt(d) / math.log(n0)
    return kappa * math.log(n) / d


@dataclass(frozen=True)
class EntropyCurve:
    """Means over trials, one entry per length."""

    ns: np.ndarray
    lam: np.ndarray
    exact: np.ndarray
    exact_std: np.ndarray
    bound: np.ndarray
    gap: np.ndarray  # mean of max(s) - mean(s)

    @property
    def spread(self) -> float:
        """``max - min`` of the mean exact entropy across the lengths."""
        return float(self.exact.max() - self.exact.min())


def entropy_vs_length(
    ns: Sequence[int],
    d: int,
    scale: Scale,
    *,
    trials: int = 16,
    seed: int = 0,
) -> EntropyCurve:
    """Exact entropy and the lower bound of ``softmax(lam <q, k_i>)`` against length.

    ``q`` and the ``k_i`` have i.i.d. ``N(0, 1)`` entries in dimension ``d``; ``lam =
    scale(n, d)``.  The same ``seed`` draws the same vectors, so two scales are compared on
    identical scores.
    """
    ns_arr = np.asarray(list(ns), dtype=np.int64)
    if ns_arr.size == 0 or (ns_arr < 1).any():
        raise ValueError("ns must be a non-empty sequence of positive lengths")
    if trials < 1:
        raise ValueError("trials must be >= 1")
    rng = np.random.default_rng(seed)
    lams, exact, exact_std, bound, gap = [], [], [], [], []
    for n in ns_arr:
        n = int(n)
        lam = float(scale(n, d))
        q = rng.standard_normal((trials, d))
        k = rng.standard_normal((trials, n, d))
        s = np.einsum("tnd,td->tn", k, q)
        h = softmax_entropy(s, lam)
        lams.append(lam)
        exact.append(h.mean())
        exact_std.append(h.std())
        bound.append(entropy_lower_bound(s, lam).mean())
        gap.append((s.max(axis=-1) - s.mean(axis=-1)).mean())
    return EntropyCurve(
        ns=ns_arr,
        lam=np.array(lams),
        exact=np.array(exact),
        exact_std=np.array(exact_std),
        bound=np.array(bound),
        gap=np.array(gap),
    )
