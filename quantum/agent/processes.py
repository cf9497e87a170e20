# SPDX-License-Identifier: Apache-2.0
"""The daemons an agent keeps (dnsmasq, radvd) as the host's ``/proc`` shows them:
whether one runs, what it was started with, and stopping it; and the files it
reads, which may not exist yet."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

STOP_GRACE = 3.0
"""Seconds a daemon gets to leave after SIGTERM before SIGKILL."""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as dead: PID 1 may reap late)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("State:"):
            return line.split()[1:2] != ["Z"]
    return True


def cmdline(pid: int) -> list[str]:
    """``pid``'s argv (empty: gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def read_text(path: Path) -> str | None:
    """``path``'s text, None when it cannot be read (not written yet)."""
    try:
        return path.read_text()
    except OSError:
        return None


def stop(pid: int, grace: float = STOP_GRACE) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns once it is gone (or
    5 s after the SIGKILL)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
