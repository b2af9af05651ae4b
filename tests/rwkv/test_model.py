"""TinyRWKV: GPT mode == RNN mode, checkpoint layout, top-p against brute force, bad input."""

import dataclasses
import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from blogcode.rwkv import (
    EMPTY_PP,
    RWKVConfig,
    TinyRWKV,
    empty_state,
    load_rnn_weights,
    random_checkpoint,
    sample,
    top_p_cutoff,
)


def tokens(T, V, seed=0):
    return torch.randint(0, V, (T,), generator=torch.Generator().manual_seed(seed)).tolist()


def rnn_logits(model, toks, state=None):
    rows = []
    for t in toks:
        out, state = model.run(t, state)
        rows.append(out)
    return torch.stack(rows), state


@pytest.mark.parametrize("n_layer,n_embd,T", [(1, 4, 1), (2, 8, 17), (3, 16, 40)])
@pytest.mark.parametrize("backend", ["chunked", "naive", "direct"])
def test_gpt_mode_equals_rnn_mode_float64(n_layer, n_embd, T, backend):
    model = TinyRWKV(RWKVConfig(vocab_size=23, n_layer=n_layer, n_embd=n_embd), seed=n_layer)
    toks = tokens(T, 23, seed=T)
    gpt = model.forward(toks, backend=backend)
    rnn, _ = rnn_logits(model, toks)
    assert gpt.shape == (T, 23) and gpt.dtype == torch.float64
    assert torch.allclose(gpt, rnn, atol=1e-11, rtol=1e-11)
    assert gpt.std() > 0.1  # the logits are not trivially constant


def test_gpt_state_continues_in_rnn_mode():
    model = TinyRWKV(RWKVConfig(vocab_size=30, n_layer=2, n_embd=8), seed=5)
    toks = tokens(25, 30, seed=1)
    full = model.forward(toks)
    head, state = model.forward(toks[:16], return_state=True)
    assert state.shape == (2, 5, 8)
    tail, _ = rnn_logits(model, toks[16:], state)
    assert torch.allclose(head, full[:16], atol=1e-12)
    assert torch.allclose(tail, full[16:], atol=1e-11, rtol=1e-11)
    # and the GPT-mode state equals the RNN-mode one up to the scale of (aa, bb) by e^pp
    _, rnn_state = rnn_logits(model, toks[:16])
    for s in (state, rnn_state):
        assert torch.isfinite(s).all()
    assert torch.allclose(state[:, [0, 4]], rnn_state[:, [0, 4]], atol=1e-12)
    mean_g, mean_r = state[:, 1] / state[:, 2], rnn_state[:, 1] / rnn_state[:, 2]
    log_den_g = state[:, 3] + torch.log(state[:, 2])
    log_den_r = rnn_state[:, 3] + torch.log(rnn_state[:, 2])
    assert torch.allclose(mean_g, mean_r, atol=1e-11) and torch.allclose(log_den_g, log_den_r,
                                                                          atol=1e-11)


def test_batched_forward_equals_one_by_one():
    model = TinyRWKV(RWKVConfig(vocab_size=12, n_layer=2, n_embd=4), seed=2)
    batch = torch.stack([torch.tensor(tokens(9, 12, seed=s)) for s in range(3)])
    out, state = model.forward(batch, return_state=True)
    assert out.shape == (3, 9, 12) and state.shape == (3, 2, 5, 4)
    for b in range(3):
        assert torch.allclose(out[b], model.forward(batch[b]), atol=1e-13)


def test_run_does_not_modify_the_given_state():
    model = TinyRWKV(RWKVConfig(vocab_size=10, n_layer=2, n_embd=4))
    _, s1 = model.run(3)
    saved = s1.clone()
    a, _ = model.run(7, s1)
    b, _ = model.run(7, s1)
    assert torch.equal(s1, saved) and torch.equal(a, b)


def test_empty_state_layout():
    model = TinyRWKV(RWKVConfig(vocab_size=10, n_layer=3, n_embd=4))
    s = model.empty_state()
    assert s.shape == (3, 5, 4)
    assert torch.all(s[:, 3] == -1e38) and torch.all(s[:, [0, 1, 2, 4]] == 0)
    # one value for the model and the WKV op: rows (aa, bb, pp) are the op's empty state
    assert EMPTY_PP == -1e38 and torch.equal(s[:, 1:4], empty_state(3, 4, dtype=torch.float64))
    # the empty state and no state are the same start
    assert torch.equal(model.run(2, s)[0], model.run(2)[0])


def test_config_defaults_and_model_sizes():
    cfg = RWKVConfig()
    assert (cfg.vocab_size, cfg.n_layer, cfg.n_embd, cfg.dim_ffn) == (50, 2, 16, 64)
    model = TinyRWKV()
    assert model.config == cfg and (model.vocab_size, model.n_layer, model.n_embd) == (50, 2, 16)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.n_embd = 8
    wide = dataclasses.replace(cfg, n_embd=8)
    assert wide.dim_ffn == 32 and TinyRWKV(wide).checkpoint["blocks.0.ffn.key.weight"].shape == (
        32, 8)


def test_checkpoint_has_rwkv4_names_and_shapes():
    V, L, C = 11, 2, 4
    cfg = RWKVConfig(vocab_size=V, n_layer=L, n_embd=C)
    ck = random_checkpoint(cfg, seed=0)
    want = {"emb.weight": (V, C), "ln_out.weight": (C,), "ln_out.bias": (C,),
            "head.weight": (V, C), "blocks.0.ln0.weight": (C,), "blocks.0.ln0.bias": (C,)}
    for i in range(L):
        b = f"blocks.{i}"
        for n in ("ln1", "ln2"):
            want[f"{b}.{n}.weight"] = want[f"{b}.{n}.bias"] = (C,)
        want[f"{b}.att.time_decay"] = want[f"{b}.att.time_first"] = (C,)
        for n in ("k", "v", "r"):
            want[f"{b}.att.time_mix_{n}"] = (1, 1, C)
        for n in ("key", "value", "receptance", "output"):
            want[f"{b}.att.{n}.weight"] = (C, C)
        want[f"{b}.ffn.time_mix_k"] = want[f"{b}.ffn.time_mix_r"] = (1, 1, C)
        want[f"{b}.ffn.key.weight"] = (4 * C, C)
        want[f"{b}.ffn.receptance.weight"] = (C, C)
        want[f"{b}.ffn.value.weight"] = (C, 4 * C)
    assert {k: tuple(v.shape) for k, v in ck.items()} == want
    decay = torch.cat([ck[f"blocks.{i}.att.time_decay"] for i in range(L)])
    assert decay.min() > -6 and decay.max() < 4  # RWKV-4's time_decay range, about [-5, 3]
    mixes = [v for k, v in ck.items() if ".time_mix_" in k]
    assert all(bool(((m > 0) & (m <= 1)).all()) for m in mixes)
    # seeded
    assert all(torch.equal(ck[k], random_checkpoint(cfg, seed=0)[k]) for k in ck)
    assert not torch.equal(ck["emb.weight"], random_checkpoint(cfg, seed=1)["emb.weight"])
    # the model's checkpoint is random_checkpoint(model.config, seed=seed)
    model = TinyRWKV(cfg, seed=0)
    assert model.config == cfg and all(torch.equal(model.checkpoint[k], ck[k]) for k in ck)


def test_rnn_weights_are_nested_and_converted():
    ck = random_checkpoint(RWKVConfig(vocab_size=9, n_layer=2, n_embd=4), seed=3)
    w = load_rnn_weights(ck)
    assert isinstance(w.blocks, dict) and sorted(w.blocks) == [0, 1]
    for i in range(2):
        att = w.blocks[i].att
        assert torch.equal(att.time_decay, -torch.exp(ck[f"blocks.{i}.att.time_decay"]))
        assert torch.equal(att.time_mix_k, ck[f"blocks.{i}.att.time_mix_k"].reshape(4))
        assert torch.equal(att.key.weight, ck[f"blocks.{i}.att.key.weight"])
        assert torch.equal(w.blocks[i].ffn.value.weight, ck[f"blocks.{i}.ffn.value.weight"])
    assert torch.equal(w.emb.weight, ck["emb.weight"]) and torch.equal(w.head.weight,
                                                                       ck["head.weight"])
    assert hasattr(w.blocks[0], "ln0") and not hasattr(w.blocks[1], "ln0")


def test_float32_model_is_close_to_float64():
    toks = tokens(12, 20)
    cfg = RWKVConfig(vocab_size=20, n_layer=2, n_embd=8)
    m64, m32 = TinyRWKV(cfg), TinyRWKV(cfg, dtype=torch.float32)
    assert m32.forward(toks).dtype == torch.float32
    assert torch.allclose(m32.forward(toks).double(), m64.forward(toks), atol=1e-4)
    assert torch.allclose(rnn_logits(m32, toks)[0].double(), m64.forward(toks), atol=1e-4)


# ------------------------------------------------------------------------------ top-p
def top_p_brute_force(p, top_p):
    """Keep {q >= tau} for the largest probability value tau whose set has mass > top_p."""
    values = sorted(set(p), reverse=True)
    for tau in values:
        if sum(q for q in p if q >= tau) > top_p:
            break
    else:
        tau = values[-1]
    kept = [q if q >= tau else 0.0 for q in p]
    return [q / sum(kept) for q in kept]


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(0, 12), min_size=1, max_size=12),
       top_p=st.floats(0.01, 1.0))
def test_top_p_against_brute_force(weights, top_p):
    assume(sum(weights) > 0)
    p = [x / sum(weights) for x in weights]  # integer weights: ties are common
    # stay away from top_p equal to a partial sum, where float rounding decides
    partial = [sum(q for q in p if q >= tau) for tau in set(p)]
    assume(all(abs(s - top_p) > 1e-9 for s in partial))
    got = top_p_cutoff(torch.tensor(p, dtype=torch.float64), top_p)
    assert torch.allclose(got, torch.tensor(top_p_brute_force(p, top_p), dtype=torch.float64),
                          atol=1e-12)
    assert math.isclose(float(got.sum()), 1.0, rel_tol=1e-12)


def test_top_p_edges():
    p = torch.tensor([0.1, 0.4, 0.2, 0.3])
    assert torch.equal(top_p_cutoff(p, 1.0) > 0, p > 0)  # nothing cut
    assert torch.equal(top_p_cutoff(p, 0.05) > 0, p == p.max())  # only the most likely token
    assert torch.allclose(top_p_cutoff(p, 0.65), torch.tensor([0, 4, 0, 3]) / 7.0)
    # unnormalised input is normalised first
    assert torch.allclose(top_p_cutoff(p * 10, 0.65), top_p_cutoff(p, 0.65))


def test_sample_is_seeded_and_respects_the_cutoff():
    logits = torch.log(torch.tensor([0.05, 0.45, 0.1, 0.3, 0.1], dtype=torch.float64))
    assert sample(logits, top_p=0.7, seed=3) == sample(logits, top_p=0.7, seed=3)
    g = torch.Generator().manual_seed(0)
    draws = torch.tensor([sample(logits, top_p=0.7, generator=g) for _ in range(3000)])
    assert set(draws.tolist()) == {1, 3}  # mass 0.45 + 0.3 > 0.7: only these two survive
    freq = float((draws == 1).double().mean())
    assert abs(freq - 0.45 / 0.75) < 0.03  # 3000 draws: standard error ~ 0.009
    # a low temperature sharpens the kept distribution towards the most likely token
    g = torch.Generator().manual_seed(0)
    cold = torch.tensor([sample(logits, top_p=0.7, temperature=0.2, generator=g)
                         for _ in range(1000)])
    assert float((cold == 1).double().mean()) > 0.85


# ------------------------------------------------------------------------------ bad input
def test_bad_inputs_raise():
    model = TinyRWKV(RWKVConfig(vocab_size=10, n_layer=2, n_embd=4))
    with pytest.raises(ValueError, match="token must be in"):
        model.run(10)
    with pytest.raises(TypeError, match="token must be an int"):
        model.run(1.0)
    with pytest.raises(TypeError, match="token must be an int"):
        model.run(True)
    with pytest.raises(TypeError, match="token must be one integer"):
        model.run(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="state must have shape"):
        model.run(1, torch.zeros(2, 4, 4))
    with pytest.raises(TypeError, match="state must be a tensor"):
        model.run(1, [0.0])
    with pytest.raises(ValueError, match="token ids"):
        model.forward([1, 2, -1])
    with pytest.raises(TypeError, match="integers"):
        model.forward(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        model.forward(torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="backend"):
        model.forward([1, 2], backend="gpu")
    with pytest.raises(TypeError, match="dtype"):
        TinyRWKV(dtype=torch.float16)
    for field in ("vocab_size", "n_layer", "n_embd"):
        for bad in (0, -1, 2.0, True):
            with pytest.raises(ValueError, match=field):
                RWKVConfig(**{field: bad})
    with pytest.raises(TypeError, match="RWKVConfig"):
        TinyRWKV(16)
    with pytest.raises(TypeError, match="RWKVConfig"):
        random_checkpoint(10)
    p = torch.tensor([0.5, 0.5])
    for bad in (0.0, 1.5, -0.1, True, "0.5"):
        with pytest.raises(ValueError, match="top_p"):
            top_p_cutoff(p, bad)
    with pytest.raises(ValueError, match="non-negative"):
        top_p_cutoff(torch.tensor([1.2, -0.2]), 0.5)
    with pytest.raises(ValueError, match="all be zero"):
        top_p_cutoff(torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match="1-D"):
        top_p_cutoff(p[None], 0.5)
    with pytest.raises(TypeError, match="floating"):
        top_p_cutoff(torch.tensor([1, 1]), 0.5)
    with pytest.raises(ValueError, match="exactly one"):
        sample(torch.zeros(3))
    with pytest.raises(ValueError, match="temperature"):
        sample(torch.zeros(3), temperature=0.0, seed=0)
