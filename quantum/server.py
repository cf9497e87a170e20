# SPDX-License-Identifier: Apache-2.0
"""``quantum-server``: serve the Paste app on eventlet's WSGI server.

With ``api_workers = 0`` the main process loads the app and serves. With N > 0 the
main process only supervises: it opens the listening socket, imports the workers' code
(``preload``: shared pages), forks N workers that each build the app after the fork
(so no database connection crosses a fork) and serve the shared socket. Once all of
them serve it replaces itself, same pid, by the resident supervisor
(``quantum.supervisor``: the standard library alone), which restarts a worker that
dies (as a fresh interpreter, ``--worker``) and on SIGTERM/SIGINT forwards SIGTERM
and waits for the workers to drain. A commit in one worker wakes the long-polls of
all of them (``quantum.wakeups``).

A serving process stops on SIGTERM/SIGINT: it stops accepting, closes idle keep-alive
connections, lets in-flight requests finish (up to ``shutdown_timeout`` seconds) and
exits 0. Start-up problems (configuration, plugin, schema, address in use) print one
line naming the fix on stderr and exit 2.
"""

import os
import warnings

# NOTE: eventlet's green DNS resolver imports dnspython and, through it, cryptography:
# 20 MiB in every process, for name lookups this server makes only when it opens a
# database or Keystone connection (the pools keep them). Set before eventlet loads.
os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
# NOTE: tpool's native threads serve one waiter per process: the SQLite writer
# waiting for another worker's file lock (quantum.db.session.WriterLock); not 20.
os.environ.setdefault("EVENTLET_THREADPOOL_SIZE", "1")

# NOTE: eventlet warns on every import that it is in maintenance mode; that is known
# (ARCHITECTURE.md §5 chooses it) and would bury the one-line start-up errors.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

# NOTE: before anything else is imported, so every later import (logging's locks,
# SQLAlchemy's pool) gets the green versions. psycopg2's wait callback is set by the
# process that loads the app (``load_app``): the supervisor never connects.
eventlet.monkey_patch(psycopg=False)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import errno  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterable, Sequence  # noqa: E402
from typing import Any, NoReturn  # noqa: E402

import eventlet.greenio  # noqa: E402
import eventlet.hubs  # noqa: E402
import eventlet.wsgi  # noqa: E402
from eventlet.support.greenlets import GreenletExit  # noqa: E402

from quantum import connections, wakeups  # noqa: E402
from quantum.core import log  # noqa: E402
from quantum.core.exceptions import QuantumError  # noqa: E402
from quantum.core.settings import Settings, load_settings  # noqa: E402
from quantum.supervisor import (  # noqa: E402
    PROG,
    STARTUP_FAILED,
    STOP_SIGNALS,
    Plan,
    SignalPipe,
    Supervisor,
)

LOG = logging.getLogger(__name__)
ACCESS_LOG = logging.getLogger("quantum.wsgi")

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


BACKLOG = 4096
"""Connections the kernel queues until a worker accepts them (capped by
net.core.somaxconn). A full queue drops a client's SYN, which it resends only a
second later: under a flood of connections a short queue is what other clients
wait on, not the workers."""
ACCESS_FORMAT = (
    '%(client_ip)s:%(client_port)s "%(request_line)s" status: %(status_code)s '
    "len: %(body_length)s time: %(wall_seconds).6f"
)
FD_RESERVE = 64
"""Descriptors a serving process keeps beside its client connections (database,
logs, the listening socket)."""


class StartupError(Exception):
    """The server cannot start; the message is one line that names the fix."""


# -- one serving process --------------------------------------------------------------


def listen(settings: Settings) -> socket.socket:
    """The listening socket, or StartupError naming ``bind_host``/``bind_port``."""
    where = f"{settings.bind_host}:{settings.bind_port}"
    try:
        infos = socket.getaddrinfo(
            settings.bind_host, settings.bind_port, type=socket.SOCK_STREAM
        )
    except socket.gaierror as error:
        raise StartupError(
            f"bind_host = {settings.bind_host!r} cannot be resolved ({error.strerror})"
        ) from error
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # NOTE: SO_REUSEADDR only. eventlet.listen() also sets SO_REUSEPORT, which lets a
    # second server bind the same port silently and split the traffic.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # PERF: accepted sockets inherit it. Without it a response larger than a segment
    # ends with a short write Nagle holds until the client's delayed ACK (~40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"cannot listen on {where}: the address is already in use. Stop the "
                "other server or set bind_port in [DEFAULT] to a free port."
            ) from error
        raise StartupError(
            f"cannot listen on {where}: {error.strerror}. Check bind_host and "
            "bind_port in [DEFAULT]."
        ) from error
    return sock


def load_app(settings: Settings) -> WsgiApp:
    """The Paste app, or StartupError with the configuration's own message."""
    # NOTE: imported here, not at the top: ``import quantum.server`` stays light for
    # the command line; the supervisor imports these in ``preload``, builds nothing.
    from sqlalchemy.exc import DBAPIError

    from quantum.api.app import load_app as load_paste_app
    from quantum.db.session import redact

    if settings.database_url.startswith("postgresql"):
        eventlet.monkey_patch(psycopg=True)
    paste = settings.paste_config_path
    if not paste.is_file():
        raise StartupError(
            f"api_paste_config = {settings.api_paste_config} names {paste}, which does "
            "not exist. Fix api_paste_config in [DEFAULT] (relative to quantum.conf)."
        )
    try:
        return load_paste_app(settings)
    except QuantumError as error:
        raise StartupError(str(error)) from error
    except DBAPIError as error:
        first_line = str(error.orig).strip().splitlines()[0] if error.orig else ""
        raise StartupError(
            f"cannot use the database {redact(settings.database_url)} ({first_line}). "
            "Check sql_connection in [DEFAULT] and that the server is running."
        ) from error


def freeze_heap() -> None:
    """Move what start-up built (the app, its specs, SQLAlchemy's mappers and caches)
    into the garbage collector's permanent generation: it is never garbage.

    PERF: without it every full collection walks it again; see bench/README.md
    ("Memory and the garbage collector") for its effect on a list of 1,000 ports.
    What the supervisor imported is frozen already (``preload``).
    """
    gc.collect()
    gc.freeze()


M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter (malloc.h)."""
MMAP_THRESHOLD = 128 * 1024
"""Allocations from this size up get their own mapping, returned when freed."""


def fixed_mmap_threshold() -> None:
    """Keep glibc's malloc threshold for a mapping of its own at 128 KiB.

    PERF (memory): glibc starts there, but raises the threshold to the size of
    each such block freed (up to 32 MiB): after the first response body of a
    list of 1,000 ports (690 KiB) every later one, and whatever else is that
    large, came from the heap instead, which kept what they left scattered
    there. Fixed (which also keeps the heap's trim threshold at its default),
    the server tree with two workers was 1.6-2.2 MiB smaller after the
    ``bench/api_v2.py`` workload (bench/README.md, "Memory"). Set before the
    workers are forked (they inherit it), in a replacement worker and in a
    process that serves alone; without glibc's ``mallopt``, nothing. ``ctypes``
    is dropped from ``sys.modules`` again (0.36 MiB)."""
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # pragma: no cover  # NOTE: not glibc
        pass
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "ctypes"]:
            del sys.modules[name]


def preload(settings: Settings) -> None:
    """Import the code the workers will run, before forking them; build nothing.

    PERF: a worker forked after these imports shares their pages with the supervisor
    and its siblings copy-on-write (``gc.freeze()`` keeps the collector from
    writing to every object's header and so copying the pages anyway). With two
    workers on SQLite this took the tree's Pss after the ``bench/api_v2.py``
    workload from 142 to 127 MiB (bench/memory.py; bench/README.md, "Memory").
    Once the workers serve, the supervisor execs the resident one
    (``Supervisor.hand_over``): these pages then stay in the workers alone.
    No app, engine or connection is made here, so none crosses the fork; a plugin
    that fails to import is left for the workers, whose start-up error names it.
    """
    # NOTE: imported here, not at the top: ``import quantum.server`` (what the
    # command-line and the one-process path load first) stays light.
    from sqlalchemy.engine import make_url

    from quantum.api import app  # noqa: F401
    from quantum.plugins import loader

    names = [settings.core_plugin, *settings.service_plugins.split(",")]
    for name in filter(None, (n.strip() for n in names)):
        for table in (loader.BUILTIN, loader.SERVICE_BUILTIN):
            if name in table:
                with contextlib.suppress(Exception):
                    loader._import(table[name])
    with contextlib.suppress(Exception):
        make_url(settings.database_url).get_dialect()  # NOTE: not its DB-API module
    fixed_mmap_threshold()
    gc.collect()
    gc.freeze()


def close_app() -> None:
    from quantum.api.app import close_services

    close_services()


def serve(
    settings: Settings,
    sock: socket.socket,
    app: WsgiApp,
    signals: SignalPipe,
    parent_pid: int | None = None,
) -> int:
    """Serve until a stop signal (or the supervisor's death), then drain. Returns 0."""
    limits = client_limits(settings)
    table = connections.ConnectionTable(limits.max_connections)
    pool = eventlet.GreenPool(limits.max_connections)
    server = eventlet.spawn(
        eventlet.wsgi.server,
        connections.Listener(sock, table, balanced=settings.api_workers > 0),
        connections.bounded(app),
        log=ACCESS_LOG,
        environ={"wsgi.multiprocess": settings.api_workers > 0},
        protocol=connections.protocol_for(table, limits),
        custom_pool=pool,
        log_format=ACCESS_FORMAT,
        debug=False,  # NOTE: True would put tracebacks in 500 bodies
        socket_timeout=limits.body_timeout,
    )
    LOG.info("serving on %s:%d", settings.bind_host, settings.bind_port)
    while True:
        signums, _ = signals.wait(timeout=1.0)
        if any(s in STOP_SIGNALS for s in signums):
            LOG.info("stopping; %d client connection(s) open", pool.running())
            break
        if parent_pid and os.getppid() != parent_pid:
            LOG.warning("the supervisor (pid %d) is gone; stopping", parent_pid)
            break
        if server.dead:
            LOG.error("the WSGI server stopped unexpectedly")
            return 1
    # NOTE: GreenletExit in the accept loop makes eventlet's wsgi.server close the idle
    # keep-alive connections, mark the busy ones to close after their response, and
    # wait for them; closing our listening socket stops new connections at once.
    server.kill()
    sock.close()
    with (
        eventlet.Timeout(settings.shutdown_timeout, False),
        contextlib.suppress(GreenletExit),
    ):
        server.wait()
    if not server.dead:
        LOG.warning(
            "%d connection(s) still busy after shutdown_timeout = %d s; exiting anyway",
            pool.running(),
            settings.shutdown_timeout,
        )
    close_app()
    return 0


def client_limits(settings: Settings) -> connections.ClientLimits:
    """The configured limits; the connection cap lowered to what the descriptor
    limit allows (raised to its hard limit first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = settings.max_client_connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    cap = settings.max_client_connections
    if soft != resource.RLIM_INFINITY and soft < wanted:
        cap = max(1, soft - FD_RESERVE)
        LOG.warning(
            "max_client_connections = %d needs %d file descriptors; the limit is "
            "%d, so %d connections are held at most (raise the hard limit, "
            "LimitNOFILE= under systemd)",
            settings.max_client_connections,
            wanted,
            soft,
            cap,
        )
    return connections.ClientLimits(
        max_connections=cap,
        header_timeout=settings.client_header_timeout,
        body_timeout=settings.client_body_timeout,
        idle_timeout=settings.client_idle_timeout,
    )


def run_single(settings: Settings) -> int:
    """``api_workers = 0``: serve from this process."""
    sock = listen(settings)
    fixed_mmap_threshold()
    app = load_app(settings)
    freeze_heap()
    signals = SignalPipe(STOP_SIGNALS)
    return serve(settings, sock, app, signals)


# -- the workers ---------------------------------------------------------------------


def worker_main(
    settings: Settings,
    sock: socket.socket,
    inherited: SignalPipe | None,
    ready_fd: int,
    mask: Iterable[int],
    *,
    siblings: wakeups.Wakeups | None = None,
    slot: int = 0,
) -> int:
    """A forked worker: fresh hub and signal handling, load the app, serve."""
    parent = os.getppid()
    if inherited is not None:
        inherited.close()
    for signum in (*STOP_SIGNALS, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    # NOTE: the parent's hub (and its epoll fd) came across the fork; give this process
    # its own, as the eventlet docs require before using green I/O after fork().
    eventlet.hubs.use_hub()
    if siblings is not None:
        siblings.join(slot)
    try:
        app = load_app(settings)
    except StartupError as error:
        os.write(ready_fd, b"E" + str(error).encode())
        os.close(ready_fd)
        return STARTUP_FAILED
    freeze_heap()
    signals = SignalPipe(STOP_SIGNALS)
    os.write(ready_fd, b"R")
    os.close(ready_fd)
    return serve(settings, sock, app, signals, parent_pid=parent)


def run_workers(settings: Settings, config_file: str) -> int:
    """``api_workers > 0``: fork the workers from the preloaded code, then hand
    over to the resident supervisor (``quantum.supervisor``)."""
    sock = listen(settings)
    preload(settings)
    signals = SignalPipe(Supervisor.WATCHED)
    siblings = None
    if settings.api_workers > 1 and wakeups.ENABLED:
        siblings = wakeups.Wakeups(settings.api_workers)

    def child(slot: int, ready_fd: int, mask: Iterable[int]) -> NoReturn:
        status = 1
        try:
            status = worker_main(
                settings, sock, signals, ready_fd, mask, siblings=siblings, slot=slot
            )
        except BaseException:  # NOTE: nothing may unwind into the supervisor's frames
            LOG.exception("worker %d failed", os.getpid())
        finally:
            logging.shutdown()
            os._exit(status)

    plan = Plan(
        config_file=os.path.abspath(config_file),
        api_workers=settings.api_workers,
        shutdown_timeout=settings.shutdown_timeout,
        debug=settings.debug,
        verbose=settings.verbose,
        log_file=settings.log_file,
    )
    pairs = siblings.pairs if siblings is not None else ()
    waiters_fd = siblings.waiters_fd if siblings is not None else None
    supervisor = Supervisor(
        plan, sock, signals, pairs, child=child, waiters_fd=waiters_fd
    )
    return supervisor.run(hand_over=True)


def run_replacement(settings: Settings, spec: dict[str, Any]) -> int:
    """``--worker``: a worker the resident supervisor started as a fresh
    interpreter, with the listening socket and its slot's wake-ups inherited."""
    sock = socket.socket(fileno=spec["listen_fd"])
    fixed_mmap_threshold()
    siblings = None
    if spec["pairs"]:
        siblings = wakeups.Wakeups.adopt(spec["pairs"], spec["waiters_fd"])
    return worker_main(
        settings,
        sock,
        None,
        spec["ready_fd"],
        spec["mask"],
        siblings=siblings,
        slot=spec["slot"],
    )


# -- entry point ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        without_docstrings()
    parser = argparse.ArgumentParser(prog=PROG, description="Run the Quantum API.")
    parser.add_argument(
        "--config-file", required=True, help="quantum.conf (e.g. etc/quantum.conf)"
    )
    # NOTE: internal: how the resident supervisor starts a replacement worker.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config_file)
        setup_logging(settings)
        if args.worker:
            return run_replacement(settings, json.loads(args.worker))
        if settings.api_workers == 0:
            return run_single(settings)
        return run_workers(settings, args.config_file)
    except (StartupError, QuantumError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return STARTUP_FAILED


def without_docstrings() -> None:
    """Run this command again, same pid and arguments, with ``PYTHONOPTIMIZE=2``
    (``python -OO``), unless the environment sets ``PYTHONOPTIMIZE`` already (the
    operator's choice stands, ``0`` included). Its workers, the resident
    supervisor and replacement workers inherit it.

    PERF (memory): the docstrings of every module a worker imports (SQLAlchemy's
    documentation above all) are ~4 MiB of every worker's memory, read by
    nothing the server does; ``-OO`` leaves them out (and ``assert``, which this
    code uses only for type checkers). Costs one more ``import quantum.server``
    at start (~0.2 s) and, once per installation, the ``.opt-2.pyc`` files."""
    if sys.flags.optimize >= 2 or "PYTHONOPTIMIZE" in os.environ:
        return
    os.environ["PYTHONOPTIMIZE"] = "2"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, sys.orig_argv)  # noqa: S606  # NOTE: this very command


def setup_logging(settings: Settings) -> None:
    try:
        log.setup(
            debug=settings.debug, verbose=settings.verbose, log_file=settings.log_file
        )
    except OSError as error:
        raise StartupError(
            f"cannot open log_file = {settings.log_file} ({error.strerror}). Fix "
            "log_file in [DEFAULT] or create its directory."
        ) from error


if __name__ == "__main__":
    sys.exit(main())
