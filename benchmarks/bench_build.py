"""Build-time benchmark of the execution cache (a benchmark, not a test).

Scenarios (``--scenarios`` names), all on the full site, each a strict build in a fresh
process unless noted:

  cold-1        cold, 1 worker: empty cache, every block executes once, one session at a time
  cold-2        cold, 2 workers: empty cache, two sessions at a time (the pool's speed-up)
  warm          nothing changed: no block executes
  no-exec       BLOGCODE_EXECUTE=0: blocks are not executed at all (the floor)
  prose-edit    one sentence added to a post: no block executes
  module-edit   a comment added to one blogcode module: only posts importing it re-execute
  serve         a prose edit rebuilt in the same process, as `mkdocs serve` does

Every scale builds a copy of the project in a temporary folder (benchmarks/scale_site.py):
docs/, mkdocs.yml and overrides/ copied, blogcode/ copied once (a snapshot, which the module
edit edits), node_modules/ linked; the working tree is never written, at any scale.  At
``--scale N`` every post appears N times (the original and N-1 copies with their own slug,
title, series name and sessions: each copy executes as a new post would), so the build-time
rows can be re-measured at any size; ``--scale 1,3,6`` measures each scale, then prints a
growth table: seconds per scenario against the number of posts, with the least-squares slope
per added post.  Per scale it also prints the built search index (raw and gzip -9) and the
whole site's size.  A cold build at N = 6 executes every block 6 times: pick scenarios.

The project is copied once (a snapshot, so that posts others edit meanwhile do not change
the site between scales) and every scale is made from that copy.  The cache, the site and
the copies go to a temporary folder; the cache is shared by the scales
(a copy's blocks are cached under its own page).  Warm, prose-edit, module-edit and serve need
a filled cache: without a cold scenario before them, an unmeasured "prime" build fills it,
seeded from the project's .cache/blogcode-exec (read, never written), so it executes only
what that cache lacks (at N > 1 at least the new copies).  For the cold builds the execution
part (first session started to last one finished, from the build's report) is given too:
that is where the workers act.  Session order comes from the durations of earlier builds (the
project's .cache/blogcode-durations.json, copied, with entries for the copies); scheduling
changes the order of work, never its results.

Usage: python benchmarks/bench_build.py [--scale 1,3,6] [--scenarios warm,no-exec,...]
           [--posts 'ssm-*.md,!x.md'] [--post docs/posts/X.md] [--module blogcode/x/y.py]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_site  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: --scenarios name -> row name of the table, in the order they run.
SCENARIOS = {
    "cold-1": "cold, 1 worker",
    "cold-2": "cold, 2 workers",
    "warm": "warm",
    "no-exec": "no-exec",
    "prose-edit": "prose edit",
    "module-edit": "module edit",
    "serve": "serve rebuild after prose edit (in-process)",
}
NEEDS_CACHE = ("warm", "prose-edit", "module-edit", "serve")
SENTENCE = "\n\n（基准测试临时加入的一句话。）\n"
EXEC_CACHE = Path(".cache/blogcode-exec")


@contextlib.contextmanager
def appended(path: Path, extra: str):
    """Append ``extra`` to the file for the duration of the block, then restore it."""
    text = path.read_text()
    try:
        path.write_text(text + extra)
        yield
    finally:
        path.write_text(text)


def build(tmp: Path, project: Path, name: str, **env) -> dict:
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
        cwd=project, env=full_env, capture_output=True, text=True,
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


def serve_rebuild(tmp: Path, project: Path, post: Path) -> dict:
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
    p.write_text(text + {SENTENCE!r})
    t = once()
finally:
    p.write_text(text)
r = json.loads(pathlib.Path(os.environ["BLOGCODE_REPORT"]).read_text())
print(json.dumps({{"seconds": t, "executed": r["counts"].get("executed", 0)}}))
"""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "BLOGCODE_CACHE_DIR": str(tmp / "cache"),
           "BLOGCODE_REPORT": str(tmp / "serve.json")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {"name": SCENARIOS["serve"], "seconds": data["seconds"],
            "executed": data["executed"], "exec_wall": None, "serve": True}


def site_sizes(site: Path) -> dict:
    index = site / "search" / "search_index.json"
    raw = index.read_bytes() if index.is_file() else b""
    total = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    return {"index": len(raw), "index_gz": len(gzip.compress(raw, 9)) if raw else 0,
            "site": total}


def run_scale(args, tmp: Path, source: Path, n: int, last: bool) -> dict:
    project = tmp / "project"
    site = scale_site.make_site(source, project, n)
    post = project / (args.post or site.originals[0])
    module = project / args.module
    if not post.is_file():
        sys.exit(f"--post {args.post}: not a post of the copy")
    if not module.is_file():
        sys.exit(f"--module {args.module}: not a file of the copy")
    wanted, rows = args.scenarios, []
    cache = tmp / "cache"
    primed = None
    for key, workers in (("cold-1", "1"), ("cold-2", "2")):
        if key in wanted:
            shutil.rmtree(cache, ignore_errors=True)
            rows.append(build(tmp, project, SCENARIOS[key], BLOGCODE_WORKERS=workers))
    if any(k in wanted for k in NEEDS_CACHE) and not any(k in wanted for k in ("cold-1", "cold-2")):
        if not cache.exists() and (ROOT / EXEC_CACHE).is_dir():
            shutil.copytree(ROOT / EXEC_CACHE, cache)  # a seed: read from the project only
        primed = build(tmp, project, "prime")
    if "warm" in wanted:
        rows.append(build(tmp, project, SCENARIOS["warm"]))
    if "no-exec" in wanted:
        rows.append(build(tmp, project, SCENARIOS["no-exec"], BLOGCODE_EXECUTE="0"))
    if "prose-edit" in wanted:
        with appended(post, SENTENCE):
            rows.append(build(tmp, project, SCENARIOS["prose-edit"]))
    if "module-edit" in wanted:
        with appended(module, "\n# benchmark edit\n"):
            rows.append(build(tmp, project, SCENARIOS["module-edit"]))
        if "serve" in wanted or not last:
            build(tmp, project, "restore")  # bring the cache back to the snapshot's sources
    if "serve" in wanted:
        rows.append(serve_rebuild(tmp, project, post))
    built = tmp / "site" if (tmp / "site").is_dir() else tmp / "serve-site"
    sizes = site_sizes(built)
    shutil.rmtree(tmp / "site", ignore_errors=True)
    shutil.rmtree(tmp / "serve-site", ignore_errors=True)
    blocks = next((r["blocks"] for r in [primed, *rows] if r and "blocks" in r), None)
    return {"scale": n, "posts": len(site.posts), "blocks": blocks, "rows": rows,
            "primed": primed, "sizes": sizes, "post": post, "module": module,
            "project": project}


def print_scale(res: dict) -> None:
    rows = res["rows"]
    floor = next((r["seconds"] for r in rows if r["name"] == "no-exec"), None)
    blocks = res["blocks"] if res["blocks"] is not None else "?"
    print(
        f"\nbench_build on {os.cpu_count()} cores, "
        f"{blocks} blocks in {res['posts']} posts (scale {res['scale']})\n"
    )
    print("| scenario | wall time (s) | × no-exec | blocks executed | execution part (s) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        part = f"{r['exec_wall']:.2f}" if r["exec_wall"] is not None else ""
        ratio = f"{r['seconds'] / floor:.2f}" if floor and not r.get("serve") else ""
        print(f"| {r['name']} | {r['seconds']:.2f} | {ratio} | {r['executed']} | {part} |")
    by = {r["name"]: r for r in rows}
    one, two = by.get(SCENARIOS["cold-1"]), by.get(SCENARIOS["cold-2"])
    if one and two and one["exec_wall"] and two["exec_wall"]:
        print(
            "\ncold build, 2 workers vs 1: execution part "
            f"{one['exec_wall'] / two['exec_wall']:.2f}x faster, "
            f"whole build {one['seconds'] / two['seconds']:.2f}x"
        )
    project = res["project"]
    edit = by.get(SCENARIOS["module-edit"])
    if edit:
        print(
            f"\nmodule edit of {res['module'].relative_to(project)} re-executed: "
            f"{', '.join(edit['pages']) or 'nothing'}"
        )
    if by.get(SCENARIOS["prose-edit"]) or by.get(SCENARIOS["serve"]):
        print(f"prose edit of {res['post'].relative_to(project)}")
    if res["primed"]:
        p = res["primed"]
        print(f"cache primed (not measured above): {p['seconds']:.2f} s, "
              f"{p['executed']} blocks executed")
    s = res["sizes"]
    print(
        f"built site: search index {s['index']} bytes raw, {s['index_gz']} bytes gzip -9; "
        f"whole site {s['site']} bytes"
    )


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys against xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0


def print_growth(results: list[dict]) -> None:
    posts = [r["posts"] for r in results]
    print("\ngrowth with the number of posts (wall time in s; slope: least squares)\n")
    print("| scenario | " + " | ".join(f"{p} posts" for p in posts) + " | slope per added post |")
    print("|---|" + "---:|" * (len(posts) + 1))
    names = [r["name"] for r in results[0]["rows"]]
    for name in names:
        ys = [next(r["seconds"] for r in res["rows"] if r["name"] == name) for res in results]
        cells = " | ".join(f"{y:.2f}" for y in ys)
        print(f"| {name} | {cells} | {slope(posts, ys):.3f} s |")
    for key, label in (("index", "search index, raw (bytes)"),
                       ("index_gz", "search index, gzip -9 (bytes)"),
                       ("site", "whole site (bytes)")):
        ys = [res["sizes"][key] for res in results]
        cells = " | ".join(str(y) for y in ys)
        print(f"| {label} | {cells} | {slope(posts, ys):.0f} bytes |")


def _scales(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError("scales must be integers >= 1")
    return sorted(set(out))


def _scenarios(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in names if x not in SCENARIOS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(bad) or '(none)'}; known: {', '.join(SCENARIOS)}"
        )
    return [k for k in SCENARIOS if k in names]


def _relative(path: Path) -> Path:
    p = path if path.is_absolute() else (Path.cwd() / path)
    try:
        return p.resolve().relative_to(ROOT)
    except ValueError:
        return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--scale", type=_scales, default=[1],
                    help="copies of every post, or a comma-separated list (default 1)")
    ap.add_argument("--scenarios", type=_scenarios, default=list(SCENARIOS),
                    help=f"comma-separated subset of: {', '.join(SCENARIOS)} (default all)")
    ap.add_argument("--posts", type=lambda s: [x for x in s.split(",") if x], default=None,
                    help="file-name patterns of the posts to keep ('!pattern' leaves out)")
    ap.add_argument("--post", type=Path, default=None,
                    help="the post of the prose edits (default: the first post)")
    ap.add_argument("--module", type=Path, default=Path("blogcode/transforms/fft.py"),
                    help="the module of the module edit (a path in the project)")
    args = ap.parse_args()
    args.post = _relative(args.post) if args.post else None
    args.module = _relative(args.module)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
        tmp = Path(d)
        # One snapshot of the project for every scale: posts others add or edit meanwhile
        # do not change the site between scales.
        source = tmp / "source"
        scale_site.make_site(ROOT, source, 1, args.posts)
        for i, n in enumerate(args.scale):
            res = run_scale(args, tmp, source, n, last=i == len(args.scale) - 1)
            results.append(res)
            print_scale(res)
            sys.stdout.flush()
    if len(results) > 1:
        print_growth(results)


if __name__ == "__main__":
    main()
