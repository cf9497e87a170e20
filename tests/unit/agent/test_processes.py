# SPDX-License-Identifier: Apache-2.0
"""The agents' daemons as /proc shows them: alive, argv, stopped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from quantum.agent import processes

SLEEPER = [
    sys.executable,
    "-c",
    "import time; print('ready', flush=True); time.sleep(60)",
]
DEAF = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)",
]


def test_a_running_process_is_alive_with_its_argv_and_a_stopped_one_is_not() -> None:
    child = subprocess.Popen(SLEEPER, stdout=subprocess.PIPE)  # noqa: S603
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        assert processes.alive(child.pid)
        assert processes.cmdline(child.pid) == SLEEPER
        processes.stop(child.pid)
        # NOTE: not reaped yet: a zombie counts as dead
        assert not processes.alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not processes.alive(child.pid)
    assert processes.cmdline(child.pid) == []


def test_one_deaf_to_sigterm_is_killed_after_the_grace() -> None:
    child = subprocess.Popen(DEAF, stdout=subprocess.PIPE)  # noqa: S603
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        processes.stop(child.pid, grace=0.2)
        assert not processes.alive(child.pid)
        assert child.wait(5) == -9
    finally:
        child.kill()
        child.wait()


def test_a_file_not_written_yet_reads_as_none(tmp_path: Path) -> None:
    assert processes.read_text(tmp_path / "radvd.conf") is None
    (tmp_path / "radvd.conf").write_text("interface qr-1 {};\n")
    assert processes.read_text(tmp_path / "radvd.conf") == "interface qr-1 {};\n"
