"""Data files a block reads, so the execution cache can tell when they change.

The cache already tracks the ``blogcode`` modules a session imports.  A block
that reads a committed data file (e.g. ``docs/results/kernels.json``) calls
:func:`depends_on` (the loaders in ``blogcode.publish.results`` do it for
you); the fence stores the file's content hash with the block's result and
re-executes the block when the file changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_pending: dict[str, str] = {}


def file_digest(path: str | Path) -> str:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else "<missing>"


def depends_on(path: str | Path) -> None:
    """Declare that the running block's output depends on the file at ``path``."""
    p = str(Path(path).resolve())
    _pending[p] = file_digest(p)


def drain() -> dict[str, str]:
    out = dict(_pending)
    _pending.clear()
    return out
