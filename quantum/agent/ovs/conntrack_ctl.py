# SPDX-License-Identifier: Apache-2.0
"""Conntrack zones through ``ovs-appctl dpctl/...`` (ovs-vswitchd's control
socket): what the agent reads and flushes after a firewall change."""

from __future__ import annotations

import subprocess

from quantum.agent.ovs.conntrack import ConnectionGone, ConntrackError

TIMEOUT = 10.0
_NOT_FOUND = "No such file or directory"


class AppctlConntrack:
    """``dump(zone)`` and ``flush(zone, tuple)`` with ``ovs-appctl``; ``target``
    is vswitchd's unixctl socket (empty: ovs-appctl's default)."""

    def __init__(self, target: str = "") -> None:
        self.target = target

    def _appctl(self, *args: str) -> str:
        argv = ["ovs-appctl", f"--timeout={int(TIMEOUT)}"]
        if self.target:
            argv += ["-t", self.target]
        try:
            done = subprocess.run(  # noqa: S603 - fixed program, no shell
                [*argv, *args],
                capture_output=True,
                text=True,
                timeout=TIMEOUT + 5,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ConntrackError(f"ovs-appctl {args[0]}: {error}") from error
        if done.returncode != 0:
            raise ConntrackError(
                f"ovs-appctl {args[0]} failed ({done.returncode}): "
                f"{done.stderr.strip()}"
            )
        return done.stdout

    def dump(self, zone: int) -> str:
        return self._appctl("dpctl/dump-conntrack", f"zone={zone}")

    def flush(self, zone: int, orig_tuple: str | None = None) -> None:
        """Flush ``zone``, or the one connection of it ``orig_tuple`` names
        (``ConnectionGone`` when vswitchd tracks no such connection)."""
        args = ["dpctl/flush-conntrack", f"zone={zone}"]
        if orig_tuple:
            args.append(orig_tuple)
        try:
            self._appctl(*args)
        except ConntrackError as error:
            if orig_tuple and _NOT_FOUND in str(error):
                raise ConnectionGone(str(error)) from error
            raise
