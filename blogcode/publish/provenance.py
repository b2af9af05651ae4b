"""What computed a page's numbers: library versions, device, build date.

Cheap to call at build time: versions come from package metadata (no imports),
the device is detected without importing torch unless ``BLOGCODE_DEVICE`` says
otherwise, and the date is the date of the commit being built (or
``SOURCE_DATE_EPOCH``), so two builds of one commit produce identical pages.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata

LIBRARIES = ("numpy", "scipy", "sympy", "matplotlib", "torch", "triton")
# Libraries that shape rendered output but not computed numbers.
RENDERERS = ("markdown", "pymdown-extensions", "pygments", "mkdocs-material")


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def device_kind() -> str:
    """``cpu`` or ``cuda:<name>`` without importing torch (unless it is already imported)."""
    want = os.environ.get("BLOGCODE_DEVICE", "").strip()
    if want:
        if want.startswith("cuda"):
            from blogcode.device import device_kind as exact

            return exact(want)
        return want
    if "torch" in sys.modules:
        from blogcode.device import device_kind as exact

        return exact()
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=name", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=10,
            )
            lines = out.stdout.strip().splitlines() if out.returncode == 0 else []
            name = lines[0] if lines else ""
            if name:
                return f"cuda:{name}"
        except (OSError, subprocess.SubprocessError):
            pass
    return "cpu"


def device_label() -> str:
    kind = device_kind()
    if kind.startswith("cuda:"):
        return f"GPU（{kind[5:]}）"
    return f"CPU（{platform.machine()}，{os.cpu_count()} 核）"


@functools.lru_cache(maxsize=1)
def commit_epoch() -> int | None:
    """Unix time of the checked-out commit, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True, timeout=10
        )
        if out.returncode == 0 and out.stdout.strip():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return None


def pin_source_date_epoch() -> None:
    """Set ``SOURCE_DATE_EPOCH`` to the commit's time unless it is set (or there is no commit).

    The dates MkDocs writes (sitemap lastmod, page update dates, the gzip header) come from
    it, so a commit always builds the same site.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        return
    epoch = commit_epoch()  # a git call: only when needed
    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)


@functools.lru_cache(maxsize=1)
def build_date() -> _dt.date:
    """``SOURCE_DATE_EPOCH``, else the date of the checked-out commit, else today."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    if pinned:
        return _dt.datetime.fromtimestamp(int(pinned), _dt.UTC).date()
    epoch = commit_epoch()
    if epoch is not None:
        return _dt.datetime.fromtimestamp(epoch, _dt.UTC).date()
    return _dt.date.today()


def environment_fingerprint(extra: str = "") -> str:
    """Everything outside the code that changes what a block computes or how it renders."""
    device = device_kind()
    # Triton only runs on CUDA: on a CPU build its version cannot change a result, and leaving
    # it out lets sessions with and without the `gpu` extra share one cache.
    libs = [d for d in LIBRARIES + RENDERERS if d != "triton" or device.startswith("cuda")]
    material = {
        "python": sys.version.split()[0],
        "libs": {d: version(d) for d in libs},
        "device": device,
        "extra": extra,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:24]


def summary() -> list[tuple[str, str]]:
    """Rows shown on each post: (label, value)."""
    rows = [("Python", sys.version.split()[0])]
    for dist in ("numpy", "torch", "scipy", "sympy", "matplotlib"):
        v = version(dist)
        if v:
            rows.append((dist, v))
    rows.append(("设备", device_label()))
    rows.append(("构建日期", build_date().isoformat()))
    return rows
