# SPDX-License-Identifier: Apache-2.0
"""br-int's firewall: port security and security groups compiled to OpenFlow with
conntrack (tables 10-40 of ``tables``). Pure: a port's desired security in, flows
out.

A port with port security gets its own conntrack zone (its ofport), so what one
port's rules commit never lets a packet past another port's rules. What leaves it
is anti-spoofed (its MAC with its fixed IPs and allowed address pairs; ARP and
neighbour advertisements too; DHCP server replies and router advertisements
dropped), then its egress rules judge new connections; what is switched to it
(unicast to its MAC) passes its ingress rules. Established and related traffic of
a committed connection passes, invalid traffic is dropped, and so is everything
no rule allows. ARP, DHCP replies and neighbour discovery always reach the port.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import (
    Action,
    Ct,
    Flow,
    Goto,
    Match,
    Output,
    PopVlan,
    SetField,
    shared,
)
from quantum.agent.ovs.model import Direction, PortSecurity, SecurityRule

ETH_IP = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58
PROTO_SCTP = 132
_PORT_FIELD = {PROTO_TCP: "tcp_dst", PROTO_UDP: "udp_dst", PROTO_SCTP: "sctp_dst"}
ICMPV6_MLD = (130, 131, 132)
ICMPV6_RS, ICMPV6_RA, ICMPV6_NS, ICMPV6_NA = 133, 134, 135, 136

# ct_state bits
CT_NEW, CT_EST, CT_REL, CT_INV, CT_TRK = 0x01, 0x02, 0x04, 0x10, 0x20
STATE_NEW = (CT_TRK | CT_NEW, CT_TRK | CT_NEW | CT_EST | CT_INV)
STATE_EST = (CT_TRK | CT_EST, CT_TRK | CT_EST | CT_REL | CT_INV)
STATE_REL = (CT_TRK | CT_REL, CT_TRK | CT_REL | CT_INV)
STATE_INV = (CT_TRK | CT_INV, CT_TRK | CT_INV)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewalledPort:
    """A bound VIF with port security, and what its groups say.

    ``rules`` are the rules of all its groups; ``members`` the addresses of every
    group they name as remote group.
    """

    ofport: int
    local_vlan: int
    security: PortSecurity
    rules: tuple[SecurityRule, ...] = ()
    members: Mapping[str, tuple[str, ...]] | None = None

    @property
    def zone(self) -> int:
        """The port's conntrack zone."""
        return self.ofport


def port_range_masks(low: int, high: int) -> list[tuple[int, int]]:
    """The fewest ``(value, mask)`` pairs on 16 bits that together match exactly
    the ports ``low..high`` (each a power-of-two aligned block)."""
    if not 0 <= low <= high <= 0xFFFF:
        raise ValueError(f"bad port range {low}-{high}")
    blocks = []
    while low <= high:
        size = low & -low if low else 0x10000
        while size > high - low + 1:
            size >>= 1
        blocks.append((low, 0xFFFF & ~(size - 1)))
        low += size
    return blocks


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 IPv6 link-local address a guest derives from ``mac``."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    eui = octets[:3] + [0xFF, 0xFE] + octets[3:]
    return ipaddress.IPv6Address(bytes([0xFE, 0x80] + [0] * 6 + eui))


def network(address: str) -> Network:
    """An address or CIDR as a network (host bits cleared)."""
    return ipaddress.ip_network(address, strict=False)


def _address_field(net: Network) -> object:
    """A field value for ``net``: exact for a host, ``(address, netmask)`` else,
    ``None`` (wildcard) for a default route."""
    if net.prefixlen == 0:
        return None
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return (str(net.network_address), str(net.netmask))


def port_addresses(security: PortSecurity) -> list[tuple[str, Network]]:
    """(MAC, network) the port may send from: its MAC with its fixed IPs and its
    link-local address, each allowed pair's MAC with the pair's address (and that
    MAC's link-local address)."""
    mac = security.mac_address.lower()
    found: dict[tuple[str, Network], None] = {}
    for address in security.fixed_ips:
        found[(mac, network(address))] = None
    found[(mac, network(str(link_local(mac))))] = None
    for pair in security.allowed_address_pairs:
        pair_mac = (pair.mac_address or mac).lower()
        found[(pair_mac, network(pair.ip_address))] = None
        found[(pair_mac, network(str(link_local(pair_mac))))] = None
    return list(found)


def port_macs(security: PortSecurity) -> list[str]:
    macs = [security.mac_address.lower()]
    for pair in security.allowed_address_pairs:
        mac = (pair.mac_address or security.mac_address).lower()
        if mac not in macs:
            macs.append(mac)
    return macs


def base_flows() -> set[Flow]:
    """The firewall tables' shared flows: state checks and default drops."""
    flows = {
        Flow(table=table, priority=tables.FW_DEFAULT_PRIORITY)
        for table in (
            tables.EGRESS_TABLE,
            tables.EGRESS_RULES_TABLE,
            tables.INGRESS_TABLE,
            tables.INGRESS_RULES_TABLE,
            tables.DELIVER_TABLE,
        )
    }
    for table, onward in (
        (tables.EGRESS_RULES_TABLE, tables.SWITCH_TABLE),
        (tables.INGRESS_RULES_TABLE, tables.DELIVER_TABLE),
    ):
        flows.add(
            Flow(
                table=table,
                priority=tables.FW_DROP_PRIORITY,
                match=Match.of(ct_state=STATE_INV),
            )
        )
        for state in (STATE_EST, STATE_REL):
            flows.add(
                Flow(
                    table=table,
                    priority=tables.FW_STATE_PRIORITY,
                    match=Match.of(ct_state=state),
                    actions=(Goto(onward),),
                )
            )
    return flows


def port_flows(port: FirewalledPort) -> set[Flow]:
    """Every flow of one firewalled port, in tables 10 to 40."""
    flows = set(_anti_spoofing(port))
    flows |= set(_switching(port))
    flows |= set(_ingress(port))
    flows |= set(_rule_flows(port))
    return flows


def _flow(table: int, priority: int, match: Match, *actions: Action) -> Flow:
    return Flow(table=table, priority=priority, match=match, actions=shared(actions))


def _anti_spoofing(port: FirewalledPort) -> Iterator[Flow]:
    ofport = port.ofport
    egress, to_switch = tables.EGRESS_TABLE, Goto(tables.SWITCH_TABLE)
    for fields in (
        {"eth_type": ETH_IP, "ip_proto": PROTO_UDP, "udp_src": 67},
        {"eth_type": ETH_IPV6, "ip_proto": PROTO_UDP, "udp_src": 547},
        {"eth_type": ETH_IPV6, "ip_proto": PROTO_ICMPV6, "icmpv6_type": ICMPV6_RA},
    ):
        yield _flow(egress, tables.FW_DROP_PRIORITY, Match.of(fields, in_port=ofport))
    for mac in port_macs(port.security):
        for eth_type, client, server in ((ETH_IP, 68, 67), (ETH_IPV6, 546, 547)):
            match = Match.of(
                in_port=ofport,
                eth_src=mac,
                eth_type=eth_type,
                ip_proto=PROTO_UDP,
                udp_src=client,
                udp_dst=server,
            )
            yield _flow(egress, tables.FW_DHCP_CLIENT_PRIORITY, match, to_switch)
        for kind in (ICMPV6_RS, ICMPV6_NS):
            match = Match.of(
                in_port=ofport,
                eth_src=mac,
                eth_type=ETH_IPV6,
                ip_proto=PROTO_ICMPV6,
                icmpv6_type=kind,
            )
            yield _flow(egress, tables.FW_NEIGHBOUR_PRIORITY, match, to_switch)
    track = Ct(zone=port.zone, table=tables.EGRESS_RULES_TABLE)
    for mac, net in port_addresses(port.security):
        address = _address_field(net)
        if net.version == 4:
            arp = Match.of(
                in_port=ofport,
                eth_src=mac,
                eth_type=ETH_ARP,
                arp_sha=mac,
                arp_spa=address,
            )
            ip = Match.of(
                in_port=ofport, eth_src=mac, eth_type=ETH_IP, ipv4_src=address
            )
        else:
            arp = Match.of(
                in_port=ofport,
                eth_src=mac,
                eth_type=ETH_IPV6,
                ip_proto=PROTO_ICMPV6,
                icmpv6_type=ICMPV6_NA,
                ipv6_nd_target=address,
            )
            ip = Match.of(
                in_port=ofport, eth_src=mac, eth_type=ETH_IPV6, ipv6_src=address
            )
        yield _flow(egress, tables.FW_NEIGHBOUR_PRIORITY, arp, to_switch)
        yield _flow(egress, tables.FW_CONNTRACK_PRIORITY, ip, track)


def _switching(port: FirewalledPort) -> Iterator[Flow]:
    for mac in port_macs(port.security):
        yield _flow(
            tables.SWITCH_TABLE,
            tables.SWITCH_PORT_PRIORITY,
            Match.of({tables.NETWORK_REG: port.local_vlan}, eth_dst=mac),
            SetField(tables.PORT_REG, port.ofport),
            Goto(tables.INGRESS_TABLE),
        )
    deliver = tables.DELIVER_TABLE
    to_port = {tables.PORT_REG: port.ofport}
    yield _flow(
        deliver,
        tables.DELIVER_TAGGED_PRIORITY,
        Match.of(to_port, vlan_vid=(0x1000, 0x1000)),
        PopVlan(),
        Output(port.ofport),
    )
    yield _flow(
        deliver, tables.DELIVER_PRIORITY, Match.of(to_port), Output(port.ofport)
    )


def _ingress(port: FirewalledPort) -> Iterator[Flow]:
    ingress, to_port = tables.INGRESS_TABLE, {tables.PORT_REG: port.ofport}
    deliver = Goto(tables.DELIVER_TABLE)
    always: list[dict[str, object]] = [
        {"eth_type": ETH_ARP},
        {"eth_type": ETH_IP, "ip_proto": PROTO_UDP, "udp_src": 67, "udp_dst": 68},
        {"eth_type": ETH_IPV6, "ip_proto": PROTO_UDP, "udp_src": 547, "udp_dst": 546},
    ]
    always += [
        {"eth_type": ETH_IPV6, "ip_proto": PROTO_ICMPV6, "icmpv6_type": kind}
        for kind in (*ICMPV6_MLD, ICMPV6_RA, ICMPV6_NS, ICMPV6_NA)
    ]
    for fields in always:
        match = Match.of({**to_port, **fields})
        yield _flow(ingress, tables.FW_NEIGHBOUR_PRIORITY, match, deliver)
    track = Ct(zone=port.zone, table=tables.INGRESS_RULES_TABLE)
    for eth_type in (ETH_IP, ETH_IPV6):
        match = Match.of(to_port, eth_type=eth_type)
        yield _flow(ingress, tables.FW_CONNTRACK_PRIORITY, match, track)


def _rule_flows(port: FirewalledPort) -> Iterator[Flow]:
    members = port.members or {}
    for rule in port.rules:
        if rule.direction is Direction.EGRESS:
            table, onward = tables.EGRESS_RULES_TABLE, tables.SWITCH_TABLE
            in_port: int | None = port.ofport
            who: dict[str, object] = {}
        else:
            table, onward = tables.INGRESS_RULES_TABLE, tables.DELIVER_TABLE
            in_port, who = None, {tables.PORT_REG: port.ofport}
        for fields in rule_matches(rule, members):
            match = Match.of({**who, **fields}, in_port=in_port, ct_state=STATE_NEW)
            yield _flow(
                table,
                tables.FW_RULE_PRIORITY,
                match,
                Ct(zone=port.zone, commit=True),
                Goto(onward),
            )


def rule_protocol(rule: SecurityRule) -> int | None:
    """The rule's IP protocol; "icmp" (1) on an IPv6 rule means ICMPv6."""
    if rule.ethertype == 6 and rule.protocol == PROTO_ICMP:
        return PROTO_ICMPV6
    return rule.protocol


def rule_remotes(
    rule: SecurityRule, members: Mapping[str, tuple[str, ...]]
) -> list[Network | None]:
    """The other ends a rule allows (``None``: anyone); empty: no one (an empty
    remote group, or a prefix of the other IP version)."""
    if rule.remote_group_id is not None:
        nets = {network(a) for a in members.get(rule.remote_group_id, ())}
        same = sorted(
            (n for n in nets if n.version == rule.ethertype),
            key=lambda n: (int(n.network_address), n.prefixlen),
        )
        return list[Network | None](same)
    if rule.remote_ip_prefix is not None:
        net = network(rule.remote_ip_prefix)
        return [net] if net.version == rule.ethertype else []
    return [None]


def rule_matches(
    rule: SecurityRule, members: Mapping[str, tuple[str, ...]]
) -> list[dict[str, object]]:
    """The match fields (besides port and state) of one rule: one dict per
    combination of remote address and port block."""
    v6 = rule.ethertype == 6
    base: dict[str, object] = {"eth_type": ETH_IPV6 if v6 else ETH_IP}
    protocol = rule_protocol(rule)
    if protocol is not None:
        base["ip_proto"] = protocol
    layer4: list[dict[str, object]] = [{}]
    if protocol in _PORT_FIELD and rule.port_min is not None:
        high = rule.port_max if rule.port_max is not None else rule.port_min
        name = _PORT_FIELD[protocol]
        layer4 = [
            {name: (value, mask)} if mask else {}
            for value, mask in port_range_masks(rule.port_min, high)
        ]
    elif protocol in (PROTO_ICMP, PROTO_ICMPV6) and rule.port_min is not None:
        prefix = "icmpv6" if protocol == PROTO_ICMPV6 else "icmpv4"
        icmp: dict[str, object] = {f"{prefix}_type": rule.port_min}
        if rule.port_max is not None:
            icmp[f"{prefix}_code"] = rule.port_max
        layer4 = [icmp]
    elif rule.port_min is not None:
        # NOTE: OpenFlow cannot match DCCP or UDP-Lite ports: allow nothing
        # rather than every port.
        return []
    end = "src" if rule.direction is Direction.INGRESS else "dst"
    field = f"ipv6_{end}" if v6 else f"ipv4_{end}"
    found = []
    for remote in rule_remotes(rule, members):
        where = {} if remote is None else {field: _address_field(remote)}
        found += [{**base, **where, **l4} for l4 in layer4]
    return found


def firewall_flows(ports: Iterable[FirewalledPort]) -> set[Flow]:
    """The flows of tables 10-40 for ``ports`` (none without firewalled ports)."""
    ports = list(ports)
    if not ports:
        return set()
    flows = base_flows()
    for port in ports:
        flows |= port_flows(port)
    return flows
