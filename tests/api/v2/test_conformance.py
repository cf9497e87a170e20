# SPDX-License-Identifier: Apache-2.0
"""Spec rows of /work/shared/spec/quantum-api-v2.md (§1 conventions, §2 policy, §3 core
resources, §4 IPAM, §5.4 provider, §5.6 quotas, §7 quirks) that the resource
modules beside this one do not assert already, as one table per area: request,
expected status and fault type.

Each table runs in order against one small world (``World``) per plugin; every
row that answers otherwise is reported (all of them, not only the first)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, tenant

OTHER = tenant("other")
NOBODY: dict[str, str] = {}
"""noauth without a project: an administrator without a tenant (spec §1.2)."""
UNKNOWN = str(uuid.uuid4())


@dataclass(frozen=True)
class Row:
    ref: str
    """The spec section and what it records."""
    method: str
    path: str
    body: Any = None
    as_: dict[str, str] | None = None
    status: int = 200
    fault: str | None = None
    """The NeutronError type of a fault (checked when given)."""
    needs: str | None = None
    """The extension whose attribute the body names: where the plugin does not
    serve it, the attribute is unknown (400 InvalidInput) whatever the row says."""


class World:
    """acme's network with a v4 and a v6 subnet and a port; other's private
    network; acme's network shared by the admin, with a subnet."""

    def __init__(self, v2: V2) -> None:
        self.v2 = v2
        roomy = {"quota": {"network": 100, "subnet": 100, "port": 100}}
        assert v2.put("/quotas/acme", roomy, ADMIN).status_int == 200
        net = v2.network(name="acme-net")
        self.ids: dict[str, str] = {
            "net": net["id"],
            "NET": net["id"].upper(),
            "unknown": UNKNOWN,
        }
        self.ids["sub"] = self._subnet(net["id"], 4, "10.0.0.0/24")
        self.ids["sub6"] = self._subnet(net["id"], 6, "fd00::/64")
        port = v2.port(net["id"])
        self.ids["port"] = port["id"]
        self.ids["other_net"] = v2.network(as_=OTHER, name="other-net")["id"]
        shared = v2.network(as_=ADMIN, name="shared", shared=True, tenant_id="acme")
        self.ids["shared_net"] = shared["id"]
        self.ids["shared_sub"] = self._subnet(shared["id"], 4, "10.60.0.0/24")
        self.ids["other_port"] = v2.port(shared["id"], as_=OTHER)["id"]
        self.aliases = {e["alias"] for e in v2.get("/extensions").json["extensions"]}

    def _subnet(self, network_id: str, version: int, cidr: str) -> str:
        body = {"network_id": network_id, "ip_version": version, "cidr": cidr}
        response = self.v2.post("/subnets", {"subnet": body})
        assert response.status_int == 201, response.body
        return response.json["subnet"]["id"]  # type: ignore[no-any-return]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**self.ids)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def run(self, rows: Sequence[Row]) -> list[str]:
        """Every row that answered otherwise, described."""
        wrong = []
        for row in rows:
            body = row.body if isinstance(row.body, str) else self.fill(row.body)
            response = self.v2.request(row.method, self.fill(row.path), body, row.as_)
            got: tuple[int, str | None] = (response.status_int, None)
            if response.status_int >= 400:
                assert response.content_type == "application/json", row
                got = (response.status_int, response.json["NeutronError"]["type"])
            expected = (row.status, row.fault if row.status >= 400 else None)
            if row.needs is not None and row.needs not in self.aliases:
                expected = (400, "InvalidInput")
            if got != expected and not (row.fault is None and got[0] == row.status):
                wrong.append(
                    f"{row.ref}: {row.method} {row.path} {row.body!r} -> "
                    f"{got}, spec {expected}"
                )
        return wrong


@pytest.fixture
def world(v2: V2) -> World:
    return World(v2)


def _net(**attrs: Any) -> dict[str, Any]:
    return {"network": attrs}


def _port(**attrs: Any) -> dict[str, Any]:
    return {"port": {"network_id": "{net}", **attrs}}


def _sub(cidr: str, **attrs: Any) -> dict[str, Any]:
    version = 6 if ":" in cidr else 4
    return {
        "subnet": {"network_id": "{net}", "ip_version": version, "cidr": cidr, **attrs}
    }


CONVENTIONS = [
    # §1.1 routing
    Row(
        "§1.1 upper-case ids route",
        "GET",
        "/networks/{net}".upper().replace("/NETWORKS/", "/networks/"),
        status=404,
        fault="NetworkNotFound",
    ),
    Row("§1.1 member .json", "GET", "/subnets/{sub}.json"),
    Row("§1.1 DELETE of a collection", "DELETE", "/networks", status=405),
    # §1.3 envelopes
    Row(
        "§1.3 bulk items bare or wrapped",
        "POST",
        "/networks",
        {"networks": [{"name": "a"}, {"network": {"name": "b"}}]},
        status=201,
    ),
    Row(
        "§1.3 bulk empty",
        "POST",
        "/ports",
        {"ports": []},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.3 bulk with one bad item",
        "POST",
        "/ports",
        {
            "ports": [
                {"network_id": "{net}"},
                {"network_id": "{net}", "mac_address": "x"},
            ]
        },
        status=400,
        fault="InvalidInput",
    ),
    # §1.4 POST order: tenant, unknown, not-allowed, required, converters
    Row(
        "§1.4 non-admin for another tenant",
        "POST",
        "/subnets",
        _sub("10.1.0.0/24", tenant_id="other"),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 noauth: no tenant at all",
        "POST",
        "/ports",
        _port(),
        NOBODY,
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 noauth: tenant_id given",
        "POST",
        "/networks",
        _net(tenant_id="acme"),
        NOBODY,
        status=201,
    ),
    Row(
        "§1.4 unknown attribute",
        "POST",
        "/subnets",
        _sub("10.1.0.0/24", bogus=1),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 attribute not allowed on POST",
        "POST",
        "/ports",
        _port(status="UP"),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 required attribute missing",
        "POST",
        "/subnets",
        {"subnet": {"network_id": "{net}", "ip_version": 4}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 PUT body not an object",
        "PUT",
        "/ports/{port}",
        "[1]",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.4 PUT unknown id",
        "PUT",
        "/subnets/{unknown}",
        {"subnet": {"name": "x"}},
        status=404,
        fault="SubnetNotFound",
    ),
    Row(
        "§1.4 DELETE unknown id",
        "DELETE",
        "/ports/{unknown}",
        status=404,
        fault="PortNotFound",
    ),
    # §1.6 converters
    *[
        Row(
            f"§1.6 bool accepts {v!r}",
            "POST",
            "/networks",
            _net(admin_state_up=v),
            status=201,
        )
        for v in (True, "TRUE", "false", "1", "0", 1, 0)
    ],
    *[
        Row(
            f"§1.6 bool refuses {v!r}",
            "POST",
            "/networks",
            _net(admin_state_up=v),
            status=400,
            fault="InvalidInput",
        )
        for v in (7, "7", "doh", None, 1.0)
    ],
    Row(
        "§1.6 string refuses null",
        "POST",
        "/ports",
        _port(device_id=None),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 uuid in a body is lower-case",
        "POST",
        "/ports",
        {"port": {"network_id": "{net}".upper()}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 uuid",
        "POST",
        "/ports",
        {"port": {"network_id": "net"}},
        status=400,
        fault="InvalidInput",
    ),
    *[
        Row(
            f"§1.6 ip_address refuses {a}",
            "POST",
            "/ports",
            _port(fixed_ips=[{"ip_address": a}]),
            status=400,
            fault="InvalidInput",
        )
        for a in ("1011.0.0.5", "10.0.0.55555", "ipaddress")
    ],
    Row(
        "§1.6 fixed_ips entry not an object",
        "POST",
        "/ports",
        _port(fixed_ips=["10.0.0.5"]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 fixed_ips subnet_id not a uuid",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "x"}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 mac_address 'mac'",
        "POST",
        "/ports",
        _port(mac_address="mac"),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 [rec] multicast MAC refused",
        "POST",
        "/ports",
        _port(mac_address="01:00:5e:00:00:01"),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 ip_pools: extra key",
        "POST",
        "/subnets",
        _sub(
            "10.2.0.0/24",
            allocation_pools=[{"start": "10.2.0.2", "end": "10.2.0.9", "x": 1}],
        ),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 ip_pools: entry not an object",
        "POST",
        "/subnets",
        _sub("10.2.0.0/24", allocation_pools=["10.2.0.2"]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 hostroutes: extra key",
        "POST",
        "/subnets",
        _sub(
            "10.2.0.0/24",
            host_routes=[{"destination": "1.0.0.0/8", "nexthop": "10.2.0.9", "x": 1}],
        ),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.6 hostroutes: nexthop not an IP",
        "POST",
        "/subnets",
        _sub("10.2.0.0/24", host_routes=[{"destination": "1.0.0.0/8", "nexthop": "x"}]),
        status=400,
        fault="InvalidInput",
    ),
    # §1.8 listing syntax
    Row("§1.8 empty filter value is no filter", "GET", "/networks?name="),
    Row("§1.8 unknown filter ignored", "GET", "/networks?doohickey=1"),
    Row(
        "§1.8 filter values are converted: int",
        "GET",
        "/subnets?ip_version=x",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 filter values are converted: bool",
        "GET",
        "/networks?router:external=maybe",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 sort on a relationship",
        "GET",
        "/networks?sort_key=subnets&sort_dir=asc",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 sort on fixed_ips",
        "GET",
        "/ports?sort_key=fixed_ips&sort_dir=asc",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 sort_dir not asc|desc",
        "GET",
        "/ports?sort_key=name&sort_dir=up",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 limit not an integer",
        "GET",
        "/subnets?limit=ten",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 fixed_ips filter without '='",
        "GET",
        "/ports?fixed_ips=10.0.0.2",
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§1.8 fixed_ips filter with an empty key",
        "GET",
        "/ports?fixed_ips=%3D1",
        status=400,
        fault="InvalidInput",
    ),
]

POLICY = [
    # §2.1/§2.2 rules, §7.2 and §7.3 quirks fixed
    Row(
        "§7.2 owner may not share by PUT",
        "PUT",
        "/networks/{net}",
        _net(shared=True),
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.2 owner may set shared to its default (false) by PUT",
        "PUT",
        "/networks/{net}",
        _net(shared=False),
    ),
    Row(
        "§2.2 owner unshares a network the admin shared (only its own use)",
        "PUT",
        "/networks/{shared_net}",
        _net(shared=False),
        status=409,
        fault="InvalidSharedSetting",
    ),
    Row(
        "§2.2 router:external=false explicitly needs admin",
        "POST",
        "/networks",
        _net(**{"router:external": False}),
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.2 owner may not set router:external by PUT",
        "PUT",
        "/networks/{net}",
        _net(**{"router:external": True}),
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.2 admin sets router:external",
        "PUT",
        "/networks/{net}",
        _net(**{"router:external": False}),
        ADMIN,
    ),
    Row(
        "§2.3 shared network visible to others",
        "GET",
        "/networks/{shared_net}",
        as_=OTHER,
    ),
    Row("§2.3 its subnet visible to others", "GET", "/subnets/{shared_sub}", as_=OTHER),
    Row(
        "§1.4 non-owner update of a shared network hides it",
        "PUT",
        "/networks/{shared_net}",
        _net(name="x"),
        OTHER,
        status=404,
        fault="NetworkNotFound",
    ),
    Row(
        "§1.4 non-owner delete of a shared network hides it",
        "DELETE",
        "/networks/{shared_net}",
        as_=OTHER,
        status=404,
        fault="NetworkNotFound",
    ),
    Row(
        "§2.1 update_subnet admin_or_network_owner",
        "PUT",
        "/subnets/{shared_sub}",
        {"subnet": {"name": "x"}},
        OTHER,
        status=404,
        fault="SubnetNotFound",
    ),
    Row(
        "§2.1 create_subnet on a shared network needs its owner",
        "POST",
        "/subnets",
        {
            "subnet": {
                "network_id": "{shared_net}",
                "ip_version": 4,
                "cidr": "10.61.0.0/24",
            }
        },
        OTHER,
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.1 create_port on a shared network",
        "POST",
        "/ports",
        {"port": {"network_id": "{shared_net}"}},
        OTHER,
        status=201,
    ),
    Row(
        "§2.1 create_port:mac_address",
        "POST",
        "/ports",
        {"port": {"network_id": "{shared_net}", "mac_address": "fa:16:3e:00:01:02"}},
        OTHER,
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.1 create_port:fixed_ips",
        "POST",
        "/ports",
        {
            "port": {
                "network_id": "{shared_net}",
                "fixed_ips": [{"subnet_id": "{shared_sub}"}],
            }
        },
        OTHER,
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.1 update_port:fixed_ips",
        "PUT",
        "/ports/{other_port}",
        {"port": {"fixed_ips": []}},
        OTHER,
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§7.3 device_owner network:* on another's network",
        "PUT",
        "/ports/{other_port}",
        {"port": {"device_owner": "network:router_gateway"}},
        OTHER,
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§2.1 the owner of the port updates it",
        "PUT",
        "/ports/{other_port}",
        {"port": {"name": "mine", "device_owner": "compute:nova"}},
        OTHER,
    ),
    Row(
        "§2.3 a network owner does not see others' ports",
        "GET",
        "/ports/{other_port}",
        status=404,
        fault="PortNotFound",
    ),
    Row(
        "§2.3 a private network of another tenant",
        "POST",
        "/ports",
        {"port": {"network_id": "{other_net}"}},
        status=404,
        fault="NetworkNotFound",
    ),
    Row(
        "§5.4 provider attributes are admin only",
        "POST",
        "/networks",
        _net(**{"provider:network_type": "local"}),
        status=403,
        fault="PolicyNotAuthorized",
        needs="provider",
    ),
    Row(
        "§5.4 provider update refused even to admins",
        "PUT",
        "/networks/{net}",
        _net(**{"provider:network_type": "local"}),
        ADMIN,
        status=400,
        fault="InvalidInput",
    ),
]

SUBNETS = [
    # §3.2 attributes and create rules
    Row(
        "§3.2 ip_version '4'",
        "POST",
        "/subnets",
        _sub("10.3.0.0/24", ip_version="4"),
        status=201,
    ),
    *[
        Row(
            f"§3.2 ip_version {v!r}",
            "POST",
            "/subnets",
            _sub("10.3.1.0/24", ip_version=v),
            status=400,
            fault="InvalidInput",
        )
        for v in (None, 7, "abc")
    ],
    *[
        Row(
            f"§3.2 cidr {c!r}",
            "POST",
            "/subnets",
            _sub(c),
            status=400,
            fault="InvalidInput",
        )
        for c in ("fe80::", "fe80::0", "invalid")
    ],
    Row(
        "§3.2 gateway outside the cidr",
        "POST",
        "/subnets",
        _sub("10.4.0.0/24", gateway_ip="100.0.0.1"),
        status=201,
    ),
    Row(
        "§3.2 gateway of the other version",
        "POST",
        "/subnets",
        _sub("fd01::/64", gateway_ip="10.4.0.1"),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 pool of the other version",
        "POST",
        "/subnets",
        _sub("10.5.0.0/24", allocation_pools=[{"start": "fd00::2", "end": "fd00::9"}]),
        status=400,
        fault="InvalidAllocationPool",
    ),
    Row(
        "§3.2 pool start is the network address",
        "POST",
        "/subnets",
        _sub(
            "10.5.0.0/24",
            gateway_ip=None,
            allocation_pools=[{"start": "10.5.0.0", "end": "10.5.0.9"}],
        ),
        status=400,
        fault="OutOfBoundsAllocationPool",
    ),
    Row(
        "§3.2 dns of the other version",
        "POST",
        "/subnets",
        _sub("10.5.0.0/24", dns_nameservers=["fd00::53"]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 dns null is []",
        "POST",
        "/subnets",
        _sub("10.6.0.0/24", dns_nameservers=None, host_routes=None),
        status=201,
    ),
    Row(
        "§3.2 routes of the other version",
        "POST",
        "/subnets",
        _sub(
            "10.7.0.0/24",
            host_routes=[{"destination": "fd00::/64", "nexthop": "10.7.0.9"}],
        ),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 duplicate routes",
        "POST",
        "/subnets",
        _sub(
            "10.7.0.0/24",
            host_routes=[{"destination": "1.0.0.0/8", "nexthop": "10.7.0.9"}] * 2,
        ),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 more than 20 routes",
        "POST",
        "/subnets",
        _sub(
            "10.7.0.0/24",
            host_routes=[
                {"destination": f"1.{i}.0.0/16", "nexthop": "10.7.0.9"}
                for i in range(21)
            ],
        ),
        status=400,
        fault="HostRoutesExhausted",
    ),
    Row(
        "§3.2 overlap with another tenant's subnet",
        "POST",
        "/subnets",
        {
            "subnet": {
                "network_id": "{other_net}",
                "ip_version": 4,
                "cidr": "10.0.0.128/25",
            }
        },
        OTHER,
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 IPv6 overlap",
        "POST",
        "/subnets",
        _sub("fd00::/48"),
        status=400,
        fault="InvalidInput",
    ),
    # §3.2 update rules
    *[
        Row(
            f"§3.2 {k} is read-only",
            "PUT",
            "/subnets/{sub}",
            {"subnet": {k: v}},
            status=400,
            fault="InvalidInput",
        )
        for k, v in (
            ("cidr", "10.0.0.0/24"),
            ("ip_version", 4),
            ("network_id", "{net}"),
            ("tenant_id", "acme"),
            ("allocation_pools", []),
            ("shared", False),
        )
    ],
    Row(
        "§3.2 gateway moved into a pool",
        "PUT",
        "/subnets/{sub}",
        {"subnet": {"gateway_ip": "10.0.0.77"}},
        status=409,
        fault="GatewayConflictWithAllocationPools",
    ),
    Row(
        "§3.2 gateway of the other version on update",
        "PUT",
        "/subnets/{sub}",
        {"subnet": {"gateway_ip": "fd00::1"}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 too many dns on update",
        "PUT",
        "/subnets/{sub}",
        {"subnet": {"dns_nameservers": [f"10.0.1.{i}" for i in range(1, 7)]}},
        status=400,
        fault="DNSNameServersExhausted",
    ),
    Row(
        "§3.2 null lists on update",
        "PUT",
        "/subnets/{sub}",
        {"subnet": {"dns_nameservers": None, "host_routes": None}},
    ),
    Row(
        "§3.2 enable_dhcp null on update",
        "PUT",
        "/subnets/{sub}",
        {"subnet": {"enable_dhcp": None}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.2 gateway to null",
        "PUT",
        "/subnets/{sub6}",
        {"subnet": {"gateway_ip": None}},
    ),
]

PORTS = [
    # §3.3 and §4.3
    Row(
        "§3.3 read-only: mac_address",
        "PUT",
        "/ports/{port}",
        {"port": {"mac_address": "fa:16:3e:00:00:01"}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.3 read-only: tenant_id",
        "PUT",
        "/ports/{port}",
        {"port": {"tenant_id": "acme"}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 {} entry",
        "POST",
        "/ports",
        _port(fixed_ips=[{}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 network address",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{sub}", "ip_address": "10.0.0.0"}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 broadcast address",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{sub}", "ip_address": "10.0.0.255"}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 address outside the subnet",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{sub}", "ip_address": "10.9.0.5"}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 unknown subnet",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{unknown}"}]),
        status=404,
        fault="SubnetNotFound",
    ),
    Row(
        "§4.3 subnet of another network",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{shared_sub}"}]),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.3 the gateway address (outside the pools)",
        "POST",
        "/ports",
        _port(fixed_ips=[{"ip_address": "10.0.0.1"}]),
        status=201,
    ),
    Row(
        "§4.3 the gateway address again",
        "POST",
        "/ports",
        _port(fixed_ips=[{"ip_address": "10.0.0.1"}]),
        status=409,
        fault="IpAddressInUse",
    ),
    Row(
        "§4.3 an IPv6 address by address only",
        "POST",
        "/ports",
        _port(fixed_ips=[{"ip_address": "fd00::99"}]),
        status=201,
    ),
    Row(
        "§4.3 six entries",
        "POST",
        "/ports",
        _port(fixed_ips=[{"subnet_id": "{sub}"}] * 6),
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.4 six entries on update",
        "PUT",
        "/ports/{port}",
        {"port": {"fixed_ips": [{"subnet_id": "{sub}"}] * 6}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§4.4 duplicate address on update",
        "PUT",
        "/ports/{port}",
        {"port": {"fixed_ips": [{"ip_address": "10.0.0.50"}] * 2}},
        status=400,
        fault="InvalidInput",
    ),
    Row(
        "§3.1 a network with a port is in use",
        "DELETE",
        "/networks/{net}",
        status=409,
        fault="NetworkInUse",
    ),
    Row(
        "§3.1 unsharing with another tenant's port",
        "PUT",
        "/networks/{shared_net}",
        _net(shared=False),
        ADMIN,
        status=409,
        fault="InvalidSharedSetting",
    ),
]

QUOTAS = [
    # §5.6
    Row("§5.6 a tenant's own limits", "GET", "/quotas/acme"),
    Row(
        "§5.6 another tenant's limits",
        "GET",
        "/quotas/other",
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§5.6 list needs admin",
        "GET",
        "/quotas",
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§5.6 update needs admin",
        "PUT",
        "/quotas/acme",
        {"quota": {"network": 5}},
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§5.6 reset needs admin",
        "DELETE",
        "/quotas/acme",
        status=403,
        fault="PolicyNotAuthorized",
    ),
    Row(
        "§5.6 limit int-converted",
        "PUT",
        "/quotas/acme",
        {"quota": {"port": "7"}},
        ADMIN,
    ),
    Row(
        "§5.6 unknown resource",
        "PUT",
        "/quotas/acme",
        {"quota": {"router": 5}},
        ADMIN,
        status=400,
        fault="InvalidInput",
    ),
    Row("§5.6 reset", "DELETE", "/quotas/acme", as_=ADMIN, status=204),
]


@pytest.mark.parametrize(
    "rows",
    [CONVENTIONS, POLICY, SUBNETS, PORTS, QUOTAS],
    ids=["conventions", "policy", "subnets", "ports", "quotas"],
)
def test_spec_rows(world: World, rows: Sequence[Row]) -> None:
    assert world.run(rows) == []


def test_bool_strings_mean_what_they_say(world: World) -> None:
    # §1.6: "TRUE"/"1" are true, "false"/"0" false (not merely accepted)
    for given, meant in (("TRUE", True), ("1", True), ("false", False), ("0", False)):
        made = world.v2.network(admin_state_up=given)
        assert made["admin_state_up"] is meant, given


def test_port_ip_held_after_replacement_blocks_an_explicit_request(
    world: World,
) -> None:
    # §4.5: a released address inside a pool is held: an explicit request for it is
    # 409 until the hold expires.
    port = world.v2.get(f"/ports/{world.ids['port']}").json["port"]
    v4 = next(ip for ip in port["fixed_ips"] if ip["subnet_id"] == world.ids["sub"])
    emptied = world.v2.put(f"/ports/{port['id']}", {"port": {"fixed_ips": []}})
    assert emptied.json["port"]["fixed_ips"] == []
    again = world.v2.post(
        "/ports", _port_body(world, [{"ip_address": v4["ip_address"]}])
    )
    assert (again.status_int, again.json["NeutronError"]["type"]) == (
        409,
        "IpAddressInUse",
    )


def _port_body(world: World, fixed_ips: list[dict[str, str]]) -> dict[str, Any]:
    return {"port": {"network_id": world.ids["net"], "fixed_ips": fixed_ips}}


def test_listing_filters_convert_and_or(world: World) -> None:
    # §1.8: ?ip_version=4&ip_version=6 is an OR over converted values; a value no
    # subnet has matches nothing.
    both = world.v2.get(
        "/subnets?ip_version=4&ip_version=6&network_id={}".format(world.ids["net"])
    ).json["subnets"]
    assert sorted(s["ip_version"] for s in both) == [4, 6]
    assert world.v2.get("/subnets?ip_version=5").json == {"subnets": []}
    fields = world.v2.get("/networks?fields=name&fields=tenant_id").json["networks"]
    assert fields
    assert all(set(n) == {"name", "tenant_id"} for n in fields)


def test_bulk_quota_counts_per_target_tenant(world: World) -> None:
    # §5.6 and §7.5: a bulk request's delta accumulates per tenant, against that
    # tenant's limit (not the caller's): 2 + 2 for two tenants with limit 2 is fine,
    # a third for one of them is 409 although the admin's own limit is untouched.
    v2 = world.v2
    for name in ("t1", "t2"):
        assert v2.put(f"/quotas/{name}", {"quota": {"network": 2}}, ADMIN).status_int
    four = [{"tenant_id": t} for t in ("t1", "t2", "t1", "t2")]
    made = v2.post("/networks", {"networks": four}, ADMIN)
    assert made.status_int == 201, made.body
    third = v2.post("/networks", {"network": {"tenant_id": "t1"}}, ADMIN)
    assert (third.status_int, third.json["NeutronError"]["type"]) == (409, "OverQuota")
    over = v2.post("/networks", {"networks": [{"tenant_id": "t3"}] * 11}, ADMIN)
    assert (over.status_int, over.json["NeutronError"]["type"]) == (409, "OverQuota")
    listed = v2.get("/networks?tenant_id=t3", ADMIN).json["networks"]
    assert listed == []
