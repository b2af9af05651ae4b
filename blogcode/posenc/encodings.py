"""The absolute and relative position encodings of the position-encoding survey.

Glossary (row-vector convention, as in the article):

* ``L`` -- sequence length; positions are ``0 .. L-1``; ``i`` indexes queries, ``j`` keys;
* ``d`` -- model width; ``x`` is ``[L, d]`` (token vectors), ``p`` is ``[L, d]`` (positions);
* ``W_Q, W_K`` -- ``[d, h]`` projections; a score is ``q_i k_j^T`` with ``q_i = x_i W_Q``.

Absolute encodings:

* :func:`sinusoidal` -- ``p_{k,2i} = sin(k w_i)``, ``p_{k,2i+1} = cos(k w_i)``,
  ``w_i = base^(-2i/d)``;
* :func:`sinusoidal_rotation` -- the orthogonal block matrix ``M_delta`` with
  ``p_{k+delta} = M_delta p_k`` for every ``k`` (trigonometric addition formulas);
* :func:`sinusoidal_generator` -- the ``A`` with ``dp/dt = A p`` (sinusoidal as a linear
  FLOATER-style ODE; ``M_delta = exp(delta A)``);
* :func:`complex_order` -- ``r e^{i(omega k + theta)}`` (word order in complex embeddings).

Relative encodings, all from the four-term expansion :func:`four_terms` of
``(x_i + p_i) W_Q W_K^T (x_j + p_j)^T``:

* :func:`shaw_clip`, :func:`shaw_attention` -- Shaw et al. / NEZHA;
* :func:`xlnet_scores` -- Transformer-XL / XLNet;
* :func:`t5_bucket`, :func:`t5_scores` -- T5's bucketed scalar bias;
* :func:`deberta_scores` -- DeBERTa's content-position terms.

Others: :func:`conv_constant_response` (zero padding leaks absolute position through a CNN)
and :func:`fusion_2d` (the author's "fusion" encoding, a 2D rotation -- RoPE's precursor).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .rope import rope_frequencies

__all__ = [
    "complex_order",
    "conv_constant_response",
    "deberta_scores",
    "four_terms",
    "fusion_2d",
    "relative_matrix",
    "shaw_attention",
    "shaw_clip",
    "sinusoidal",
    "sinusoidal_at",
    "sinusoidal_generator",
    "sinusoidal_rotation",
    "t5_bucket",
    "t5_scores",
    "xlnet_scores",
]


# --------------------------------------------------------------------------- validation
def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_dim(dim: Any) -> int:
    dim = _check_int("dim", dim, 2)
    if dim % 2:
        raise ValueError(f"dim must be even (sin/cos come in pairs), got {dim}")
    return dim


def _check_base(base: Any) -> float:
    base = float(base)
    if not (math.isfinite(base) and base > 1.0):
        raise ValueError(f"base must be a finite number > 1, got {base}")
    return base


def _matrix(name: str, a: Any, ndim: int = 2) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _integer_array(name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _qk(x: np.ndarray, wq: Any, wk: Any) -> tuple[np.ndarray, np.ndarray]:
    wq, wk = _matrix("wq", wq), _matrix("wk", wk)
    if wq.shape[0] != x.shape[1] or wk.shape[0] != x.shape[1]:
        raise ValueError(f"wq {wq.shape} and wk {wk.shape} must have {x.shape[1]} rows "
                         f"(the width of x {x.shape})")
    if wq.shape != wk.shape:
        raise ValueError(f"wq {wq.shape} and wk {wk.shape} must have the same shape")
    return wq, wk


# --------------------------------------------------------------------------- absolute
def sinusoidal_at(positions: Any, dim: int, base: float = 10000.0) -> np.ndarray:
    """Sinusoidal encodings of arbitrary (real, possibly negative) ``positions``.

    Returns ``[*positions.shape, dim]`` float64 with ``out[..., 2i] = sin(k w_i)`` and
    ``out[..., 2i+1] = cos(k w_i)``, ``w_i = base^(-2i/dim)``.
    """
    dim, base = _check_dim(dim), _check_base(base)
    k = np.asarray(positions)
    if k.dtype.kind not in "biuf":
        raise TypeError(f"positions must be real numbers, got dtype {k.dtype}")
    k = k.astype(np.float64)
    if not np.all(np.isfinite(k)):
        raise ValueError("positions contain NaN or infinite values")
    angle = k[..., None] * rope_frequencies(dim, base)  # [..., d/2]
    out = np.empty(k.shape + (dim,), dtype=np.float64)
    out[..., 0::2] = np.sin(angle)
    out[..., 1::2] = np.cos(angle)
    return out


def sinusoidal(num_positions: int, dim: int, base: float = 10000.0) -> np.ndarray:
    """The ``[num_positions, dim]`` table of "Attention is all you need" (float64).

    ``p_{k,2i} = sin(k / base^(2i/dim))``, ``p_{k,2i+1} = cos(k / base^(2i/dim))``,
    ``k = 0 .. num_positions-1``.

    >>> sinusoidal(3, 4)[1].round(4).tolist()
    [0.8415, 0.5403, 0.01, 1.0]
    """
    num_positions = _check_int("num_positions", num_positions, 1)
    return sinusoidal_at(np.arange(num_positions), dim, base)


def sinusoidal_rotation(delta: float, dim: int, base: float = 10000.0) -> np.ndarray:
    """``M_delta`` (``[dim, dim]``, float64, orthogonal) with ``p_{k+delta} = M_delta p_k``.

    From ``sin(a+b) = sin a cos b + cos a sin b`` and ``cos(a+b) = cos a cos b - sin a sin b``
    with ``a = k w_i``, ``b = delta w_i``, each pair ``(p_{2i}, p_{2i+1}) = (sin, cos)`` is mapped
    by the block ``[[cos b, sin b], [-sin b, cos b]]``, which does not depend on ``k``. Acting on a
    row vector: ``p_{k+delta} = p_k @ M_delta.T``.
    """
    dim, base = _check_dim(dim), _check_base(base)
    delta = float(delta)
    if not math.isfinite(delta):
        raise ValueError(f"delta must be finite, got {delta}")
    b = delta * rope_frequencies(dim, base)
    c, s = np.cos(b), np.sin(b)
    m = np.zeros((dim, dim), dtype=np.float64)
    idx = np.arange(0, dim, 2)
    m[idx, idx], m[idx, idx + 1] = c, s
    m[idx + 1, idx], m[idx + 1, idx + 1] = -s, c
    return m


def sinusoidal_generator(dim: int, base: float = 10000.0) -> np.ndarray:
    """The skew-symmetric ``A`` (``[dim, dim]``) with ``d p_t / dt = A p_t`` for sinusoidal ``p_t``.

    ``d/dt sin(t w) = w cos(t w)`` and ``d/dt cos(t w) = -w sin(t w)``: the blocks are
    ``[[0, w_i], [-w_i, 0]]``. Hence ``M_delta = expm(delta A)``: sinusoidal encodings are the
    solution of a linear ODE of the kind FLOATER learns (``dp/dt = h(p, t)``).
    """
    dim, base = _check_dim(dim), _check_base(base)
    w = rope_frequencies(dim, base)
    a = np.zeros((dim, dim), dtype=np.float64)
    idx = np.arange(0, dim, 2)
    a[idx, idx + 1], a[idx + 1, idx] = w, -w
    return a


def complex_order(r: Any, omega: Any, theta: Any, positions: Any) -> np.ndarray:
    """Complex word-order embedding ``r_j e^{i(omega_j k + theta_j)}`` (complex128).

    ``r``, ``omega``, ``theta``: ``[d]`` amplitudes, frequencies and phases of one word;
    ``positions``: ``[L]``. Returns ``[L, d]``. Moving by ``delta`` multiplies coordinate ``j`` by
    ``e^{i omega_j delta}`` whatever ``k`` is.
    """
    r, omega, theta = (_matrix(n, a, 1) for n, a in (("r", r), ("omega", omega),
                                                     ("theta", theta)))
    if not (r.shape == omega.shape == theta.shape):
        raise ValueError(f"r {r.shape}, omega {omega.shape}, theta {theta.shape} must match")
    k = _matrix("positions", positions, 1)
    return r * np.exp(1j * (k[:, None] * omega + theta))


# --------------------------------------------------------------------------- relative
def relative_matrix(length: int) -> np.ndarray:
    """``[length, length]`` int64 matrix of ``i - j`` (query minus key)."""
    length = _check_int("length", length, 1)
    k = np.arange(length)
    return k[:, None] - k[None, :]


def four_terms(x: Any, p: Any, wq: Any, wk: Any) -> dict[str, np.ndarray]:
    """The four ``[L, L]`` terms of ``(x_i + p_i) W_Q W_K^T (x_j + p_j)^T``.

    Keys: ``"xx"`` (input-input), ``"xp"`` (input-position), ``"px"`` (position-input),
    ``"pp"`` (position-position); their sum is the full score matrix.
    """
    x, p = _matrix("x", x), _matrix("p", p)
    if x.shape != p.shape:
        raise ValueError(f"x {x.shape} and p {p.shape} must have the same shape")
    wq, wk = _qk(x, wq, wk)
    w = wq @ wk.T
    return {"xx": x @ w @ x.T, "xp": x @ w @ p.T, "px": p @ w @ x.T, "pp": p @ w @ p.T}


def shaw_clip(relative: Any, k: int) -> np.ndarray:
    """``clip(relative, -k, k)`` (int64): Shaw et al.'s window of distinct relative positions.

    Beyond distance ``k`` every offset shares the encoding of ``+-k``; the table of relative
    vectors therefore has ``2k + 1`` rows, row ``clip(i - j) + k``.
    """
    k = _check_int("k", k, 0)
    return np.clip(_integer_array("relative", relative), -k, k)


def _table(name: str, table: Any, k: int, width: int) -> np.ndarray:
    t = _matrix(name, table)
    if t.shape != (2 * k + 1, width):
        raise ValueError(f"{name} must have shape {(2 * k + 1, width)} (2k+1 rows for "
                         f"k={k}), got {t.shape}")
    return t


def shaw_attention(x: Any, wq: Any, wk: Any, wv: Any, rk: Any, rv: Any,
                   k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shaw et al.'s relative attention; returns ``(logits [L, L], output [L, h])``.

    ``logits_ij = x_i W_Q (x_j W_K + R^K_{ij})^T``, ``o_i = sum_j a_ij (x_j W_V + R^V_{ij})``
    with ``a = softmax_j(logits)`` and ``R_{ij} = table[clip(i - j, -k, k) + k]``.
    ``rk``, ``rv``: ``[2k+1, h]`` tables (learned in Shaw et al., sinusoidal in NEZHA).
    No ``1/sqrt(h)`` scale is applied.
    """
    x = _matrix("x", x)
    wq, wk = _qk(x, wq, wk)
    wv = _matrix("wv", wv)
    if wv.shape != wq.shape:
        raise ValueError(f"wv {wv.shape} must have the shape of wq {wq.shape}")
    k = _check_int("k", k, 0)
    rk, rv = _table("rk", rk, k, wq.shape[1]), _table("rv", rv, k, wq.shape[1])
    idx = shaw_clip(relative_matrix(x.shape[0]), k) + k  # [L, L]
    q, kk, v = x @ wq, x @ wk, x @ wv
    logits = q @ kk.T + np.einsum("ih,ijh->ij", q, rk[idx])
    a = np.exp(logits - logits.max(axis=1, keepdims=True))
    a /= a.sum(axis=1, keepdims=True)
    out = a @ v + np.einsum("ij,ijh->ih", a, rv[idx])
    return logits, out


def xlnet_scores(x: Any, wq: Any, wk: Any, wkr: Any, u: Any, v: Any,
                 base: float = 10000.0) -> np.ndarray:
    """Transformer-XL / XLNet scores ``[L, L]``.

    ``x_i W_Q W_K^T x_j^T + x_i W_Q W_{K,R}^T R_{i-j}^T + u W_K^T x_j^T + v W_{K,R}^T R_{i-j}^T``:
    ``p_j`` becomes the sinusoidal ``R_{i-j}`` (of width ``d``) seen through its own ``W_{K,R}``,
    and ``p_i W_Q`` becomes the learned vectors ``u``, ``v`` (``[h]``).
    """
    x = _matrix("x", x)
    wq, wk = _qk(x, wq, wk)
    wkr = _matrix("wkr", wkr)
    if wkr.shape != wk.shape:
        raise ValueError(f"wkr {wkr.shape} must have the shape of wk {wk.shape}")
    u, v = _matrix("u", u, 1), _matrix("v", v, 1)
    if u.shape != (wq.shape[1],) or v.shape != (wq.shape[1],):
        raise ValueError(f"u {u.shape} and v {v.shape} must have shape ({wq.shape[1]},)")
    length, d = x.shape
    rel = sinusoidal_at(relative_matrix(length), d, base) @ wkr  # [L, L, h]
    q, kk = x @ wq, x @ wk
    return (q @ kk.T + np.einsum("ih,ijh->ij", q, rel)
            + (kk @ u)[None, :] + rel @ v)


def t5_bucket(relative_position: Any, bidirectional: bool = True, num_buckets: int = 32,
              max_distance: int = 128) -> np.ndarray:
    """T5's relative-position bucket (int64, same shape), written from its formula.

    ``relative_position`` is T5's ``memory_position - query_position = j - i``; let
    ``n = i - j``. Bidirectional: half of the buckets go to each sign (``n < 0`` adds
    ``num_buckets/2``), then ``n = |n|``; unidirectional: ``n = max(n, 0)``. With ``B`` the
    buckets left and ``E = B/2``: ``n < E`` is its own bucket, otherwise the bucket is

        ``min(E + floor(log(n/E) / log(max_distance/E) * (B - E)), B - 1)``,

    so the bucket width grows geometrically until every distance ``>= max_distance`` shares
    the last one.
    """
    rp = _integer_array("relative_position", relative_position)
    num_buckets = _check_int("num_buckets", num_buckets, 2)
    max_distance = _check_int("max_distance", max_distance, 1)
    n = -rp
    ret = np.zeros_like(n)
    if bidirectional:
        if num_buckets % 2:
            raise ValueError(f"bidirectional buckets are split in halves: num_buckets must be "
                             f"even, got {num_buckets}")
        num_buckets //= 2
        ret += (n < 0) * num_buckets
        n = np.abs(n)
    else:
        n = np.maximum(n, 0)
    max_exact = num_buckets // 2
    if max_exact < 1:
        raise ValueError(f"num_buckets={num_buckets} leaves no exact buckets")
    if max_distance <= max_exact:
        raise ValueError(f"max_distance must exceed the {max_exact} exact buckets, "
                         f"got {max_distance}")
    with np.errstate(divide="ignore"):
        ratio = np.log(np.maximum(n, 1) / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + np.floor(ratio * (num_buckets - max_exact)).astype(np.int64)
    large = np.minimum(large, num_buckets - 1)
    return ret + np.where(n < max_exact, n, large)


def t5_scores(x: Any, wq: Any, wk: Any, bias: Any, bidirectional: bool = True,
              num_buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """T5 scores ``x_i W_Q W_K^T x_j^T + beta[bucket(j - i)]`` (``[L, L]``).

    The position-position term of :func:`four_terms` becomes one learned scalar per bucket
    (``bias``: ``[num_buckets]``); the two mixed terms are dropped.
    """
    x = _matrix("x", x)
    wq, wk = _qk(x, wq, wk)
    bias = _matrix("bias", bias, 1)
    if bias.shape != (num_buckets,):
        raise ValueError(f"bias must have shape ({num_buckets},), got {bias.shape}")
    buckets = t5_bucket(-relative_matrix(x.shape[0]), bidirectional, num_buckets, max_distance)
    return x @ wq @ wk.T @ x.T + bias[buckets]


def deberta_scores(x: Any, wq: Any, wk: Any, table: Any, k: int, wq_r: Any = None,
                   wk_r: Any = None) -> np.ndarray:
    """DeBERTa-style scores ``[L, L]``: content-content + content-position + position-content.

    ``x_i W_Q W_K^T x_j^T + x_i W_Q W_{K,r}^T R_{ij}^T + R_{ji} W_{Q,r} W_K^T x_j^T`` with
    ``R_{ij} = table[clip(i - j, -k, k) + k]`` (``table``: ``[2k+1, d]``); the
    position-position term is dropped. The article writes ``W_{Q,r} = W_Q``, ``W_{K,r} = W_K``
    (the defaults); the paper projects ``R`` separately and scales by ``1/sqrt(3h)``.
    """
    x = _matrix("x", x)
    wq, wk = _qk(x, wq, wk)
    wq_r = wq if wq_r is None else _matrix("wq_r", wq_r)
    wk_r = wk if wk_r is None else _matrix("wk_r", wk_r)
    if wq_r.shape != wq.shape or wk_r.shape != wk.shape:
        raise ValueError(f"wq_r {wq_r.shape} and wk_r {wk_r.shape} must have the shape "
                         f"{wq.shape} of wq and wk")
    k = _check_int("k", k, 0)
    r = _table("table", table, k, x.shape[1])
    idx = shaw_clip(relative_matrix(x.shape[0]), k) + k  # idx[i, j] -> R_{ij}
    q, kk = x @ wq, x @ wk
    r_k, r_q = r @ wk_r, r @ wq_r  # [2k+1, h]
    c2p = np.einsum("ih,ijh->ij", q, r_k[idx])
    p2c = np.einsum("jh,ijh->ij", kk, r_q[idx.T])  # R_{ji}
    return q @ kk.T + c2p + p2c


# --------------------------------------------------------------------------- others
def conv_constant_response(length: int, layers: int, kernel_size: int = 3,
                           padding: str = "zeros") -> np.ndarray:
    """Response ``[layers, length]`` of a stack of averaging convolutions to a constant input.

    Every layer is ``y_t = mean(z_{t-r} .. z_{t+r})``, ``kernel_size = 2r + 1``, "same" length.
    With ``padding="zeros"`` the positions within ``r * layer`` of either end see the padding and
    differ from the interior: absolute position leaks into translation-equivariant features.
    With ``padding="circular"`` the output stays constant (no position information).
    """
    length = _check_int("length", length, 1)
    layers = _check_int("layers", layers, 1)
    kernel_size = _check_int("kernel_size", kernel_size, 1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (centred kernel), got {kernel_size}")
    if padding not in ("zeros", "circular"):
        raise ValueError(f"padding must be 'zeros' or 'circular', got {padding!r}")
    r = kernel_size // 2
    z = np.ones(length, dtype=np.float64)
    out = np.empty((layers, length), dtype=np.float64)
    for layer in range(layers):
        if padding == "zeros":
            zp = np.concatenate([np.zeros(r), z, np.zeros(r)])
        else:
            zp = z[np.arange(-r, length + r) % length]
        z = np.convolve(zp, np.full(kernel_size, 1.0 / kernel_size), mode="valid")
        out[layer] = z
    return out


def fusion_2d(vectors: Any, positions: Any, theta: float) -> np.ndarray:
    """The "fusion" encoding: rotate 2D vectors by ``position * theta``.

    ``vectors``: ``[..., 2]`` real; ``positions``: broadcastable to ``vectors.shape[:-1]``.
    Seen as complex numbers ``z = v_0 + i v_1`` it is ``z e^{i m theta}``, so
    ``<fusion(q, m), fusion(k, n)> = Re[q conj(k) e^{i(m-n)theta}]`` depends on ``m - n`` only.
    """
    v = np.asarray(vectors)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"vectors must be real, got dtype {v.dtype}")
    if v.ndim < 1 or v.shape[-1] != 2:
        raise ValueError(f"vectors must have a last axis of size 2, got shape {v.shape}")
    v = v.astype(np.float64)
    m = np.asarray(positions, dtype=np.float64)
    theta = float(theta)
    if not (np.all(np.isfinite(m)) and math.isfinite(theta) and np.all(np.isfinite(v))):
        raise ValueError("vectors, positions and theta must be finite")
    try:
        a = np.broadcast_to(m, v.shape[:-1]) * theta
    except ValueError:
        raise ValueError(f"positions {m.shape} do not broadcast to {v.shape[:-1]}") from None
    c, s = np.cos(a), np.sin(a)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)
