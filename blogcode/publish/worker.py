"""The processes that run post code: a zygote, and one worker per session.

The build (the MkDocs process) never executes a post's code.  It starts one
*zygote*, ``python -m blogcode.publish.worker``, which imports the heavy
libraries once (numpy, torch, matplotlib, ...) and then forks a fresh *worker*
for each session on request, so a session starts in milliseconds from the same
state as every other: the project root as working directory, the zygote's
``sys.path``, fixed seeds for ``random``, numpy and torch, and one thread for
the numerical libraries (so numbers do not depend on how many sessions run at
once, or on the machine's core count).

Inside a worker, blocks run one after the other in one namespace, under

* a memory cap (``RLIMIT_DATA``, raised or lowered per block),
* a cap on captured output (past it, ``print`` raises :class:`OutputLimitError`),
* an audit hook that refuses writes under the protected paths (the sources,
  the site, the cache) and any network access, each with an error that says
  what was refused and why;
* a scratch folder of its own, which is ``TMPDIR`` and ``tempfile.gettempdir()``.

The time limit is enforced from outside: the parent kills the worker's process
group, which works for code that never returns to Python.  A worker that dies
is reported by the zygote (``waitpid`` status) so the parent can say how it
ended.  The parent side is :mod:`blogcode.publish.pool`.

Messages are pickled tuples over ``multiprocessing.connection`` sockets:

* zygote -> parent: ``("zygote", pid, preloaded, blogcode_modules)``,
  ``("forked", token, pid)``, ``("exit", pid, wait_status)``;
* parent -> zygote: ``("fork", token, settings)``;
* worker -> parent: ``("worker", token, pid)`` once, then one reply per block:
  ``("done", result)`` or ``("error", error)``;
* parent -> worker: ``("run", block)``, ``("close",)``.
"""

from __future__ import annotations

import builtins
import ctypes
import io
import linecache
import os
import random
import resource
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Client, Connection, wait
from types import ModuleType
from typing import Any

from .blocks import format_size

PACKAGE = "blogcode"
#: Imported once by the zygote (those that are installed); every worker inherits them.
PRELOAD = (
    "numpy", "scipy", "scipy.linalg", "scipy.integrate", "scipy.special", "sympy",
    "matplotlib", "matplotlib.pyplot", "torch", "threadpoolctl",
)
#: Set before anything is imported: one thread per worker, whatever the machine.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
}
KEY_ENV = "BLOGCODE_WORKER_KEY"
SEED = 0

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {  # audit event -> indexes of its path arguments that would be modified
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
    "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
    "os.link": (1,), "os.symlink": (1,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
    "shutil.copytree": (1,), "shutil.move": (0, 1), "os.setxattr": (0,),
    "os.removexattr": (0,),
}
_NET_EVENTS = {
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex",
}
_IP_FAMILIES = {socket.AF_INET, socket.AF_INET6}


class OutputLimitError(RuntimeError):
    """A block printed more than the captured-output limit."""


class ProtectedPathError(PermissionError):
    """A block tried to modify the sources, the site or the cache."""


class NetworkDisabledError(PermissionError):
    """A block tried to use the network (the build is offline)."""


# ---------------------------------------------------------------------------
# the zygote


def zygote_main(address: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    t0 = time.perf_counter()
    preloaded = _preload()
    seconds = time.perf_counter() - t0
    conn = Client(address, family="AF_UNIX", authkey=bytes.fromhex(os.environ.pop(KEY_ENV)))
    ours = sorted(m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + "."))
    conn.send(("zygote", os.getpid(), preloaded, ours, seconds))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready = wait([conn, wake_r])
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(conn)
        if conn in ready:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return  # the build is gone; workers follow (PR_SET_PDEATHSIG)
            if msg[0] == "fork":
                _, token, settings = msg
                pid = os.fork()
                if pid == 0:  # the worker
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    os.close(wake_r)
                    os.close(wake_w)
                    conn.close()
                    code = 0
                    try:
                        worker_main(address, token, settings)
                    except BaseException:  # noqa: BLE001 - last resort, then leave
                        traceback.print_exc()
                        code = 70
                    finally:
                        os._exit(code)
                conn.send(("forked", token, pid))
            elif msg[0] == "quit":
                return


def _reap(conn: Connection) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn.send(("exit", pid, status))


def _preload() -> list[str]:
    import importlib

    done = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed (or broken): sessions import it lazily
            continue
        if name == "matplotlib":
            import matplotlib

            matplotlib.use("Agg")
        done.append(name)
    if os.environ.get("TRITON_INTERPRET") == "1":  # CI runs the kernels in the interpreter
        try:
            importlib.import_module("triton")
            done.append("triton")
        except Exception:  # noqa: BLE001
            pass
    return done


# ---------------------------------------------------------------------------
# a worker


class _CappedOutput(io.StringIO):
    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.size = limit, 0

    def write(self, s: str) -> int:
        self.size += len(s.encode("utf-8", "replace"))
        if self.size > self.limit:
            raise OutputLimitError(
                f"the block printed more than {format_size(self.limit)}, the limit on captured "
                "output (is it printing a whole array or a huge figure?)"
            )
        return super().write(s)


class _Guard:
    """The audit hook: no writes under protected paths, no network."""

    def __init__(self, root: str, protected: Sequence[str], scratch: str):
        self.root = root
        self.protected = [os.path.realpath(p) for p in protected]
        self.scratch = scratch
        self.active = False

    def _protected(self, path: Any) -> str | None:
        if isinstance(path, int) or path is None:
            return None
        try:
            p = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return None
        for root in self.protected:
            if p == root or p.startswith(root + os.sep):
                return os.path.relpath(p, self.root) if p.startswith(self.root) else p
        return None

    def _refuse(self, path: str, what: str) -> None:
        raise ProtectedPathError(
            f"post code may not {what} {path}: the sources, the site and the cache are "
            f"read-only to blocks (write scratch files under {self.scratch}, which is "
            "tempfile.gettempdir())"
        )

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing:
                bad = self._protected(path)
                if bad is not None:
                    self._refuse(bad, "write")
        elif event in _PATH_EVENTS:
            for i in _PATH_EVENTS[event]:
                bad = self._protected(args[i]) if i < len(args) else None
                if bad is not None:
                    self._refuse(bad, f"modify ({event})")
        elif event in _NET_EVENTS:
            if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
                sock = args[0]
                if getattr(sock, "family", None) not in _IP_FAMILIES:
                    return  # a Unix socket or a pipe: not the network
                target = args[1] if len(args) > 1 else ""
            else:
                target = args[0] if args else ""
            raise NetworkDisabledError(
                f"network access is disabled in post code ({event} {target!r}): the build is "
                "offline; a block that needs data reads a committed file "
                "(blogcode.publish.deps.depends_on)"
            )


def _pdeathsig() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the zygote
    except (OSError, AttributeError):
        pass


def _seed() -> None:
    random.seed(SEED)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(SEED)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(SEED)
        torch.set_num_threads(1)


def _set_memory(limit: int | None) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = resource.RLIM_INFINITY if limit is None else limit
    if hard != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > hard):
        soft = hard
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def worker_main(address: str, token: str, settings: Mapping[str, Any]) -> None:
    os.setpgid(0, 0)  # the parent kills the whole group on a timeout
    _pdeathsig()
    authkey = bytes.fromhex(settings["authkey"])
    conn = Client(address, family="AF_UNIX", authkey=authkey)
    conn.send(("worker", token, os.getpid()))
    root, scratch = settings["root"], settings["scratch"]
    os.chdir(root)
    if settings.get("sys_path") is not None:
        sys.path[:] = list(settings["sys_path"])
    os.environ["TMPDIR"] = scratch
    os.environ["BLOGCODE_SCRATCH"] = scratch
    tempfile.tempdir = scratch
    _seed()
    guard = _Guard(root, settings["protected"], scratch)
    sys.addaudithook(guard)
    session = _Session()
    default_memory = settings.get("memory")
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "close":
            return
        block = msg[1]
        block = {**block, "memory": block.get("memory") or default_memory}
        _set_memory(block["memory"])
        guard.active = True
        try:
            reply = session.run(block, settings["output_limit"])
        finally:
            guard.active = False
        conn.send(reply)


class _Session:
    """One namespace; records which ``blogcode`` modules its blocks import."""

    def __init__(self) -> None:
        self.imported: set[str] = set()
        real_import = builtins.__import__
        imported = self.imported

        def recording_import(
            name: str, globals: Mapping[str, object] | None = None,
            locals: Mapping[str, object] | None = None, fromlist: Sequence[str] | None = (),
            level: int = 0,
        ) -> ModuleType:
            if level == 0 and (name == PACKAGE or name.startswith(PACKAGE + ".")):
                imported.add(name)
                for item in fromlist or ():
                    imported.add(f"{name}.{item}")
            return real_import(name, globals, locals, fromlist, level)

        bi = dict(vars(builtins))
        bi["__import__"] = recording_import
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": bi}

    def run(self, block: Mapping[str, Any], output_limit: int) -> tuple[str, dict[str, Any]]:
        from . import deps, notices

        code, filename, line = block["code"], block["filename"], block["line"]
        # File line numbers: the code starts on the line after the opening fence.
        linecache.cache[filename] = (
            len(code), None, [""] * line + code.splitlines(True), filename
        )
        buf = _CappedOutput(output_limit)
        notices.drain()
        deps.drain()
        old_out = sys.stdout
        t0 = time.perf_counter()
        try:
            compiled = compile("\n" * line + code, filename, "exec", dont_inherit=True)
            sys.stdout = buf
            try:
                exec(compiled, self.namespace)
            finally:
                sys.stdout = old_out
        except BaseException as exc:  # noqa: BLE001 - reported to the author
            notices.drain()
            deps.drain()
            return "error", _describe(exc, block)
        seconds = time.perf_counter() - t0
        return "done", {
            "stdout": buf.getvalue(),
            "imported": sorted(self.imported),
            "notices": [(n.kind, n.message) for n in notices.drain()],
            "files": deps.drain(),
            "seconds": seconds,
        }


def _describe(exc: BaseException, block: Mapping[str, Any]) -> dict[str, Any]:
    tb = traceback.TracebackException.from_exception(exc)
    here = os.path.abspath(__file__)
    tb.stack = traceback.StackSummary.from_list(
        [f for f in tb.stack if os.path.abspath(f.filename) != here]
    )
    message, text = str(exc), "".join(tb.format())
    limit = block.get("memory")
    if limit and (isinstance(exc, MemoryError) or "can't allocate memory" in message):
        hint = (
            f"the worker's memory is limited to {format_size(limit)}; "
            'raise it for this block with memory="..." (e.g. memory="8G")'
        )
        message = f"{message} ({hint})" if message else hint
        text += f"({hint})\n"
    return {"type": type(exc).__name__, "message": message, "traceback": text}


if __name__ == "__main__":
    zygote_main(sys.argv[1])
