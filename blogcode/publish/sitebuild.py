"""A strict build that never destroys the last good site.

``python -m blogcode.publish.sitebuild [--site-dir site] [mkdocs build options]``
builds into a fresh folder next to ``site/`` and, only when the build
succeeds, swaps it into place (two renames on one file system; the old site is
then deleted).  A failed, interrupted or killed build leaves ``site/`` as it
was, plus at most a stale ``.site-build-*`` folder that the next run removes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

PREFIX = ".site-build-"


def swap_into_place(new: Path, site: Path) -> None:
    """Make ``new`` the folder at ``site``; whatever was there is removed afterwards."""
    old = None
    if site.exists():
        old = Path(tempfile.mkdtemp(prefix=PREFIX + "old-", dir=site.parent))
        os.rmdir(old)
        os.replace(site, old)
    os.replace(new, site)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_then_swap(build: Callable[[Path], int], site: Path) -> int:
    """Run ``build(folder)`` into a fresh folder; on exit status 0 swap it into ``site``."""
    site = site.resolve()
    site.parent.mkdir(parents=True, exist_ok=True)
    for stale in site.parent.glob(PREFIX + "*"):  # left by a build that was killed
        shutil.rmtree(stale, ignore_errors=True)
    new = Path(tempfile.mkdtemp(prefix=PREFIX, dir=site.parent))
    try:
        code = build(new)
        if code == 0:
            swap_into_place(new, site)
        return code
    finally:
        shutil.rmtree(new, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    site = Path("site")
    if "--site-dir" in args:
        i = args.index("--site-dir")
        site = Path(args[i + 1])
        del args[i : i + 2]

    def build(folder: Path) -> int:
        cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder), *args]
        return subprocess.call(cmd)

    code = build_then_swap(build, site)
    if code:
        print(
            f"build failed (exit status {code}): {site} still holds the last good site",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
