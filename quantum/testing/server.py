# SPDX-License-Identifier: Apache-2.0
"""A real ``quantum-server`` in a subprocess, for functional tests and benchmarks."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "bin" / "quantum-server"
DB_MANAGE = REPO / "bin" / "quantum-db-manage"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def db_manage(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``quantum-db-manage --config-file config *args`` from this checkout."""
    return subprocess.run(  # noqa: S603  # NOTE: our own script, fixed arguments
        [sys.executable, str(DB_MANAGE), "--config-file", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (the workers of a supervisor)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # NOTE: the command name (field 2) may hold spaces; fields resume after ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def status_kib(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status, e.g. ``VmHWM`` (peak RSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@dataclass
class ServerProcess:
    """``bin/quantum-server --config-file config``; stderr goes to ``stderr_path``."""

    config: Path
    host: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    prelude: str = ""
    """Python run in the server process after ``import quantum.server`` (and so
    eventlet's monkey-patching), before its ``main``: a test's hook, e.g. a module
    constant changed. Empty: ``bin/quantum-server`` as deployed."""
    stderr_path: Path = field(init=False)
    _stderr: IO[bytes] | None = None

    def __post_init__(self) -> None:
        self.stderr_path = self.config.parent / "server.stderr"

    @property
    def pid(self) -> int:
        assert self.process is not None  # noqa: S101  # NOTE: started first
        return self.process.pid

    def start(self, wait: bool = True, timeout: float = 30.0) -> None:
        self._stderr = self.stderr_path.open("ab")
        command = [sys.executable, str(SERVER)]
        if self.prelude:
            command = [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(REPO)!r}); "
                "import quantum.server\n"
                f"{self.prelude}\n"
                "sys.exit(quantum.server.main())",
            ]
        self.process = subprocess.Popen(  # noqa: S603  # NOTE: our own script
            [*command, "--config-file", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        if wait:
            self.wait_ready(timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until GET /healthcheck answers 200; RuntimeError if the server exits."""
        assert self.process is not None  # noqa: S101  # NOTE: started first
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"quantum-server exited with {self.process.returncode}: "
                    f"{self.stderr()}"
                )
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/healthcheck")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(
            f"quantum-server not ready after {timeout} s: {self.stderr()}"
        )

    def wait(self, timeout: float = 30.0) -> int:
        """The exit status once the server has exited (TimeoutExpired otherwise)."""
        assert self.process is not None  # noqa: S101  # NOTE: started first
        code = self.process.wait(timeout)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return code

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the server and wait for it; SIGKILL if it outlives ``timeout``."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in children(self.process.pid):
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.wait(timeout)
            raise

    def connection(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def peak_rss_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of the server and each of its workers."""
        return {
            pid: status_kib(pid, "VmHWM") for pid in [self.pid, *self.worker_pids()]
        }


def start_sql_server(
    directory: Path, host: str = "127.0.0.1", **options: object
) -> ServerProcess:
    """A started server on a free port over a new SQLite store (schema at head) in
    ``directory``, the SQL plugin and ``options`` in its quantum.conf."""
    from quantum.testing.client import write_config

    port = free_port(host)
    config = write_config(
        directory, bind_host=host, bind_port=port, core_plugin="sql", **options
    )
    done = db_manage(config, "upgrade", "head")
    if done.returncode != 0:
        raise RuntimeError(f"quantum-db-manage upgrade failed: {done.stderr}")
    server = ServerProcess(config, host, port)
    server.start()
    return server
