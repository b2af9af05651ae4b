"""A tiny RWKV-4 language model with random weights, run in RNN mode and in GPT mode.

The weights are laid out like an RWKV-4 checkpoint (the ``state_dict`` of ``RWKV_GPT`` in
BlinkDL/RWKV-LM's ``RWKV-v4/src/model_run.py``), so the names below are the checkpoint's::

    emb.weight                     [V, C]      token embedding
    blocks.0.ln0.{weight,bias}     [C]         extra LayerNorm on the embedding (layer 0 only)
    blocks.i.ln1 / ln2             [C]         LayerNorms before time mixing / channel mixing
    blocks.i.att.time_decay        [C]         w: the per-step log-decay is -exp(w)
    blocks.i.att.time_first        [C]         u: the bonus of the current token
    blocks.i.att.time_mix_{k,v,r}  [1, 1, C]   token-shift mixing coefficients
    blocks.i.att.{key,value,receptance,output}.weight   [C, C]
    blocks.i.ffn.time_mix_{k,r}    [1, 1, C]
    blocks.i.ffn.key.weight        [4C, C],  ffn.receptance.weight [C, C],  ffn.value.weight [C, 4C]
    ln_out.{weight,bias}           [C],        head.weight [V, C]

Dimension letters: ``V`` vocabulary, ``C`` channels (``n_embd``), ``T`` tokens, ``L`` layers.

* **RNN mode** (:meth:`TinyRWKV.run`): one token at a time, the state of every layer is
  ``(att_xx, aa, bb, pp, ffn_xx)`` -- the previous LayerNorm outputs (for the token shift) and
  the running WKV sums ``aa e^pp``, ``bb e^pp``.  As in ``RWKV_RNN``, the weights are first turned
  into floats in a nested namespace (``w.blocks[i].att.key.weight``) and ``time_decay`` is
  replaced by ``-exp(time_decay)`` once, at load time.
* **GPT mode** (:meth:`TinyRWKV.forward`): all tokens at once; the token shift is a shifted copy
  of the sequence and the WKV runs over the whole sequence with :func:`blogcode.rwkv.wkv`.

Sampling (:func:`top_p_cutoff`, :func:`sample`) follows the char-level tokenizer of RWKV-v4:
softmax, keep the most likely tokens until their total probability passes ``top_p``, renormalise.
"""

from __future__ import annotations

import dataclasses
import math
import types

import torch
import torch.nn.functional as F

from .wkv import empty_state, wkv

__all__ = ["RWKVConfig", "TinyRWKV", "random_checkpoint", "load_rnn_weights", "top_p_cutoff",
           "sample", "STATE_FIELDS"]

#: The five vectors of state kept per layer in RNN mode, in this order.
STATE_FIELDS = ("att_xx", "aa", "bb", "pp", "ffn_xx")


@dataclasses.dataclass(frozen=True)
class RWKVConfig:
    """The sizes of an RWKV-4 model (as nanoGPT's ``GPTConfig`` holds a GPT's).

    The defaults are tiny, for a float64 model that runs on a CPU in a blog post; RWKV-4's
    smallest Pile model (RWKV-4-Pile-169M) has ``vocab_size=50277``, ``n_layer=12``,
    ``n_embd=768``.  Invalid values raise ``ValueError`` naming the field.

    Example::

        >>> cfg = RWKVConfig(vocab_size=10, n_layer=2, n_embd=4)
        >>> cfg.dim_ffn
        16
    """

    vocab_size: int = 50  # V, tokens of the vocabulary (rows of emb and head)
    n_layer: int = 2  # L, blocks of time mixing + channel mixing
    n_embd: int = 16  # C, channels of the residual stream

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_layer", "n_embd"):
            val = getattr(self, name)
            if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                raise ValueError(f"{name} must be a positive int, got {val!r}")

    @property
    def dim_ffn(self) -> int:
        """Hidden width of channel mixing, ``4 * n_embd`` (fixed in RWKV-4's ``model.py``)."""
        return 4 * self.n_embd


def _check_config(config) -> RWKVConfig:
    if not isinstance(config, RWKVConfig):
        raise TypeError(f"expected an RWKVConfig, e.g. RWKVConfig(vocab_size=50, n_layer=2, "
                        f"n_embd=16), got {type(config).__name__}")
    return config


def random_checkpoint(config: RWKVConfig = RWKVConfig(), *, seed: int = 0,
                      dtype=torch.float64) -> dict[str, torch.Tensor]:
    """A seeded random ``state_dict`` with RWKV-4's names and shapes (see the module docstring).

    The time parameters follow the ranges of RWKV-4's initialisation: ``time_decay`` spreads from
    -5 (slow) to 3 (fast) across channels, ``time_first`` sits around ``log 0.3``, and the mixing
    coefficients lie in (0, 1].  Matrices are Gaussian with standard deviation 1/sqrt(fan-in).

    Example::

        >>> ck = random_checkpoint(RWKVConfig(vocab_size=10, n_layer=2, n_embd=4))
        >>> tuple(ck["blocks.1.ffn.key.weight"].shape), tuple(ck["blocks.0.att.time_mix_k"].shape)
        ((16, 4), (1, 1, 4))
    """
    config = _check_config(config)
    vocab_size, n_layer = config.vocab_size, config.n_layer
    g = torch.Generator().manual_seed(seed)
    C, H = config.n_embd, config.dim_ffn

    def randn(*shape, scale=1.0):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * scale

    def matrix(rows, cols):
        return randn(rows, cols, scale=1 / math.sqrt(cols))

    def ln(prefix):
        return {f"{prefix}.weight": 1 + randn(C, scale=0.1), f"{prefix}.bias": randn(C, scale=0.1)}

    ratio = torch.arange(C, dtype=torch.float64) / max(C - 1, 1)  # 0 .. 1 across channels
    ck = {"emb.weight": randn(vocab_size, C)}
    for i in range(n_layer):
        depth = i / max(n_layer - 1, 1)
        b = f"blocks.{i}"
        if i == 0:
            ck.update(ln(f"{b}.ln0"))
        ck.update(ln(f"{b}.ln1"))
        ck.update(ln(f"{b}.ln2"))
        ck[f"{b}.att.time_decay"] = -5 + 8 * ratio ** (0.7 + 1.3 * depth) + randn(C, scale=0.1)
        ck[f"{b}.att.time_first"] = math.log(0.3) + 0.5 * ((torch.arange(C) % 3) - 1) + randn(
            C, scale=0.1)
        mix = (ratio + 1 / C).clamp(max=1.0) ** (1 - depth * 0.5)  # (0, 1]
        for key, power in (("k", 1.0), ("v", 1.0), ("r", 0.5)):
            ck[f"{b}.att.time_mix_{key}"] = (mix ** power).reshape(1, 1, C).clone()
        for name in ("key", "value", "receptance", "output"):
            ck[f"{b}.att.{name}.weight"] = matrix(C, C)
        ck[f"{b}.ffn.time_mix_k"] = mix.reshape(1, 1, C).clone()
        ck[f"{b}.ffn.time_mix_r"] = mix.reshape(1, 1, C).clone()
        ck[f"{b}.ffn.key.weight"] = matrix(H, C)
        ck[f"{b}.ffn.receptance.weight"] = matrix(C, C)
        ck[f"{b}.ffn.value.weight"] = matrix(C, H)
    ck.update(ln("ln_out"))
    ck["head.weight"] = matrix(vocab_size, C)
    return {k: v.to(dtype) for k, v in ck.items()}


def load_rnn_weights(checkpoint: dict[str, torch.Tensor], dtype=torch.float64):
    """The weights as ``RWKV_RNN`` holds them: a nested namespace, time parameters squeezed to
    [C], ``time_decay`` replaced by ``-exp(time_decay)``.

    A dotted name becomes attribute access, and a numeric part an integer key of a dict:
    ``blocks.1.att.key.weight`` is ``w.blocks[1].att.key.weight``.

    Example::

        >>> w = load_rnn_weights(random_checkpoint(RWKVConfig(10, 2, 4)))
        >>> tuple(w.blocks[1].att.time_mix_k.shape), bool((w.blocks[0].att.time_decay < 0).all())
        ((4,), True)
    """
    root = types.SimpleNamespace()
    for name, tensor in checkpoint.items():
        t = tensor.to(dtype)
        if ".time_" in name:
            t = t.squeeze()
        if ".time_decay" in name:
            t = -torch.exp(t)
        parts = name.split(".")
        node = root
        for part, nxt in zip(parts[:-1], parts[1:], strict=False):
            if part.isdigit():
                node = node.setdefault(int(part), types.SimpleNamespace())
                continue
            if not hasattr(node, part):  # a dict when indexed by layer number next
                setattr(node, part, {} if nxt.isdigit() else types.SimpleNamespace())
            node = getattr(node, part)
        setattr(node, parts[-1], t)
    return root


def _mix(x, prev, coef):
    """Token shift: interpolate between this token's features and the previous token's."""
    return x * coef + prev * (1 - coef)


class TinyRWKV:
    """A random RWKV-4 model small enough to run on a CPU in float64.

    Args:
        config: the sizes (``V``, ``L``, ``C``), an :class:`RWKVConfig` (its defaults if omitted).
        seed: seed of the random weights, :func:`random_checkpoint` ``(config, seed=seed)``.
        dtype: compute dtype of both modes (float64 by default, to compare them exactly).

    ``model.config`` is the config; ``model.vocab_size``, ``model.n_layer``, ``model.n_embd``
    are its sizes.  ``seed`` and ``dtype`` say how the weights are drawn and held, not what the
    model is, so they are arguments of the model, not fields of the config.

    Example::

        >>> import torch
        >>> m = TinyRWKV(RWKVConfig(vocab_size=20, n_layer=2, n_embd=8), seed=0)
        >>> logits_gpt = m.forward([3, 1, 4, 1, 5])          # [T, V], all tokens at once
        >>> state, rows = None, []
        >>> for tok in [3, 1, 4, 1, 5]:
        ...     out, state = m.run(tok, state)
        ...     rows.append(out)
        >>> bool(torch.allclose(torch.stack(rows), logits_gpt, atol=1e-10))
        True
    """

    def __init__(self, config: RWKVConfig = RWKVConfig(), *, seed: int = 0, dtype=torch.float64):
        config = _check_config(config)
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.config, self.seed, self.dtype = config, seed, dtype
        #: the raw checkpoint (what GPT mode reads; ``time_decay`` is the parameter ``w``)
        self.checkpoint = random_checkpoint(config, seed=seed, dtype=dtype)
        #: the RNN-mode view of the same weights (``time_decay`` already ``-exp(w)``)
        self.w = load_rnn_weights(self.checkpoint, dtype)

    @property
    def vocab_size(self) -> int:
        return self.config.vocab_size

    @property
    def n_layer(self) -> int:
        return self.config.n_layer

    @property
    def n_embd(self) -> int:
        return self.config.n_embd

    # ---------------------------------------------------------------- validation
    def _check_token(self, token) -> int:
        if isinstance(token, torch.Tensor):
            if token.numel() != 1 or token.dtype.is_floating_point or token.dtype == torch.bool:
                raise TypeError(f"token must be one integer, got a tensor of {token.dtype} "
                                f"with shape {tuple(token.shape)}")
            token = int(token)
        if not isinstance(token, int) or isinstance(token, bool):
            raise TypeError(f"token must be an int, got {type(token).__name__}")
        if not 0 <= token < self.vocab_size:
            raise ValueError(f"token must be in [0, {self.vocab_size}), got {token}")
        return token

    def _check_tokens(self, tokens) -> torch.Tensor:
        t = torch.as_tensor(tokens)
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise TypeError(f"tokens must be integers, got {t.dtype}")
        if t.dim() == 1:
            t = t[None]
        if t.dim() != 2 or t.shape[1] < 1:
            raise ValueError(f"tokens must have shape [T] or [batch, T] with T >= 1, "
                             f"got {tuple(t.shape)}")
        if bool(((t < 0) | (t >= self.vocab_size)).any()):
            raise ValueError(f"token ids must be in [0, {self.vocab_size})")
        return t.long()

    def empty_state(self) -> torch.Tensor:
        """State before any token: [L, 5, C] with rows ``STATE_FIELDS``.

        The token-shift rows are zeros and rows ``aa, bb, pp`` are the WKV op's empty state,
        :func:`blogcode.rwkv.wkv.empty_state` (``aa = bb = 0``, ``pp = EMPTY_PP``), one per
        layer: the model and the op start from the same value.
        """
        state = torch.zeros(self.n_layer, 5, self.n_embd, dtype=self.dtype)
        state[:, 1:4] = empty_state(self.n_layer, self.n_embd, dtype=self.dtype)
        return state

    def _check_state(self, state) -> torch.Tensor:
        if state is None:
            return self.empty_state()
        if not isinstance(state, torch.Tensor):
            raise TypeError(f"state must be a tensor or None, got {type(state).__name__}")
        want = (self.n_layer, 5, self.n_embd)
        if tuple(state.shape) != want:
            raise ValueError(f"state must have shape [L, 5, C] = {list(want)}, "
                             f"got {list(state.shape)}")
        return state.to(self.dtype)

    # ---------------------------------------------------------------- RNN mode
    def _layer_norm(self, x, ln):
        return F.layer_norm(x, (self.n_embd,), weight=ln.weight, bias=ln.bias)

    def run(self, token, state=None) -> tuple[torch.Tensor, torch.Tensor]:
        """RNN mode: the logits [V] after ``token`` and the new state [L, 5, C].

        ``state`` is ``None`` (nothing seen yet) or what the previous call returned; it is not
        modified.  Per layer: LayerNorm, time mixing with the token shift and the running-max
        WKV update, residual; LayerNorm, channel mixing (token shift, squared ReLU, sigmoid
        gate), residual.
        """
        token = self._check_token(token)
        state = self._check_state(state).clone()
        w = self.w
        x = w.emb.weight[token]
        for i in range(self.n_layer):
            blk = w.blocks[i]
            if i == 0:
                x = self._layer_norm(x, blk.ln0)
            # time mixing ("SA" in model_run.py)
            xa, att = self._layer_norm(x, blk.ln1), blk.att
            prev, aa, bb, pp = state[i, 0], state[i, 1], state[i, 2], state[i, 3]
            k = att.key.weight @ _mix(xa, prev, att.time_mix_k)
            v = att.value.weight @ _mix(xa, prev, att.time_mix_v)
            r = torch.sigmoid(att.receptance.weight @ _mix(xa, prev, att.time_mix_r))
            # output: the past (scale e^pp) and the current token with its bonus u
            cur = att.time_first + k
            p = torch.maximum(pp, cur)
            e_past, e_cur = torch.exp(pp - p), torch.exp(cur - p)
            wkv = (e_past * aa + e_cur * v) / (e_past * bb + e_cur)
            # state: decay the past by e^{-exp(w)} (time_decay is already -exp(w)), add the token
            decayed = pp + att.time_decay
            p = torch.maximum(decayed, k)
            e_past, e_cur = torch.exp(decayed - p), torch.exp(k - p)
            state[i, 1], state[i, 2], state[i, 3] = e_past * aa + e_cur * v, e_past * bb + e_cur, p
            state[i, 0] = xa
            x = x + att.output.weight @ (r * wkv)
            # channel mixing ("FF")
            xf, ffn = self._layer_norm(x, blk.ln2), blk.ffn
            prev = state[i, 4]
            kf = torch.relu(ffn.key.weight @ _mix(xf, prev, ffn.time_mix_k)) ** 2
            rf = torch.sigmoid(ffn.receptance.weight @ _mix(xf, prev, ffn.time_mix_r))
            state[i, 4] = xf
            x = x + rf * (ffn.value.weight @ kf)
        x = self._layer_norm(x, w.ln_out)
        return w.head.weight @ x, state

    # ---------------------------------------------------------------- GPT mode
    def forward(self, tokens, *, backend: str = "chunked", return_state: bool = False):
        """GPT mode: logits for every position, all tokens at once.

        Args:
            tokens: [T] or [batch, T] integer token ids.
            backend: the :func:`blogcode.rwkv.wkv` backend for the WKV over the sequence.
            return_state: also return the RNN-mode state after the last token
                ([L, 5, C], or [batch, L, 5, C] for batched input), so that :meth:`run` can
                continue the sequence ("use GPT mode to build the state of the prompt").

        Returns logits [T, V] (or [batch, T, V]), and the state if asked.
        """
        t = self._check_tokens(tokens)
        squeeze = torch.as_tensor(tokens).dim() == 1
        ck = self.checkpoint

        def ln(x, name):
            return F.layer_norm(x, (self.n_embd,), weight=ck[f"{name}.weight"],
                                bias=ck[f"{name}.bias"])

        def shift(x):  # [batch, T, C] -> the previous token's row, zeros before the first
            return F.pad(x, (0, 0, 1, -1))

        x = ck["emb.weight"][t]  # [batch, T, C]
        states = []
        for i in range(self.n_layer):
            b = f"blocks.{i}"
            if i == 0:
                x = ln(x, f"{b}.ln0")
            xa = ln(x, f"{b}.ln1")
            xs = shift(xa)
            k = _mix(xa, xs, ck[f"{b}.att.time_mix_k"]) @ ck[f"{b}.att.key.weight"].T
            v = _mix(xa, xs, ck[f"{b}.att.time_mix_v"]) @ ck[f"{b}.att.value.weight"].T
            r = torch.sigmoid(_mix(xa, xs, ck[f"{b}.att.time_mix_r"])
                              @ ck[f"{b}.att.receptance.weight"].T)
            y, wkv_state = wkv(ck[f"{b}.att.time_decay"], ck[f"{b}.att.time_first"], k, v,
                               output_final_state=True, backend=backend)
            x = x + (r * y) @ ck[f"{b}.att.output.weight"].T
            xf = ln(x, f"{b}.ln2")
            xs = shift(xf)
            kf = torch.relu(_mix(xf, xs, ck[f"{b}.ffn.time_mix_k"])
                            @ ck[f"{b}.ffn.key.weight"].T) ** 2
            rf = torch.sigmoid(_mix(xf, xs, ck[f"{b}.ffn.time_mix_r"])
                               @ ck[f"{b}.ffn.receptance.weight"].T)
            x = x + rf * (kf @ ck[f"{b}.ffn.value.weight"].T)
            if return_state:  # (att_xx, aa, bb, pp, ffn_xx) of the last token
                states.append(torch.stack([xa[:, -1], *wkv_state.to(self.dtype).unbind(1),
                                           xf[:, -1]], dim=1))
        logits = ln(x, "ln_out") @ ck["head.weight"].T
        if squeeze:
            logits = logits[0]
        if not return_state:
            return logits
        state = torch.stack(states, dim=1)  # [batch, L, 5, C]
        return logits, (state[0] if squeeze else state)


# -------------------------------------------------------------------- sampling
def top_p_cutoff(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Nucleus (top-p) truncation of a probability vector [V], renormalised.

    Sort the probabilities in decreasing order and accumulate them; the first one at which the
    running total exceeds ``top_p`` is the cutoff; every probability below the cutoff becomes 0
    (ties with the cutoff stay), and the rest is divided by its sum.  With ``top_p >= 1`` (or a
    total that never exceeds ``top_p`` because of rounding) nothing is cut.

    Example::

        >>> import torch
        >>> kept = top_p_cutoff(torch.tensor([0.1, 0.5, 0.15, 0.25]), 0.7)  # 0.5 + 0.25 > 0.7
        >>> [round(x, 4) for x in kept.tolist()]
        [0.0, 0.6667, 0.0, 0.3333]
    """
    if not isinstance(probs, torch.Tensor) or probs.dim() != 1 or probs.numel() < 1:
        raise ValueError("probs must be a non-empty 1-D tensor")
    if not probs.dtype.is_floating_point:
        raise TypeError(f"probs must be a floating tensor, got {probs.dtype}")
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")
    if bool((probs < 0).any()) or not bool(torch.isfinite(probs).all()):
        raise ValueError("probs must be finite and non-negative")
    total = probs.sum()
    if not total > 0:
        raise ValueError("probs must not all be zero")
    p = probs / total
    sorted_p, _ = torch.sort(p, descending=True)
    over = torch.cumsum(sorted_p, dim=0) > top_p
    cutoff = sorted_p[int(over.int().argmax())] if bool(over.any()) else sorted_p[-1]
    kept = torch.where(p >= cutoff, p, torch.zeros_like(p))
    return kept / kept.sum()


def sample(logits: torch.Tensor, *, top_p: float = 0.7, temperature: float = 1.0,
           seed: int | None = None, generator: torch.Generator | None = None) -> int:
    """Draw one token id from logits [V]: softmax, top-p cutoff, temperature, then a seeded draw.

    As in RWKV-v4's tokenizer, the temperature is applied after the cutoff, as the power
    ``p^(1/temperature)`` of the kept probabilities.  Give ``seed`` or a ``generator``.

    Example::

        >>> import torch
        >>> sample(torch.tensor([0.0, 5.0, 0.0]), top_p=0.5, seed=0)
        1
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 1:
        raise ValueError("logits must be a 1-D tensor")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if (seed is None) == (generator is None):
        raise ValueError("give exactly one of seed and generator")
    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    probs = top_p_cutoff(torch.softmax(logits.double(), dim=0), top_p)
    if temperature != 1.0:
        probs = probs ** (1.0 / temperature)
    return int(torch.multinomial(probs, 1, generator=generator))
