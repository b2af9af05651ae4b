"""CPU fallbacks vs the step loops at blog-sized shapes on this machine; prints the figures.

Run: ``python benchmarks/bench_cpu_fallbacks.py``.  Best-of-``repeats`` wall-clock timing on one
thread (the build machine is shared; one thread gives stable numbers).  Shapes: a Mamba block with
d_model 8, expand 2, d_state 16 over 4096 tokens; a 64-channel RWKV-4 layer over 4096 tokens
(time_decay spread over [-5, 3], so the fastest channel decays by e^-20 per step).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blogcode.timing import best_time  # noqa: E402  (after the path set-up above)

#: (batch, D, N, L) for the selective scan and (batch, T, C) for WKV.
SCAN_SHAPE = (1, 16, 16, 4096)
WKV_SHAPE = (1, 4096, 64)


def scan_inputs(shape=SCAN_SHAPE, seed: int = 0):
    import torch

    batch, D, N, L = shape
    g = torch.Generator().manual_seed(seed)
    u, delta, z = (torch.randn(batch, D, L, generator=g) for _ in range(3))
    A = -torch.arange(1, N + 1, dtype=torch.float32).repeat(D, 1)  # S4D-real
    Bm, Cm = (torch.randn(batch, N, L, generator=g) for _ in range(2))
    return dict(u=u, delta=delta * 0.5, A=A, B=Bm, C=Cm, D=torch.randn(D, generator=g), z=z,
                delta_bias=torch.full((D,), -3.0), delta_softplus=True)


def wkv_inputs(shape=WKV_SHAPE, seed: int = 0):
    import torch

    batch, T, C = shape
    g = torch.Generator().manual_seed(seed)
    w = torch.linspace(-5, 3, C)  # RWKV-4's time_decay initialisation range
    return dict(w=w, u=torch.randn(C, generator=g), k=torch.randn(batch, T, C, generator=g),
                v=torch.randn(batch, T, C, generator=g))


def measure(repeats: int = 3) -> dict:
    """Seconds for the step loop and the CPU fallback of each op, and their ratio."""
    from blogcode.rwkv import wkv
    from blogcode.ssm.selective_scan import selective_scan

    s_in, w_in = scan_inputs(), wkv_inputs()
    out = {}
    for op, fn, kw in (("selective_scan", selective_scan, s_in), ("wkv4", wkv, w_in)):
        naive = best_time(lambda fn=fn, kw=kw: fn(**kw, backend="naive"), repeat=max(1, repeats - 1))
        cpu = best_time(lambda fn=fn, kw=kw: fn(**kw, backend="cpu"), repeat=repeats)
        out[op] = {"naive_s": naive, "cpu_s": cpu, "speedup": naive / cpu}
    return out


def main() -> int:
    import torch

    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    print(f"selective scan shape (batch, D, N, L) = {SCAN_SHAPE}; WKV shape (batch, T, C) = "
          f"{WKV_SHAPE}")
    for op, r in measure().items():
        print(f"{op:15s} step loop {r['naive_s'] * 1e3:8.1f} ms   CPU fallback "
              f"{r['cpu_s'] * 1e3:7.1f} ms   speed-up x{r['speedup']:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
