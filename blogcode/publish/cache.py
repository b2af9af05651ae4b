"""Content-keyed store of executed blocks.

Lookup is in two parts, like a build system's dependency file:

* the **static key** hashes what is known before running: the block's code and
  options, the code and options of the earlier blocks of its session, the
  library versions, the device kind and the Markdown configuration;
* the stored **record** lists the ``blogcode`` modules the session imported when
  it ran, and the data files its blocks declared (``blogcode.publish.deps``),
  with their content hashes.  A record is a hit only if every one of them still
  has the same hash.

So editing prose changes no key; editing ``blogcode/x/y.py`` invalidates only the
records of sessions that imported it.  Records are JSON files written
atomically, one per static key, under the cache folder (git-ignored).  A record
file that cannot be read as a record (:func:`record_from_json`) is a miss, listed
in :attr:`ExecCache.malformed`, and overwritten when the block runs again.

:class:`CacheSettings` reads the environment switches that decide whether the
cache is read, written, and whether blocks execute at all; :func:`stable_repr`
turns configuration objects into text that is the same in every process.

Command line: ``python -m blogcode.publish.cache clear|info [DIR]``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .blocks import BlockSpec
from .deps import file_digest
from .execution import block_digest

#: Bump when the format of records or of the rendered HTML changes.
ENGINE_VERSION = "2"
DEFAULT_DIR = Path(".cache") / "blogcode-exec"
MODES = ("on", "off", "refresh")
OFF_WORDS = ("0", "off", "no", "false")


@dataclass(frozen=True)
class CacheSettings:
    """How a build uses the cache: ``BLOGCODE_CACHE``, ``BLOGCODE_EXECUTE``, ``BLOGCODE_CACHE_DIR``.

    ``mode``: ``on`` (default) reads and writes records; ``refresh`` executes every
    block and writes; ``off`` neither reads nor writes.  ``execute`` is False when
    ``BLOGCODE_EXECUTE`` is ``0``/``off``/``no``/``false`` (blocks are not run at all).
    """

    mode: str
    execute: bool
    folder: Path

    @property
    def read(self) -> bool:
        return self.mode == "on"

    @property
    def write(self) -> bool:
        return self.mode != "off"

    @classmethod
    def from_env(
        cls, default_dir: str | Path, root: Path, environ: Mapping[str, str] = os.environ
    ) -> CacheSettings:
        """The settings in ``environ``; a relative folder is taken relative to ``root``.

        Raises ValueError naming the bad value when ``BLOGCODE_CACHE`` is not one of MODES.
        """
        mode = environ.get("BLOGCODE_CACHE", "on").lower()
        if mode not in MODES:
            raise ValueError(f"BLOGCODE_CACHE must be on, off or refresh, not {mode!r}")
        execute = environ.get("BLOGCODE_EXECUTE", "1").lower() not in OFF_WORDS
        folder = Path(environ.get("BLOGCODE_CACHE_DIR") or default_dir)
        return cls(mode, execute, folder if folder.is_absolute() else root / folder)


def stable_repr(obj: Any) -> str:
    """A repr that is the same in every process (no memory addresses): for cache keys."""
    if isinstance(obj, dict):
        items = sorted(obj.items(), key=lambda kv: str(kv[0]))
        return "{" + ",".join(f"{stable_repr(k)}:{stable_repr(v)}" for k, v in items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(stable_repr(v) for v in obj) + "]"
    if isinstance(obj, (str, int, float, bool, type(None))):
        return repr(obj)
    if callable(obj):
        name = getattr(obj, "__qualname__", type(obj).__qualname__)
        return f"<{getattr(obj, '__module__', '?')}.{name}>"
    return f"<{type(obj).__module__}.{type(obj).__qualname__}>"


@dataclass
class Record:
    html: str  # the rendered output of the block (not its source)
    modules: dict[str, str]  # blogcode module -> content hash, as imported by the session
    seconds: float
    notices: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # data files read -> content hash


_RECORD_FIELDS = ("html", "modules", "seconds", "notices", "files")
_RECORD_REQUIRED = ("html", "modules", "seconds")


def _str_map(data: dict[str, Any], key: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{key!r} must map strings to strings, got {value!r:.80}")
    return dict(value)


def record_from_json(data: Any) -> Record:
    """The :class:`Record` that ``data`` (a parsed record file) holds.

    Raises ValueError naming what is wrong: not a mapping, a missing or unknown key,
    or a value of the wrong type.
    """
    if not isinstance(data, dict):
        raise ValueError(f"a record must be a JSON object, got {type(data).__name__}")
    missing = [k for k in _RECORD_REQUIRED if k not in data]
    if missing:
        raise ValueError(f"missing key(s) {missing}")
    unknown = sorted(str(k) for k in data if k not in _RECORD_FIELDS)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}")
    html, seconds, notices = data["html"], data["seconds"], data.get("notices", [])
    if not isinstance(html, str):
        raise ValueError(f"'html' must be a string, got {html!r:.80}")
    if (
        isinstance(seconds, bool) or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds) or seconds < 0
    ):
        raise ValueError(f"'seconds' must be a number >= 0, got {seconds!r:.80}")
    if not isinstance(notices, list) or not all(
        isinstance(n, list) and len(n) == 2 and all(isinstance(x, str) for x in n)
        for n in notices
    ):
        raise ValueError(
            f"'notices' must be a list of [kind, message] strings, got {notices!r:.80}"
        )
    return Record(
        html=html,
        modules=_str_map(data, "modules"),
        seconds=float(seconds),
        notices=[(kind, message) for kind, message in notices],
        files=_str_map(data, "files"),
    )


def static_key(spec: BlockSpec, environment: str) -> str:
    """Hash of everything about a block that is known before it runs."""
    material = {
        "engine": ENGINE_VERSION,
        "block": block_digest(spec),
        "session": [block_digest(p) for p in spec.previous],
        "page": spec.page if spec.session else "",
        "env": environment,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class ExecCache:
    """A folder of records plus an in-memory layer for ``mkdocs serve``."""

    def __init__(self, folder: Path | str = DEFAULT_DIR, read: bool = True, write: bool = True):
        self.folder = Path(folder)
        self.read = read  # consult stored records
        self.write = write  # store new records
        self._memory: dict[str, Record] = {}
        # Record files found unreadable as records, relative to the folder, in the order
        # found, each once: a build report shows them.
        self.malformed: list[str] = []

    def reset_stats(self) -> None:
        """Forget what earlier builds found (the cache object outlives a build)."""
        self.malformed.clear()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, module_hashes: dict[str, str]) -> Record | None:
        """The record for ``key`` if all of its modules still hash the same."""
        if not self.read:
            return None
        rec = self._memory.get(key)
        if rec is None:
            rec = self._load(key)
            if rec is None:
                return None
            self._memory[key] = rec
        if any(module_hashes.get(m) != h for m, h in rec.modules.items()):
            return None
        if any(file_digest(f) != h for f, h in rec.files.items()):
            return None
        return rec

    def _load(self, key: str) -> Record | None:
        """The stored record for ``key``; None if there is none or it is malformed."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:  # no record (or an unreadable one): a miss
            return None
        try:
            return record_from_json(json.loads(raw.decode("utf-8")))
        except (ValueError, RecursionError):  # bad UTF-8 or JSON, or the wrong shape
            name = path.relative_to(self.folder).as_posix()
            if name not in self.malformed:
                self.malformed.append(name)
            return None

    def put(self, key: str, record: Record) -> None:
        if not self.write:
            return
        self._memory[key] = record
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(record), f, ensure_ascii=False)
        os.replace(tmp, path)

    def clear(self) -> int:
        """Delete every record; return how many there were."""
        self._memory.clear()
        n = sum(1 for _ in self.folder.rglob("*.json")) if self.folder.exists() else 0
        shutil.rmtree(self.folder, ignore_errors=True)
        return n


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("clear", "info"):
        print("usage: python -m blogcode.publish.cache clear|info [DIR]", file=sys.stderr)
        return 2
    folder = Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    cache = ExecCache(folder)
    if argv[0] == "clear":
        print(f"removed {cache.clear()} cached block results from {folder}")
    else:
        files = list(folder.rglob("*.json")) if folder.exists() else []
        size = sum(f.stat().st_size for f in files)
        print(f"{len(files)} cached block results, {size / 1e6:.1f} MB, in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
