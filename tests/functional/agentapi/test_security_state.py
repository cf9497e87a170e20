# SPDX-License-Identifier: Apache-2.0
"""What the Open vSwitch agents are told of security groups, on SQLite, PostgreSQL
and MariaDB (the whole app in-process over each back-end): each port's filter, the
groups of the host's ports with their rules, the members of their remote groups;
read in a bounded number of statements; and which writes wake which agent kind."""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from quantum.agentapi.ovs import messages as msg
from quantum.api.app import load_app
from quantum.core.networks import NetworkType
from quantum.core.settings import Settings, load_settings
from quantum.plugins.openvswitch.plugin import OpenVSwitchPlugin
from quantum.plugins.openvswitch.segments import IdRange, SegmentConfig
from quantum.testing.client import Client, write_config
from tests.conftest import UNLIMITED

SECRET = "s3cret"
AGENT = {"X-Quantum-Agent-Secret": SECRET}
TENANT = "acme"
V2 = {"X-Project-Id": TENANT}
ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin,member"}
OVS_INI = "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 1:1000\n"
_apps: dict[str, Client] = {}


@pytest.fixture
def app(database_url: str, scratch_dir: Path) -> Client:
    """The app over the Open vSwitch plugin on the back-end (one per back-end)."""
    if database_url not in _apps:
        directory = scratch_dir / f"sgstate-{len(_apps)}"
        directory.mkdir()
        (directory / "ovs.ini").write_text(OVS_INI)
        config = write_config(
            directory,
            core_plugin="openvswitch",
            core_plugin_config="ovs.ini",
            sql_connection=database_url,
            agent_secret=SECRET,
        )
        with config.open("a") as conf:
            conf.write(UNLIMITED)
        _apps[database_url] = Client(load_app(load_settings(config)))
    return _apps[database_url]


class V2Api:
    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self, method: str, path: str, body: Any = None, status: int = 200, **h: str
    ) -> Any:
        headers = {**V2, **h} if h else V2
        answer = self.client.request(method, f"/v2.0{path}", body, headers)
        assert answer.status_int == status, answer.body
        return json.loads(answer.body) if answer.body else None

    def group(self, name: str) -> str:
        body = {"security_group": {"name": name}}
        return str(
            self.call("POST", "/security-groups", body, 201)["security_group"]["id"]
        )

    def rule(self, group: str, **rule: Any) -> str:
        body = {"security_group_rule": {"security_group_id": group, **rule}}
        made = self.call("POST", "/security-group-rules", body, 201)
        return str(made["security_group_rule"]["id"])

    def port(self, net: str, **port: Any) -> dict[str, Any]:
        made = self.call("POST", "/ports", {"port": {"network_id": net, **port}}, 201)
        return dict(made["port"])

    def update(self, port: str, **changes: Any) -> dict[str, Any]:
        return dict(self.call("PUT", f"/ports/{port}", {"port": changes})["port"])

    def network(self) -> str:
        net = self.call("POST", "/networks", {"network": {"name": "n"}}, 201)
        net_id = str(net["network"]["id"])
        for cidr, version in (("10.0.0.0/24", 4), ("fd00::/64", 6)):
            subnet = {"network_id": net_id, "cidr": cidr, "ip_version": version}
            self.call("POST", "/subnets", {"subnet": subnet}, 201)
        return net_id


def state(client: Client, host: str, *iface_ids: str) -> msg.HostState:
    answer = client.request(
        "POST", f"/agent/v1/ovs/hosts/{host}/state", {"iface_ids": iface_ids}, AGENT
    )
    assert answer.status_int == 200, answer.body
    return msg.HostState.from_json(json.loads(answer.body))


def changes(client: Client, kind: str) -> int:
    answer = client.request("GET", f"/agent/v1/{kind}/changes", None, AGENT)
    assert answer.status_int == 200, answer.body
    return int(json.loads(answer.body)["revision"])


def _addresses(port: dict[str, Any]) -> list[str]:
    return [f["ip_address"] for f in port["fixed_ips"]]


def test_the_state_carries_each_ports_filter_and_its_groups(app: Client) -> None:
    v2 = V2Api(app)
    net = v2.network()
    web, db = v2.group("web"), v2.group("db")
    https = v2.rule(
        web,
        direction="ingress",
        protocol="tcp",
        port_range_min=443,
        port_range_max=443,
        remote_ip_prefix="192.0.2.7/24",
    )
    from_db = v2.rule(
        web,
        direction="ingress",
        protocol="udp",
        port_range_min=53,
        port_range_max=53,
        remote_group_id=db,
    )
    ping6 = v2.rule(
        web, direction="ingress", ethertype="IPv6", protocol="icmp", port_range_min=128
    )
    vm = v2.port(
        net,
        security_groups=[web],
        allowed_address_pairs=[
            {"ip_address": "10.0.0.200"},
            {"ip_address": "10.0.9.0/24", "mac_address": "fa:16:3e:aa:bb:cc"},
        ],
    )
    member = v2.port(
        net, security_groups=[db], allowed_address_pairs=[{"ip_address": "10.0.7.0/24"}]
    )
    elsewhere = v2.port(net, security_groups=[db])
    state(app, "hv2", elsewhere["id"])  # NOTE: bound to another host
    open_port = v2.port(net, port_security_enabled=False)
    dhcp = v2.port(net, device_owner="network:dhcp")

    got = state(app, "hv1", vm["id"], open_port["id"], dhcp["id"])
    by_id = {p.port_id: p.port_security for p in got.ports}
    assert by_id[vm["id"]] == msg.PortSecurity(
        enabled=True,
        mac_address=vm["mac_address"],
        fixed_ips=tuple(ip_address(a) for a in _addresses(vm)),
        allowed_address_pairs=(
            msg.AddressPair(
                ip_address=ip_network("10.0.0.200"), mac_address=vm["mac_address"]
            ),
            msg.AddressPair(
                ip_address=ip_network("10.0.9.0/24"), mac_address="fa:16:3e:aa:bb:cc"
            ),
        ),
        security_groups=(web,),
    )
    assert len(_addresses(vm)) == 2  # NOTE: an IPv4 and an IPv6 address
    off = by_id[open_port["id"]]
    assert off is not None
    assert (off.enabled, off.security_groups) == (False, ())
    network_port = by_id[dhcp["id"]]
    assert network_port is not None
    assert network_port.enabled is False  # NOTE: the network's own port

    assert [g.id for g in got.security_groups] == [web]
    rules = {r.id: r for r in got.security_groups[0].rules}
    assert rules[https].to_json() == {
        "id": https,
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": 6,
        "port_range_min": 443,
        "port_range_max": 443,
        "remote_ip_prefix": "192.0.2.0/24",
        "remote_group_id": None,
    }
    assert (rules[from_db].protocol, rules[from_db].remote_group_id) == (17, db)
    assert (rules[ping6].protocol, rules[ping6].port_range_min) == (58, 128)
    assert rules[ping6].port_range_max is None
    # NOTE: the group's own egress rules, any protocol
    assert sorted(
        r.ethertype.value for r in rules.values() if r.direction.value == "egress"
    ) == ["IPv4", "IPv6"]
    assert [m.id for m in got.group_members] == [db]
    assert sorted(str(a) for a in got.group_members[0].addresses) == sorted(
        [f"{a}/{32 if ':' not in a else 128}" for a in _addresses(member)]
        + [f"{a}/{32 if ':' not in a else 128}" for a in _addresses(elsewhere)]
        + ["10.0.7.0/24"]
    )


def _populate(v2: V2Api, net: str, groups: int, rules: int, ports: int) -> list[str]:
    """``groups`` groups of ``rules`` rules each, every rule naming another group as
    its remote group; ``ports`` ports in them (round robin). The ports' ids."""
    made = [v2.group(f"g{n}") for n in range(groups)]
    for n, group in enumerate(made):
        remote = made[(n + 1) % groups]
        for r in range(rules - 2):  # NOTE: a new group has its 2 egress rules
            v2.rule(
                group,
                direction="ingress",
                protocol="tcp",
                port_range_min=1000 + r,
                port_range_max=1000 + r,
                remote_group_id=remote,
            )
    return [
        v2.port(
            net,
            security_groups=[made[n % groups]],
            allowed_address_pairs=[{"ip_address": f"10.9.{n}.0/24"}],
        )["id"]
        for n in range(ports)
    ]


def _statements(plugin: OpenVSwitchPlugin, host: str, ports: list[str]) -> int:
    plugin.host_state(host, ports)  # NOTE: binds them first (a write)
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(plugin.db.engine, "before_cursor_execute", count)
    try:
        state = plugin.host_state(host, ports)
    finally:
        event.remove(plugin.db.engine, "before_cursor_execute", count)
    assert len(state.ports) == len(ports)
    assert state.security_groups
    assert state.group_members
    return len(seen)


def test_the_state_is_read_in_the_same_statements_for_1_or_60_ports(
    app: Client, database_url: str
) -> None:
    v2 = V2Api(app)
    net = v2.network()
    plugin = OpenVSwitchPlugin(
        Settings(sql_connection=database_url),
        segments=SegmentConfig(
            tenant_network_type=NetworkType.VXLAN, tunnel_ranges=(IdRange(1, 1000),)
        ),
    )
    try:
        one = _statements(plugin, "small", _populate(v2, net, 1, 3, 1))
        many = _statements(plugin, "big", _populate(v2, net, 5, 20, 60))
    finally:
        plugin.close()
    print(
        f"\nhost_state statements: 1 port {one}, 60 ports x 5 groups x 20 rules {many}"
    )  # noqa: T201
    assert many == one
    assert one <= 12


def test_which_writes_wake_which_agents(app: Client) -> None:
    """The OVS agents follow ``security_groups`` and ``ports``: every write that
    changes a port's filter wakes them; the DHCP and L3 agents are not woken by
    rules and groups (they are by ports, their own topic)."""
    v2 = V2Api(app)
    net = v2.network()
    web, db = v2.group("web"), v2.group("db")
    rule = v2.rule(
        web,
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_group_id=db,
    )
    vm = v2.port(net, security_groups=[web])
    state(app, "hv1", vm["id"])  # NOTE: binds it (a write of ports) before we count
    ovs, dhcp, l3 = (changes(app, k) for k in ("ovs", "dhcp", "l3"))

    def woke(write: Any, *, others: bool) -> msg.HostState:
        nonlocal ovs, dhcp, l3
        write()
        now = {k: changes(app, k) for k in ("ovs", "dhcp", "l3")}
        assert now["ovs"] > ovs, write
        assert (now["dhcp"] > dhcp, now["l3"] > l3) == (others, others), write
        ovs, dhcp, l3 = now["ovs"], now["dhcp"], now["l3"]
        return state(app, "hv1", vm["id"])

    def members() -> set[str]:
        got = state(app, "hv1", vm["id"])
        return {str(a) for m in got.group_members for a in m.addresses}

    # a rule of the port's group, created and deleted
    got = woke(lambda: v2.rule(web, direction="ingress", protocol="icmp"), others=False)
    assert len(got.security_groups[0].rules) == 4
    got = woke(
        lambda: v2.call("DELETE", f"/security-group-rules/{rule}", status=204),
        others=False,
    )
    assert got.group_members == ()
    rule = v2.rule(web, direction="ingress", protocol="udp", remote_group_id=db)
    ovs, dhcp, l3 = (changes(app, k) for k in ("ovs", "dhcp", "l3"))
    # the remote group's membership: a port created in it, anywhere
    other: dict[str, Any] = {}
    woke(lambda: other.update(v2.port(net, security_groups=[db])), others=True)
    assert {a.split("/")[0] for a in members()} == set(_addresses(other))
    # re-addressed
    moved = [
        {"subnet_id": other["fixed_ips"][0]["subnet_id"], "ip_address": "10.0.0.77"}
    ]
    woke(lambda: v2.update(other["id"], fixed_ips=moved), others=True)
    assert members() == {"10.0.0.77/32"}
    # given an address pair
    pairs = [{"ip_address": "10.0.8.0/24"}]
    woke(lambda: v2.update(other["id"], allowed_address_pairs=pairs), others=True)
    assert members() == {"10.0.0.77/32", "10.0.8.0/24"}
    # moved out of the group, and back
    woke(lambda: v2.update(other["id"], security_groups=[]), others=True)
    assert members() == set()
    woke(lambda: v2.update(other["id"], security_groups=[db]), others=True)
    assert members() == {"10.0.0.77/32", "10.0.8.0/24"}
    # deleted
    woke(lambda: v2.call("DELETE", f"/ports/{other['id']}", status=204), others=True)
    assert members() == set()
    # the port's own filter: its groups, pairs, port security
    got = woke(lambda: v2.update(vm["id"], security_groups=[web, db]), others=True)
    assert {g.id for g in got.security_groups} == {web, db}
    got = woke(
        lambda: v2.update(vm["id"], allowed_address_pairs=[{"ip_address": "10.0.3.3"}]),
        others=True,
    )
    assert got.ports[0].port_security is not None
    assert [
        str(p.ip_address) for p in got.ports[0].port_security.allowed_address_pairs
    ] == ["10.0.3.3/32"]
    got = woke(
        lambda: v2.update(
            vm["id"],
            security_groups=[],
            allowed_address_pairs=[],
            port_security_enabled=False,
        ),
        others=True,
    )
    assert got.ports[0].port_security is not None
    assert got.ports[0].port_security.enabled is False
    # a group deleted: other groups' rules naming it go with it (a cascade)
    woke(lambda: v2.call("DELETE", f"/security-groups/{db}", status=204), others=False)
    got = state(app, "hv1", vm["id"])
    assert got.security_groups == ()
    # NOTE: the positive control of "not woken": what the DHCP agent is told
    # (a network's subnet) wakes it and not the OVS agents.
    before = changes(app, "ovs")
    subnet = {"network_id": net, "cidr": "10.7.0.0/24", "ip_version": 4}
    v2.call("POST", "/subnets", {"subnet": subnet}, 201)
    assert changes(app, "dhcp") > dhcp
    assert changes(app, "ovs") == before
