"""RWKV-4: the WKV operator (:mod:`blogcode.rwkv.wkv`) and a tiny model in GPT and RNN modes.

* :func:`wkv` -- the operator, with the backends ``naive``, ``direct``, ``chunked``, ``triton``;
* :class:`TinyRWKV`, :func:`random_checkpoint`, :func:`load_rnn_weights` -- ``model_run.py``'s
  model on a seeded random checkpoint; :func:`sample`, :func:`top_p_cutoff` -- its sampler.

Dimension letters: ``batch``, ``T`` (tokens), ``C`` (channels, ``n_embd``).
"""

from .model import RWKVConfig, TinyRWKV, load_rnn_weights, random_checkpoint, sample, top_p_cutoff
from .wkv import (
    BACKENDS,
    EMPTY_PP,
    canonical_state,
    empty_state,
    wkv,
    wkv_chunked,
    wkv_direct,
    wkv_naive,
)

__all__ = ["wkv", "wkv_direct", "wkv_naive", "wkv_chunked", "empty_state", "canonical_state",
           "EMPTY_PP", "BACKENDS", "RWKVConfig", "TinyRWKV", "load_rnn_weights",
           "random_checkpoint", "sample", "top_p_cutoff"]
