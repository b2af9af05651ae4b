"""Causal attention read as a recurrence (after kexue.fm/archives/10017).

* :func:`online_attention` -- softmax attention computed token by token, key by key, with the
  state ``(m, y, z)`` (running max, rescaled numerator, rescaled denominator) in float64;
* :class:`TinyAttentionLM` -- an ``n_layers`` single-head attention stack (residual + tanh), run
  three ways that give the same outputs:

  - :meth:`TinyAttentionLM.forward`: the whole sequence at once through
    :func:`blogcode.attention.flash.attention` (``naive`` materialises the L x L scores);
  - :meth:`TinyAttentionLM.decode_cached`: token by token with a KV cache, each attention read
    done by the recurrence;
  - :meth:`TinyAttentionLM.decode_recompute`: token by token with no cache at all: every key and
    value a layer needs is recomputed from the token ids, recursively, so that only O(layers x d)
    floats are alive at any time (besides the token ids), at O(L^(layers+1)) time.

The decoding paths count their floating-point operations and the peak number of live floats
with a :class:`Counter`; :func:`cost_model` predicts both counts without doing the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["online_attention", "Counter", "TinyAttentionLM", "cost_model",
           "step_flops", "layer_out_flops", "proj_flops"]


def online_attention(q: np.ndarray | torch.Tensor, k: np.ndarray | torch.Tensor,
                     v: np.ndarray | torch.Tensor, scale: float | None = None) -> np.ndarray:
    """Causal softmax attention ``o_i = sum_{j<=i} e^{s q_i.k_j} v_j / sum_{j<=i} e^{s q_i.k_j}``
    for ``[L, d]`` inputs, as the per-token recurrence with a running max (float64).

    For each query the state is ``m`` (max score so far), ``y`` (sum of ``e^{score-m} v``) and
    ``z`` (sum of ``e^{score-m}``); a new key rescales the old sums by ``e^{m_old-m_new}``.
    """
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    if q.ndim != 2 or k.shape != q.shape or v.shape[0] != q.shape[0]:
        raise ValueError(f"need q, k of shape [L, d] and v of shape [L, dv], got "
                         f"{q.shape}, {k.shape}, {v.shape}")
    scale = 1.0 / math.sqrt(q.shape[1]) if scale is None else float(scale)
    out = np.empty((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        m, y, z = -math.inf, np.zeros(v.shape[1]), 0.0
        for j in range(i + 1):
            s = scale * float(q[i] @ k[j])
            m_new = max(m, s)
            a, e = math.exp(m - m_new), math.exp(s - m_new)
            y = a * y + e * v[j]
            z = a * z + e
            m = m_new
        out[i] = y / z
    return out


def proj_flops(d: int) -> int:
    """One d x d matrix-vector product."""
    return 2 * d * d


def step_flops(d: int) -> int:
    """One key read by the recurrence: score (2d+1), max/two exps/subtractions (4),
    ``y = a y + e v`` (3d), ``z = a z + e`` (3)."""
    return 5 * d + 8


def layer_out_flops(d: int) -> int:
    """``o = y / z`` (d), ``x + tanh(o W_o)`` (2d^2 + 2d)."""
    return 2 * d * d + 3 * d


@dataclass
class Counter:
    """Floating-point operations and live floats (current and peak)."""

    flops: int = 0
    live: int = 0
    peak: int = 0

    def add(self, n: int) -> None:
        self.flops += n

    def alloc(self, n: int) -> None:
        self.live += n
        self.peak = max(self.peak, self.live)

    def free(self, n: int) -> None:
        self.live -= n


@dataclass
class TinyAttentionLM:
    """Token embedding, then ``n_layers`` of ``h <- h + tanh(Attn(h W_q, h W_k, h W_v) W_o)``
    (single head, causal, scale ``1/sqrt(d)``, no position encoding), float64."""

    vocab: int = 11
    d: int = 8
    n_layers: int = 2
    seed: int = 0
    emb: np.ndarray = field(init=False, repr=False)
    w: list[dict[str, np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.emb = rng.normal(size=(self.vocab, self.d))
        self.w = [{n: rng.normal(size=(self.d, self.d)) / math.sqrt(self.d)
                   for n in ("q", "k", "v", "o")} for _ in range(self.n_layers)]

    # -- the whole sequence at once ---------------------------------------------------------
    def forward(self, tokens: np.ndarray, backend: str = "naive") -> np.ndarray:
        from blogcode.attention.flash import attention

        h = torch.from_numpy(self.emb[np.asarray(tokens)])
        for w in self.w:
            q, k, v = (h @ torch.from_numpy(w[n]) for n in ("q", "k", "v"))
            a = attention(q[None, None], k[None, None], v[None, None], causal=True,
                          backend=backend)[0, 0]
            h = h + torch.tanh(a @ torch.from_numpy(w["o"]))
        return h.numpy()

    # -- shared pieces of the two decoders -------------------------------------------------
    def _read(self, q: np.ndarray, kv, c: Counter) -> np.ndarray:
        """One attention read by the recurrence over an iterable of (k, v) pairs."""
        d, scale = self.d, 1.0 / math.sqrt(self.d)
        m, y, z = -math.inf, np.zeros(d), 0.0
        c.alloc(d + 2)  # the state (m, y, z)
        for k, v in kv:
            s = scale * float(q @ k)
            m_new = max(m, s)
            a, e = math.exp(m - m_new), math.exp(s - m_new)
            y = a * y + e * v
            z = a * z + e
            m = m_new
            c.add(step_flops(d))
        c.free(d + 2)
        return y / z

    def _finish(self, x: np.ndarray, o: np.ndarray, w: dict[str, np.ndarray],
                c: Counter) -> np.ndarray:
        c.add(layer_out_flops(self.d))
        return x + np.tanh(o @ w["o"])

    # -- KV cache ---------------------------------------------------------------------------
    def decode_cached(self, tokens: np.ndarray) -> tuple[np.ndarray, Counter]:
        """Token by token with a KV cache: each layer stores its k, v once."""
        d, c = self.d, Counter()
        cache: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in self.w]
        out = []
        for t in tokens:
            x = self.emb[t]
            c.alloc(d)  # the hidden vector going up the stack
            for layer, w in enumerate(self.w):
                q, k, v = x @ w["q"], x @ w["k"], x @ w["v"]
                c.add(3 * proj_flops(d))
                c.alloc(d)  # q
                cache[layer].append((k, v))
                c.alloc(2 * d)  # kept for good
                o = self._read(q, cache[layer], c)
                c.free(d)
                x = self._finish(x, o, w, c)
            out.append(x)
            c.free(d)
        return np.array(out), c

    # -- no cache ---------------------------------------------------------------------------
    def _hidden(self, tokens: np.ndarray, layer: int, i: int, c: Counter) -> np.ndarray:
        """Output of ``layer`` (0 = embedding) at position ``i``, recomputed from token ids."""
        d = self.d
        if layer == 0:
            return self.emb[tokens[i]]
        w = self.w[layer - 1]
        x = self._hidden(tokens, layer - 1, i, c)
        c.alloc(d)  # x, held while the history is re-read
        q = x @ w["q"]
        c.add(proj_flops(d))
        c.alloc(d)  # q

        def kv():
            for j in range(i + 1):
                xj = self._hidden(tokens, layer - 1, j, c)
                c.alloc(3 * d)  # x_j, k_j, v_j: alive for one step only
                k, v = xj @ w["k"], xj @ w["v"]
                c.add(2 * proj_flops(d))
                yield k, v
                c.free(3 * d)

        o = self._read(q, kv(), c)
        c.free(2 * d)
        return self._finish(x, o, w, c)

    def decode_recompute(self, tokens: np.ndarray) -> tuple[np.ndarray, Counter]:
        """Token by token with no KV cache: O(n_layers * d) live floats besides the ids."""
        c, tokens = Counter(), np.asarray(tokens)
        out = np.array([self._hidden(tokens, self.n_layers, i, c) for i in range(len(tokens))])
        return out, c


def cost_model(length: int, d: int, n_layers: int, mode: str) -> tuple[int, int]:
    """``(flops, peak live floats)`` that :class:`Counter` records for ``mode`` in
    ``{"cached", "recompute"}``, or the counts of the whole-sequence ``"full"`` pass with the
    L x L score matrix materialised (per layer: projections, scores, softmax, ``P V``, output).
    """
    if mode == "full":
        per_layer = (3 * length * proj_flops(d) + 2 * d * length * length + 4 * length * length
                     + 2 * d * length * length + length * layer_out_flops(d))
        return n_layers * per_layer, length * length + 4 * length * d
    if mode == "cached":
        flops = sum(n_layers * (3 * proj_flops(d) + (t + 1) * step_flops(d) + layer_out_flops(d))
                    for t in range(length))
        # at the last layer of the last token: x, q, the whole cache, the state
        return flops, d + d + 2 * d * n_layers * length + d + 2
    if mode != "recompute":
        raise ValueError(f"mode must be 'full', 'cached' or 'recompute', got {mode!r}")

    # cost[i] = flops to produce the current layer's output at position i from the token ids;
    # the layer above re-reads positions 0..i, each at cost[j] plus its own k, v and one step.
    cost = [0] * length  # layer 0: the embedding lookup is free
    for _ in range(n_layers):
        prefix, nxt = 0, []
        for i in range(length):
            prefix += cost[i] + 2 * proj_flops(d) + step_flops(d)
            nxt.append(cost[i] + proj_flops(d) + layer_out_flops(d) + prefix)
        cost = nxt
    flops = sum(cost)
    # each level holds x, q and the state (3d+2) while one step of the level below holds
    # x_j, k_j, v_j (3d); the bottom level's step holds only its own x_j, k_j, v_j.
    peak = n_layers * (3 * d + 2) + 3 * d if n_layers else 0
    return flops, peak
