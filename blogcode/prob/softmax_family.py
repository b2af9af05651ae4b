r"""Softmax and its alternatives: maps from logits :math:`\mathbb R^n` to the simplex.

Every map acts along the **last axis** of its input; leading axes are batch axes.
The NumPy functions compute in float64; the ``*_torch`` functions are written with
differentiable torch operations so that autograd gives their Jacobians.

Glossary (symbols as in the post):

* ``x`` -- logits :math:`\boldsymbol x\in\mathbb R^n`; ``p`` -- a point of the simplex
  :math:`\Delta^{n-1}=\{p_i\ge 0,\ \sum_i p_i=1\}`.
* :math:`\lambda(\boldsymbol x)` -- the normalising threshold: softmax is
  :math:`\exp(\boldsymbol x-\lambda)`, sparsemax :math:`\mathrm{relu}(\boldsymbol x-\lambda)`,
  entmax-:math:`\alpha` :math:`\mathrm{relu}^{1/\beta}(\beta\boldsymbol x-\lambda)` with
  :math:`\beta=\alpha-1`.
* ``target`` -- the class index :math:`t` of a single-label loss.

>>> import numpy as np
>>> x = np.array([1.0, 0.5, -1.0])
>>> np.round(softmax(x), 4)
array([0.5741, 0.3482, 0.0777])
>>> sparsemax(x)
array([0.75, 0.25, 0.  ])
>>> float(abs(entmax15(x) - entmax_bisect(x, 1.5)).max()) < 1e-12
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "entmax15",
    "entmax15_torch",
    "entmax_bisect",
    "entmax15_thresholds",
    "fenchel_young_loss",
    "gumbel_argmax_frequencies",
    "logsumexp",
    "margin_softmax_loss",
    "perturb_max",
    "softmax",
    "softmax_jacobian",
    "sparse_softmax",
    "sparse_softmax_loss",
    "sparsemax",
    "sparsemax_jacobian",
    "sparsemax_loss",
    "sparsemax_torch",
    "surrogate_loss",
    "taylor_softmax",
    "tsallis_entropy",
]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


def _logits(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a float64 array with at least one axis, a non-empty last axis, finite values."""
    arr = np.asarray(x)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name} must hold real numbers (float or int), got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the logits), got a scalar")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} has an empty last axis: need at least one logit")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; logits must be finite")
    return arr


def _target(target: Any, x: np.ndarray) -> np.ndarray:
    """Integer class indices of shape ``x.shape[:-1]`` with values in ``[0, n)``."""
    t = np.asarray(target)
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != x.shape[:-1]:
        raise ValueError(
            f"target has shape {t.shape} but the logits' batch shape is {x.shape[:-1]}"
        )
    n = x.shape[-1]
    if np.any((t < 0) | (t >= n)):
        raise ValueError(f"target indices must lie in [0, {n}), got {t.min()}..{t.max()}")
    return t.astype(np.int64)


def _take(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.take_along_axis(x, t[..., None], axis=-1)[..., 0]


def _onehot(t: np.ndarray, n: int) -> np.ndarray:
    return (np.arange(n) == t[..., None]).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------------------------


def logsumexp(x: Any, tau: float = 1.0) -> np.ndarray:
    r""":math:`\tau\log\sum_j e^{x_j/\tau}`, computed stably as
    :math:`m+\tau\log\sum_j e^{(x_j-m)/\tau}` with :math:`m=\max_j x_j`.

    It satisfies :math:`\max\boldsymbol x\le\tau\,\mathrm{lse}(\boldsymbol x/\tau)
    \le\max\boldsymbol x+\tau\log n`, so it tends to :math:`\max\boldsymbol x` as
    :math:`\tau\to0^+`.

    >>> bool(abs(float(logsumexp([1000.0, 1000.0])) - 1000.0 - np.log(2)) < 1e-12)
    True
    """
    x = _logits(x)
    if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive finite number, got {tau!r}")
    m = x.max(axis=-1, keepdims=True)
    return m[..., 0] + tau * np.log(np.exp((x - m) / tau).sum(axis=-1))


def softmax(x: Any, tau: float = 1.0) -> np.ndarray:
    r""":math:`\mathrm{softmax}(\boldsymbol x/\tau)_i=e^{x_i/\tau}/\sum_j e^{x_j/\tau}`.

    Stable: the maximum is subtracted first (shift invariance), so every exponent is
    :math:`\le 0` and nothing overflows.
    """
    x = _logits(x)
    if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive finite number, got {tau!r}")
    e = np.exp((x - x.max(axis=-1, keepdims=True)) / tau)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(x: Any) -> np.ndarray:
    r"""The Jacobian :math:`\partial p_i/\partial x_j=p_i\delta_{ij}-p_ip_j`, shape ``(..., n, n)``.

    Its entrywise L1 norm obeys :math:`\tfrac12\Vert J\Vert_1=1-\sum_i p_i^2`.
    """
    p = softmax(x)
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]


# ---------------------------------------------------------------------------------------------
# softmax variants
# ---------------------------------------------------------------------------------------------


def margin_softmax_loss(
    cosines: Any, target: Any, margin: float = 0.35, tau: float = 1.0 / 30.0
) -> np.ndarray:
    r"""AM-Softmax loss
    :math:`-\log\dfrac{e^{(c_t-m)/\tau}}{e^{(c_t-m)/\tau}+\sum_{j\ne t}e^{c_j/\tau}}`.

    ``cosines`` are the cosine similarities :math:`c_j=\cos(\boldsymbol z,\boldsymbol c_j)`
    (values in [-1, 1]); ``margin`` is :math:`m\ge0`, ``tau`` the temperature. With
    ``margin=0`` it is the cross entropy of :math:`\mathrm{softmax}(\boldsymbol c/\tau)`.
    """
    c = _logits(cosines, "cosines")
    if np.any(np.abs(c) > 1.0 + 1e-12):
        raise ValueError("cosines must lie in [-1, 1]")
    t = _target(target, c)
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive finite number, got {tau!r}")
    z = (c - margin * _onehot(t, c.shape[-1])) / tau
    return logsumexp(z) - _take(z, t)


def _taylor_poly(x: np.ndarray, k: int) -> np.ndarray:
    out = np.ones_like(x)
    term = np.ones_like(x)
    for m in range(1, k + 1):
        term = term * x / m
        out = out + term
    return out


def taylor_softmax(x: Any, k: int = 2) -> np.ndarray:
    r""":math:`f_k(x_i)/\sum_j f_k(x_j)` with :math:`f_k(x)=\sum_{m=0}^k x^m/m!`, ``k`` even.

    For even :math:`k`, :math:`f_k>0` on all of :math:`\mathbb R` (its minimum is at the
    root of :math:`f_{k-1}` and equals :math:`x^k/k!` there), so this is a distribution.
    It is neither monotone nor shift invariant.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2 or k % 2:
        raise ValueError(f"k must be an even integer >= 2, got {k!r}")
    f = _taylor_poly(_logits(x), int(k))
    return f / f.sum(axis=-1, keepdims=True)


def _topk_mask(x: np.ndarray, k: int) -> np.ndarray:
    n = x.shape[-1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer in [1, {n}] (the number of logits), got {k!r}")
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def sparse_softmax(x: Any, k: int) -> np.ndarray:
    r"""Top-:math:`k` softmax: :math:`e^{x_i}/\sum_{j\in\Omega_k}e^{x_j}` on the :math:`k`
    largest logits :math:`\Omega_k` (ties broken by the lower index), zero elsewhere."""
    x = _logits(x)
    mask = _topk_mask(x, k)
    m = x.max(axis=-1, keepdims=True)
    e = np.where(mask, np.exp(x - m), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


def sparse_softmax_loss(x: Any, target: Any, k: int) -> np.ndarray:
    r""":math:`\log\sum_{i\in\Omega_k}e^{x_i}-x_t`, the loss of the sparse-softmax table."""
    x = _logits(x)
    t = _target(target, x)
    mask = _topk_mask(x, k)
    return _masked_lse(x, mask) - _take(x, t)


def _masked_lse(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = np.where(mask, x, -np.inf).max(axis=-1, keepdims=True)
    return m[..., 0] + np.log(np.where(mask, np.exp(x - m), 0.0).sum(axis=-1))


# ---------------------------------------------------------------------------------------------
# perturb max
# ---------------------------------------------------------------------------------------------

_NOISES = ("gumbel", "normal")


def _log_cdf(y: np.ndarray, noise: str) -> np.ndarray:
    if noise == "gumbel":
        return -np.exp(-y)  # log exp(-e^{-y})
    return special.log_ndtr(y)


def _ppf(u: np.ndarray, noise: str) -> np.ndarray:
    if noise == "gumbel":
        return -np.log(-np.log(u))
    return special.ndtri(u)


def _check_noise(noise: str) -> None:
    if noise not in _NOISES:
        raise ValueError(f"noise must be one of {_NOISES}, got {noise!r}")


def perturb_max(x: Any, noise: str = "gumbel", n_points: int = 4096) -> np.ndarray:
    r"""Perturb-max probabilities :math:`p_i=P[\arg\max(\boldsymbol x+\boldsymbol\varepsilon)=i]`.

    With i.i.d. noise of CDF :math:`\Phi`,
    :math:`p_i=\mathbb E_{\varepsilon}\big[\prod_{j\ne i}\Phi(x_i-x_j+\varepsilon)\big]`.
    The expectation is taken deterministically by the inverse-CDF midpoint rule:
    :math:`\varepsilon_m=\Phi^{-1}((m-\tfrac12)/M)`, :math:`m=1..M` (``M = n_points``), the
    product accumulated in log space. Gumbel noise gives exactly the softmax; the rule's
    error shrinks as :math:`M` grows. The result is not renormalised.
    """
    x = _logits(x)
    _check_noise(noise)
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 1:
        raise ValueError(f"n_points must be a positive integer, got {n_points!r}")
    eps = _ppf((np.arange(n_points) + 0.5) / n_points, noise)  # (M,)
    n = x.shape[-1]
    diff = x[..., :, None] - x[..., None, :]  # (..., n, n): x_i - x_j
    logc = _log_cdf(diff[..., None] + eps, noise)  # (..., n, n, M)
    off = ~np.eye(n, dtype=bool)
    logprod = np.where(off[..., None], logc, 0.0).sum(axis=-2)  # (..., n, M)
    return np.exp(logprod).mean(axis=-1)


def gumbel_argmax_frequencies(
    x: Any, n_samples: int, rng: np.random.Generator, noise: str = "gumbel"
) -> np.ndarray:
    r"""Monte-Carlo estimate of perturb-max: how often each index is
    :math:`\arg\max(\boldsymbol x+\boldsymbol\varepsilon)` over ``n_samples`` draws.

    ``x`` must be one-dimensional; ``rng`` is a seeded ``numpy.random.Generator``.
    """
    x = _logits(x)
    if x.ndim != 1:
        raise ValueError(f"x must be one-dimensional here, got shape {x.shape}")
    _check_noise(noise)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (seed it for reproducibility)")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    shape = (int(n_samples), x.size)
    eps = rng.gumbel(size=shape) if noise == "gumbel" else rng.standard_normal(shape)
    idx = np.argmax(x + eps, axis=-1)
    return np.bincount(idx, minlength=x.size) / n_samples


# ---------------------------------------------------------------------------------------------
# sparsemax and entmax
# ---------------------------------------------------------------------------------------------


def _sparsemax_threshold(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lambda, support size)``: the largest k with x_(k) > lambda_k, lambda = lambda_k."""
    z = -np.sort(-x, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    lam_k = (np.cumsum(z, axis=-1) - 1.0) / k
    size = (z > lam_k).sum(axis=-1)  # the condition holds exactly for k = 1..K
    lam = np.take_along_axis(lam_k, size[..., None] - 1, axis=-1)[..., 0]
    return lam, size


def sparsemax(x: Any) -> np.ndarray:
    r""":math:`\arg\min_{\boldsymbol p\in\Delta^{n-1}}\Vert\boldsymbol p-\boldsymbol x\Vert^2
    =\mathrm{relu}(\boldsymbol x-\lambda)`, the Euclidean projection onto the simplex.

    Sort :math:`x_{(1)}\ge\dots\ge x_{(n)}`, put
    :math:`\lambda_k=(\sum_{i\le k}x_{(i)}-1)/k`; the support size :math:`K` is the largest
    :math:`k` with :math:`x_{(k)}>\lambda_k`, and :math:`\lambda=\lambda_K`.
    """
    x = _logits(x)
    lam, _ = _sparsemax_threshold(x)
    return np.maximum(x - lam[..., None], 0.0)


def sparsemax_jacobian(x: Any) -> np.ndarray:
    r""":math:`\partial p_i/\partial x_j=s_i(\delta_{ij}-s_j/|\Omega|)`, :math:`s=1[p>0]`."""
    s = (sparsemax(x) > 0).astype(np.float64)
    size = s.sum(axis=-1)[..., None, None]
    return s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :] / size


def sparsemax_loss(x: Any, target: Any) -> np.ndarray:
    r""":math:`\tfrac12-x_t+\tfrac12\sum_{i\in\Omega}(x_i^2-\lambda^2)`, whose gradient is
    :math:`\mathrm{sparsemax}(\boldsymbol x)-\mathrm{onehot}(t)`; it is :math:`\ge0` and is
    exactly zero once :math:`x_t\ge x_j+1` for every :math:`j\ne t`."""
    x = _logits(x)
    t = _target(target, x)
    lam, _ = _sparsemax_threshold(x)
    supp = x > lam[..., None]
    quad = np.where(supp, x**2 - lam[..., None] ** 2, 0.0).sum(axis=-1)
    return 0.5 - _take(x, t) + 0.5 * quad


def _alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number >= 1, got {alpha!r}")
    if alpha < 1:
        raise ValueError(f"alpha must be >= 1 (1 = softmax, 2 = sparsemax), got {alpha}")
    return float(alpha)


def entmax_bisect(x: Any, alpha: float = 1.5, n_iter: int = 80) -> np.ndarray:
    r"""Entmax-:math:`\alpha`: :math:`\mathrm{relu}^{1/\beta}(\beta\boldsymbol x-\lambda)`,
    :math:`\beta=\alpha-1>0`, with :math:`\lambda` found by bisection.

    Shift so that :math:`z=\beta x` has maximum :math:`z_{(1)}`; the sum
    :math:`S(\lambda)=\sum_i\mathrm{relu}^{1/\beta}(z_i-\lambda)` is decreasing, is
    :math:`\ge1` at :math:`\lambda=z_{(1)}-1` and :math:`\le1` at
    :math:`\lambda=z_{(1)}-n^{-\beta}`, so the root lies in between. ``alpha == 1`` returns
    the softmax (the limit :math:`\beta\to0`). The final ``p`` is renormalised.
    """
    x = _logits(x)
    a = _alpha(alpha)
    if a == 1.0:
        return softmax(x)
    beta = a - 1.0
    n = x.shape[-1]
    z = beta * x
    zmax = z.max(axis=-1, keepdims=True)
    lo = zmax - 1.0
    hi = zmax - n ** (-beta)
    for _ in range(int(n_iter)):
        mid = 0.5 * (lo + hi)
        s = (np.maximum(z - mid, 0.0) ** (1.0 / beta)).sum(axis=-1, keepdims=True)
        big = s >= 1.0
        lo = np.where(big, mid, lo)
        hi = np.where(big, hi, mid)
    p = np.maximum(z - 0.5 * (lo + hi), 0.0) ** (1.0 / beta)
    return p / p.sum(axis=-1, keepdims=True)


def entmax15_thresholds(x: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""``(z, lambda_k)`` for one logit vector: :math:`z=x/2` sorted decreasingly and the
    candidate thresholds :math:`\lambda_k=\mu_k-\sqrt{\max(1/k-\sigma_k^2,0)}`."""
    x = _logits(x)
    if x.ndim != 1:
        raise ValueError(f"x must be one-dimensional here, got shape {x.shape}")
    z = -np.sort(-x / 2.0)
    k = np.arange(1, x.size + 1)
    mu = np.cumsum(z) / k
    var = np.cumsum(z**2) / k - mu**2
    return z, mu - np.sqrt(np.maximum(1.0 / k - var, 0.0))


def entmax15(x: Any) -> np.ndarray:
    r"""Entmax-1.5 in closed form: :math:`p=\mathrm{relu}^2(\boldsymbol x/2-\lambda)`.

    With :math:`z=x/2` sorted decreasingly and the top-:math:`k` mean and variance
    :math:`\mu_k,\sigma_k^2`, a support of size :math:`k` needs
    :math:`\sum_{i\le k}(z_{(i)}-\lambda)^2=1`, i.e.
    :math:`\lambda_k=\mu_k-\sqrt{1/k-\sigma_k^2}`; the right :math:`k` is the one with
    :math:`z_{(k)}>\lambda_k\ge z_{(k+1)}` (equivalently the count of :math:`k` with
    :math:`\lambda_k\le z_{(k)}`).
    """
    x = _logits(x)
    z = -np.sort(-x / 2.0, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    mu = np.cumsum(z, axis=-1) / k
    var = np.cumsum(z**2, axis=-1) / k - mu**2
    lam_k = mu - np.sqrt(np.maximum(1.0 / k - var, 0.0))
    size = (lam_k <= z).sum(axis=-1)
    lam = np.take_along_axis(lam_k, size[..., None] - 1, axis=-1)[..., 0]
    return np.maximum(x / 2.0 - lam[..., None], 0.0) ** 2


def tsallis_entropy(p: Any, alpha: float) -> np.ndarray:
    r"""Tsallis entropy :math:`H_\alpha(p)=\frac{1-\sum_ip_i^\alpha}{\alpha(\alpha-1)}`
    (Shannon :math:`-\sum p\log p` at :math:`\alpha=1`)."""
    p = _logits(p, "p")
    if np.any(p < 0):
        raise ValueError("p must be non-negative (a probability vector)")
    a = _alpha(alpha)
    if a == 1.0:
        return -special.xlogy(p, p).sum(axis=-1)
    return (1.0 - (p**a).sum(axis=-1)) / (a * (a - 1.0))


def fenchel_young_loss(x: Any, target: Any, alpha: float) -> np.ndarray:
    r"""Entmax-:math:`\alpha` Fenchel-Young loss :math:`(\boldsymbol p-\boldsymbol e_t)\cdot
    \boldsymbol x+H_\alpha(\boldsymbol p)`, where
    :math:`\boldsymbol p=\mathrm{entmax}_\alpha(\boldsymbol x)`.

    Its gradient is :math:`\boldsymbol p-\boldsymbol e_t`; :math:`\alpha=1` is the cross entropy
    and :math:`\alpha=2` the sparsemax loss.
    """
    x = _logits(x)
    t = _target(target, x)
    a = _alpha(alpha)
    p = entmax_bisect(x, a, n_iter=200) if a != 2.0 else sparsemax(x)
    return (p * x).sum(axis=-1) - _take(x, t) + tsallis_entropy(p, a)


# ---------------------------------------------------------------------------------------------
# torch versions (autograd) and the surrogate-loss construction
# ---------------------------------------------------------------------------------------------


def _torch_logits(x: Any) -> Any:
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x must have a non-empty last axis, got shape {tuple(x.shape)}")
    return x


def sparsemax_torch(x: Any) -> Any:
    """:func:`sparsemax` with torch operations (sort, cumsum, gather): differentiable."""
    import torch

    x = _torch_logits(x)
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    lam_k = (torch.cumsum(z, dim=-1) - 1.0) / k
    size = (z > lam_k).sum(dim=-1, keepdim=True)
    lam = torch.gather(lam_k, -1, size - 1)
    return torch.clamp(x - lam, min=0.0)


def entmax15_torch(x: Any) -> Any:
    """:func:`entmax15` with torch operations: differentiable."""
    import torch

    x = _torch_logits(x)
    z, _ = torch.sort(x / 2.0, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    mu = torch.cumsum(z, dim=-1) / k
    var = torch.cumsum(z**2, dim=-1) / k - mu**2
    lam_k = mu - torch.sqrt(torch.clamp(1.0 / k - var, min=0.0))
    size = (lam_k <= z).sum(dim=-1, keepdim=True)
    lam = torch.gather(lam_k, -1, size - 1)
    return torch.clamp(x / 2.0 - lam, min=0.0) ** 2


def surrogate_loss(
    x: Any, target: Any, prob_map: Callable[[Any], Any], stop: str = "residual"
) -> Any:
    r"""The stop-gradient surrogate whose gradient is :math:`\boldsymbol p-\mathrm{onehot}(t)`.

    ``stop="residual"``: :math:`\mathrm{sg}(\boldsymbol p-\mathrm{onehot}(t))\cdot\boldsymbol x`,
    gradient exactly :math:`\boldsymbol p-\mathrm{onehot}(t)`.
    ``stop="logits"``: :math:`(\boldsymbol p-\mathrm{onehot}(t))\cdot\mathrm{sg}(\boldsymbol x)`,
    the placement as printed in the source, whose gradient is instead
    :math:`J_{\boldsymbol p}^{\top}\boldsymbol x`.
    ``x``: float tensor ``(..., n)``; ``target``: long tensor ``(...)``; ``prob_map``: a
    differentiable torch map along the last axis. Returns the per-example loss ``(...)``.
    """
    import torch

    x = _torch_logits(x)
    if not isinstance(target, torch.Tensor) or target.dtype != torch.long:
        raise TypeError("target must be a torch.long tensor of class indices")
    if tuple(target.shape) != tuple(x.shape[:-1]):
        raise ValueError(
            f"target has shape {tuple(target.shape)}, expected {tuple(x.shape[:-1])}"
        )
    n = x.shape[-1]
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= n):
        raise ValueError(f"target indices must lie in [0, {n})")
    onehot = torch.nn.functional.one_hot(target, n).to(x.dtype)
    p = prob_map(x)
    if stop == "residual":
        return ((p - onehot).detach() * x).sum(dim=-1)
    if stop == "logits":
        return ((p - onehot) * x.detach()).sum(dim=-1)
    raise ValueError(f"stop must be 'residual' or 'logits', got {stop!r}")
