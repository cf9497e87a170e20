# SPDX-License-Identifier: Apache-2.0
"""What the DHCP agent serves, as plain frozen values.

A :class:`Network` carries everything dnsmasq needs for one network: its subnets
(addresses, gateway, host routes, DNS servers, whether DHCP is on, IPv6 modes), its
ports (MAC and fixed IPs, as IPAM gave them), the DHCP port itself, the domain,
the MTU and the lease time. The agent builds it from the server's answer; the
renderers (``render``) and the planner (``plan``) only read it.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from functools import cached_property

DEFAULT_DOMAIN = "openstacklocal"
DEFAULT_LEASE_TIME = 86400
MIN_LEASE_TIME = 120
"""dnsmasq refuses shorter leases."""
DHCP_DEVICE_OWNER = "network:dhcp"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def check_id(value: str, what: str) -> str:
    """An id that names files, tags and namespaces: letters, digits, ``-``, ``_``."""
    if not _ID.match(value):
        raise ValueError(f"{what} {value!r} is not a valid id")
    return value


def check_mac(value: str) -> str:
    if not _MAC.match(value):
        raise ValueError(f"{value!r} is not a lower-case MAC (aa:bb:cc:dd:ee:ff)")
    return value


def check_ip(value: str) -> str:
    address = ipaddress.ip_address(value)  # NOTE: raises ValueError
    if str(address) != value:
        raise ValueError(f"{value!r} is not a normalized IP address")
    return value


class Ipv6Mode(enum.StrEnum):
    """``ipv6_ra_mode`` / ``ipv6_address_mode`` of an IPv6 subnet."""

    SLAAC = "slaac"
    """Hosts form their address from the prefix the router advertises."""
    DHCPV6_STATEFUL = "dhcpv6-stateful"
    """Hosts get their address (and options) from DHCPv6."""
    DHCPV6_STATELESS = "dhcpv6-stateless"
    """Hosts form their address by SLAAC and get options from DHCPv6."""


def eui64_address(cidr: str, mac: str) -> str:
    """The address a host with ``mac`` forms by SLAAC in the /64 ``cidr`` (RFC 4291
    appendix A: the MAC with ``ff:fe`` in the middle and the U/L bit flipped)."""
    network = ipaddress.IPv6Network(cidr)
    if network.prefixlen != 64:
        raise ValueError(f"SLAAC needs a /64, not {cidr}")
    octets = bytes.fromhex(check_mac(mac).replace(":", ""))
    interface = bytes([octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]])
    address = int(network.network_address) | int.from_bytes(interface, "big")
    return str(ipaddress.IPv6Address(address))


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRoute:
    destination: str
    """A CIDR, e.g. ``192.168.7.0/24``."""
    nexthop: str


@dataclass(frozen=True, kw_only=True)
class Subnet:
    """One subnet of the network.

    ``ipv6_ra_mode`` set: this agent's dnsmasq sends the router advertisements
    (prefix and flags as the mode says; never as a default router, see
    ``render``). ``ipv6_address_mode`` says how hosts get their address; unset on
    an IPv6 subnet it means DHCPv6-stateful without advertisements (another
    router sends them).
    """

    id: str
    cidr: str
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[HostRoute, ...] = ()
    ipv6_ra_mode: Ipv6Mode | None = None
    ipv6_address_mode: Ipv6Mode | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "subnet id")
        network = ipaddress.ip_network(self.cidr)  # NOTE: raises on a bad CIDR
        if str(network) != self.cidr:
            raise ValueError(f"subnet {self.id}: {self.cidr!r} is not normalized")
        if network.version == 4 and (self.ipv6_ra_mode or self.ipv6_address_mode):
            raise ValueError(f"subnet {self.id}: IPv6 modes on an IPv4 subnet")
        if (
            self.ipv6_ra_mode is not None
            and self.ipv6_address_mode is not None
            and self.ipv6_ra_mode != self.ipv6_address_mode
        ):
            raise ValueError(
                f"subnet {self.id}: ipv6_ra_mode {self.ipv6_ra_mode} and "
                f"ipv6_address_mode {self.ipv6_address_mode} differ"
            )
        for address in (
            *((self.gateway_ip,) if self.gateway_ip else ()),
            *self.dns_nameservers,
            *(route.nexthop for route in self.host_routes),
        ):
            if ipaddress.ip_address(check_ip(address)).version != network.version:
                raise ValueError(
                    f"subnet {self.id}: {address} is not IPv{network.version}"
                )
        for route in self.host_routes:
            destination = ipaddress.ip_network(route.destination)
            if destination.version != network.version:
                raise ValueError(
                    f"subnet {self.id}: route {route.destination} is not "
                    f"IPv{network.version}"
                )

    @cached_property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.cidr)

    @property
    def ip_version(self) -> int:
        return self.network.version

    @property
    def address_mode(self) -> Ipv6Mode | None:
        """How hosts get their address: None for IPv4; for IPv6 the address mode,
        else the RA mode, else DHCPv6-stateful."""
        if self.ip_version == 4:
            return None
        return self.ipv6_address_mode or self.ipv6_ra_mode or Ipv6Mode.DHCPV6_STATEFUL

    @property
    def static_leases(self) -> bool:
        """Whether dnsmasq hands out this subnet's addresses (so the hosts file
        lists them): IPv4, and IPv6 in DHCPv6-stateful mode."""
        return self.address_mode in (None, Ipv6Mode.DHCPV6_STATEFUL)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedIp:
    subnet_id: str
    ip_address: str

    def __post_init__(self) -> None:
        check_id(self.subnet_id, "subnet id")
        check_ip(self.ip_address)


@dataclass(frozen=True, slots=True, kw_only=True)
class Port:
    """A port of the network: its MAC and the addresses IPAM gave it."""

    id: str
    mac_address: str
    fixed_ips: tuple[FixedIp, ...] = ()
    device_owner: str = ""

    def __post_init__(self) -> None:
        check_id(self.id, "port id")
        check_mac(self.mac_address)


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpPort:
    """The network's DHCP port (``device_owner`` ``network:dhcp``): its id is the
    ``iface-id`` of the device plugged into the integration bridge, its fixed IPs
    (one per DHCP-enabled subnet) the addresses dnsmasq listens on."""

    id: str
    mac_address: str
    fixed_ips: tuple[FixedIp, ...]
    device_id: str = ""

    def __post_init__(self) -> None:
        check_id(self.id, "port id")
        check_mac(self.mac_address)


@dataclass(frozen=True, kw_only=True)
class Network:
    """Everything this agent serves on one network."""

    id: str
    subnets: tuple[Subnet, ...]
    ports: tuple[Port, ...]
    dhcp_port: DhcpPort
    domain: str = DEFAULT_DOMAIN
    mtu: int | None = None
    lease_time: int = DEFAULT_LEASE_TIME
    admin_state_up: bool = True

    def __post_init__(self) -> None:
        check_id(self.id, "network id")
        if not _DOMAIN.match(self.domain):
            raise ValueError(f"network {self.id}: {self.domain!r} is not a domain name")
        if self.lease_time < MIN_LEASE_TIME:
            raise ValueError(
                f"network {self.id}: lease time {self.lease_time} s is below "
                f"dnsmasq's minimum of {MIN_LEASE_TIME} s"
            )
        if self.mtu is not None and not 68 <= self.mtu <= 65535:
            raise ValueError(f"network {self.id}: MTU {self.mtu} out of range")

    @property
    def dhcp_subnets(self) -> tuple[Subnet, ...]:
        """The subnets with DHCP enabled, in the network's order."""
        return tuple(subnet for subnet in self.subnets if subnet.enable_dhcp)

    @property
    def serves(self) -> bool:
        """Whether the network needs a dnsmasq: it is up and a subnet has DHCP."""
        return self.admin_state_up and bool(self.dhcp_subnets)
