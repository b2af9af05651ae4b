"""Run post blocks in worker processes: sessions, replay, parallelism, limits.

A *session* is one worker process per (page, session name) — see
:mod:`blogcode.publish.worker` — whose blocks run in order in one namespace.
Sessionless blocks get a worker each.  :class:`Executor` schedules whole
sessions on a pool of ``workers`` threads, each driving one worker process at a
time, so independent sessions run in parallel while a session's blocks stay in
order.  A caller either submits the blocks it will need ahead of time
(:meth:`Executor.submit`, so they run concurrently) or just asks for a block's
result (:meth:`Executor.result`), which waits, submitting it first if need be.

A block that misses in the middle of a session is run after the earlier
blocks of its session (*replayed*: their output is discarded, their state is
what the block expects).  ``mkdocs serve`` keeps finished sessions' workers
alive (``keep_idle``), so a block appended to a session does not replay it.

While a session runs, the ``blogcode`` modules its blocks import are recorded;
the modules a session depends on are those imports closed over blogcode's own
static import graph (:func:`closure`), so a module that a recorded module
imports, even lazily inside a function, counts too.

Nothing here knows about MkDocs: the fence starts an executor lazily, and it
shuts down at interpreter exit (or when the plugin says so).
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import BlockOptionError, BlockSpec, block_options
from .pool import PoolError, Worker, WorkerLost, Zygote

PACKAGE = "blogcode"
DEFAULT_TIMEOUT = 300.0
DEFAULT_MEMORY = 4 << 30  # bytes of data segment per worker (RLIMIT_DATA)
DEFAULT_OUTPUT = 4 << 20  # bytes of captured output per block
#: Idle session workers ``mkdocs serve`` keeps, most recently used first.
KEEP_IDLE = 8


class BlockError(Exception):
    """A block raised, timed out, or its worker died.

    ``kind`` is the exception's type name (``ZeroDivisionError``), or
    ``BlockTimeout`` / ``WorkerDied``; ``tb_text`` the traceback (of the
    block's own frames) or the explanation.
    """

    def __init__(
        self, spec: BlockSpec, kind: str, message: str, tb_text: str, replaying: bool = False
    ):
        self.spec, self.kind, self.message, self.tb_text = spec, kind, message, tb_text
        self.replaying = replaying
        what = "while replaying earlier block" if replaying else "block"
        super().__init__(f"{what} at {spec.where} raised {kind}: {message}")


class SessionBroken(BlockError):
    """Not run, because an earlier block of its session failed (``failed``)."""

    def __init__(self, spec: BlockSpec, failed: BlockSpec):
        self.failed = failed
        msg = f"not run, because block at line {failed.line} of session {spec.session!r} failed"
        super().__init__(spec, "SessionBroken", msg, msg + "\n")


@dataclass(frozen=True)
class BlockResult:
    stdout: str
    imported: frozenset[str]  # blogcode names the session imported up to this block
    files: Mapping[str, str]  # data files the session declared up to this block -> digest
    notices: tuple[tuple[str, str], ...]  # this block's notices
    seconds: float  # this block's own run time
    replayed: int = 0  # earlier blocks run again first


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


#: (module name, digest) -> its blogcode imports: parsing every module costs ~0.5 s a build.
_IMPORTS: dict[tuple[str, str], set[str]] = {}


def scan_package(root: Path, cache_file: Path | None = None) -> dict[str, ModuleInfo]:
    """Hash and parse every module of the package rooted at ``root``.

    A module is parsed only when its content is new: the imports found are kept in
    memory (``mkdocs serve``) and, given ``cache_file``, in a JSON file keyed by name
    and content hash (fresh processes).
    """
    stored: dict[str, list[str]] = {}
    if cache_file is not None and not _IMPORTS:
        try:
            data = json.loads(cache_file.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                stored = {k: v for k, v in data.items() if isinstance(v, list)}
        except (OSError, ValueError):
            pass
    mods: dict[str, ModuleInfo] = {}
    parsed = False
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        name = _module_name(root, path)
        digest = hashlib.sha256(data).hexdigest()[:16]
        imports = _IMPORTS.get((name, digest))
        if imports is None and f"{name}@{digest}" in stored:
            imports = {str(m) for m in stored[f"{name}@{digest}"]}
        if imports is None:
            parsed = True
            try:
                imports = _imports_of(ast.parse(data), name, path.name == "__init__.py")
            except SyntaxError:
                imports = set()
        _IMPORTS[(name, digest)] = imports
        mods[name] = ModuleInfo(name, path, digest, imports)
    if cache_file is not None and (parsed or not stored):
        out = {f"{m.name}@{m.digest}": sorted(m.imports) for m in mods.values()}
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(out, sort_keys=True), encoding="utf-8")
            os.replace(tmp, cache_file)
        except OSError:
            pass
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



def block_digest(spec: BlockSpec) -> str:
    return hashlib.sha256(repr((spec.code, spec.options)).encode()).hexdigest()[:16]


def run_key(spec: BlockSpec) -> tuple[str, str, tuple[str, ...]]:
    """What decides a block's output: its session (for named ones) and the code up to it."""
    chain = tuple(block_digest(p) for p in spec.previous) + (block_digest(spec),)
    return (spec.page if spec.session else "", spec.session or "", chain)


@dataclass
class _Job:
    page: str
    session: str | None
    chain: list[BlockSpec]  # every block to have run, in order
    owned: dict[int, Future[BlockResult]]  # chain index -> the future this job fulfils


@dataclass
class _Idle:
    worker: Worker
    history: list[str]  # digests of the blocks it ran
    imported: set[str] = field(default_factory=set)
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class ExecStats:
    sessions: int = 0  # workers that ran blocks
    forks: int = 0
    reused: int = 0  # idle workers reused (serve)
    blocks: int = 0
    busy_seconds: float = 0.0  # summed over workers, from fork to close
    first_start: float | None = None
    last_end: float | None = None

    @property
    def wall_seconds(self) -> float:
        if self.first_start is None or self.last_end is None:
            return 0.0
        return self.last_end - self.first_start


class Executor:
    """Runs blocks in worker processes, ``workers`` sessions at a time."""

    def __init__(
        self, root: Path | str | None = None, *, workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT, memory: int | None = DEFAULT_MEMORY,
        output_limit: int = DEFAULT_OUTPUT, keep_idle: int = 0,
        protected: Sequence[str | Path] = (),
    ):
        self.root = Path(root or Path.cwd()).resolve()
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout, self.memory, self.output_limit = timeout, memory, output_limit
        self.keep_idle = keep_idle
        self.protected = [str(p) for p in protected]
        self.stats = ExecStats()
        self._zygote: Zygote | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._threads_size = 0
        self._lock = threading.Lock()
        self._futures: dict[tuple[str, str, tuple[str, ...]], Future[BlockResult]] = {}
        self._idle: OrderedDict[tuple[str, str], _Idle] = OrderedDict()
        self._hashes: dict[str, str] = {}
        atexit.register(self.shutdown)

    # -- builds ------------------------------------------------------------
    def new_build(self, module_hashes: Mapping[str, str] | None = None) -> None:
        """Forget the last build's results; drop workers that hold edited ``blogcode`` code."""
        with self._lock:
            self._futures = {}
            self.stats = ExecStats()
            if module_hashes is None:
                return
            changed = {m for m, h in module_hashes.items() if self._hashes.get(m, h) != h}
            self._hashes = dict(module_hashes)
            if changed:
                idle, self._idle = list(self._idle.values()), OrderedDict()
            else:
                idle = []
            zygote = self._zygote
        for item in idle:
            item.worker.close()
        if zygote is not None and changed & set(zygote.blogcode_modules):
            zygote.shutdown()  # its own machinery changed: the next fork starts a fresh one

    def submit(self, specs: Sequence[BlockSpec]) -> None:
        """Schedule ``specs`` (blocks of one session, or one sessionless block) to run.

        The job runs the session from its first block (or from where an idle
        worker of that session stopped) to the last of ``specs``.
        """
        if not specs:
            return
        target = max(specs, key=lambda s: len(s.previous))
        chain = list(target.previous) + [target]
        with self._lock:
            if run_key(target) in self._futures:
                return
            failed = self._failed_before(chain)
            if failed is not None:  # an earlier block of the session failed in this build
                for spec in specs:
                    fut = self._futures.setdefault(run_key(spec), Future())
                    if not fut.done():
                        fut.set_exception(SessionBroken(spec, failed))
                return
            owned: dict[int, Future[BlockResult]] = {}
            for i, spec in enumerate(chain):
                key = run_key(spec)
                if key not in self._futures and (spec in specs or i == len(chain) - 1):
                    owned[i] = self._futures[key] = Future()
            job = _Job(target.page, target.session, chain, owned)
            pool = self._pool()
        pool.submit(self._run_job, job)

    def _failed_before(self, chain: list[BlockSpec]) -> BlockSpec | None:
        for spec in chain[:-1]:
            fut = self._futures.get(run_key(spec))
            if fut is not None and fut.done() and fut.exception() is not None:
                err = fut.exception()
                return err.failed if isinstance(err, SessionBroken) else spec
        return None

    def result(self, spec: BlockSpec) -> BlockResult:
        """The result of ``spec``, running it first if nobody has; raises :class:`BlockError`."""
        with self._lock:
            fut = self._futures.get(run_key(spec))
        if fut is None:
            self.submit([spec])
            with self._lock:
                fut = self._futures[run_key(spec)]
        return fut.result()

    run = result  # the name the tests and notebooks know

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = list(self._idle.values()), OrderedDict()
            threads, self._threads = self._threads, None
            zygote, self._zygote = self._zygote, None
        for item in idle:
            item.worker.kill()
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)
        if zygote is not None:
            zygote.shutdown()

    # -- internals -----------------------------------------------------------
    def _pool(self) -> ThreadPoolExecutor:
        if self._threads is None or self._threads_size != self.workers:
            if self._threads is not None:
                self._threads.shutdown(wait=False)
            self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="blogcode-exec")
            self._threads_size = self.workers
        return self._threads

    def _zygote_for(self) -> Zygote:
        with self._lock:
            if self._zygote is None or self._zygote.root != self.root:
                if self._zygote is not None:
                    self._zygote.shutdown()
                self._zygote = Zygote(self.root)
            return self._zygote

    @property
    def zygote_seconds(self) -> float:
        """How long the zygote took to import the preloaded libraries (0 if not started)."""
        return self._zygote.start_seconds if self._zygote is not None else 0.0

    def start(self) -> None:
        """Start the zygote now (it imports torch & co. while the build goes on)."""
        self._zygote_for().start()

    def _settings(self) -> dict[str, Any]:
        return {
            "root": str(self.root), "protected": list(self.protected),
            "memory": self.memory, "output_limit": self.output_limit,
        }

    def _acquire(self, job: _Job, digests: list[str]) -> tuple[Worker, _Idle]:
        if job.session:
            with self._lock:
                idle = self._idle.pop((job.page, job.session), None)
            if idle is not None:
                n = len(idle.history)
                if idle.worker.alive and idle.history == digests[:n] and n < len(digests):
                    self.stats.reused += 1
                    return idle.worker, idle
                idle.worker.close()
        worker = self._zygote_for().fork(self._settings())
        self.stats.forks += 1
        return worker, _Idle(worker, [])

    def _release(self, job: _Job, state: _Idle, ok: bool) -> None:
        if not (ok and job.session and self.keep_idle > 0 and state.worker.alive):
            state.worker.close()
            return
        with self._lock:
            self._idle[(job.page, job.session)] = state
            extra = []
            while len(self._idle) > self.keep_idle:
                extra.append(self._idle.popitem(last=False)[1])
        for item in extra:
            item.worker.close()

    def _limits(self, spec: BlockSpec) -> tuple[float, int | None]:
        try:
            opts = block_options(spec)
        except BlockOptionError:  # reported by the caller; run with the defaults
            return self.timeout, self.memory
        return (opts.timeout or self.timeout, opts.memory or self.memory)

    def _run_job(self, job: _Job) -> None:
        digests = [block_digest(s) for s in job.chain]
        try:
            worker, state = self._acquire(job, digests)
        except (PoolError, OSError) as err:
            self._fail_all(job, 0, f"could not start a worker process: {err}")
            return
        # Timed from a ready worker: the zygote's one-off start is not execution.
        t0 = time.perf_counter()
        with self._lock:
            if self.stats.first_start is None or t0 < self.stats.first_start:
                self.stats.first_start = t0
        self.stats.sessions += 1
        start = len(state.history)
        first_owned = min(job.owned) if job.owned else len(job.chain)
        ok = True
        try:
            for i in range(start, len(job.chain)):
                spec = job.chain[i]
                ok = self._run_block(job, i, spec, worker, state, replayed=first_owned - start)
                if not ok:
                    break
        except BaseException as err:  # noqa: BLE001 - a bug here must not hang the build
            ok = False
            self._fail_all(job, 0, f"internal error while running the session: {err!r}")
            raise
        finally:
            self._release(job, state, ok)
            end = time.perf_counter()
            with self._lock:
                self.stats.busy_seconds += end - t0
                self.stats.last_end = max(self.stats.last_end or end, end)

    def _run_block(
        self, job: _Job, i: int, spec: BlockSpec, worker: Worker, state: _Idle, replayed: int
    ) -> bool:
        timeout, memory = self._limits(spec)
        message = {
            "code": spec.code, "filename": spec.page, "line": spec.line, "memory": memory,
        }
        replaying = i not in job.owned
        try:
            kind, payload = worker.run(message, timeout)
        except WorkerLost as lost:
            if lost.timed_out:
                err = BlockError(
                    spec, "BlockTimeout",
                    f"block ran longer than its time limit of {timeout:g} s",
                    f"BlockTimeout: the block ran longer than its time limit of {timeout:g} s; "
                    "its worker process was killed (raise the limit with "
                    'timeout="..." on the block)\n',
                    replaying,
                )
            else:
                how = f"the worker process running the block {lost.how}"
                err = BlockError(
                    spec, "WorkerDied", how,
                    f"WorkerDied: {how} (a block must not end its process: os._exit, a crash "
                    "in a C extension, or the system's out-of-memory killer)\n",
                    replaying,
                )
            self._fail_from(job, i, err)
            return False
        if kind == "error":
            err = BlockError(
                spec, payload["type"], payload["message"], payload["traceback"], replaying
            )
            self._fail_from(job, i, err)
            return False
        state.history.append(block_digest(spec))
        state.imported.update(payload["imported"])
        state.files.update(payload["files"])
        self.stats.blocks += 1
        fut = job.owned.get(i)
        if fut is not None:
            fut.set_result(BlockResult(
                payload["stdout"], frozenset(state.imported), dict(state.files),
                tuple((str(k), str(m)) for k, m in payload["notices"]),
                payload["seconds"], replayed if i == min(job.owned) else 0,
            ))
        return True

    def _fail_from(self, job: _Job, i: int, err: BlockError) -> None:
        """Block ``i`` failed: it gets ``err``; the owned blocks after it are broken."""
        first = True
        for j in sorted(job.owned):
            if j < i:
                continue
            fut = job.owned[j]
            if fut.done():
                continue
            if first:
                fut.set_exception(err)
                first = False
            else:
                fut.set_exception(SessionBroken(job.chain[j], err.spec))

    def _fail_all(self, job: _Job, i: int, message: str) -> None:
        spec = job.chain[min(job.owned)] if job.owned else job.chain[-1]
        self._fail_from(job, i, BlockError(spec, "WorkerError", message, message + "\n"))


#: The executor blocks run in, created on first use (the fence and the plugin share it).
_EXECUTOR: Executor | None = None


def get_executor() -> Executor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = Executor()
    return _EXECUTOR
