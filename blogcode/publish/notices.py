"""A channel from post code to the build's execution report.

A block calls :func:`notice` for something the reader should see *and* the
maintainer should be told about, e.g. a committed GPU results file whose
kernel-source hash no longer matches the code ("stale").  The execution fence
collects the notices raised while a block runs, stores them with the block's
cached result (so a cache hit reports them again) and lists them in the
execution report.  Outside a build, notices are simply collected here.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("stale", "info", "warning")


@dataclass(frozen=True)
class Notice:
    kind: str
    message: str


_pending: list[Notice] = []


def notice(kind: str, message: str) -> Notice:
    """Record a notice of ``kind`` (one of ``KINDS``) for the current block."""
    if kind not in KINDS:
        raise ValueError(f"notice kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(message, str) or not message:
        raise ValueError("notice message must be a non-empty string")
    item = Notice(kind, message)
    _pending.append(item)
    return item


def drain() -> list[Notice]:
    """Return and clear the notices recorded since the last call."""
    out = list(_pending)
    _pending.clear()
    return out
