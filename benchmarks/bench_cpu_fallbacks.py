"""CPU fallbacks vs the step loops at blog-sized shapes on this machine; prints the figures.

Run: ``python benchmarks/bench_cpu_fallbacks.py``.  Timed with the one protocol of
``blogcode.timing`` (one thread pinned, warm-up, repeats until the spread is small, median).
Shapes: a Mamba block with d_model 8, expand 2, d_state 16 over 4096 tokens; a 64-channel RWKV-4
layer over 4096 tokens (time_decay spread over [-5, 3], so the fastest channel decays by e^-20
per step).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: (batch, D, N, L) for the selective scan and (batch, T, C) for WKV.
SCAN_SHAPE = (1, 16, 16, 4096)
WKV_SHAPE = (1, 4096, 64)
#: (batch, heads, L, head_dim) for causal attention.
ATTENTION_SHAPE = (1, 4, 2048, 64)


def main() -> int:
    from blogcode.device import where_it_ran
    from blogcode.mamba.timing import time_scan
    from blogcode.rwkv.timing import time_wkv

    print(f"where: {where_it_ran('cpu', threads=1)}")
    print(f"selective scan shape (batch, D, N, L) = {SCAN_SHAPE}; WKV shape (batch, T, C) = "
          f"{WKV_SHAPE}")
    (scan,) = time_scan([SCAN_SHAPE], backends=("naive", "chunked"))
    (wkv,) = time_wkv([WKV_SHAPE], backends=("naive", "chunked"))
    for op, row in (("selective_scan", scan), ("wkv4", wkv)):
        ms = row["_measurements"]
        print(f"{op:15s} step loop {row['naive'] * 1e3:8.1f} ms (±{ms['naive'].spread:.0%})   "
              f"chunked {row['chunked'] * 1e3:7.1f} ms (±{ms['chunked'].spread:.0%})   "
              f"speed-up x{row['naive'] / row['chunked']:.1f}")
    attention_report()
    return 0


def attention_report() -> None:
    """Causal attention: the blocked fallback against the materialised softmax and torch's own
    CPU SDPA, time (one protocol) and peak extra memory (fresh process per method)."""
    from blogcode.attention.timing import METHODS, peak_memory, time_attention

    (row,) = time_attention([ATTENTION_SHAPE])
    mem = {m: peak_memory(*ATTENTION_SHAPE, m) for m in METHODS}
    print(f"attention (batch, heads, L, head_dim) = {ATTENTION_SHAPE}, causal, float32:")
    for m in METHODS:
        print(f"  {m:8s} {row[m] * 1e3:8.1f} ms (±{row['_measurements'][m].spread:.0%})   "
              f"peak extra memory {mem[m] / 2**20:7.1f} MiB")
    print(f"  chunked is x{row['naive'] / row['chunked']:.2f} faster than naive with "
          f"x{mem['naive'] / mem['chunked']:.1f} less extra memory; it takes "
          f"x{row['chunked'] / row['sdpa']:.2f} the time and x{mem['chunked'] / mem['sdpa']:.1f} "
          "the extra memory of torch's sdpa")


if __name__ == "__main__":
    raise SystemExit(main())
