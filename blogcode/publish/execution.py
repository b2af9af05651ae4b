"""Run post blocks: sessions, replay, import recording, time limits.

A session is one namespace per (page, session name).  Each block runs in that
namespace with stdout captured.  While it runs, ``import`` statements in the
block are recorded (through a wrapped ``__import__`` in the namespace's
builtins); the ``blogcode`` modules a session depends on are those recorded
imports closed over blogcode's own static import graph (so a module that a
recorded module imports, even lazily inside a function, counts too).

A block runs in a worker thread so that a per-block time limit can be
enforced from the build thread (``mkdocs serve`` builds off the main thread,
where signals are unavailable).  A runaway block gets an asynchronous
``BlockTimeout`` raised inside it; the session is then discarded.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import ctypes
import hashlib
import io
import linecache
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .blocks import BlockSpec

PACKAGE = "blogcode"
#: The build machinery, never purged between builds (nor is ``blogcode`` itself): the
#: running plugin holds these modules, and the fence keeps state in ``notices`` and ``deps`` ...
MACHINERY = "blogcode.publish"
#: ... except the helpers post code imports: they keep no build state, and are reloaded like
#: the rest of blogcode when their source changes (else a block would run the old code).
POST_HELPERS = ("blogcode.publish.figures", "blogcode.publish.results")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_reloadable(name: str) -> bool:
    """Whether ``mkdocs serve`` may forget module ``name`` when blogcode's sources change."""
    if not name.startswith(PACKAGE + "."):
        return False  # not blogcode, or the top-level package itself
    return not _within(name, MACHINERY) or any(_within(name, h) for h in POST_HELPERS)


class BlockTimeout(Exception):
    """Raised inside a block that ran past its time limit."""


class BlockError(Exception):
    """A block raised; carries the formatted traceback of the block's code."""

    def __init__(self, spec: BlockSpec, exc: BaseException, tb_text: str, replaying: bool = False):
        self.spec, self.exc, self.tb_text, self.replaying = spec, exc, tb_text, replaying
        what = "while replaying earlier block" if replaying else "block"
        super().__init__(f"{what} at {spec.where} raised {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------
# blogcode's module graph


@dataclass
class ModuleInfo:
    name: str
    path: Path
    digest: str
    imports: set[str]


def _module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(tree: ast.AST, name: str, is_pkg: bool) -> set[str]:
    out: set[str] = set()
    package = name if is_pkg else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in out if m == PACKAGE or m.startswith(PACKAGE + ".")}


def scan_package(root: Path) -> dict[str, ModuleInfo]:
    """Hash and parse every module of the package rooted at ``root``."""
    mods: dict[str, ModuleInfo] = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        name = _module_name(root, path)
        try:
            tree = ast.parse(data)
            imports = _imports_of(tree, name, path.name == "__init__.py")
        except SyntaxError:
            imports = set()
        mods[name] = ModuleInfo(name, path, hashlib.sha256(data).hexdigest()[:16], imports)
    return mods


def closure(names: set[str], graph: dict[str, ModuleInfo]) -> set[str]:
    """Modules of ``graph`` reached from ``names`` (including parent packages)."""
    todo = list(names)
    seen: set[str] = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        # "from blogcode.ssm import legs": the attribute is not a module; its package is.
        while n and n not in graph and "." in n:
            n = n.rpartition(".")[0]
        if n not in graph or n in seen:
            continue
        seen.add(n)
        parent = n.rpartition(".")[0]
        if parent:
            todo.append(parent)
        todo.extend(graph[n].imports)
    return seen


# ---------------------------------------------------------------------------
# sessions


@dataclass
class Session:
    namespace: dict[str, Any]
    history: list[str] = field(default_factory=list)  # digests of the blocks run, in order
    imported: set[str] = field(default_factory=set)  # blogcode names the session imported
    files: dict[str, str] = field(default_factory=dict)  # data files its blocks declared


def block_digest(spec: BlockSpec) -> str:
    return hashlib.sha256(repr((spec.code, spec.options)).encode()).hexdigest()[:16]


class _Printer:
    """``print`` for the block namespace that writes to the block's buffer."""

    def __init__(self, buf: io.StringIO):
        self.buf = buf

    def __call__(
        self, *args: object, sep: str | None = " ", end: str | None = "\n",
        file: Any = None, flush: bool = False,
    ) -> None:
        if file is not None and file not in (sys.stdout,):
            return builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
        sep = " " if sep is None else sep  # None means the default, as for print
        end = "\n" if end is None else end
        self.buf.write(sep.join(str(a) for a in args) + end)


def _new_namespace(session: Session) -> dict[str, Any]:
    real_import = builtins.__import__

    def recording_import(
        name: str, globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None, fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0 and (name == PACKAGE or name.startswith(PACKAGE + ".")):
            session.imported.add(name)
            for item in fromlist or ():
                session.imported.add(f"{name}.{item}")
        return real_import(name, globals, locals, fromlist, level)

    bi = dict(vars(builtins))
    bi["__import__"] = recording_import
    return {"__name__": "__main__", "__builtins__": bi}


class Executor:
    """Runs blocks, keeping one :class:`Session` per (page, session name)."""

    def __init__(self, timeout: float = 120.0):
        self.timeout = timeout
        self.sessions: dict[tuple[str, str], Session] = {}
        self._loaded: dict[str, str] = {}  # module -> digest of its source when last seen

    def reset(self) -> None:
        self.sessions.clear()

    def purge_changed_modules(self, graph: dict[str, ModuleInfo]) -> int:
        """Forget blogcode modules whose source changed since the last call; return how many.

        When any did, every reloadable module is dropped from ``sys.modules`` (a module
        that imported the changed one holds the old objects) and all sessions restart.
        """
        changed = [
            name for name, digest in self._loaded.items()
            if name in sys.modules and name in graph and graph[name].digest != digest
        ]
        if changed:
            for name in [n for n in sys.modules if is_reloadable(n)]:
                del sys.modules[name]
            self.reset()
        self._loaded.update((name, info.digest) for name, info in graph.items())
        return len(changed)

    def _session_for(self, spec: BlockSpec) -> tuple[Session, list[BlockSpec]]:
        """The session to run ``spec`` in, and the earlier blocks to replay first."""
        if not spec.session:
            s = Session({})
            s.namespace = _new_namespace(s)
            return s, []
        key = (spec.page, spec.session)
        want = [block_digest(p) for p in spec.previous]
        known = self.sessions.get(key)
        if known is not None and known.history == want:
            return known, []
        s = Session({})
        s.namespace = _new_namespace(s)
        self.sessions[key] = s
        return s, list(spec.previous)

    def run(self, spec: BlockSpec, timeout: float | None = None) -> tuple[str, Session, float, int]:
        """Run ``spec`` (replaying earlier session blocks if needed).

        Returns ``(stdout, session, seconds, replayed)``.  Raises
        :class:`BlockError` if the block (or a replayed one) raises or times out.
        """
        session, replay = self._session_for(spec)
        t0 = time.perf_counter()
        try:
            for prev in replay:
                self._run_one(prev, session, timeout, replaying=True)
                session.history.append(block_digest(prev))
            out = self._run_one(spec, session, timeout, replaying=False)
        except BlockError:
            if spec.session:
                self.sessions.pop((spec.page, spec.session), None)
            raise
        session.history.append(block_digest(spec))
        return out, session, time.perf_counter() - t0, len(replay)

    def _run_one(
        self, spec: BlockSpec, session: Session, timeout: float | None, replaying: bool
    ) -> str:
        limit = float(spec.option("timeout") or timeout or self.timeout)
        buf = io.StringIO()
        ns = session.namespace
        ns["print"] = _Printer(buf)
        # Compile with the page as file name and file line numbers, so tracebacks
        # point into the Markdown file.
        filename = spec.page
        linecache.cache[filename] = (
            len(spec.code), None, [""] * spec.line + spec.code.splitlines(True), filename
        )
        result: dict[str, BaseException] = {}

        def target() -> None:
            try:
                tree = ast.parse(spec.code, filename, "exec")
                ast.increment_lineno(tree, spec.line)
                code = compile(tree, filename, "exec")
                with contextlib.redirect_stdout(buf):
                    exec(code, ns)
            except BaseException as exc:  # noqa: BLE001 - reported to the author
                result["error"] = exc

        worker = threading.Thread(target=target, name=f"block {spec.where}", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive() and worker.ident is not None:  # a started thread has an ident
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(worker.ident), ctypes.py_object(BlockTimeout)
            )
            worker.join(5.0)
            late = BlockTimeout(f"block ran longer than its time limit of {limit:g} s")
            raise BlockError(spec, late, f"BlockTimeout: {late}\n", replaying)
        if "error" in result:
            exc = result["error"]
            tb = traceback.TracebackException.from_exception(exc)
            # Keep only the frames of the block and what it called, not the runner's own.
            frames = [f for f in tb.stack if not f.filename.endswith("execution.py")]
            tb.stack = traceback.StackSummary.from_list(frames)
            raise BlockError(spec, exc, "".join(tb.format()), replaying)
        return buf.getvalue()
