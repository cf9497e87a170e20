# SPDX-License-Identifier: Apache-2.0
"""Which tracked connections a firewalled port's rules no longer allow. Pure.

After a change to a port's rules, addresses or remote groups' members, the agent
reads the port's conntrack zone (``ovs-appctl dpctl/dump-conntrack zone=N``),
``parse_dump`` turns it into ``Connection`` values and ``stale`` keeps the ones
the port's new state would not let start; the agent flushes those by their
original tuple (``flush_tuple``). A connection still allowed is left alone, so it
survives the change.

The userspace datapath flushes by exact lookup of the whole original tuple (OVS
3.1): an ICMP connection is named by its type, code and identifier too, and one
that ended between the dump and the flush is not found (``ConnectionGone``),
which is no failure: it is gone either way.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from quantum.agent.ovs.bridges import firewall
from quantum.agent.ovs.model import Direction, SecurityRule


class ConntrackError(RuntimeError):
    """Reading or flushing a zone failed."""


class ConnectionGone(ConntrackError):
    """The connection to flush is not tracked (any more): it ended, or expired,
    after the dump that found it."""


_PROTOCOLS = {
    "tcp": 6,
    "udp": 17,
    "sctp": 132,
    "icmp": 1,
    "tcp6": 6,
    "udp6": 17,
    "sctp6": 132,
    "icmpv6": 58,
}
_ORIG = re.compile(r"orig=\(([^)]*)\)")
_ZONE = re.compile(r"(?:^|,)zone=(\d+)")
_ICMP = frozenset({1, 58})


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """A tracked connection as its first packet went: ``sport`` and ``dport``
    its ports (TCP, UDP, SCTP), ``icmp`` the ICMP type and code and ``icmp_id``
    the echo identifier."""

    zone: int
    protocol: int
    src: ipaddress.IPv4Address | ipaddress.IPv6Address
    dst: ipaddress.IPv4Address | ipaddress.IPv6Address
    sport: int | None = None
    dport: int | None = None
    icmp: tuple[int, int] | None = None
    icmp_id: int | None = None


def parse_dump(text: str) -> list[Connection]:
    """The connections of ``dpctl/dump-conntrack`` output (protocols OVS tracks
    by port or ICMP type; other lines are skipped)."""
    found = []
    for line in text.splitlines():
        protocol = _PROTOCOLS.get(line.split(",", 1)[0].strip())
        orig = _ORIG.search(line)
        zone = _ZONE.search(line)
        if protocol is None or orig is None:
            continue
        fields = dict(
            part.split("=", 1) for part in orig.group(1).split(",") if "=" in part
        )
        try:
            connection = Connection(
                zone=int(zone.group(1)) if zone else 0,
                protocol=protocol,
                src=ipaddress.ip_address(fields["src"]),
                dst=ipaddress.ip_address(fields["dst"]),
                sport=int(fields["sport"]) if "sport" in fields else None,
                dport=int(fields["dport"]) if "dport" in fields else None,
                icmp=(int(fields["type"]), int(fields.get("code", 0)))
                if "type" in fields
                else None,
                icmp_id=int(fields["id"]) if "id" in fields else None,
            )
        except (KeyError, ValueError):
            continue
        found.append(connection)
    return found


def flush_tuple(connection: Connection) -> str:
    """The original tuple ``dpctl/flush-conntrack`` takes for ``connection``:
    all of it, since the userspace datapath looks it up exactly (an ICMP tuple
    without its type, code and identifier names no connection)."""
    v6 = connection.src.version == 6
    prefix = "ct_ipv6" if v6 else "ct_nw"
    parts = [
        f"{prefix}_src={connection.src}",
        f"{prefix}_dst={connection.dst}",
        f"ct_nw_proto={connection.protocol}",
    ]
    if connection.sport is not None and connection.dport is not None:
        parts += [f"ct_tp_src={connection.sport}", f"ct_tp_dst={connection.dport}"]
    if connection.protocol in _ICMP and connection.icmp is not None:
        parts += [
            f"icmp_type={connection.icmp[0]}",
            f"icmp_code={connection.icmp[1]}",
            f"icmp_id={connection.icmp_id or 0}",
        ]
    return ",".join(parts)


def _rule_allows(
    rule: SecurityRule,
    connection: Connection,
    remote: ipaddress.IPv4Address | ipaddress.IPv6Address,
    members: Mapping[str, tuple[str, ...]],
) -> bool:
    if rule.ethertype != connection.src.version:
        return False
    protocol = firewall.rule_protocol(rule)
    if protocol is not None and protocol != connection.protocol:
        return False
    if rule.port_min is not None:
        if protocol in (firewall.PROTO_ICMP, firewall.PROTO_ICMPV6):
            if connection.icmp is None or connection.icmp[0] != rule.port_min:
                return False
            if rule.port_max is not None and connection.icmp[1] != rule.port_max:
                return False
        else:
            high = rule.port_max if rule.port_max is not None else rule.port_min
            if (
                connection.dport is None
                or not rule.port_min <= connection.dport <= high
            ):
                return False
    return any(
        net is None or remote in net for net in firewall.rule_remotes(rule, members)
    )


def allowed(port: firewall.FirewalledPort, connection: Connection) -> bool:
    """Would ``port``'s current state let ``connection`` start?"""
    own = [net for _, net in firewall.port_addresses(port.security)]
    members = port.members or {}
    if any(connection.src in net for net in own):
        direction, remote = Direction.EGRESS, connection.dst
    elif any(connection.dst in net for net in own):
        direction, remote = Direction.INGRESS, connection.src
    else:
        return False
    return any(
        _rule_allows(rule, connection, remote, members)
        for rule in port.rules
        if rule.direction is direction
    )


def stale(
    port: firewall.FirewalledPort, connections: Iterable[Connection]
) -> list[Connection]:
    """The connections in ``port``'s zone its current state no longer allows."""
    return [c for c in connections if c.zone == port.zone and not allowed(port, c)]
