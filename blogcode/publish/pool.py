"""The build's side of the worker processes: start the zygote, fork workers, talk to them.

See :mod:`blogcode.publish.worker` for what runs on the other side.  Nothing
here knows about MkDocs or about the execution cache: :class:`Zygote` starts
(lazily) one ``python -m blogcode.publish.worker`` process, :meth:`Zygote.fork`
returns a fresh :class:`Worker` for a session, and :meth:`Worker.run` sends it
one block and waits for the reply under the block's time limit, killing the
worker's process group when the limit passes.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from .worker import KEY_ENV, THREAD_ENV

#: How long a fresh zygote may take to import numpy, torch, matplotlib, ...
START_TIMEOUT = 180.0
#: How long a forked worker may take to call back.
FORK_TIMEOUT = 60.0


class WorkerLost(Exception):
    """The worker process ended (or was killed) instead of answering."""

    def __init__(self, how: str, status: int | None = None, timed_out: bool = False):
        self.how, self.status, self.timed_out = how, status, timed_out
        super().__init__(how)


class PoolError(RuntimeError):
    """The zygote could not be started, or died."""


def describe_status(status: int | None) -> str:
    """``waitpid`` status -> 'exited with code 3' / 'was killed by signal 11 (SIGSEGV)'."""
    if status is None:
        return "ended (its exit status is unknown)"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "unknown signal"
        return f"was killed by signal {sig} ({name})"
    if os.WIFEXITED(status):
        return f"exited with code {os.WEXITSTATUS(status)}"
    return f"ended with wait status {status}"


class Worker:
    """One session's process."""

    def __init__(self, zygote: Zygote, pid: int, conn: Connection, scratch: Path):
        self.zygote, self.pid, self.conn, self.scratch = zygote, pid, conn, scratch
        self.alive = True

    def run(self, block: Mapping[str, Any], timeout: float) -> tuple[str, dict[str, Any]]:
        """Send ``block``; return the worker's ``("done"|"error", payload)``.

        Raises :class:`WorkerLost` when the worker dies, or is killed because
        the block ran past ``timeout`` seconds.
        """
        if not self.alive:
            raise WorkerLost("was already closed")
        try:
            self.conn.send(("run", dict(block)))
            if not self.conn.poll(timeout):
                self.kill()
                status = self.zygote.exit_status(self.pid, 5.0)
                raise WorkerLost(describe_status(status), status, timed_out=True)
            reply: tuple[str, dict[str, Any]] = self.conn.recv()
            return reply
        except (EOFError, OSError, BrokenPipeError):
            self.alive = False
            self._cleanup()
            status = self.zygote.exit_status(self.pid, 5.0)
            raise WorkerLost(describe_status(status), status) from None

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            for kill in (os.killpg, os.kill):  # the group (what the block started) and itself
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._cleanup()

    def close(self) -> None:
        """Ask the worker to leave; kill it if it does not."""
        if self.alive:
            try:
                self.conn.send(("close",))
            except OSError:
                pass
            if self.zygote.exit_status(self.pid, 2.0) is None:
                self.kill()
            self.alive = False
        self._cleanup()

    def _cleanup(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)


class Zygote:
    """One pre-loaded process that forks the workers; started on first use."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Condition()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._listener: Listener | None = None
        self._dir: str | None = None
        self._authkey = b""
        self._waiting: dict[str, Any] = {}  # token -> pid (int) / Connection / None
        self._exits: dict[int, int] = {}
        self._pids: dict[str, int] = {}  # token -> pid of the worker that called back
        self._workers: weakref.WeakSet[Worker] = weakref.WeakSet()
        self.preloaded: list[str] = []
        self.blogcode_modules: list[str] = []
        self.start_seconds = 0.0
        self._ready = False
        self._failed: str | None = None

    # -- lifecycle ---------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._proc is not None

    def start(self) -> None:
        """Spawn the zygote (returns at once; :meth:`fork` waits until it is ready)."""
        with self._lock:
            if self._proc is not None:
                return
            self._dir = tempfile.mkdtemp(prefix="blogcode-pool-")
            address = os.path.join(self._dir, "socket")
            self._authkey = secrets.token_bytes(16)
            self._listener = Listener(address, family="AF_UNIX", authkey=self._authkey)
            env = {
                **os.environ, **THREAD_ENV,
                "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
                KEY_ENV: self._authkey.hex(),
            }
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "blogcode.publish.worker", address],
                cwd=self.root, env=env, stdin=subprocess.DEVNULL,
            )
            self._t0 = time.perf_counter()
            self._failed = None
            threading.Thread(target=self._accept, name="blogcode-pool-accept", daemon=True).start()
        atexit.register(self.shutdown)

    def shutdown(self) -> None:
        """Stop every worker and the zygote; forget everything."""
        with self._lock:
            proc, conn, listener, folder = self._proc, self._conn, self._listener, self._dir
            self._proc = self._conn = self._listener = None
            self._dir = None
            self._ready = False
            workers = list(self._workers)
            self._lock.notify_all()
        for w in workers:
            w.kill()
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if proc is not None:
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if listener is not None:
            try:
                listener.close()
            except OSError:
                pass
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    # -- forking -------------------------------------------------------------
    def fork(self, settings: Mapping[str, Any]) -> Worker:
        """A fresh worker, started from the zygote's state with ``settings``."""
        self.start()
        scratch = Path(tempfile.mkdtemp(prefix="blogcode-session-"))
        token = secrets.token_hex(8)
        full = {**settings, "authkey": self._authkey.hex(), "scratch": str(scratch)}
        with self._lock:
            self._wait_ready()
            assert self._conn is not None
            self._waiting[token] = None
            self._conn.send(("fork", token, full))
            deadline = time.monotonic() + FORK_TIMEOUT
            while not isinstance(self._waiting.get(token), Connection):
                left = deadline - time.monotonic()
                if self._failed or left <= 0:
                    self._waiting.pop(token, None)
                    shutil.rmtree(scratch, ignore_errors=True)
                    raise PoolError(self._failed or "a forked worker did not call back in time")
                self._lock.wait(left)
            conn = self._waiting.pop(token)
            pid = self._pids.pop(token)
        worker = Worker(self, pid, conn, scratch)
        self._workers.add(worker)
        return worker

    def exit_status(self, pid: int, timeout: float) -> int | None:
        """The wait status of worker ``pid`` once the zygote has reaped it (None if not yet)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while pid not in self._exits:
                left = deadline - time.monotonic()
                if left <= 0 or self._conn is None:
                    return None
                self._lock.wait(left)
            return self._exits.pop(pid)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready:
            if self._failed:
                raise PoolError(self._failed)
            proc = self._proc
            if proc is None:
                raise PoolError("the worker pool was shut down")
            code = proc.poll()
            if code is not None:
                self._failed = (
                    "the worker zygote (python -m blogcode.publish.worker) "
                    f"{describe_status_code(code)} while importing the preloaded libraries; "
                    "see its output above"
                )
                raise PoolError(self._failed)
            left = deadline - time.monotonic()
            if left <= 0:
                raise PoolError(f"the worker zygote did not start within {START_TIMEOUT:g} s")
            self._lock.wait(min(left, 0.5))

    # -- the listener ------------------------------------------------------
    def _accept(self) -> None:
        listener = self._listener
        while listener is not None:
            try:
                conn = listener.accept()
                hello = conn.recv()
            except (OSError, EOFError, ValueError, TypeError):
                if self._listener is None:
                    return  # shut down
                continue
            with self._lock:
                if hello[0] == "zygote":
                    _, _pid, self.preloaded, self.blogcode_modules, self.start_seconds = hello
                    self._conn = conn
                    self._ready = True
                    threading.Thread(
                        target=self._read_zygote, args=(conn,), name="blogcode-pool-zygote",
                        daemon=True,
                    ).start()
                elif hello[0] == "worker" and hello[1] in self._waiting:
                    self._waiting[hello[1]] = conn
                    self._pids[hello[1]] = hello[2]
                else:
                    conn.close()
                self._lock.notify_all()
            listener = self._listener

    def _read_zygote(self, conn: Connection) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError, TypeError, ValueError):  # closed (also by shutdown)
                with self._lock:
                    if self._conn is conn:
                        self._failed = "the worker zygote exited"
                        self._conn = None
                        self._ready = False
                    self._lock.notify_all()
                return
            with self._lock:
                if msg[0] == "exit":
                    self._exits[msg[1]] = msg[2]
                self._lock.notify_all()


def describe_status_code(code: int) -> str:
    """A ``Popen.returncode`` in words."""
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"
