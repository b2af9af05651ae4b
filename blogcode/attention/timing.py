"""Inputs and timing tables for the attention op (thin wrappers over ``blogcode.timing``), and
the peak extra memory of one forward pass, measured in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import torch

from blogcode.timing import time_table

__all__ = ["attention_inputs", "time_attention", "peak_memory", "METHODS"]

#: Method name -> how to call it; ``sdpa`` is torch's own CPU implementation.
METHODS = ("naive", "chunked", "sdpa")


def attention_inputs(batch: int, heads: int, length: int, head_dim: int, *, seed: int = 0,
                     dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    """Seeded q, k, v of shape [batch, heads, length, head_dim]."""
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(batch, heads, length, head_dim, generator=g, dtype=dtype)
                 for _ in range(3))


def _run(method: str, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
         causal: bool) -> torch.Tensor:
    from blogcode.attention.flash import attention

    if method == "sdpa":
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return attention(q, k, v, causal=causal, backend=method)


def time_attention(shapes: Sequence[tuple[int, int, int, int]], *,
                   methods: Sequence[str] = METHODS, causal: bool = True,
                   **protocol: Any) -> list[dict[str, Any]]:
    """One row per (batch, heads, L, head_dim): seconds per method, after checking that every
    method agrees with the first (float32, atol 1e-4)."""
    cases = [dict(batch=b, heads=h, length=n, head_dim=d) for b, h, n, d in shapes]

    def check(name: str, got: object, ref: object) -> bool:
        assert isinstance(got, torch.Tensor) and isinstance(ref, torch.Tensor)
        return bool(torch.allclose(got, ref, atol=1e-4, rtol=1e-4))

    fns = {m: (lambda inp, m=m: _run(m, *inp, causal)) for m in methods}
    with torch.no_grad():
        return time_table(cases, attention_inputs, fns, check=check, **protocol)


_PROBE = """
import json, sys, torch
torch.set_num_threads(1)
from blogcode.attention.timing import attention_inputs, _run
b, h, n, d, method, causal = json.loads(sys.argv[1])
q, k, v = attention_inputs(b, h, n, d)
_run(method, q[:, :, :8], k[:, :, :8], v[:, :, :8], causal)  # warm up code paths

def rss(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise RuntimeError(key)

with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM to the current RSS
    f.write("5")
base = rss("VmRSS:")
with torch.no_grad():
    out = _run(method, q, k, v, causal)
print(json.dumps({"extra": rss("VmHWM:") - base, "out": out.numel() * out.element_size()}))
"""


def peak_memory(batch: int, heads: int, length: int, head_dim: int, method: str, *,
                causal: bool = True) -> int:
    """Bytes by which one forward pass raises the resident set above the inputs (peak, in a
    fresh process; Linux only).  Includes the output itself."""
    args = json.dumps([batch, heads, length, head_dim, method, causal])
    out = subprocess.run([sys.executable, "-c", _PROBE, args], capture_output=True, text=True,
                         check=True)
    return int(json.loads(out.stdout.strip().splitlines()[-1])["extra"])
