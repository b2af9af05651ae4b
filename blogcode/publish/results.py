"""Committed GPU results files: load them, check their kernel-source hash, render them as Markdown.

A results file (e.g. ``docs/results/kernels.json``, written by ``benchmarks/bench_kernels.py`` on
a GPU machine) records ``status`` (``"measured"`` or ``"not measured"``), the
``kernel_source_hash`` of the code that produced it, and -- when measured -- the device, library
versions, date, copy bandwidth and per-op timings.  A post renders it with :func:`render_kernels`:
a table with its provenance, a plain "not measured" sentence, and a visible stale notice (also
sent to the build's execution report through :func:`blogcode.publish.notices.notice`) when the
hash no longer matches the sources.  Nothing here ever invents a number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .deps import depends_on

__all__ = ["KERNEL_SOURCES", "REPO_ROOT", "DEFAULT_RESULTS", "kernel_source_hash", "load_results",
           "is_stale", "render_kernels", "source_hash", "stale_banner"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = REPO_ROOT / "docs" / "results" / "kernels.json"

#: The files whose content the kernel timings depend on (relative to the repository root).
KERNEL_SOURCES = (
    "blogcode/ssm/selective_scan/__init__.py",
    "blogcode/ssm/selective_scan/naive.py",
    "blogcode/ssm/selective_scan/chunked.py",
    "blogcode/ssm/selective_scan/triton.py",
    "blogcode/ops.py",
    "blogcode/rwkv/wkv/__init__.py",
    "blogcode/rwkv/wkv/naive.py",
    "blogcode/rwkv/wkv/chunked.py",
    "blogcode/rwkv/wkv/triton.py",
    "blogcode/attention/flash/__init__.py",
    "blogcode/attention/flash/naive.py",
    "blogcode/attention/flash/chunked.py",
    "blogcode/attention/flash/triton.py",
    "benchmarks/bench_kernels.py",
)

_OP_TITLES = {"wkv4": "RWKV-4 WKV 前向", "selective_scan": "Mamba 选择性扫描前向"}


def source_hash(files, root: Path | str = REPO_ROOT) -> str:
    """SHA-256 (first 16 hex digits) over ``files``' relative paths and bytes, in order.

    The code hash a committed results file records: ``files`` are paths relative to ``root``
    (the sources whose output the file holds).  A missing file is hashed as missing, so deleting
    a source also changes the hash.  Every file is declared as a dependency of the calling block,
    so editing one re-renders the post that shows the results.
    """
    root = Path(root)
    if isinstance(files, (str, Path)):
        raise TypeError("files must be a sequence of relative paths, not a single path")
    h = hashlib.sha256()
    for rel in files:
        rel = str(rel)
        if Path(rel).is_absolute():
            raise ValueError(f"source_hash: {rel!r} must be relative to the repository root")
        path = root / rel
        depends_on(path)
        h.update(rel.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()[:16]


def kernel_source_hash(root: Path | str = REPO_ROOT, files=KERNEL_SOURCES) -> str:
    """:func:`source_hash` of the GPU kernels' sources (``KERNEL_SOURCES``)."""
    return source_hash(files, root)


def stale_banner(name: str, recorded: str, current: str, *, command: str | None = None,
                 where: str = "") -> str:
    """The visible notice a post shows above results whose code has changed since they were made.

    ``name`` is the results file's name, ``recorded`` the hash stored in it, ``current`` the hash
    of today's sources, ``command`` how to regenerate it and ``where`` (e.g. "在 GPU 机器上")
    where to run it.  Returns ``""`` when the hashes match; otherwise a Markdown blockquote in
    Chinese, and the notice also goes to the build's report (and terminal) as a ``stale`` notice.
    """
    from .notices import notice

    if recorded == current:
        return ""
    notice("stale", f"{name}: source hash {recorded} does not match the current sources "
                    f"({current}); the results are stale")
    redo = f"，需要{where}重新运行 `{command}`" if command else f"，需要{where}重新生成"
    return (f"> **数据已过期（stale）**：结果文件 `{name}` 记录的源码哈希 `{recorded}` "
            f"与当前源码的哈希 `{current}` 不一致，下面的数字由旧版本代码算出{redo}。\n")


def load_results(path: Path | str = DEFAULT_RESULTS) -> dict[str, Any]:
    """Read and minimally validate a results file; raises ``ValueError`` naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file {path} does not exist; run the GPU benchmark "
                                "(nox -s bench_kernels) or commit a 'not measured' file")
    depends_on(path)  # a rebuild re-renders the post when the file changes
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    status = data.get("status")
    if status not in ("measured", "not measured"):
        raise ValueError(f"{path}: 'status' must be 'measured' or 'not measured', got {status!r}")
    if not isinstance(data.get("kernel_source_hash"), str):
        raise ValueError(f"{path}: missing 'kernel_source_hash'")
    if status == "measured":
        for key in ("device", "date", "torch", "triton", "cuda", "ops", "copy_bandwidth_gbps"):
            if key not in data:
                raise ValueError(f"{path}: a measured results file needs {key!r}")
    return data


def is_stale(data: dict[str, Any], root: Path | str = REPO_ROOT) -> bool:
    """Whether the file's kernel-source hash differs from the current sources'."""
    return data.get("kernel_source_hash") != kernel_source_hash(root)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}g}"


def _op_table(op: str, entry: dict[str, Any]) -> str:
    baselines = [b for b in entry.get("baselines", [])]
    head = ["实现", "时间 (ms)", "带宽下限占比"] + [f"相对 {b} 的加速比" for b in baselines]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for var in entry["variants"]:
        if var.get("ms") is None:
            row = [var["name"], var.get("skipped", "未运行"), "—"] + ["—"] * len(baselines)
        else:
            ratios = var.get("speedup", {})
            row = [var["name"], _fmt(var["ms"]), _fmt(var.get("bandwidth_fraction"), 2)]
            row += [_fmt(ratios.get(b), 3) for b in baselines]
        lines.append("| " + " | ".join(row) + " |")
    shape = ", ".join(f"{k}={v}" for k, v in entry.get("shape", {}).items())
    target = entry.get("target_ms")
    caption = f"**{_OP_TITLES.get(op, op)}**（{shape}"
    caption += f"；目标 ≤ {target} ms）" if target is not None else "）"
    return caption + "\n\n" + "\n".join(lines)


def _attention_tables(entry: dict[str, Any]) -> str:
    """The causal-attention benchmark (``data["attention"]``): one table per shape."""
    ceiling = entry.get("matmul_ceiling", {})
    parts = [f"**因果注意力前向**（{entry.get('dtype', 'bfloat16')}；FLOPs 按 "
             f"`{entry.get('flops', '4·B·H·L²·D/2')}` 计；算力上限取同次运行中 "
             f"{'×'.join(str(n) for n in ceiling.get('shape', []))} 的 bf16 矩阵乘："
             f"{_fmt(ceiling.get('tflops'), 4)} TFLOP/s）"]
    for case in entry.get("cases", []):
        baselines = list(case.get("baselines", []))
        head = ["实现", "时间 (ms)", "TFLOP/s", "占矩阵乘上限"] + [f"相对 {b}" for b in baselines]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for var in case.get("variants", []):
            if var.get("ms") is None:
                row = [var["name"], var.get("skipped", "未运行"), "—", "—"] + ["—"] * len(baselines)
            else:
                ratios = var.get("speedup", {})
                row = [var["name"], _fmt(var["ms"]), _fmt(var.get("tflops"), 4),
                       _fmt(var.get("ceiling_fraction"), 2)]
                row += [_fmt(ratios.get(b), 3) for b in baselines]
            lines.append("| " + " | ".join(row) + " |")
        shape = ", ".join(f"{k}={v}" for k, v in case.get("shape", {}).items())
        parts.append(f"{shape}\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def render_kernels(path: Path | str = DEFAULT_RESULTS, ops: list[str] | None = None,
                   root: Path | str = REPO_ROOT) -> str:
    """Markdown for a post: the GPU table(s) with provenance, or a plain 'not measured' sentence.

    ``ops`` selects entries of ``data["ops"]`` (default: all), and ``"attention"`` the causal
    attention benchmark (the file's top-level ``"attention"`` entry).  A stale file is still
    shown, under a visible notice, and the notice is also reported to the build.
    """
    data = load_results(path)
    parts: list[str] = []
    banner = stale_banner(Path(path).name, data["kernel_source_hash"], kernel_source_hash(root),
                          command="nox -s bench_kernels", where="在 GPU 机器上")
    if banner:
        parts.append(banner.rstrip("\n"))
    if data["status"] == "not measured":
        parts.append("GPU 数据：**尚未测量**。本站构建时没有可用的 GPU，"
                     f"`{Path(path).name}` 只记录了当前内核源码的哈希 "
                     f"`{data['kernel_source_hash']}`，"
                     "不含任何数字；在有 CUDA 的机器上运行 `nox -s bench_kernels` 后，"
                     "这里会显示实测表格。")
        return "\n\n".join(parts) + "\n"
    entries = data["ops"]
    for op in ops or list(entries):
        if op == "attention" and "attention" in data:
            parts.append(_attention_tables(data["attention"]))
        elif op not in entries:
            parts.append(f"GPU 数据：结果文件中没有 `{op}` 的测量。")
        else:
            parts.append(_op_table(op, entries[op]))
    parts.append(
        f"测量环境：{data['device']}；torch {data['torch']}，triton {data['triton']}，"
        f"CUDA {data['cuda']}；{data['date']}；同次运行测得的拷贝带宽 "
        f"{_fmt(data['copy_bandwidth_gbps'], 4)} GB/s（“带宽下限占比”= 只读写一次输入输出所需的"
        f"时间 / 实测时间）；内核源码哈希 `{data['kernel_source_hash']}`。"
    )
    return "\n\n".join(parts) + "\n"
