"""Sessions: serve, build, tests, browser, lint, gpu, bench_kernels, bench_build, bench_cpu,
bench_rope_base, clear_cache.

Every session installs what it needs from this repository's own files
(pyproject.toml for Python, package.json/package-lock.json for the MathJax the
site serves).  Virtualenvs are reused between runs, and installs are skipped
when those files have not changed, so a second run starts in seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHON = "3.11"
TORCH = "torch==2.13.0"  # the CPU wheel; any torch>=2.2 works for the package itself

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]
nox.options.default_venv_backend = "venv"

QUIET_ENV = {"NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": "0"}


def _digest(*paths: str, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        f = ROOT / p
        h.update(f.read_bytes() if f.exists() else b"")
    return h.hexdigest()[:16]


def _install(session: nox.Session, extras: str, *more: str) -> None:
    """pip install the project with ``extras`` unless nothing changed since last time."""
    stamp = Path(session.virtualenv.location) / f".blogcode-{extras.replace(',', '-')}.stamp"
    want = _digest("pyproject.toml", extra=extras + TORCH + " ".join(more))
    if stamp.exists() and stamp.read_text() == want:
        return
    # torch first, pinned, so the CPU wheel is used rather than a multi-GB CUDA build.
    session.install(TORCH)
    session.install("-e", f".[{extras}]", *more)
    stamp.write_text(want)


def _npm(session: nox.Session) -> None:
    """Install MathJax (and the test tools) from the npm registry with `npm ci`."""
    if shutil.which("npm") is None:
        session.error(
            "npm (Node.js) is required: the site serves MathJax from the npm package 'mathjax'"
        )
    stamp = ROOT / "node_modules" / ".blogcode.stamp"
    want = _digest("package.json", "package-lock.json")
    if stamp.exists() and stamp.read_text() == want:
        return
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    stamp.write_text(want)


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build and serve the site with live reload on http://127.0.0.1:8000."""
    _install(session, "site")
    _npm(session)
    session.run(
        "mkdocs", "serve", "-a", "127.0.0.1:8000", "--livereload", *session.posargs, env=QUIET_ENV
    )


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Strict build into site/ (uses the execution cache; `-- --no-cache` ignores it).

    The site is built into a fresh folder and swapped into site/ only when the build
    succeeds, so a failed or interrupted build leaves the last good site in place.
    """
    _install(session, "site")
    _npm(session)
    env = dict(QUIET_ENV)
    args = list(session.posargs)
    if "--no-cache" in args:
        args.remove("--no-cache")
        env["BLOGCODE_CACHE"] = "refresh"
    session.run("python", "-m", "blogcode.publish.sitebuild", *args, env=env)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    (
        "Unit tests of blogcode (Triton via its interpreter), a cold strict build, "
        "checks on the HTML."
    )
    _install(session, "site,test,gpu")
    _npm(session)
    env = {**QUIET_ENV, "TRITON_INTERPRET": "1"}
    # Every block executes (stored results are not read); results are stored for later builds.
    env["BLOGCODE_CACHE"] = os.environ.get("BLOGCODE_CACHE", "refresh")
    session.run("pytest", *(session.posargs or ["-q"]), env=env)


def _apt_ensure(session: nox.Session, packages: dict[str, bool]) -> None:
    """apt-get install the Debian packages whose value is False (i.e. absent);
    needs root or sudo."""
    missing = [name for name, present in packages.items() if not present]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        session.error(
            f"{', '.join(missing)} missing and no apt-get here: "
            "install them, or set BLOGCODE_CHROMIUM"
        )
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*sudo, "apt-get", "update", "-q", external=True, env=env)
    session.run(
        *sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing,
        external=True, env=env,
    )


def _deb_installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return out.stdout.strip().endswith("install ok installed")


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """Reader checks in headless Chromium on a fresh build of site/ (console, offline, math,
    figures, phone width, search, themes, instant navigation, axe-core, page weight,
    screenshots)."""
    chromium = (
        os.environ.get("BLOGCODE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    # Debian's Chromium (Playwright's own browser download is not used); Noto CJK only so that
    # the screenshots in artifacts/screenshots/ show Chinese: the pages never load a font for it.
    _apt_ensure(
        session, {"chromium": bool(chromium), "fonts-noto-cjk": _deb_installed("fonts-noto-cjk")}
    )
    _install(session, "site,test,browser")
    _npm(session)
    session.run("python", "-m", "blogcode.publish.sitebuild", env=QUIET_ENV)
    env = {**QUIET_ENV, "BLOGCODE_BROWSER": "1", "BLOGCODE_SITE_DIR": str(ROOT / "site")}
    session.run("pytest", "tests/browser", *(session.posargs or ["-q"]), env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, tests and noxfile; mypy over blogcode/publish and the ops."""
    # MkDocs (typed) and the stubs of what it hands us are installed so their types are checked;
    # torch, triton and matplotlib are not: [tool.mypy] in pyproject.toml treats them as Any.
    session.install("ruff>=0.6", "mypy>=1.10", "types-PyYAML", "types-Markdown", "mkdocs>=1.6,<2",
                    "numpy>=1.26")
    session.run("ruff", "check", "blogcode", "tests", "noxfile.py", "benchmarks")
    session.run(
        "mypy", "blogcode/publish",
        "blogcode/ops.py", "blogcode/timing.py",
        "blogcode/ssm/selective_scan/__init__.py", "blogcode/rwkv/wkv/__init__.py",
        "blogcode/attention/flash/__init__.py",
    )


@nox.session(python=PYTHON)
def clear_cache(session: nox.Session) -> None:
    """Delete the execution cache (.cache/blogcode-exec)."""
    _install(session, "site")
    session.run("python", "-m", "blogcode.publish.cache", "clear")


@nox.session(python=PYTHON)
def bench_build(session: nox.Session) -> None:
    """Benchmark (not a test): cold, warm, no-exec, prose-edit, module-edit and serve builds of
    a temporary copy of the site; `-- --scale 1,3,6` repeats them on N-times copies."""
    _install(session, "site")
    _npm(session)
    session.run("python", "benchmarks/bench_build.py", *session.posargs, env=QUIET_ENV)


@nox.session(python=PYTHON)
def bench_cpu(session: nox.Session) -> None:
    """CPU benchmark (not a test): the kernels' PyTorch fallbacks against the step loops, torch's
    SDPA and mambapy's parallel scan, at blog-sized and wider shapes; prints the figures."""
    _install(session, "site")
    try:  # a pure-Python baseline; without it its column says so
        session.install("--no-deps", "mambapy==1.2.0", silent=True)
    except nox.command.CommandFailed:
        session.warn("mambapy could not be installed; its column will be missing")
    session.run("python", "benchmarks/bench_cpu_fallbacks.py", *session.posargs, env=QUIET_ENV)


@nox.session(python=PYTHON)
def bench_rope_base(session: nox.Session) -> None:
    """CPU benchmark (not a test): RoPE's base lower bound b* at the lengths too long for a
    build (128k..1M); writes docs/results/rope_base.json with provenance and a source hash."""
    _install(session, "site")
    session.run("python", "benchmarks/bench_rope_base.py", *session.posargs, env=QUIET_ENV)


@nox.session(python=PYTHON, venv_params=["--system-site-packages"])
def gpu(session: nox.Session) -> None:
    """Kernel tests on a real CUDA device (uses the machine's own torch and triton)."""
    session.install("pytest", "hypothesis", "numpy", "threadpoolctl")
    session.install("--no-deps", "-e", ".")
    session.run(
        "pytest", "-q", "-x", "tests/ssm/test_selective_scan.py", "tests/rwkv", "tests/attention",
        env={"BLOGCODE_DEVICE": "cuda"},
    )


@nox.session(python=PYTHON, venv_params=["--system-site-packages"])
def bench_kernels(session: nox.Session) -> None:
    """GPU kernel benchmark: writes docs/results/kernels.json (needs CUDA)."""
    session.install("numpy")
    session.install("--no-deps", "-e", ".")
    # Optional baselines (pure-Python wheels); the table says which ones were not installed.
    for baseline in ("fla-core", "mambapy"):
        try:
            session.install("--no-deps", baseline, silent=True)
        except nox.command.CommandFailed:
            session.warn(f"{baseline} could not be installed; its column will say so")
    session.run(
        "python", "benchmarks/bench_kernels.py", *session.posargs, env={"BLOGCODE_DEVICE": "cuda"}
    )
