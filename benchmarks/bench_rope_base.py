"""RoPE base lower bound b*(L) at the lengths too long for a site build (d = 128).

Runs :func:`blogcode.posenc.base_bound.b_star_search` for L = 128k, 256k, 512k, 1M ("1k" = 1024)
on one CPU core, at the fine geometric step and at a coarse one (to show what a coarse scan
reports), and writes ``docs/results/rope_base.json`` with provenance: UTC date, machine, numpy and
Python versions, the command, wall time and the ``source_hash`` of the code that produced it.

    python benchmarks/bench_rope_base.py [--out PATH] [--lengths 128k,256k]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blogcode.posenc.base_bound import b_star_search  # noqa: E402
from blogcode.publish.results import source_hash  # noqa: E402

SOURCES = ["blogcode/posenc/base_bound.py", "benchmarks/bench_rope_base.py"]
FINE, COARSE = 1e-3, 1e-2


def _length(label: str) -> int:
    label = label.strip().lower()
    scale = {"k": 1024, "m": 1024**2}.get(label[-1], 1)
    return int(label[:-1] if scale > 1 else label) * scale


def _cpu_name() -> str:
    """The CPU model (``platform.processor()`` is often empty on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "rope_base.json"))
    ap.add_argument("--lengths", default="128k,256k,512k,1M")
    args = ap.parse_args(argv)
    t_all = time.perf_counter()
    rows = []
    for label in args.lengths.split(","):
        L = _length(label)
        t0 = time.perf_counter()
        fine = b_star_search(L, 128, rel_step=FINE)
        t1 = time.perf_counter()
        coarse = b_star_search(L, 128, rel_step=COARSE)
        t2 = time.perf_counter()
        rows.append({"label": label.strip(), "L": L, "b": fine.b, "grid_b": fine.bracket[1],
                     "full_checks": fine.full_checks, "grid_points": fine.grid_points,
                     "wall_s": t1 - t0, "coarse_b": coarse.b, "coarse_grid_b": coarse.bracket[1],
                     "coarse_wall_s": t2 - t1})
        print(f"L={label}: b*={fine.b:.4g} (grid {fine.bracket[1]:.4g}, {t1 - t0:.0f} s); "
              f"coarse {coarse.b:.4g} ({t2 - t1:.0f} s)", flush=True)
    data = {
        "what": "RoPE base lower bound b*(L), d=128 (blogcode.posenc.base_bound.b_star_search)",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()} "
                   f"({_cpu_name()}; {os.cpu_count()} cores, 1 used)",
        "numpy": np.__version__, "python": platform.python_version(),
        "command": "python benchmarks/bench_rope_base.py"
                   + (f" --lengths {args.lengths}" if args.lengths != "128k,256k,512k,1M" else ""),
        "wall_s": time.perf_counter() - t_all, "d": 128, "rel_step": FINE,
        "coarse_rel_step": COARSE, "source_hash": source_hash(SOURCES, ROOT), "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} in {data['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
