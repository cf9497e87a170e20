# SPDX-License-Identifier: Apache-2.0
"""A router's devices, addresses, routes and iptables rules (pure).

Golden-tested (``tests/golden/l3``). The rules:

* **Devices.** One ``qr-<port id[:11]>`` per interface (plugged into the
  integration bridge like a VM's NIC, so the OVS agent wires it) and one
  ``qg-<port id[:11]>`` for the gateway (on the external bridge), both in the
  router's namespace; their bridge ends are ``tap<port id[:11]>``.
* **Addresses.** Each interface's ``<ip>/<prefix>``; on the gateway device its
  address and every floating IP as ``/32``, so the router answers ARP for them.
* **Routes.** The default route through the external subnet's gateway (if the
  router has a gateway and the subnet one); each extra route, ``<destination>
  via <nexthop>``. Connected routes are the kernel's.
* **iptables.** Only chains of the owner ``quantum-l3`` (``quantum-l3-<BUILTIN>``,
  jumped to from the first rule of the built-in chain). A reload replaces every
  rule of our chains in one ``iptables-restore --noflush`` commit per table,
  leaving every other chain and rule and the connection tracking table alone
  (existing connections keep their translation). In the ``nat`` table:

  - ``PREROUTING``/``OUTPUT``: per floating IP ``-d <fip>/32 -j DNAT
    --to-destination <fixed>``; with a metadata port, the metadata address's
    port 80 redirected there.
  - ``POSTROUTING``: first ``ACCEPT`` what neither enters nor leaves by the
    gateway and was not DNATed: traffic between the router's own subnets keeps
    its addresses. Then per floating IP ``-s <fixed>/32 -j SNAT --to-source
    <fip>`` (also for a VM reaching another's floating IP through the router),
    then, with ``enable_snat``, per IPv4 internal subnet ``-s <cidr> -j SNAT
    --to-source <gateway address>``.

  In the ``filter`` table, ``INPUT`` accepts the metadata proxy's port on
  127.0.0.1 (when there is one); nothing else is filtered by the router
  (security groups filter at the ports). Rules are written in the form
  ``iptables-save`` prints them, so what a host shows compares to them as text.
  IPv6 is routed, never translated: no ip6tables rules.
* **Router advertisements.** ``radvd_config``: radvd's configuration for the
  router's IPv6 subnets whose ``ipv6_ra_mode`` is set, one ``interface`` block
  per ``qr-`` device: ``slaac`` advertises the prefix for autoconfiguration
  (A flag), ``dhcpv6-stateful`` sets the "managed" flag (M; the prefix is
  on-link only), ``dhcpv6-stateless`` the "other configuration" flag (O) with
  the prefix for autoconfiguration. The router is the hosts' default router
  (radvd's default lifetime, three times the longest interval). None when no
  subnet is advertised: then no radvd runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from quantum.agent.dhcp.model import Ipv6Mode
from quantum.agent.l3.model import DEVICE_CHARS, Router

OWNER = "quantum-l3"
METADATA_ADDRESS = "169.254.169.254"
HOOKS: tuple[tuple[str, str], ...] = (
    ("filter", "INPUT"),
    ("nat", "PREROUTING"),
    ("nat", "OUTPUT"),
    ("nat", "POSTROUTING"),
)
"""The built-in chains that jump to ours, by table."""
RA_MIN_INTERVAL = 3
RA_MAX_INTERVAL = 10
"""Seconds between unsolicited router advertisements (radvd's
``MinRtrAdvInterval``/``MaxRtrAdvInterval``); solicitations are answered at once."""

Rules = Mapping[str, Mapping[str, tuple[str, ...]]]
"""table -> our chain -> its rules (without ``-A <chain>``), in order."""


def chain(builtin: str) -> str:
    """Our chain hooked into ``builtin``: ``quantum-l3-<BUILTIN>``."""
    return f"{OWNER}-{builtin}"


def jump(builtin: str) -> str:
    """The rule (``iptables-save`` form) of ``builtin`` that jumps to our chain."""
    return f"-A {builtin} -j {chain(builtin)}"


def internal_device(port_id: str) -> str:
    return "qr-" + port_id[:DEVICE_CHARS]


def gateway_device(port_id: str) -> str:
    return "qg-" + port_id[:DEVICE_CHARS]


def bridge_device(port_id: str) -> str:
    """The bridge end of a router port's veth: ``tap<port id[:11]>``."""
    return "tap" + port_id[:DEVICE_CHARS]


def bridge_device_of(ns_name: str) -> str:
    """The bridge end of namespace device ``ns_name`` (``qr-…`` or ``qg-…``)."""
    return "tap" + ns_name[3:]


@dataclass(frozen=True, slots=True, order=True)
class RouteEntry:
    """A route the agent keeps: ``destination`` (a CIDR or ``default``) via
    ``nexthop``."""

    destination: str
    nexthop: str

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.nexthop).version


def addresses(router: Router) -> Mapping[str, frozenset[str]]:
    """Device -> the addresses (``<ip>/<prefix>``) it carries."""
    found: dict[str, frozenset[str]] = {}
    for interface in router.interfaces:
        found[internal_device(interface.port_id)] = frozenset(interface.addresses)
    gateway = router.gateway
    if gateway is not None:
        floating = {f"{f.floating_ip_address}/32" for f in router.floating_ips}
        found[gateway_device(gateway.port_id)] = frozenset({gateway.address, *floating})
    return MappingProxyType(found)


def routes(router: Router) -> frozenset[RouteEntry]:
    wanted = {
        RouteEntry(str(ipaddress.ip_network(r.destination)), r.nexthop)
        for r in router.routes
    }
    gateway = router.gateway
    if gateway is not None and gateway.gateway_ip is not None:
        wanted.add(RouteEntry("default", gateway.gateway_ip))
    return frozenset(
        RouteEntry("default", r.nexthop)
        if r.destination in ("0.0.0.0/0", "::/0")
        else r
        for r in wanted
    )


def _floating(router: Router) -> list[tuple[str, str]]:
    return sorted(
        ((f.floating_ip_address, f.fixed_ip_address) for f in router.floating_ips),
        key=lambda pair: ipaddress.ip_address(pair[0]),
    )


def rules(router: Router) -> Rules:
    """Every rule of our chains, by table and chain (see the module's rules)."""
    prerouting: list[str] = []
    output: list[str] = []
    postrouting: list[str] = []
    inputs: list[str] = []
    for floating, fixed in _floating(router):
        dnat = f"-d {floating}/32 -j DNAT --to-destination {fixed}"
        prerouting.append(dnat)
        output.append(dnat)
    if router.metadata_port is not None:
        prerouting.append(
            f"-d {METADATA_ADDRESS}/32 -p tcp -m tcp --dport 80 "
            f"-j REDIRECT --to-ports {router.metadata_port}"
        )
        inputs.append(
            f"-d 127.0.0.1/32 -p tcp -m tcp --dport {router.metadata_port} -j ACCEPT"
        )
    gateway = router.gateway
    if gateway is not None:
        qg = gateway_device(gateway.port_id)
        postrouting.append(
            f"! -i {qg} ! -o {qg} -m conntrack ! --ctstate DNAT -j ACCEPT"
        )
        for floating, fixed in _floating(router):
            postrouting.append(f"-s {fixed}/32 -j SNAT --to-source {floating}")
        if gateway.enable_snat:
            for network in router.internal_networks:
                if network.version == 4:
                    postrouting.append(f"-s {network} -j SNAT --to-source {gateway.ip}")
    return MappingProxyType(
        {
            "filter": MappingProxyType({chain("INPUT"): tuple(inputs)}),
            "nat": MappingProxyType(
                {
                    chain("PREROUTING"): tuple(prerouting),
                    chain("OUTPUT"): tuple(output),
                    chain("POSTROUTING"): tuple(postrouting),
                }
            ),
        }
    )


def _flag(on: bool) -> str:
    return "on" if on else "off"


def radvd_config(router: Router) -> str | None:
    """radvd.conf for the router's advertised IPv6 subnets (see the module's
    rules); None when it advertises none."""
    blocks: list[str] = []
    for interface in sorted(router.interfaces, key=lambda i: i.port_id):
        if not interface.advertise:
            continue
        modes = {a.mode for a in interface.advertise}
        lines = [
            f"interface {internal_device(interface.port_id)}",
            "{",
            "    AdvSendAdvert on;",
            f"    MinRtrAdvInterval {RA_MIN_INTERVAL};",
            f"    MaxRtrAdvInterval {RA_MAX_INTERVAL};",
            f"    AdvManagedFlag {_flag(Ipv6Mode.DHCPV6_STATEFUL in modes)};",
            f"    AdvOtherConfigFlag {_flag(Ipv6Mode.DHCPV6_STATELESS in modes)};",
        ]
        for advertised in sorted(
            interface.advertise, key=lambda a: ipaddress.ip_network(a.cidr)
        ):
            lines += [
                f"    prefix {advertised.cidr}",
                "    {",
                "        AdvOnLink on;",
                f"        AdvAutonomous {_flag(advertised.autonomous)};",
                "    };",
            ]
        lines.append("};")
        blocks.append("\n".join(lines) + "\n")
    return "".join(blocks) if blocks else None


def restore_input(wanted: Rules, missing_jumps: frozenset[tuple[str, str]]) -> str:
    """``iptables-restore --noflush`` input that makes our chains hold exactly
    ``wanted``: declaring a chain creates it or empties it, in the same commit
    that refills it; ``missing_jumps`` (table, built-in) get their jump inserted
    first in the built-in chain."""
    lines: list[str] = []
    for table in sorted(wanted):
        chains = wanted[table]
        lines.append(f"*{table}")
        lines.extend(f":{name} - [0:0]" for name in sorted(chains))
        for name in sorted(chains):
            lines.extend(f"-A {name} {rule}" for rule in chains[name])
        for hook_table, builtin in HOOKS:
            if hook_table == table and (table, builtin) in missing_jumps:
                lines.append(f"-I {builtin} 1 -j {chain(builtin)}")
        lines.append("COMMIT")
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True, slots=True)
class Saved:
    """What ``iptables-save`` shows of ours."""

    rules: Rules
    jumps: frozenset[tuple[str, str]]
    """(table, built-in) whose chain jumps to ours."""


def parse_saved(text: str) -> Saved:
    """Our chains' rules and the jumps to them in ``iptables-save`` output
    (other chains and rules are not ours and are ignored)."""
    found: dict[str, dict[str, list[str]]] = {}
    jumps: set[tuple[str, str]] = set()
    table = ""
    prefix = f"{OWNER}-"
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith(":") and line[1:].startswith(prefix):
            found.setdefault(table, {}).setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            name, _, rule = line[3:].partition(" ")
            if name.startswith(prefix):
                found.setdefault(table, {}).setdefault(name, []).append(rule)
            elif rule == f"-j {chain(name)}" and (table, name) in HOOKS:
                jumps.add((table, name))
    return Saved(
        MappingProxyType(
            {
                t: MappingProxyType({c: tuple(r) for c, r in chains.items()})
                for t, chains in found.items()
            }
        ),
        frozenset(jumps),
    )
