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
#: (batch, D, N, L) for the selective scan's float32-vs-float64 tiles: the post's shape, then
#: wider layers (D = 256..1024) at L = 1024 and 4096.
TILE_SHAPES = [(1, 16, 16, 4096), (2, 256, 16, 1024), (2, 256, 16, 4096), (2, 1024, 16, 1024),
               (2, 1024, 16, 4096)]


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
    if "--no-tiles" not in sys.argv:
        tiles_report()
    return 0


def _mambapy_scan():
    """:func:`blogcode.mamba.timing.mambapy_scan`, or ``None`` when mambapy is not installed."""
    try:
        import mambapy.pscan  # noqa: F401
    except ImportError:
        return None
    from blogcode.mamba.timing import mambapy_scan

    return mambapy_scan


def tiles_report() -> None:
    """Selective scan: the chunked fallback with float64 tiles, float32 tiles and the automatic
    choice, against the step loop and mambapy's parallel scan, at TILE_SHAPES (one run)."""
    import torch

    from blogcode.mamba.timing import scan_inputs
    from blogcode.ssm.selective_scan import selective_scan
    from blogcode.ssm.selective_scan.chunked import selective_scan_chunked
    from blogcode.timing import time_table

    methods = {
        "step loop": lambda kw: selective_scan(**kw, backend="naive"),
        "float64 tiles": lambda kw: selective_scan_chunked(**kw, work_dtype="float64")[0],
        "float32 tiles": lambda kw: selective_scan_chunked(**kw, work_dtype="float32")[0],
        "auto": lambda kw: selective_scan_chunked(**kw)[0],
    }
    pscan = _mambapy_scan()
    if pscan is not None:
        methods["mambapy pscan"] = pscan
    cases = [{"batch": b, "D": d, "N": n, "L": length} for b, d, n, length in TILE_SHAPES]
    rows = time_table(cases, lambda batch, D, N, L: scan_inputs(batch, D, N, L), methods,
                      check=lambda name, y, ref: torch.allclose(y, ref, atol=1e-4, rtol=1e-4))
    print("selective scan tiles (Mamba-like inputs, float32 in/out; times in ms, one thread):")
    if pscan is None:
        print("  mambapy is not installed: its column is missing (nox -s bench_cpu installs it)")
    names = list(methods)
    print("  " + " ".join(f"{h:>16s}" for h in ["(batch, D, N, L)", *names]))
    for row in rows:
        shape = f"({row['batch']}, {row['D']}, {row['N']}, {row['L']})"
        print("  " + " ".join([f"{shape:>16s}"] + [f"{row[m] * 1e3:16.1f}" for m in names]))
    for row in rows:
        f32, f64 = row["float32 tiles"], row["float64 tiles"]
        line = (f"  D={row['D']:5d} L={row['L']:5d}: float32 tiles x{f64 / f32:.2f} vs float64 "
                f"tiles; auto x{row['step loop'] / row['auto']:.1f} vs the step loop")
        if pscan is not None:
            line += f", x{row['mambapy pscan'] / row['auto']:.2f} vs mambapy pscan"
        print(line)


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
