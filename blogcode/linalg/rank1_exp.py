"""The exponential of a rank-one matrix, and an invertible linear layer built from it.

For column vectors ``x, y`` of length ``k`` write ``s = <x, y> = y^T x``.  Because
``(x y^T)^n = s^{n-1} x y^T`` for ``n >= 1``, the exponential series collapses to

    exp(x y^T) = I + phi(s) x y^T,        phi(s) = (e^s - 1) / s,   phi(0) = 1,

with ``det exp(x y^T) = e^s`` and ``exp(x y^T)^{-1} = exp(-x y^T) = I + phi(-s) (-x) y^T``.
``phi`` is evaluated as ``expm1(s) / s`` (a short Taylor series for ``|s| < 1e-4``), so it
keeps full precision as ``s -> 0`` where ``(exp(s) - 1) / s`` loses digits.

Glossary of shapes: ``k`` is the vector dimension, ``...`` any leading batch axes, ``m``
the number of rank-one factors in :class:`RankOneExpLinear`.

Everything works on numpy arrays and on torch tensors (the output has the input's
library, dtype and device); integer inputs are promoted to float64.

>>> import numpy as np
>>> E = expm_rank1(np.array([1.0, 2.0]), np.array([0.5, -0.25]))
>>> bool(np.isclose(np.linalg.det(E), 1.0))   # <x, y> = 0
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "RankOneExpLinear",  # noqa: F822  (built on first access, see __getattr__)
    "apply_expm_rank1",
    "expm_rank1",
    "expm_rank1_naive",
    "expm_rank1_symbolic",
    "fit_linear_flow",
    "gaussian_nll",
    "inv_expm_rank1",
    "logdet_expm_rank1",
    "phi",
    "rank1_update_as_exp",
]

_TAYLOR_CUT = 1e-4  # below this |s|, phi uses 1 + s/2 + s^2/6 + s^3/24 (error < s^4/120)


def _is_torch(a: Any) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(a, torch.Tensor)


def _as_float(a: Any, name: str) -> Any:
    """Return ``a`` as a floating numpy array or torch tensor; reject anything else."""
    if _is_torch(a):
        import torch

        if a.is_complex():
            raise TypeError(f"{name}: complex tensors are not supported, got {a.dtype}")
        if not a.is_floating_point():
            a = a.to(torch.float64)
        return a
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def _check_pair(x: Any, y: Any) -> tuple[Any, Any]:
    x = _as_float(x, "x")
    y = _as_float(y, "y")
    if _is_torch(x) != _is_torch(y):
        raise TypeError("x and y must both be numpy arrays or both be torch tensors")
    if x.ndim < 1 or y.ndim < 1:
        raise ValueError(f"x and y must have at least one axis (the vector axis), got "
                         f"shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"x and y must have the same length k on the last axis, got "
                         f"shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[-1] == 0:
        raise ValueError("x and y must have length k >= 1 on the last axis")
    if _is_torch(x):
        import torch

        dtype = torch.promote_types(x.dtype, y.dtype)
        x, y = x.to(dtype), y.to(dtype)
        if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
            raise ValueError("x and y must be finite (found inf or nan)")
    else:
        dtype = np.promote_types(x.dtype, y.dtype)
        x, y = x.astype(dtype, copy=False), y.astype(dtype, copy=False)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("x and y must be finite (found inf or nan)")
    return x, y


def phi(s: Any) -> Any:
    """``phi(s) = (e^s - 1) / s`` with ``phi(0) = 1``, accurate for every real ``s``.

    Computed as ``expm1(s) / s``; for ``|s| < 1e-4`` the Taylor polynomial
    ``1 + s/2 + s^2/6 + s^3/24`` is used instead (same value to rounding, and it gives
    autograd the right derivative ``1/2`` at ``s = 0``).  Works elementwise on numpy
    arrays, torch tensors and Python floats.
    """
    if _is_torch(s):
        import torch

        small = s.abs() < _TAYLOR_CUT
        safe = torch.where(small, torch.ones_like(s), s)
        taylor = 1 + s * (0.5 + s * (1.0 / 6 + s / 24))
        return torch.where(small, taylor, torch.expm1(safe) / safe)
    arr = np.asarray(s, dtype=np.float64) if not isinstance(s, np.ndarray) else s
    small = np.abs(arr) < _TAYLOR_CUT
    safe = np.where(small, 1.0, arr)
    taylor = 1 + arr * (0.5 + arr * (1.0 / 6 + arr / 24))
    out = np.where(small, taylor, np.expm1(safe) / safe)
    if isinstance(s, (int, float)) and not isinstance(s, np.generic):
        return float(out)
    return out


def _outer(x: Any, y: Any) -> Any:
    return x[..., :, None] * y[..., None, :]


def _eye(k: int, like: Any) -> Any:
    if _is_torch(like):
        import torch

        return torch.eye(k, dtype=like.dtype, device=like.device)
    return np.eye(k, dtype=like.dtype)


def logdet_expm_rank1(x: Any, y: Any) -> Any:
    """``log det exp(x y^T) = tr(x y^T) = <x, y>``, over the last axis; shape ``[...]``."""
    x, y = _check_pair(x, y)
    return (x * y).sum(-1)


def expm_rank1(x: Any, y: Any) -> Any:
    """``exp(x y^T) = I + phi(<x, y>) x y^T``.

    Args:
        x, y: ``[..., k]`` real arrays or tensors (broadcast over the leading axes).

    Returns:
        ``[..., k, k]``, the matrix exponential of the outer product.
    """
    x, y = _check_pair(x, y)
    s = (x * y).sum(-1)
    return _eye(x.shape[-1], x) + phi(s)[..., None, None] * _outer(x, y)


def expm_rank1_naive(x: Any, y: Any) -> Any:
    """The same formula with ``(exp(s) - 1) / s`` evaluated literally (for ``s != 0``).

    Kept only to show the loss of precision near ``s = 0``; use :func:`expm_rank1`.
    """
    x, y = _check_pair(x, y)
    s = (x * y).sum(-1)
    if _is_torch(s):
        import torch

        if (s == 0).any():
            raise ValueError("expm_rank1_naive: <x, y> = 0 divides by zero")
        c = (torch.exp(s) - 1) / s
    else:
        if (s == 0).any():
            raise ValueError("expm_rank1_naive: <x, y> = 0 divides by zero")
        c = (np.exp(s) - 1) / s
    return _eye(x.shape[-1], x) + c[..., None, None] * _outer(x, y)


def inv_expm_rank1(x: Any, y: Any) -> Any:
    """``exp(x y^T)^{-1} = exp(-x y^T) = I - phi(-s) x y^T = I - (1 - e^{-s})/s x y^T``."""
    x, y = _check_pair(x, y)
    return expm_rank1(-x, y)


def apply_expm_rank1(x: Any, y: Any, v: Any, *, inverse: bool = False) -> Any:
    """``exp(±x y^T) v = v ± phi(±s) x <y, v>`` in ``O(k)`` per vector, no matrix formed.

    Args:
        x, y: ``[..., k]``; v: ``[..., k]`` (broadcast against ``x``, ``y``).
        inverse: apply ``exp(-x y^T)`` instead.
    """
    x, y = _check_pair(x, y)
    v = _as_float(v, "v")
    if _is_torch(v) != _is_torch(x):
        raise TypeError("v must be of the same library (numpy or torch) as x and y")
    if v.shape[-1] != x.shape[-1]:
        raise ValueError(f"v must have length k={x.shape[-1]} on the last axis, got "
                         f"shape {tuple(v.shape)}")
    sign = -1.0 if inverse else 1.0
    s = (x * y).sum(-1)
    return v + (sign * phi(sign * s) * (y * v).sum(-1))[..., None] * x


def rank1_update_as_exp(u: Any, v: Any) -> tuple[Any, Any]:
    """Write ``I + u v^T`` (with ``1 + <u, v> > 0``) as ``exp(x y^T)``; returns ``(x, y)``.

    With ``s = log(1 + <u, v>)`` take ``x = u`` and ``y = v / phi(s)``: then
    ``<x, y> = (e^s - 1)/phi(s) = s`` and ``phi(s) x y^T = u v^T``.  Raises if
    ``1 + <u, v> <= 0``: such a matrix has ``det <= 0`` and is no exponential of
    a real rank-one matrix.
    """
    u, v = _check_pair(u, v)
    t = (u * v).sum(-1)
    lib_log1p = None
    if _is_torch(t):
        import torch

        if (t <= -1).any():
            raise ValueError("rank1_update_as_exp: need 1 + <u, v> > 0 (det of I + u v^T)")
        lib_log1p = torch.log1p
    else:
        if (t <= -1).any():
            raise ValueError("rank1_update_as_exp: need 1 + <u, v> > 0 (det of I + u v^T)")
        lib_log1p = np.log1p
    s = lib_log1p(t)
    return u, v / phi(s)[..., None]


def expm_rank1_symbolic(k: int, names: tuple[str, str] = ("x", "y")) -> dict[str, Any]:
    """Sympy objects for ``exp(x y^T)`` with symbolic ``x = (x_1..x_k)``, ``y = (y_1..y_k)``.

    Returns a dict with keys ``x``, ``y`` (column matrices), ``s`` (``<x, y>``), ``M``
    (``x y^T``), ``E`` (``I + (e^s - 1)/s M``), ``E_inv`` (``I - (1 - e^{-s})/s M``),
    ``det`` (``det E`` simplified) and ``inv_residual`` (``E E_inv - I`` simplified,
    the zero matrix).
    """
    import sympy as sp

    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    x = sp.Matrix(sp.symbols(f"{names[0]}1:{k + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"{names[1]}1:{k + 1}", real=True))
    s = (y.T * x)[0, 0]
    M = x * y.T
    E = sp.eye(k) + (sp.exp(s) - 1) / s * M
    E_inv = sp.eye(k) - (1 - sp.exp(-s)) / s * M
    det = sp.simplify(E.det())
    inv_residual = sp.simplify(E * E_inv - sp.eye(k))
    return {"x": x, "y": y, "s": s, "M": M, "E": E, "E_inv": E_inv, "det": det,
            "inv_residual": inv_residual}


def _make_layer_class() -> type:
    import torch
    from torch import nn

    class RankOneExpLinear(nn.Module):
        """``z = W h + b`` with ``W = exp(x_1 y_1^T) exp(x_2 y_2^T) ... exp(x_m y_m^T)``.

        A flow-style invertible linear layer: ``W`` is never formed.  The forward pass
        applies the factors right to left (``O(m k)`` per vector), the inverse applies
        the inverse factors left to right, and ``log |det W| = sum_i <x_i, y_i>`` exactly
        (every factor has determinant ``e^{<x_i, y_i>} > 0``).

        Args:
            dim: ``k``, the feature size.
            n_factors: ``m``, the number of rank-one exponentials.
            bias: learn a bias ``b`` (default True).
            init_scale: standard deviation of the initial ``x_i, y_i`` entries.
            dtype: parameter dtype (float64 by default).
        """

        def __init__(self, dim: int, n_factors: int, *, bias: bool = True,
                     init_scale: float = 0.1, dtype: torch.dtype = torch.float64,
                     generator: torch.Generator | None = None) -> None:
            super().__init__()
            for name, val in (("dim", dim), ("n_factors", n_factors)):
                if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                    raise ValueError(f"{name} must be a positive int, got {val!r}")
            if not (isinstance(init_scale, (int, float)) and math.isfinite(init_scale)
                    and init_scale >= 0):
                raise ValueError(f"init_scale must be a finite number >= 0, got {init_scale!r}")
            self.dim, self.n_factors = dim, n_factors
            shape = (n_factors, dim)
            self.x = nn.Parameter(init_scale * torch.randn(shape, dtype=dtype,
                                                           generator=generator))
            self.y = nn.Parameter(init_scale * torch.randn(shape, dtype=dtype,
                                                           generator=generator))
            self.bias = nn.Parameter(torch.zeros(dim, dtype=dtype)) if bias else None

        def _check(self, h: torch.Tensor) -> None:
            if not isinstance(h, torch.Tensor):
                raise TypeError(f"input must be a torch.Tensor, got {type(h).__name__}")
            if h.ndim < 1 or h.shape[-1] != self.dim:
                raise ValueError(f"input must have shape [..., {self.dim}], got "
                                 f"{tuple(h.shape)}")
            if h.dtype != self.x.dtype:
                raise TypeError(f"input dtype {h.dtype} does not match the layer's "
                                f"{self.x.dtype}")

        def logdet(self) -> torch.Tensor:
            """``log det W = sum_i <x_i, y_i>`` (a scalar; ``det W > 0`` always)."""
            return (self.x * self.y).sum()

        def weight(self) -> torch.Tensor:
            """The dense ``[k, k]`` matrix ``W`` (for checks; the layer never needs it)."""
            s = (self.x * self.y).sum(-1)
            c = phi(s)
            W = torch.eye(self.dim, dtype=self.x.dtype, device=self.x.device)
            for i in range(self.n_factors):
                W = W + c[i] * torch.outer(W @ self.x[i], self.y[i])
            return W

        def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """``h [..., k] -> (z [..., k], log det W)``."""
            self._check(h)
            s = (self.x * self.y).sum(-1)
            c = phi(s)
            z = h
            for i in reversed(range(self.n_factors)):  # rightmost factor acts first
                z = z + (c[i] * (z @ self.y[i]))[..., None] * self.x[i]
            if self.bias is not None:
                z = z + self.bias
            return z, s.sum()

        def inverse(self, z: torch.Tensor) -> torch.Tensor:
            """``z [..., k] -> h = W^{-1} (z - b)``, exact up to rounding."""
            self._check(z)
            s = (self.x * self.y).sum(-1)
            c = phi(-s)
            h = z - self.bias if self.bias is not None else z
            for i in range(self.n_factors):  # undo the leftmost factor first
                h = h - (c[i] * (h @ self.y[i]))[..., None] * self.x[i]
            return h

    return RankOneExpLinear


def gaussian_nll(z: Any, logdet: Any) -> Any:
    """Mean negative log-likelihood (nats) of the data under a flow ``z = f(h)`` with a
    standard normal base: ``mean(|z|^2 / 2) + k/2 log(2 pi) - log det``."""
    k = z.shape[-1]
    return 0.5 * (z * z).sum(-1).mean() + 0.5 * k * math.log(2 * math.pi) - logdet


def fit_linear_flow(data: Any, n_factors: int, *, steps: int = 1500, lr: float = 0.05,
                    seed: int = 0) -> tuple[Any, list[float]]:
    """Fit a :class:`RankOneExpLinear` flow ``z = W h + b`` to ``data [n, k]`` by maximum
    likelihood (Adam, full batch).  Returns the layer and the NLL after every step.

    The best possible value is the NLL of the maximum-likelihood Gaussian,
    ``k/2 (1 + log 2 pi) + 1/2 log det S`` with ``S`` the (biased) sample covariance,
    reached when ``W^T W = S^{-1}`` and ``b = -W mean``.
    """
    import torch

    if not isinstance(data, torch.Tensor) or data.ndim != 2 or data.shape[0] < 2:
        raise ValueError("data must be a torch tensor of shape [n, k] with n >= 2")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    data = data.to(torch.float64)
    gen = torch.Generator().manual_seed(seed)
    layer = __getattr__("RankOneExpLinear")(data.shape[1], n_factors, generator=gen)
    opt = torch.optim.Adam(layer.parameters(), lr=lr)
    history: list[float] = []
    for _ in range(steps):
        opt.zero_grad()
        z, ld = layer(data)
        loss = gaussian_nll(z, ld)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return layer, history


def __getattr__(name: str) -> Any:
    if name == "RankOneExpLinear":
        cls = _make_layer_class()
        globals()["RankOneExpLinear"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
