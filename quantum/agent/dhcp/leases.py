# SPDX-License-Identifier: Apache-2.0
"""dnsmasq's leases, as the server's holds need them.

dnsmasq rewrites ``<state_dir>/<network>/leases`` whenever a lease is granted,
renewed or dropped: one ``<expiry epoch> <mac> <ip> <hostname> <client id>`` line per
IPv4 lease (IPv6 leases follow a ``duid`` line, with an IAID where the MAC would be;
they are not read). ``LeaseWatch.poll`` looks at every network's file (a ``stat``
each; a file is read only when it changed) and reports the leases that are new or
end later than last reported, so the server knows when each address's lease really
ends (``ipam.store.record_leases``).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from quantum.agent.dhcp.model import check_id
from quantum.agentapi.dhcp.messages import LeaseInfo
from quantum.core.mac import parse_mac

LOG = logging.getLogger(__name__)

LEASES = "leases"


def parse(network_id: str, text: str) -> Iterator[LeaseInfo]:
    """The IPv4 leases of one leases file (lines it cannot read are skipped)."""
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3:
            continue
        try:
            expires = int(words[0])
            address = ipaddress.ip_address(words[2])
        except ValueError:
            continue  # NOTE: the duid line, IPv6 leases, a torn write
        mac = parse_mac(words[1])
        if address.version != 4 or expires <= 0 or mac is None:
            continue  # NOTE: 0 is dnsmasq's infinite lease: none of ours
        yield LeaseInfo(
            network_id=network_id,
            ip_address=str(address),
            mac_address=mac,
            expires_at=expires,
        )


Report = Callable[[Sequence[LeaseInfo]], None]


class LeaseWatch:
    """Reports the leases of every network's dnsmasq that are new or later."""

    def __init__(self, state_dir: Path, report: Report) -> None:
        self.state_dir = state_dir
        self.report = report
        self.seen: dict[str, tuple[int, int]] = {}
        """Network id -> (mtime ns, size) of its leases file when last read."""
        self.reported: dict[tuple[str, str, str], int] = {}
        """(network, address, MAC) -> the lease end last reported."""

    def _files(self) -> Iterator[tuple[str, Path]]:
        if not self.state_dir.is_dir():
            return
        for directory in self.state_dir.iterdir():
            try:
                check_id(directory.name, "network id")
            except ValueError:
                continue
            yield directory.name, directory / LEASES

    def poll(self) -> int:
        """One look; how many leases it reported (raises what ``report`` raises,
        and then reports them again next time)."""
        stamps: dict[str, tuple[int, int]] = {}
        fresh: list[LeaseInfo] = []
        for network_id, path in self._files():
            try:
                stat = path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                if self.seen.get(network_id) == stamp:
                    stamps[network_id] = stamp
                    continue
                text = path.read_text()
            except OSError:
                continue
            stamps[network_id] = stamp
            for lease in parse(network_id, text):
                key = (network_id, lease.ip_address, lease.mac_address)
                if self.reported.get(key, -1) < lease.expires_at:
                    fresh.append(lease)
        if fresh:
            self.report(fresh)
        self.seen = stamps
        for lease in fresh:
            key = (lease.network_id, lease.ip_address, lease.mac_address)
            self.reported[key] = lease.expires_at
        self.reported = {k: v for k, v in self.reported.items() if k[0] in stamps}
        return len(fresh)

    def run(self, stop: threading.Event, interval: float) -> None:
        """``poll`` every ``interval`` seconds until ``stop``; failures are logged
        and retried."""
        while not stop.wait(interval):
            try:
                reported = self.poll()
            except Exception as error:  # NOTE: any failure: the next poll retries
                LOG.warning("lease report failed: %s", error)
                continue
            if reported:
                LOG.info("reported %d lease(s)", reported)
