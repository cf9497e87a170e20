# SPDX-License-Identifier: Apache-2.0
"""Network devices a VIF is made of: a veth pair or a tap, and the Linux bridge it
may be enslaved to, driven through ``ip``.

Each function takes the namespace that holds the host-side device (``None``: the
caller's own), so the same code serves a real hypervisor and a simulated one (a
network namespace of its own). Failures raise :class:`DeviceError` with ``ip``'s
message.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

from quantum.core.families import QuantumError

NETNS_DIR = "/run/netns"
IFNAMSIZ = 16
"""Linux interface names hold at most ``IFNAMSIZ - 1`` characters."""


class DeviceError(QuantumError):
    template = "{command}: {reason}"

    command: str
    reason: str


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
"""Runs an argv without raising on a non-zero exit (``subprocess.run`` shape)."""


def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # NOTE: argv lists, never a shell
        list(argv), capture_output=True, text=True, timeout=30, check=False
    )


def check_name(name: str) -> str:
    """Return ``name`` if Linux accepts it as an interface name, else raise."""
    if not name or len(name) >= IFNAMSIZ:
        raise ValueError(
            f"interface name {name!r} must have 1 to {IFNAMSIZ - 1} characters"
        )
    if name in (".", "..") or any(c in "/:" or c.isspace() for c in name):
        raise ValueError(
            f"interface name {name!r} may not be '.' or '..' "
            "nor hold '/', ':' or white space"
        )
    if not name.isprintable():
        raise ValueError(f"interface name {name!r} holds control characters")
    return name


def check_netns(name: str) -> str:
    """Return ``name`` if it can name a network namespace (a file in /run/netns)."""
    if not name or name in (".", "..") or "/" in name or not name.isprintable():
        raise ValueError(f"bad network namespace name {name!r}")
    if name.startswith("-"):
        raise ValueError(f"network namespace name {name!r} may not start with '-'")
    return name


class Devices:
    """Creates and removes VIF devices in one (host) namespace."""

    def __init__(self, host_netns: str | None = None, runner: Runner = run) -> None:
        self.host_netns = host_netns
        self._run = runner

    def _call(
        self, *args: str, netns: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = ["ip"]
        where = netns if netns is not None else self.host_netns
        if where is not None:
            argv += ["-n", where]
        argv += args
        done = self._run(argv)
        if check and done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise DeviceError(
                command=" ".join(argv), reason=output or f"exit {done.returncode}"
            )
        return done

    def _ip(self, *args: str, netns: str | None = None, check: bool = True) -> bool:
        return self._call(*args, netns=netns, check=check).returncode == 0

    def exists(self, name: str, netns: str | None = None) -> bool:
        return self._ip("link", "show", "dev", name, netns=netns, check=False)

    def ensure_veth(
        self, name: str, peer: str, peer_netns: str, mac: str, mtu: int | None = None
    ) -> bool:
        """Make veth ``name`` whose peer ``peer`` (with ``mac``) sits in
        ``peer_netns``; both ends up (and with ``mtu`` if given). Returns whether
        the pair was created."""
        # PERF: a plug waits for every ``ip`` it forks; a new pair takes two: the
        # host end comes up and the peer gets its MAC as they are made (the kernel
        # refuses "up" for a peer made straight into another namespace).
        size = ("mtu", str(mtu)) if mtu else ()
        add = ("link", "add", name, *size, "up", "type", "veth", "peer", "name", peer,
               "address", mac, *size, "netns", peer_netns)  # fmt: skip
        created = self._ip(*add, check=False)
        if not created and not self.exists(name):
            created = self._ip(*add)  # NOTE: not an existing pair: again, to raise
        if not created:
            self._ip(
                "link", "set", "dev", peer, "address", mac, *size, netns=peer_netns
            )
            self._ip("link", "set", "dev", name, *size, "up")
        self._ip("link", "set", "dev", peer, "up", netns=peer_netns)
        return created

    def ensure_tap(self, name: str, mtu: int | None = None) -> bool:
        """Make a persistent tap ``name`` (the hypervisor opens it), up."""
        created = not self.exists(name)
        if created:
            self._ip("tuntap", "add", "dev", name, "mode", "tap")
        size = ("mtu", str(mtu)) if mtu else ()
        self._ip("link", "set", "dev", name, *size, "up")
        return created

    # -- Linux bridges ----------------------------------------------------------------

    def link(self, name: str) -> dict[str, Any] | None:
        """``name`` as ``ip -d -j link show`` describes it (``master``, ``mtu``,
        ``linkinfo.info_kind``...); None when there is no such device."""
        done = self._call("-d", "-j", "link", "show", "dev", name, check=False)
        if done.returncode != 0:
            return None
        links: list[dict[str, Any]] = json.loads(done.stdout or "[]")
        return links[0] if links else None

    def ensure_bridge(self, name: str, mtu: int | None = None) -> bool:
        """Make Linux bridge ``name`` (no STP, no forwarding delay, ``mtu`` if
        given), up; one that exists (another plug made it first) is only brought
        up. Returns whether this call made it; DeviceError if ``name`` is another
        kind of device."""
        size = ("mtu", str(mtu)) if mtu else ()
        add = ("link", "add", name, *size, "up", "type", "bridge",
               "stp_state", "0", "forward_delay", "0")  # fmt: skip
        if self._ip(*add, check=False):
            return True
        found = self.link(name)
        if found is None:
            self._ip(*add)  # NOTE: it does not exist, yet cannot be made: to raise
            return True
        kind = found.get("linkinfo", {}).get("info_kind")
        if kind != "bridge":
            raise DeviceError(
                command=" ".join(("ip", *add)),
                reason=f"{name} exists and is not a Linux bridge ({kind or 'none'})",
            )
        self._ip("link", "set", "dev", name, "up")
        return False

    def enslave(self, name: str, bridge: str) -> None:
        """Make ``name`` a port of ``bridge``."""
        self._ip("link", "set", "dev", name, "master", bridge)

    def bridge_ports(self, bridge: str) -> list[str]:
        """The interfaces enslaved to ``bridge``."""
        done = self._call("-j", "link", "show", "master", bridge)
        return [str(link["ifname"]) for link in json.loads(done.stdout or "[]")]

    def delete(self, name: str) -> None:
        self._ip("link", "del", "dev", name)

    def remove(self, name: str) -> bool:
        """Delete ``name`` (a veth takes its peer along). Returns whether it existed."""
        if not self.exists(name):
            return False
        self._ip("link", "del", "dev", name)
        return True

    # -- a guest's namespace (a "VM" on a simulated hypervisor) --------------------

    def _netns(self, *args: str, check: bool = True) -> bool:
        # NOTE: namespaces are named system-wide (/run/netns): never ``ip -n``.
        argv = ["ip", "netns", *args]
        done = self._run(argv)
        if check and done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise DeviceError(
                command=" ".join(argv), reason=output or f"exit {done.returncode}"
            )
        return done.returncode == 0

    def netns_exists(self, name: str) -> bool:
        return os.path.exists(os.path.join(NETNS_DIR, check_netns(name)))

    def ensure_netns(self, name: str) -> bool:
        """Make namespace ``name`` with its loopback up; whether it was created."""
        if self.netns_exists(name):
            return False
        self._netns("add", name)
        self._ip("link", "set", "dev", "lo", "up", netns=name)
        return True

    def delete_netns(self, name: str) -> bool:
        """Delete namespace ``name`` (and what is left in it); whether it existed."""
        if not self.netns_exists(name):
            return False
        self._netns("delete", name)
        return True

    def in_netns(self, netns: str, *argv: str, check: bool = True) -> bool:
        """Run ``argv`` inside ``netns`` (``ip netns exec``)."""
        return self._netns("exec", netns, *argv, check=check)

    def output_in(self, netns: str, *argv: str) -> str:
        """Run ``argv`` inside ``netns``; its standard output. DeviceError when it
        fails."""
        command = ["ip", "netns", "exec", netns, *argv]
        done = self._run(command)
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise DeviceError(
                command=" ".join(command), reason=output or f"exit {done.returncode}"
            )
        return done.stdout

    def ip_in(self, netns: str, *args: str) -> None:
        """``ip -n netns args``; DeviceError when it fails."""
        self._ip(*args, netns=netns)
