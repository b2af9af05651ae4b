"""GPU benchmark of the scan and attention kernels; writes docs/results/kernels.json
(run by `nox -s bench_kernels`).

Times forward passes with ``triton.testing.do_bench`` at the reference sizes:

* WKV-4: batch 8, T 4096, C 2048 (float32) -- target <= 0.55 ms on an H100;
* selective scan: batch 8, D 2048, N 16, L 4096 (float32, Mamba's options: z, D, delta_bias,
  softplus, input-dependent B and C) -- target <= 0.6 ms.

Variants in the same run: the Triton kernel, the CPU-fallback algorithm run on the GPU, the
step loop (naive), and where importable fla-core's ``fused_recurrent_rwkv4`` and mambapy's
``pscan``.  The memory-bandwidth floor is the bytes each op must read and write once divided by
the device-to-device copy bandwidth measured in this run.

Causal attention forward (bfloat16; the results file's top-level ``"attention"`` entry) at
(batch, heads, L, head_dim) = (8, 16, 4096, 64), (8, 16, 4096, 128), (2, 16, 16384, 128):
``blogcode.attention.flash``'s Triton kernel, torch's SDPA with each backend forced (flash,
cuDNN, memory-efficient; a backend that errors is recorded with its error), and fla's
``parallel_attn`` where importable.  Throughput counts the causal half of the score matrix,
FLOPs = 4 * batch * heads * L^2 * head_dim / 2, and is also given as a fraction of the bf16
matmul throughput measured in the same run (an 8192^3 ``torch.mm``).  Every output is compared
with SDPA's default choice before it is timed.  Refuses to run without CUDA.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "results" / "kernels.json"


def _bench(fn, reps_ms: int = 200) -> float:
    from triton.testing import do_bench

    return float(do_bench(fn, warmup=25, rep=reps_ms))


def _bench_slow(fn, n: int = 2) -> float:
    """CUDA-event timing for slow baselines (the step loop), best of ``n``."""
    import torch

    fn()
    torch.cuda.synchronize()
    best = math.inf
    for _ in range(n):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end))
    return best


def copy_bandwidth_gbps() -> float:
    """Device-to-device copy bandwidth (read + write bytes / time) of a 1 GiB buffer."""
    import torch

    x = torch.empty(256 * 1024 * 1024, dtype=torch.float32, device="cuda")
    y = torch.empty_like(x)
    ms = _bench(lambda: y.copy_(x))
    return 2 * x.numel() * 4 / (ms * 1e-3) / 1e9


def _variant(name, ms, floor_ms):
    return {"name": name, "ms": ms, "bandwidth_fraction": floor_ms / ms if ms else None}


def _finish(variants, baselines):
    by = {v["name"]: v["ms"] for v in variants}
    for v in variants:
        if v["ms"] is not None:
            v["speedup"] = {b: by[b] / v["ms"] for b in baselines if by.get(b) is not None}
    return variants


def bench_wkv(bw: float) -> dict:
    import torch

    from blogcode.rwkv import empty_state, wkv

    batch, T, C = 8, 4096, 2048
    g = torch.Generator(device="cuda").manual_seed(0)
    w = torch.randn(C, device="cuda", generator=g)
    u = torch.randn(C, device="cuda", generator=g)
    k = torch.randn(batch, T, C, device="cuda", generator=g)
    v = torch.randn(batch, T, C, device="cuda", generator=g)
    floor_ms = 3 * batch * T * C * 4 / (bw * 1e9) * 1e3  # read k, v; write y
    variants = [
        _variant("triton", _bench(lambda: wkv(w, u, k, v, backend="triton")), floor_ms),
        _variant("chunked 算法 @GPU", _bench(lambda: wkv(w, u, k, v, backend="chunked")), floor_ms),
        _variant("逐步循环", _bench_slow(lambda: wkv(w, u, k, v, backend="naive")), floor_ms),
    ]
    baselines = ["逐步循环", "chunked 算法 @GPU"]
    try:
        from fla.ops.rwkv4 import fused_recurrent_rwkv4

        state = empty_state(batch, C, torch.float32, "cuda")[:, :, None]  # fla: [batch, 3, 1, C]
        ms = _bench(lambda: fused_recurrent_rwkv4(w, u, k, v, state))
        variants.append(_variant("fla fused_recurrent_rwkv4", ms, floor_ms))
        baselines.append("fla fused_recurrent_rwkv4")
    except ImportError as exc:
        variants.append({"name": "fla fused_recurrent_rwkv4", "ms": None,
                         "skipped": f"未安装（{type(exc).__name__}）"})
    return {"shape": {"batch": batch, "T": T, "C": C}, "dtype": "float32", "target_ms": 0.55,
            "floor_ms": floor_ms, "baselines": baselines, "variants": _finish(variants, baselines)}


def bench_selective_scan(bw: float) -> dict:
    import torch

    from blogcode.ssm.selective_scan import selective_scan

    batch, D, N, L = 8, 2048, 16, 4096
    g = torch.Generator(device="cuda").manual_seed(0)

    def rnd(*shape):
        return torch.randn(*shape, device="cuda", generator=g)

    u, delta, z = rnd(batch, D, L), rnd(batch, D, L) * 0.5, rnd(batch, D, L)
    A = -torch.arange(1, N + 1, device="cuda", dtype=torch.float32).repeat(D, 1)
    Bm, Cm = rnd(batch, N, L), rnd(batch, N, L)
    Dv, bias = rnd(D), rnd(D) * 0.1 - 3.0
    kw = dict(D=Dv, z=z, delta_bias=bias, delta_softplus=True)
    floor_ms = (4 * batch * D * L + 2 * batch * N * L) * 4 / (bw * 1e9) * 1e3
    variants = [
        _variant("triton", _bench(lambda: selective_scan(u, delta, A, Bm, Cm, **kw,
                                                         backend="triton")), floor_ms),
        _variant("chunked 算法 @GPU", _bench(lambda: selective_scan(u, delta, A, Bm, Cm, **kw,
                                                                 backend="chunked")), floor_ms),
        _variant("逐步循环", _bench_slow(lambda: selective_scan(u, delta, A, Bm, Cm, **kw,
                                                               backend="naive")), floor_ms),
    ]
    baselines = ["逐步循环", "chunked 算法 @GPU"]
    try:
        import mambapy.pscan  # noqa: F401  (an optional baseline)

        from blogcode.mamba.timing import mambapy_scan

        args = dict(u=u, delta=delta, A=A, B=Bm, C=Cm, D=Dv, z=z, delta_bias=bias)
        variants.append(_variant("mambapy pscan", _bench(lambda: mambapy_scan(args)),
                                 floor_ms))
        baselines.append("mambapy pscan")
    except ImportError as exc:
        variants.append({"name": "mambapy pscan", "ms": None,
                         "skipped": f"未安装（{type(exc).__name__}）"})
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        variants.append({"name": "mambapy pscan", "ms": None, "skipped": "显存不足"})
    return {"shape": {"batch": batch, "D": D, "N": N, "L": L}, "dtype": "float32",
            "target_ms": 0.6, "floor_ms": floor_ms, "baselines": baselines,
            "variants": _finish(variants, baselines)}


#: (batch, heads, L, head_dim) of the causal attention benchmark.
ATTENTION_SHAPES = [(8, 16, 4096, 64), (8, 16, 4096, 128), (2, 16, 16384, 128)]
#: torch SDPA backends timed one at a time: (variant name, ``SDPBackend`` member).
SDPA_BACKENDS = [("SDPA flash", "FLASH_ATTENTION"), ("SDPA cuDNN", "CUDNN_ATTENTION"),
                 ("SDPA efficient", "EFFICIENT_ATTENTION")]
#: Agreement with SDPA's default choice required before a variant is timed: |out - ref| <=
#: ATOL + RTOL |ref| elementwise (bfloat16 outputs: a few units in the last place).
ATTENTION_ATOL, ATTENTION_RTOL = 1e-2, 2e-2


def _error(exc: BaseException, notes=()) -> str:
    """A one-line reason for a skipped variant: the exception and any warnings it came with."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    why = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    extra = "; ".join(str(n).strip().splitlines()[0][:200] for n in notes if str(n).strip())
    return f"报错（{why}{'；' + extra if extra else ''}）"


def matmul_ceiling(n: int = 8192) -> dict:
    """bf16 ``torch.mm`` throughput of an n x n x n product: the device's practical ceiling."""
    import torch

    g = torch.Generator(device="cuda").manual_seed(0)
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16, generator=g)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16, generator=g)
    c = torch.empty(n, n, device="cuda", dtype=torch.bfloat16)
    ms = _bench(lambda: torch.mm(a, b, out=c))
    return {"shape": [n, n, n], "dtype": "bfloat16", "ms": ms,
            "tflops": 2 * n**3 / (ms * 1e-3) / 1e12}


def _attention_case(batch, heads, L, head_dim, ceiling_tflops) -> dict:
    import warnings

    import torch
    import torch.nn.functional as F

    from blogcode.attention.flash import attention

    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3: the backends cannot be forced one at a time
        SDPBackend = sdpa_kernel = None

    g = torch.Generator(device="cuda").manual_seed(0)
    q, k, v = (torch.randn(batch, heads, L, head_dim, device="cuda", dtype=torch.bfloat16,
                           generator=g) for _ in range(3))
    scale = 1.0 / math.sqrt(head_dim)
    flops = 4 * batch * heads * L * L * head_dim / 2  # causal: half of QK^T and of PV
    with torch.no_grad():
        ref = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)

    def timed(name, fn, backend=None):
        """Run fn once (checked against SDPA's default), then time it; or say why not."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with torch.no_grad(), (sdpa_kernel(backend) if backend is not None
                                       else contextlib.nullcontext()):
                    out = fn()
                    torch.cuda.synchronize()
                    diff = (out.float() - ref.float()).abs().max().item()
                    if not torch.allclose(out.float(), ref.float(), atol=ATTENTION_ATOL,
                                          rtol=ATTENTION_RTOL):
                        return {"name": name, "ms": None, "max_abs_diff": diff,
                                "skipped": f"结果与 SDPA 不符（max |Δ| = {diff:.3g}），未计时"}
                    ms = _bench(fn)
            except Exception as exc:  # an unsupported backend / shape: record why, go on
                torch.cuda.empty_cache()
                return {"name": name, "ms": None,
                        "skipped": _error(exc, [w.message for w in caught])}
        tflops = flops / (ms * 1e-3) / 1e12
        return {"name": name, "ms": ms, "tflops": tflops,
                "ceiling_fraction": tflops / ceiling_tflops, "max_abs_diff": diff}

    variants = [timed("triton", lambda: attention(q, k, v, causal=True, scale=scale,
                                                  backend="triton"))]
    for name, member in SDPA_BACKENDS:
        backend = getattr(SDPBackend, member, None) if SDPBackend is not None else None
        if backend is None:
            variants.append({"name": name, "ms": None,
                             "skipped": f"此 torch 版本没有 SDPBackend.{member}"})
            continue
        variants.append(timed(name, lambda: F.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=scale), backend))
    try:
        from fla.ops.attn import parallel_attn  # causal by construction
    except Exception as exc:  # not installed, or built against another triton
        reason = (f"未安装（{type(exc).__name__}）" if isinstance(exc, ImportError)
                  else _error(exc))
        variants.append({"name": "fla parallel_attn", "ms": None, "skipped": reason})
    else:
        qf, kf, vf = (t.transpose(1, 2).contiguous() for t in (q, k, v))  # fla: [B, T, H, D]
        variants.append(timed("fla parallel_attn",
                              lambda: parallel_attn(qf, kf, vf, scale=scale).transpose(1, 2)))
    baselines = [v["name"] for v in variants if v["name"] != "triton" and v["ms"] is not None]
    return {"shape": {"batch": batch, "heads": heads, "L": L, "head_dim": head_dim},
            "gflop": flops / 1e9, "baselines": baselines,
            "variants": _finish(variants, baselines)}


def bench_attention() -> dict:
    """Causal bf16 attention forward at ATTENTION_SHAPES: ms, TFLOP/s, share of the matmul
    ceiling, and speedups (``speedup[b]`` = ms of b / ms of the variant)."""
    ceiling = matmul_ceiling()
    cases = [_attention_case(*shape, ceiling["tflops"]) for shape in ATTENTION_SHAPES]
    return {"dtype": "bfloat16", "causal": True,
            "causal_alignment": "top-left: query i sees keys j <= i (SDPA is_causal)",
            "flops": "4 * batch * heads * L^2 * head_dim / 2",
            "matmul_ceiling": ceiling, "cases": cases}


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print("bench_kernels: CUDA is not available; refusing to run (the results file is only "
              "written from real GPU measurements)", file=sys.stderr)
        return 2
    import triton

    from blogcode.publish.results import kernel_source_hash

    bw = copy_bandwidth_gbps()
    data = {
        "status": "measured",
        "kernel_source_hash": kernel_source_hash(ROOT),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "triton": triton.__version__,
        "cuda": torch.version.cuda,
        "copy_bandwidth_gbps": bw,
        "ops": {"wkv4": bench_wkv(bw), "selective_scan": bench_selective_scan(bw)},
        "attention": bench_attention(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
