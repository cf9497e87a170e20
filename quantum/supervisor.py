# SPDX-License-Identifier: Apache-2.0
"""The supervisor of ``api_workers > 0``: forks the workers, restarts one that
dies, and stops them all on SIGTERM/SIGINT.

``quantum-server`` (``quantum.server.run_workers``) imports the workers' code,
forks them from that preloaded image (their pages shared copy-on-write) and, once
every worker serves, *hands over*: it execs this module's ``main`` in the same
process (same pid, same children, the listening socket and the wake-up sockets
inherited), so the resident supervisor is a bare interpreter with the standard
library, not a third copy of the app's code. A worker that dies is replaced by a
fresh interpreter (``quantum-server --worker``) that loads the app itself.

PERF: with two workers on SQLite after the ``bench/api_v2.py`` workload the
supervisor went from ~70 to ~12 MiB RSS; see bench/README.md ("Memory").

This module imports nothing beyond the standard library and ``quantum.core.log``:
no eventlet (the supervisor waits with plain ``select``), no settings library.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

# NOTE: the logger the supervisor always logged as.
LOG = logging.getLogger("quantum.server")

PROG = "quantum-server"
STARTUP_FAILED = 2
"""Exit status for a configuration the server cannot start with."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RESPAWN_DELAY = 1.0
"""A worker that dies within this many seconds of starting is respawned this late."""
KILL_GRACE = 5.0
"""Seconds past ``shutdown_timeout`` before the supervisor SIGKILLs a worker."""

#: The package's parent directory: a fresh interpreter finds ``quantum`` there.
_ROOT = str(Path(__file__).resolve().parents[1])


# -- signals ------------------------------------------------------------------------


class SignalPipe:
    """Turns signals into bytes on a pipe, so waiting for them is ordinary I/O.

    Python handlers run between bytecodes of whatever greenlet happens to be current
    (often the hub); doing real work there is unsafe. ``signal.set_wakeup_fd`` writes
    each signal number to our pipe instead, and ``wait`` reads them like a socket.
    """

    def __init__(self, signums: Sequence[int]) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        for signum in signums:
            signal.signal(signum, _ignore_here)
        signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)

    def wait(
        self, timeout: float | None = None, also: Sequence[int] = ()
    ) -> tuple[list[int], list[int]]:
        """Signals received and which of ``also`` (fds) are readable, after at most
        ``timeout`` seconds."""
        readable, _, _ = select.select([self.read_fd, *also], [], [], timeout)
        signums: list[int] = []
        if self.read_fd in readable:
            with contextlib.suppress(BlockingIOError):
                signums = list(os.read(self.read_fd, 512))
        return signums, [fd for fd in readable if fd != self.read_fd]

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
        os.close(self.read_fd)
        os.close(self.write_fd)


def _ignore_here(signum: int, frame: object) -> None:
    """The real handling happens where ``SignalPipe.wait`` returns."""


# -- the supervisor -------------------------------------------------------------------


class Plan:
    """What the supervisor needs of the settings; a monitor reads no settings."""

    def __init__(
        self,
        *,
        config_file: str,
        api_workers: int,
        shutdown_timeout: float,
        debug: bool = False,
        verbose: bool = False,
        log_file: str | None = None,
    ) -> None:
        self.config_file = config_file
        self.api_workers = api_workers
        self.shutdown_timeout = shutdown_timeout
        self.debug = debug
        self.verbose = verbose
        self.log_file = log_file

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Worker:
    __slots__ = (
        "pid", "slot", "started", "ready_fd", "ready", "reported", "error",
        "exit_code",
    )  # fmt: skip

    def __init__(
        self, pid: int, slot: int, started: float, ready_fd: int | None
    ) -> None:
        self.pid = pid
        self.slot = slot
        """Its index among the workers; a replacement takes the same (wake-ups)."""
        self.started = started
        self.ready_fd = ready_fd
        """Read end of the pipe the worker reports start-up on; None once read."""
        self.ready = False
        self.reported = False
        self.error: str | None = None
        """Why it could not start, as it reported."""
        self.exit_code: int | None = None


ChildMain = Callable[[int, int, Iterable[int]], NoReturn]
"""Runs in a forked child: (slot, write end of its ready pipe, signal mask)."""


class Supervisor:
    """Forks and minds the workers of ``api_workers > 0``.

    ``child`` runs a worker in the forked child; without one (the resident
    monitor) the child execs a fresh ``quantum-server --worker``. ``pairs`` are the
    wake-up sockets (``quantum.wakeups``), one (receive, send) pair per slot, and
    ``waiters_fd`` the file of their counts of waits, which the supervisor holds so
    that a replacement inherits them.
    """

    WATCHED = (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)

    def __init__(
        self,
        plan: Plan,
        sock: socket.socket,
        signals: SignalPipe,
        pairs: Sequence[tuple[socket.socket, socket.socket]] = (),
        child: ChildMain | None = None,
        waiters_fd: int | None = None,
    ) -> None:
        self.plan = plan
        self.sock = sock
        self.signals = signals
        self.pairs = list(pairs)
        self.waiters_fd = waiters_fd
        """The wake-ups' shared counts of waits (with ``pairs``)."""
        self.child = child
        self.workers: dict[int, Worker] = {}
        self.respawn_at: list[tuple[float, int]] = []
        """When to start a replacement, and in which slot."""
        self.stopping = False

    def run(self, *, hand_over: bool = False) -> int:
        """Start the workers; once all serve, supervise (after ``hand_over``, as
        the resident monitor) until a stop signal; stop them."""
        LOG.info("starting %d workers", self.plan.api_workers)
        for slot in range(self.plan.api_workers):
            self.spawn(slot)
        error = self.await_ready()
        if error is not None:
            print(f"{PROG}: {error}", file=sys.stderr)
            self.stop()
            return STARTUP_FAILED
        if not self.stopping:
            if hand_over:
                self.hand_over()  # NOTE: returns only if it could not
            if not self.stopping:
                self.supervise()
        return self.stop()

    def spawn(self, slot: int) -> None:
        read_fd, write_fd = os.pipe()
        # NOTE: signals stay blocked across fork() until the child has replaced the
        # supervisor's handlers, so none of them is handled by the wrong process.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.WATCHED)
        pid = os.fork()
        if pid == 0:  # pragma: no cover  # NOTE: the child; functional tests cover it
            os.close(read_fd)
            for fd in self._pending():
                os.close(fd)
            (self.child or self._exec_worker)(slot, write_fd, mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(write_fd)
        self.workers[pid] = Worker(pid, slot, time.monotonic(), read_fd)
        LOG.info("started worker %d", pid)

    def _exec_worker(  # pragma: no cover  # NOTE: the child
        self, slot: int, ready_fd: int, mask: Iterable[int]
    ) -> NoReturn:
        """Become a fresh worker: ``quantum-server --config-file ... --worker ...``."""
        try:
            pairs = [[r.fileno(), s.fileno()] for r, s in self.pairs]
            spec = {
                "slot": slot,
                "listen_fd": self.sock.fileno(),
                "ready_fd": ready_fd,
                "mask": sorted(int(s) for s in mask),
                "pairs": pairs,
                "waiters_fd": self.waiters_fd,
            }
            for fd in (self.sock.fileno(), ready_fd, *self._shared_fds()):
                os.set_inheritable(fd, True)
            argv = [
                "--config-file",
                self.plan.config_file,
                "--worker",
                json.dumps(spec),
            ]
            os.execve(  # noqa: S606  # NOTE: our interpreter, our module
                sys.executable, _python("quantum.server", argv), _env()
            )
        except BaseException:  # NOTE: nothing may unwind into the supervisor's frames
            LOG.exception("worker %d could not start", os.getpid())
        finally:
            os._exit(1)

    def hand_over(self) -> None:
        """Exec the resident monitor (this module's ``main``) in this process: the
        same pid and children, the listening and wake-up sockets inherited, the
        workers' state passed on. Returns only if it could not (or a stop signal
        came first); this process then supervises as it is."""
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.WATCHED)
        # NOTE: a signal whose byte is still in our pipe would be lost with it; the
        # blocked ones stay pending across the exec, for the monitor's handlers.
        signums, _ = self.signals.wait(0)
        if any(s in STOP_SIGNALS for s in signums):
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            self.stopping = True
            return
        pairs = [[r.fileno(), s.fileno()] for r, s in self.pairs]
        state = {
            "plan": self.plan.as_dict(),
            "mask": sorted(int(s) for s in mask),
            "listen_fd": self.sock.fileno(),
            "pairs": pairs,
            "waiters_fd": self.waiters_fd,
            "workers": [[w.pid, w.slot, w.started] for w in self.workers.values()],
            "respawn_at": self.respawn_at,
        }
        fds = [self.sock.fileno(), *self._shared_fds()]
        for fd in fds:
            os.set_inheritable(fd, True)
        for handler in logging.getLogger().handlers:
            handler.flush()
        try:
            os.execve(  # noqa: S606  # NOTE: our interpreter, our module
                sys.executable, _python(__name__, [json.dumps(state)]), _env()
            )
        except OSError as error:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            for fd in fds:
                os.set_inheritable(fd, False)
            LOG.warning("cannot exec the resident supervisor (%s); supervising", error)

    def _shared_fds(self) -> list[int]:
        """What every worker inherits besides the listening socket."""
        fds = [fd for r, s in self.pairs for fd in (r.fileno(), s.fileno())]
        return fds if self.waiters_fd is None else [*fds, self.waiters_fd]

    def _read_ready(self, worker: Worker) -> str | None:
        """Consume the worker's start-up report: None if it serves, else why not."""
        assert worker.ready_fd is not None  # noqa: S101  # NOTE: callers check
        message = os.read(worker.ready_fd, 4096)
        os.close(worker.ready_fd)
        worker.ready_fd = None
        worker.ready = message == b"R"
        worker.reported = bool(message)
        if not worker.ready:
            worker.error = message[1:].decode(errors="replace") or (
                f"worker {worker.pid} exited during start-up; see the log"
            )
        return worker.error

    def _pending(self) -> dict[int, Worker]:
        return {w.ready_fd: w for w in self.workers.values() if w.ready_fd is not None}

    def await_ready(self) -> str | None:
        """Wait until every worker has loaded the app; the first error if one failed."""
        while not all(w.ready for w in self.workers.values()):
            pending = self._pending()
            signums, readable = self.signals.wait(also=list(pending))
            for fd in readable:
                error = self._read_ready(pending[fd])
                if error is not None:
                    return error
            if any(s in STOP_SIGNALS for s in signums):
                self.stopping = True
                return None
            for worker in self.reap():
                if worker.error is not None:
                    return worker.error
        LOG.info("all %d workers are serving", len(self.workers))
        return None

    def supervise(self) -> None:
        """Until a stop signal: restart workers that die."""
        while True:
            timeout = None
            if self.respawn_at:
                timeout = max(0.0, min(self.respawn_at)[0] - time.monotonic())
            pending = self._pending()
            signums, readable = self.signals.wait(timeout, also=list(pending))
            for fd in readable:
                self._read_ready(pending[fd])
            if any(s in STOP_SIGNALS for s in signums):
                self.stopping = True
                return
            for worker in self.reap():
                if worker.error is not None:
                    LOG.error("worker %d could not start: %s", worker.pid, worker.error)
            now = time.monotonic()
            for due in [d for d in self.respawn_at if d[0] <= now]:
                self.respawn_at.remove(due)
                self.spawn(due[1])

    def reap(self) -> list[Worker]:
        """Collect exited workers; schedule replacements unless stopping."""
        gone = []
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            gone.append(worker)
            if worker.ready_fd is not None:
                self._read_ready(worker)  # NOTE: it exited, so this cannot block
            worker.exit_code = code = os.waitstatus_to_exitcode(status)
            if code < 0 and worker.error and not worker.reported:
                # NOTE: killed (OOM, an operator, our SIGTERM) before it could report:
                # not a configuration problem, so no reason to give up.
                worker.error = None
            how = f"exit status {code}" if code >= 0 else f"signal {-code}"
            if self.stopping:
                LOG.info("worker %d exited (%s)", pid, how)
                continue
            lived = time.monotonic() - worker.started
            delay = RESPAWN_DELAY if lived < RESPAWN_DELAY else 0.0
            LOG.warning(
                "worker %d died unexpectedly (%s); starting a replacement in %.0f s",
                pid,
                how,
                delay,
            )
            self.respawn_at.append((time.monotonic() + delay, worker.slot))
        return gone

    def stop(self) -> int:
        """Forward SIGTERM, wait for every worker to drain, SIGKILL stragglers.

        Returns 0 when every worker exited 0.
        """
        self.stopping = True
        self.respawn_at.clear()
        for pid in self.workers:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.plan.shutdown_timeout + KILL_GRACE
        clean = True
        while self.workers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                for pid in self.workers:
                    LOG.error("worker %d did not stop in time; killing it", pid)
                    _kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + KILL_GRACE
                clean = False
            self.signals.wait(min(max(remaining, 0.0), 0.5))
            clean = all(_stopped_cleanly(w) for w in self.reap()) and clean
        self.sock.close()
        for pair in self.pairs:
            for end in pair:
                end.close()
        if self.waiters_fd is not None:
            os.close(self.waiters_fd)
        LOG.info("all workers stopped")
        return 0 if clean else 1


def _stopped_cleanly(worker: Worker) -> bool:
    # NOTE: a worker still loading the app dies of SIGTERM; it had nothing to drain.
    return worker.exit_code == 0 or (
        not worker.ready and worker.exit_code == -signal.SIGTERM
    )


def _kill(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _python(module: str, argv: list[str]) -> list[str]:
    """A fresh interpreter running ``module``'s ``main`` with ``argv``."""
    run = f"import sys; from {module} import main; sys.exit(main())"
    return [sys.executable, "-c", run, *argv]


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": _ROOT + (os.pathsep + path if path else "")}


# -- the resident supervisor ----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """The supervisor after ``hand_over``: its state is the one argument."""
    from quantum.core import log

    state = json.loads((sys.argv[1:] if argv is None else argv)[0])
    plan = Plan(**state["plan"])
    log.setup(debug=plan.debug, verbose=plan.verbose, log_file=plan.log_file)
    signals = SignalPipe(Supervisor.WATCHED)
    signal.pthread_sigmask(signal.SIG_SETMASK, state["mask"])
    pairs = [
        (socket.socket(fileno=r), socket.socket(fileno=s)) for r, s in state["pairs"]
    ]
    supervisor = Supervisor(
        plan,
        socket.socket(fileno=state["listen_fd"]),
        signals,
        pairs,
        waiters_fd=state["waiters_fd"],
    )
    for pid, slot, started in state["workers"]:
        worker = supervisor.workers[pid] = Worker(pid, slot, started, None)
        worker.ready = worker.reported = True
    supervisor.respawn_at = [(at, slot) for at, slot in state["respawn_at"]]
    # NOTE: a worker that died during the exec: its SIGCHLD may have been read by
    # the process this was.
    for worker in supervisor.reap():
        if worker.error is not None:  # pragma: no cover - all were ready
            LOG.error("worker %d could not start: %s", worker.pid, worker.error)
    LOG.info("supervising %d workers (pid %d)", len(supervisor.workers), os.getpid())
    supervisor.supervise()
    return supervisor.stop()
