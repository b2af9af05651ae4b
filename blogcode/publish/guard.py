"""What post code may not touch, and a check that it did not.

Workers refuse writes under :func:`protected_paths` themselves (an audit hook,
:mod:`blogcode.publish.worker`).  Code that bypasses Python's file API (a
subprocess, ``ctypes``) is caught afterwards: :func:`snapshot` records every
file under the watched trees before blocks run, and :func:`changes` lists what
was created, modified or deleted since.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

Snapshot = dict[str, tuple[int, int, int]]  # path -> (size, mtime_ns, inode)


def protected_paths(
    root: Path, *, docs_dir: str | Path, site_dir: str | Path, theme_dir: str | Path | None,
    config_file: str | Path | None, cache_dir: str | Path,
) -> list[str]:
    """Sources, site (the build's and the committed ``site/``), theme, config, cache, git."""
    paths = [docs_dir, site_dir, root / "site", cache_dir, root / ".git"]
    if theme_dir:
        paths.append(theme_dir)
    if config_file:
        paths.append(config_file)
    out: list[str] = []
    for p in paths:
        real = os.path.realpath(p)
        if real not in out:
            out.append(real)
    return out


def snapshot(paths: Iterable[str | Path]) -> Snapshot:
    """Size, mtime and inode of every file under ``paths`` (files or folders)."""
    snap: Snapshot = {}
    for base in paths:
        base = Path(base)
        if base.is_file():
            files: Iterable[Path] = [base]
        elif base.is_dir():
            files = (p for p in base.rglob("*") if "__pycache__" not in p.parts)
        else:
            continue
        for f in files:
            try:
                st = f.lstat()
            except OSError:
                continue
            if not f.is_dir():
                snap[str(f)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return snap


def changes(before: Snapshot, after: Snapshot, root: Path | None = None) -> list[str]:
    """``created docs/x.md`` / ``modified ...`` / ``deleted ...``, sorted by path."""

    def show(p: str) -> str:
        if root is not None:
            try:
                return str(Path(p).relative_to(root))
            except ValueError:
                pass
        return p

    out = []
    for p in sorted(set(before) | set(after)):
        if p not in before:
            out.append(f"created {show(p)}")
        elif p not in after:
            out.append(f"deleted {show(p)}")
        elif before[p] != after[p]:
            out.append(f"modified {show(p)}")
    return out
