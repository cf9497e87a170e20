# SPDX-License-Identifier: Apache-2.0
"""dnsmasq's command line, hosts file and options file for one network (pure).

Golden-tested (``tests/golden/dhcp``). The rules:

* **Static leases only.** Every DHCP range is ``static``: dnsmasq answers only MACs
  the hosts file lists, with exactly the address IPAM gave the port. A subnet
  whose hosts form their own address (IPv6 SLAAC, DHCPv6-stateless) has no lines
  in the hosts file.
* **One tag per subnet**, ``subnet-<id>``, set by its ``--dhcp-range`` and used by
  its lines in the options file, so a subnet's gateway, routes and DNS servers
  reach only the hosts on that subnet. Subnets with DHCP off get neither.
* **IPv4 options**: ``router`` (the gateway, or empty so that clients install no
  default route), ``dns-server``, ``mtu`` (option 26, the network's MTU). Host
  routes go out as classless static routes, option 121 (RFC 3442), and the same
  list again as option 249 for the Windows clients that only read that one.
  RFC 3442 tells a client that gets option 121 to ignore option 3, so the list
  then carries the default route through the gateway as well.
* **IPv6**: address mode ``dhcpv6-stateful`` (also an IPv6 subnet without modes)
  is a ``static`` range; ``dhcpv6-stateless`` is ``ra-stateless`` when this
  dnsmasq advertises (``ipv6_ra_mode`` set), else a ``static`` range that only
  answers information requests (no hosts lines); ``slaac`` is ``ra-only`` when
  advertising, else nothing. The advertisements never name this dnsmasq a default
  router (router lifetime 0: the DHCP namespace does not route) and carry the
  network's MTU. A ``dhcpv6-stateful`` subnet that is advertised needs dnsmasq's
  ``--enable-ra``, which advertises every IPv6 DHCP range of the network (with
  the "managed" flag for the ones without modes); the ``ra-*`` ranges advertise
  by themselves. DNS servers go out as DHCPv6 option 23 (and in the
  advertisements); routes have no DHCPv6 option.
* **No DNS service**: ``--port=0``. Clients use the subnet's DNS servers; none
  configured means none sent (dnsmasq would otherwise name itself).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from quantum.agent.dhcp.model import FixedIp, Ipv6Mode, Network, Subnet

MAX_LEASES = 1 << 24


@dataclass(frozen=True, slots=True)
class Files:
    """Where one network's dnsmasq keeps its state: ``<state>/dhcp/<network>/``."""

    directory: Path

    @property
    def hosts(self) -> Path:
        return self.directory / "host"

    @property
    def opts(self) -> Path:
        return self.directory / "opts"

    @property
    def pid(self) -> Path:
        return self.directory / "pid"

    @property
    def leases(self) -> Path:
        return self.directory / "leases"

    @property
    def log(self) -> Path:
        return self.directory / "log"


def tag(subnet: Subnet) -> str:
    return f"subnet-{subnet.id}"


def hostname(address: str) -> str:
    """``host-10-0-0-3`` / ``host-fd00--3``: a host name derived from the address."""
    return "host-" + address.replace(".", "-").replace(":", "-")


def _advertised(subnet: Subnet) -> bool:
    return subnet.ip_version == 6 and subnet.ipv6_ra_mode is not None


def _range(subnet: Subnet, lease_time: int) -> str | None:
    """The ``--dhcp-range`` value of a DHCP-enabled subnet, or None (no range)."""
    net = subnet.network
    lease = f"{lease_time}s"
    if net.version == 4:
        return f"set:{tag(subnet)},{net.network_address},static,{net.netmask},{lease}"
    mode = subnet.address_mode
    if mode is Ipv6Mode.SLAAC:
        if not _advertised(subnet):
            return None
        kind = "ra-only"
    elif mode is Ipv6Mode.DHCPV6_STATELESS and _advertised(subnet):
        kind = "ra-stateless"
    else:
        kind = "static"
    return f"set:{tag(subnet)},{net.network_address},{kind},{net.prefixlen},{lease}"


def _lease_max(network: Network) -> int:
    total = 0
    for subnet in network.dhcp_subnets:
        if subnet.static_leases:
            total += min(subnet.network.num_addresses, MAX_LEASES)
    return max(1, min(total, MAX_LEASES))


def dnsmasq_args(network: Network, files: Files, interface: str) -> tuple[str, ...]:
    """dnsmasq's arguments (without the program) for ``network`` on ``interface``.

    A change here needs a restart of dnsmasq; what the hosts and options files
    hold is re-read on SIGHUP.
    """
    args = [
        "--no-hosts",
        "--no-resolv",
        "--port=0",
        "--bind-interfaces",
        f"--interface={interface}",
        "--except-interface=lo",
        f"--pid-file={files.pid}",
        f"--dhcp-hostsfile={files.hosts}",
        f"--dhcp-optsfile={files.opts}",
        f"--dhcp-leasefile={files.leases}",
        f"--log-facility={files.log}",
        f"--dhcp-lease-max={_lease_max(network)}",
        "--conf-file=/dev/null",
        f"--domain={network.domain}",
    ]
    for subnet in network.dhcp_subnets:
        value = _range(subnet, network.lease_time)
        if value is not None:
            args.append(f"--dhcp-range={value}")
    advertised = [s for s in network.dhcp_subnets if _advertised(s)]
    if any(s.address_mode is Ipv6Mode.DHCPV6_STATEFUL for s in advertised):
        # NOTE: ra-only and ra-stateless ranges advertise by themselves; a static
        # range needs RA switched on, which advertises every IPv6 range.
        args.append("--enable-ra")
    if advertised:
        mtu = f"mtu:{network.mtu}," if network.mtu else ""
        # NOTE: interval 0 = dnsmasq's default; router lifetime 0: not a router.
        args.append(f"--ra-param={interface},{mtu}0,0")
    return tuple(args)


def _static_ip(network: Network, fixed_ip: FixedIp) -> Subnet | None:
    """The DHCP-enabled, statically leased subnet ``fixed_ip`` belongs to."""
    for subnet in network.dhcp_subnets:
        if (
            subnet.id == fixed_ip.subnet_id
            and subnet.static_leases
            and ipaddress.ip_address(fixed_ip.ip_address) in subnet.network
        ):
            return subnet
    return None


def hosts_file(network: Network) -> str:
    """One ``<mac>,<name>,<ip>`` line (``[<ip>]`` for IPv6) per fixed IP that
    dnsmasq hands out: every port of the network, the DHCP port included."""
    holders = [(port.mac_address, port.fixed_ips) for port in network.ports]
    holders.append((network.dhcp_port.mac_address, network.dhcp_port.fixed_ips))
    entries = {
        (mac, ipaddress.ip_address(fixed_ip.ip_address))
        for mac, fixed_ips in holders
        for fixed_ip in fixed_ips
        if _static_ip(network, fixed_ip) is not None
    }
    lines = []
    for mac, address in sorted(entries, key=lambda e: (e[0], e[1].version, e[1])):
        shown = str(address) if address.version == 4 else f"[{address}]"
        lines.append(f"{mac},{hostname(str(address))},{shown}\n")
    return "".join(lines)


def _routes(subnet: Subnet) -> list[str]:
    """Option 121's ``<destination>,<nexthop>`` pairs, or [] for none."""
    if not subnet.host_routes:
        return []
    pairs = [
        f"{ipaddress.ip_network(route.destination)},{route.nexthop}"
        for route in subnet.host_routes
    ]
    has_default = any(
        ipaddress.ip_network(route.destination).prefixlen == 0
        for route in subnet.host_routes
    )
    if subnet.gateway_ip and not has_default:
        pairs.append(f"0.0.0.0/0,{subnet.gateway_ip}")
    return pairs


def opts_file(network: Network) -> str:
    """The per-subnet DHCP options (see the module's rules)."""
    lines: list[str] = []
    for subnet in network.dhcp_subnets:
        name = f"tag:{tag(subnet)}"
        if subnet.ip_version == 4:
            if subnet.dns_nameservers:
                lines.append(
                    f"{name},option:dns-server,{','.join(subnet.dns_nameservers)}"
                )
            routes = _routes(subnet)
            if routes:
                lines.append(f"{name},option:classless-static-route,{','.join(routes)}")
                lines.append(f"{name},249,{','.join(routes)}")
            if subnet.gateway_ip:
                lines.append(f"{name},option:router,{subnet.gateway_ip}")
            else:
                lines.append(f"{name},option:router")
            if network.mtu:
                lines.append(f"{name},option:mtu,{network.mtu}")
        else:
            if _range(subnet, network.lease_time) is None:
                continue
            servers = ",".join(f"[{server}]" for server in subnet.dns_nameservers)
            lines.append(
                f"{name},option6:dns-server" + (f",{servers}" if servers else "")
            )
    return "".join(line + "\n" for line in lines)


def interface_addresses(network: Network) -> tuple[str, ...]:
    """The DHCP port's addresses (``<ip>/<prefixlen>``) on its DHCP-enabled
    subnets, in the network's subnet order."""
    addresses = []
    for subnet in network.dhcp_subnets:
        for fixed_ip in network.dhcp_port.fixed_ips:
            if fixed_ip.subnet_id != subnet.id:
                continue
            if ipaddress.ip_address(fixed_ip.ip_address) in subnet.network:
                addresses.append(f"{fixed_ip.ip_address}/{subnet.network.prefixlen}")
    return tuple(addresses)
