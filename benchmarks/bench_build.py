"""Build-time benchmark of the execution cache (a benchmark, not a test).

Scenarios, all on the full site, each a strict build in a fresh process unless noted:

  cold, 1 worker   empty cache: every block executes once, one session at a time
  cold, 2 workers  empty cache, two sessions at a time (the worker pool's speed-up)
  warm          nothing changed: no block executes
  no-exec       BLOGCODE_EXECUTE=0: blocks are not executed at all (the floor)
  prose edit    one sentence added to a post: no block executes
  module edit   a comment added to one blogcode module: only posts importing it re-execute
  serve rebuild a prose edit rebuilt in the same process, as `mkdocs serve` does

The cache and the site go to a temporary folder; edited files are restored.  For the
cold builds the execution part (first session started to last one finished, from the
build's report) is given too: that is where the workers act.  Session order comes from
the durations file of earlier builds (.cache/blogcode-durations.json): a first cold
build writes it; scheduling changes the order of work, never its results.
Usage: python benchmarks/bench_build.py [--post docs/posts/X.md] [--module blogcode/x/y.py]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def appended(path: Path, extra: str):
    """Append ``extra`` to the file for the duration of the block, then restore it."""
    text = path.read_text()
    try:
        path.write_text(text + extra)
        yield
    finally:
        path.write_text(text)


def build(tmp: Path, name: str, **env) -> dict:
    report = tmp / f"{name}.json"
    full_env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "BLOGCODE_CACHE_DIR": str(tmp / "cache"),
        "BLOGCODE_REPORT": str(report),
        **env,
    }
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp / "site")],
        cwd=ROOT, env=full_env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"{name}: build failed\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    data = json.loads(report.read_text())
    pages = sorted(
        {p for p, evs in data["pages"].items() for e in evs if e["status"] == "executed"}
    )
    ex = data.get("execution") or {}
    return {"name": name, "seconds": seconds, "executed": data["counts"].get("executed", 0),
            "blocks": data["blocks"], "pages": pages,
            "exec_wall": ex.get("wall_seconds", 0.0) if ex.get("sessions") else None,
            "workers": ex.get("workers")}


def serve_rebuild(tmp: Path, post: Path) -> tuple[float, int]:
    """Two builds in one process (as `mkdocs serve` rebuilds), the second after a prose edit."""
    code = f"""
import json, os, time, pathlib
from mkdocs.config import load_config
from mkdocs.commands.build import build
def once():
    cfg = load_config(config_file="mkdocs.yml", site_dir={str(tmp / 'serve-site')!r})
    cfg.plugins.on_startup(command="serve", dirty=False)
    t0 = time.perf_counter()
    build(cfg, serve_url="http://127.0.0.1:8000/")
    return time.perf_counter() - t0
once()
p = pathlib.Path({str(post)!r}); text = p.read_text()
try:
    p.write_text(text + "\\n\\n（基准测试临时加入的一句话。）\\n")
    t = once()
finally:
    p.write_text(text)
r = json.loads(pathlib.Path(os.environ["BLOGCODE_REPORT"]).read_text())
print(json.dumps({{"seconds": t, "executed": r["counts"].get("executed", 0)}}))
"""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "BLOGCODE_CACHE_DIR": str(tmp / "cache"),
           "BLOGCODE_REPORT": str(tmp / "serve.json")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["executed"]


def main() -> None:
    ap = argparse.ArgumentParser()
    posts = sorted((ROOT / "docs/posts").glob("*.md"))
    ap.add_argument("--post", type=Path, default=posts[0] if posts else None)
    ap.add_argument("--module", type=Path, default=ROOT / "blogcode/transforms/fft.py")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
        tmp = Path(d)
        rows.append(build(tmp, "cold, 1 worker", BLOGCODE_WORKERS="1"))
        shutil.rmtree(tmp / "cache")
        rows.append(build(tmp, "cold, 2 workers", BLOGCODE_WORKERS="2"))
        rows.append(build(tmp, "warm"))
        rows.append(build(tmp, "no-exec", BLOGCODE_EXECUTE="0"))
        post, module = args.post.resolve(), args.module.resolve()
        with appended(post, "\n\n（基准测试临时加入的一句话。）\n"):
            rows.append(build(tmp, "prose edit"))
        with appended(module, "\n# benchmark edit\n"):
            rows.append(build(tmp, "module edit"))
        build(tmp, "restore")  # bring the cache back to the committed sources
        serve_s, serve_exec = serve_rebuild(tmp, post)
    floor = next(r["seconds"] for r in rows if r["name"] == "no-exec")
    print(
        f"\nbench_build on {os.cpu_count()} cores, "
        f"{rows[0]['blocks']} blocks in {len(posts)} posts\n"
    )
    print("| scenario | wall time (s) | × no-exec | blocks executed | execution part (s) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        part = f"{r['exec_wall']:.2f}" if r["exec_wall"] is not None else ""
        print(
            f"| {r['name']} | {r['seconds']:.2f} | {r['seconds'] / floor:.2f} "
            f"| {r['executed']} | {part} |"
        )
    print(f"| serve rebuild after prose edit (in-process) | {serve_s:.2f} | | {serve_exec} | |")
    one, two = rows[0], rows[1]
    if one["exec_wall"] and two["exec_wall"]:
        print(
            "\ncold build, 2 workers vs 1: execution part "
            f"{one['exec_wall'] / two['exec_wall']:.2f}x faster, "
            f"whole build {one['seconds'] / two['seconds']:.2f}x"
        )
    edit = next(r for r in rows if r["name"] == "module edit")
    print(
        f"\nmodule edit of {module.relative_to(ROOT)} re-executed: "
        f"{', '.join(edit['pages']) or 'nothing'}"
    )
    print(f"prose edit of {post.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
