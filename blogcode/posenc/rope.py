"""Rotary position embedding (RoPE), in the form RoFormer defines it.

For an even ``dim = d`` the frequencies are ``theta_i = base^(-2i/d)``, ``i = 0 .. d/2 - 1``, and
position ``m`` acts on a vector by the block-diagonal rotation

    R_m = diag(rot(m theta_0), ..., rot(m theta_{d/2-1})),   rot(a) = [[cos a, -sin a],
                                                                     [sin a,  cos a]],

so that ``(R_m q)^T (R_n k) = q^T R_{n-m} k``: the score depends on positions only through
``n - m``.  :func:`rope_matrix` builds ``R_m`` explicitly (the definition, for tests);
:func:`apply_rope` is the fast elementwise form ``q * cos + rotate(q) * sin`` that real models use.

Two layouts pair the coordinates differently; both are the same rotation up to a fixed
permutation of coordinates:

* ``"interleaved"`` (RoFormer, the article): pairs ``(x_{2i}, x_{2i+1})``;
* ``"half"`` (GPT-NeoX / LLaMA's ``rotate_half``): pairs ``(x_i, x_{i + d/2})``.

Long-range decay: with ``r = m - n`` and ``S_j(r) = sum_{i<j} exp(1j r theta_i)``,
:func:`rope_partial_sums`, :func:`decay_curve` (the Abel-summation factor
``(1/(d/2)) sum_j |S_j|``), :func:`ones_score` (the exact score of all-ones q, k) and
:func:`abel_bound` (score and bound for given q, k).  Linear attention:
:func:`rope_linear_attention` (RoPE in the numerator only, prefix sums, O(L d d_v)),
:func:`rope_linear_attention_weights` (its explicit L x L matrix) and
:func:`rope_cosine_linear_attention` (``sim = 1 + cos``, rotated everywhere).  The
``ROFORMER_*`` tuples hold the experiment tables reported by the source article (data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "FEATURE_MAPS", "LAYOUTS", "ROFORMER_CAIL2019_SCM", "ROFORMER_MODELS",
    "ROFORMER_PRETRAIN_STAGES", "abel_bound", "apply_rope", "decay_curve", "ones_score",
    "rope_cosine_linear_attention", "rope_frequencies", "rope_linear_attention",
    "rope_linear_attention_weights", "rope_matrix", "rope_partial_sums",
]

LAYOUTS = ("interleaved", "half")


def _check_dim(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim <= 0 or dim % 2:
        raise ValueError(f"dim must be a positive even number (RoPE rotates pairs), got {dim}")
    return int(dim)


def _check_base(base: float) -> float:
    base = float(base)
    if not base > 1.0:
        raise ValueError(f"base must be > 1, got {base}")
    return base


def rope_frequencies(dim: int, base: float = 10000.0) -> np.ndarray:
    """``theta_i = base^(-2i/dim)`` for ``i = 0 .. dim/2 - 1`` in float64 (decreasing from 1)."""
    dim, base = _check_dim(dim), _check_base(base)
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def rope_matrix(position: float, dim: int, base: float = 10000.0,
                layout: str = "interleaved") -> np.ndarray:
    """The ``dim x dim`` rotation ``R_position`` in float64 (the definition; O(dim^2))."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    theta = rope_frequencies(dim, base)
    half = dim // 2
    angle = float(position) * theta
    c, s = np.cos(angle), np.sin(angle)
    R = np.zeros((dim, dim))
    i = np.arange(half)
    a, b = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + half)
    R[a, a], R[a, b], R[b, a], R[b, b] = c, -s, s, c
    return R


def apply_rope(x: Any, positions: Sequence[float] | Any, base: float = 10000.0,
               layout: str = "interleaved") -> Any:
    """Rotate ``x[..., L, dim]`` so that row ``l`` is ``R_{positions[l]} x[..., l, :]``.

    ``x`` is a numpy array or a torch tensor (the result has its type, dtype and device; the
    angles are computed in float64 and cast once).  ``positions`` has length ``L`` (integers or
    reals: position interpolation uses fractional positions).  Equals
    ``x @ rope_matrix(m).T`` row by row, in O(L * dim).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    is_torch = type(x).__module__.startswith("torch")
    if not is_torch:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"x must be a floating-point array, got dtype {x.dtype}")
    elif not x.dtype.is_floating_point:
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"x must have shape [..., L, dim], got shape {tuple(x.shape)}")
    L, dim = int(x.shape[-2]), _check_dim(int(x.shape[-1]))
    pos = np.asarray(positions.cpu() if hasattr(positions, "cpu") else positions,
                     dtype=np.float64)
    if pos.shape != (L,):
        raise ValueError(f"positions must have shape ({L},) to match x's length axis, "
                         f"got shape {pos.shape}")
    angle = pos[:, None] * rope_frequencies(dim, base)[None, :]  # [L, dim/2], float64
    cos, sin = np.cos(angle), np.sin(angle)
    if is_torch:
        import torch

        cos = torch.as_tensor(cos, dtype=x.dtype, device=x.device)
        sin = torch.as_tensor(sin, dtype=x.dtype, device=x.device)
        out = torch.empty_like(x)
    else:
        cos, sin = cos.astype(x.dtype), sin.astype(x.dtype)
        out = np.empty_like(x)
    half = dim // 2
    if layout == "interleaved":
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out[..., 0::2] = x0 * cos - x1 * sin
        out[..., 1::2] = x1 * cos + x0 * sin
    else:
        x0, x1 = x[..., :half], x[..., half:]
        out[..., :half] = x0 * cos - x1 * sin
        out[..., half:] = x1 * cos + x0 * sin
    return out


# ---------------------------------------------------------------------------------------------
# Long-range decay (Abel summation)
# ---------------------------------------------------------------------------------------------

def _check_distances(distances: Any) -> np.ndarray:
    r = np.asarray(distances, dtype=np.float64)
    if r.ndim > 1:
        raise ValueError(f"distances must be a scalar or a 1-D sequence, got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError("distances must be finite")
    return np.atleast_1d(r)


def _thetas(dim: int, base: float, theta: Any | None) -> np.ndarray:
    if theta is None:
        return rope_frequencies(dim, base)
    th = np.asarray(theta, dtype=np.float64)
    if th.shape != (dim // 2,):
        raise ValueError(f"theta must have shape ({dim // 2},) for dim={dim}, got shape {th.shape}")
    if not np.all(np.isfinite(th)):
        raise ValueError("theta must be finite")
    return th


def rope_partial_sums(dim: int, distances: Any, base: float = 10000.0,
                      theta: Any | None = None) -> np.ndarray:
    """The partial sums ``S_j(r) = sum_{i<j} exp(1j * r * theta_i)`` for ``j = 0 .. dim/2``.

    Returns a complex128 array of shape ``[len(distances), dim/2 + 1]`` with ``S_0 = 0``.
    ``r = m - n`` is the relative distance; ``theta`` overrides the frequencies
    ``base^(-2i/dim)`` (shape ``[dim/2]``) to compare other choices.
    """
    dim = _check_dim(dim)
    th = _thetas(dim, _check_base(base), theta)
    r = _check_distances(distances)
    phase = np.exp(1j * r[:, None] * th[None, :])  # [R, dim/2]
    out = np.zeros((r.size, dim // 2 + 1), dtype=np.complex128)
    np.cumsum(phase, axis=1, out=out[:, 1:])
    return out


def decay_curve(dim: int, distances: Any, base: float = 10000.0,
                theta: Any | None = None) -> np.ndarray:
    """The Abel-summation decay factor ``(1/(d/2)) sum_{j=1}^{d/2} |S_j(r)|`` per distance ``r``.

    With ``h_i = q_[2i:2i+1] conj(k_[2i:2i+1])`` (pairs read as complex numbers) and
    ``h_{d/2} = 0``, Abel summation gives

        |sum_i h_i e^{i r theta_i}| = |sum_i S_{i+1} (h_{i+1} - h_i)|
                                    <= (max_i |h_{i+1} - h_i|) * sum_{j=1}^{d/2} |S_j|,

    so this curve, times ``(d/2) max_i |h_{i+1} - h_i|``, bounds the RoPE score at relative
    distance ``r``.  At ``r = 0`` every ``S_j = j`` and the curve equals ``(d/2 + 1)/2``.
    Returns float64 of shape ``[len(distances)]``.

    >>> float(decay_curve(128, [0])[0])
    32.5
    """
    S = rope_partial_sums(dim, distances, base, theta)
    return np.abs(S[:, 1:]).mean(axis=1)


def ones_score(dim: int, distances: Any, base: float = 10000.0,
               theta: Any | None = None) -> np.ndarray:
    """The exact RoPE score ``(R_m 1)^T (R_n 1) = 2 sum_i cos(r theta_i)`` of all-ones q, k.

    It depends on ``r = m - n`` only; at ``r = 0`` it is ``dim``.  By Abel summation with
    ``h_i = 2`` it is also ``2 Re S_{d/2}(r)``.  Float64, shape ``[len(distances)]``.
    """
    dim = _check_dim(dim)
    th = _thetas(dim, _check_base(base), theta)
    r = _check_distances(distances)
    return 2.0 * np.cos(r[:, None] * th[None, :]).sum(axis=1)


def _as_pairs(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {a.shape}")
    _check_dim(a.shape[0])
    a = a.astype(np.float64)
    return a[0::2] + 1j * a[1::2]


def abel_bound(q: Any, k: Any, distances: Any, base: float = 10000.0) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """For vectors ``q, k`` (interleaved layout) return ``(z, bound)`` per distance ``r``.

    ``z[r] = sum_i h_i e^{i r theta_i}`` (complex; ``Re z`` is the RoPE score
    ``(R_m q)^T (R_n k)`` with ``m - n = r``) and
    ``bound[r] = (max_i |h_{i+1} - h_i|) * sum_{j=1}^{d/2} |S_j(r)|`` with ``h_{d/2} = 0``,
    so that ``|z| <= bound``.
    """
    hq, hk = _as_pairs(q, "q"), _as_pairs(k, "k")
    if hq.shape != hk.shape:
        raise ValueError(f"q and k must have the same length, got {2 * hq.size} and {2 * hk.size}")
    dim = 2 * hq.size
    h = hq * np.conj(hk)
    r = _check_distances(distances)
    z = (h[None, :] * np.exp(1j * r[:, None] * rope_frequencies(dim, base)[None, :])).sum(axis=1)
    dh = np.abs(np.diff(np.append(h, 0.0)))
    bound = dh.max() * decay_curve(dim, r, base) * (dim // 2)
    return z, bound


# ---------------------------------------------------------------------------------------------
# RoPE in linear attention
# ---------------------------------------------------------------------------------------------

FEATURE_MAPS = ("elu1", "relu", "exp")


def _feature(x: np.ndarray, feature_map: Any) -> np.ndarray:
    if callable(feature_map):
        out = np.asarray(feature_map(x), dtype=np.float64)
        if out.shape != x.shape:
            raise ValueError(f"feature_map must keep the shape {x.shape}, returned {out.shape}")
        return out
    if feature_map == "elu1":  # elu(x) + 1 > 0
        return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))
    if feature_map == "relu":
        return np.maximum(x, 0.0)
    if feature_map == "exp":
        return np.exp(x)
    raise ValueError(f"feature_map must be one of {FEATURE_MAPS} or a callable, "
                     f"got {feature_map!r}")


def _check_qkv(q: Any, k: Any, v: Any | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrs = []
    for name, a in (("q", q), ("k", k), ("v", q if v is None else v)):
        a = np.asarray(a)
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(f"{name} must be a floating-point array, got dtype {a.dtype}")
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape [..., L, dim], got shape {a.shape}")
        arrs.append(a.astype(np.float64))
    q, k, v = arrs
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape, got {q.shape} and {k.shape}")
    if v.shape[:-1] != q.shape[:-1]:
        raise ValueError(f"v must have shape [..., L, dim_v] with [..., L] = {q.shape[:-1]}, "
                         f"got {v.shape}")
    _check_dim(q.shape[-1])
    return q, k, v


def _positions(positions: Any | None, L: int) -> np.ndarray:
    if positions is None:
        return np.arange(L, dtype=np.float64)
    return np.asarray(positions, dtype=np.float64)


def rope_linear_attention(q: Any, k: Any, v: Any, feature_map: Any = "elu1",
                          positions: Any | None = None, base: float = 10000.0,
                          layout: str = "interleaved", rotate_denominator: bool = False,
                          return_denominator: bool = False) -> Any:
    """Causal linear attention with RoPE in the numerator, in O(L d d_v).

    With ``phi`` the (non-negative) feature map and ``R_i`` the RoPE rotation of position
    ``positions[i]``::

        out_i = sum_{j<=i} [R_i phi(q_i)]^T [R_j phi(k_j)] v_j  /  sum_{j<=i} phi(q_i)^T phi(k_j)

    The numerator is ``(R_i phi(q_i))^T U_i`` with the running state
    ``U_i = sum_{j<=i} (R_j phi(k_j)) v_j^T`` (a cumulative sum), the denominator
    ``phi(q_i)^T z_i`` with ``z_i = sum_{j<=i} phi(k_j)``: the attention matrix is never formed.
    ``rotate_denominator=True`` rotates the denominator too (the variant the source rejects:
    it can be negative or zero).  Shapes: ``q, k [..., L, d]``, ``v [..., L, d_v]``, numpy
    float arrays (computed in float64); returns ``[..., L, d_v]`` float64, and the
    denominator ``[..., L]`` as well when ``return_denominator``.
    """
    q, k, v = _check_qkv(q, k, v)
    L = q.shape[-2]
    pos = _positions(positions, L)
    fq, fk = _feature(q, feature_map), _feature(k, feature_map)
    rq = apply_rope(fq, pos, base, layout)
    rk = apply_rope(fk, pos, base, layout)
    state = np.cumsum(rk[..., :, :, None] * v[..., :, None, :], axis=-3)  # [..., L, d, d_v]
    num = np.einsum("...ld,...lde->...le", rq, state)
    if rotate_denominator:
        den = np.einsum("...ld,...ld->...l", rq, np.cumsum(rk, axis=-2))
    else:
        den = np.einsum("...ld,...ld->...l", fq, np.cumsum(fk, axis=-2))
    out = num / den[..., None]
    return (out, den) if return_denominator else out


def rope_linear_attention_weights(q: Any, k: Any, feature_map: Any = "elu1",
                                  positions: Any | None = None, base: float = 10000.0,
                                  layout: str = "interleaved",
                                  rotate_denominator: bool = False) -> np.ndarray:
    """The ``[..., L, L]`` causal weight matrix that :func:`rope_linear_attention` applies to v.

    ``A_ij = [R_i phi(q_i)]^T [R_j phi(k_j)] / sum_{l<=i} phi(q_i)^T phi(k_l)`` for ``j <= i``,
    zero above the diagonal (O(L^2): for inspection, e.g. row sums and signs).
    """
    q, k, _ = _check_qkv(q, k, None)
    L = q.shape[-2]
    pos = _positions(positions, L)
    fq, fk = _feature(q, feature_map), _feature(k, feature_map)
    rq, rk = apply_rope(fq, pos, base, layout), apply_rope(fk, pos, base, layout)
    mask = np.tril(np.ones((L, L), dtype=bool))
    num = np.where(mask, rq @ np.swapaxes(rk, -1, -2), 0.0)
    plain = np.where(mask, fq @ np.swapaxes(fk, -1, -2), 0.0)
    den = num.sum(-1) if rotate_denominator else plain.sum(-1)
    return num / den[..., None]


def rope_cosine_linear_attention(q: Any, k: Any, v: Any, positions: Any | None = None,
                                 base: float = 10000.0, layout: str = "interleaved") -> np.ndarray:
    """Causal linear attention with ``sim(q_i, k_j) = 1 + (R_i q_i/|q_i|)^T (R_j k_j/|k_j|)``.

    RoPE keeps norms, so ``sim >= 0`` still holds and the weights stay a probability
    distribution; linear cost through ``out_i = (sum_j v_j + u_i^T U_i) / (i + 1 + u_i^T z_i)``
    with ``u_i = R_i q_i/|q_i|``, ``U_i = sum_{j<=i} (R_j k_j/|k_j|) v_j^T`` and
    ``z_i = sum_{j<=i} R_j k_j/|k_j|``.  Zero rows of q or k are rejected.
    """
    q, k, v = _check_qkv(q, k, v)
    nq, nk = np.linalg.norm(q, axis=-1, keepdims=True), np.linalg.norm(k, axis=-1, keepdims=True)
    if np.any(nq == 0) or np.any(nk == 0):
        raise ValueError("q and k must have no zero rows (they are normalised)")
    L = q.shape[-2]
    pos = _positions(positions, L)
    u = apply_rope(q / nq, pos, base, layout)
    w = apply_rope(k / nk, pos, base, layout)
    state = np.cumsum(w[..., :, :, None] * v[..., :, None, :], axis=-3)
    num = np.cumsum(v, axis=-2) + np.einsum("...ld,...lde->...le", u, state)
    den = np.arange(1, L + 1) + np.einsum("...ld,...ld->...l", u, np.cumsum(w, axis=-2))
    return num / den[..., None]


# ---------------------------------------------------------------------------------------------
# The RoFormer experiments as reported by the source article (data, not our measurements)
# ---------------------------------------------------------------------------------------------

#: Pre-training stages of RoFormer reported in kexue.fm/archives/8265:
#: (stage, maxlen, batch size, steps, final MLM loss, final MLM accuracy in %).
ROFORMER_PRETRAIN_STAGES = (
    (1, 512, 256, 200_000, 1.73, 65.0),
    (2, 1536, 256, 12_500, 1.61, 66.8),
    (3, 256, 256, 120_000, 1.75, 64.6),
    (4, 128, 512, 80_000, 1.83, 63.4),
    (5, 1536, 256, 10_000, 1.58, 67.4),
    (6, 512, 512, 30_000, 1.66, 66.2),
)

#: CAIL2019-SCM accuracy (%) reported there: (model-maxlen, validation, test).
ROFORMER_CAIL2019_SCM = (
    ("BERT-512", 64.13, 67.77),
    ("WoBERT-512", 64.07, 68.10),
    ("RoFormer-512", 64.13, 68.29),
    ("RoFormer-1024", 66.07, 69.79),
)

#: Model comparison table reported there: (model, token unit, position encoding).
ROFORMER_MODELS = (
    ("BERT", "字", "绝对位置"),
    ("WoBERT", "词", "绝对位置"),
    ("NEZHA", "字", "经典式相对位置"),
    ("RoFormer", "词", "RoPE"),
)
