# SPDX-License-Identifier: Apache-2.0
"""The agent's side of security groups: the server's state (the wire contract)
into the model, and the tracked connections a change cuts."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from quantum.agent.ovs import conntrack, conntrack_ctl
from quantum.agent.ovs.model import AddressPair, Direction, PortSecurity, SecurityRule
from quantum.agent.ovs.reconcile import Agent, desired_from_server
from quantum.agentapi.ovs import messages as msg
from tests.unit.agent.ovs.test_reconcile import CONFIG, FakeHost, FakeServer, _vif

SSH_RULE = {
    "id": "r-ssh",
    "direction": "ingress",
    "ethertype": "IPv4",
    "protocol": 6,
    "port_range_min": 22,
    "port_range_max": 22,
    "remote_ip_prefix": None,
    "remote_group_id": None,
}
FROM_GROUP = {
    "id": "r-grp",
    "direction": "ingress",
    "ethertype": "IPv6",
    "protocol": None,
    "port_range_min": None,
    "port_range_max": None,
    "remote_ip_prefix": None,
    "remote_group_id": "g-default",
}


def _port(port_id: str, security: dict[str, Any] | None) -> dict[str, Any]:
    port: dict[str, Any] = {
        "port_id": port_id,
        "iface_id": f"if-{port_id}",
        "network_id": "net-a",
        "admin_state_up": True,
        "segment": {
            "network_type": "vxlan",
            "physical_network": None,
            "segmentation_id": 5,
        },
    }
    if security is not None:
        port["port_security"] = security
    return port


def _security(enabled: bool = True) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "mac_address": "FA:16:3E:00:00:01",
        "fixed_ips": ["10.0.0.1", "fd00::1"],
        "allowed_address_pairs": [
            {"ip_address": "10.0.1.0/24", "mac_address": "fa:16:3e:00:00:99"},
            {"ip_address": "10.0.2.9", "mac_address": "fa:16:3e:00:00:01"},
        ],
        "security_groups": ["g-default"],
    }


def _state(ports: list[dict[str, Any]], rules: list[dict[str, Any]]) -> Any:
    """The host state as the wire carries it."""
    return msg.HostState.from_json(
        {
            "host": "hv1",
            "revision": 1,
            "ports": ports,
            "endpoints": [],
            "security_groups": [{"id": "g-default", "rules": rules}],
            "group_members": [{"id": "g-default", "addresses": ["fd00::1", "fd00::2"]}],
        }
    )


def test_the_contract_becomes_the_model() -> None:
    desired = desired_from_server(
        CONFIG,
        _state(
            [
                _port("p1", _security()),
                _port("p2", _security(enabled=False)),
                _port("p3", None),
            ],
            [SSH_RULE, FROM_GROUP],
        ),
    )
    by_id = {p.port_id: p for p in desired.ports}
    assert by_id["p1"].port_security == PortSecurity(
        mac_address="fa:16:3e:00:00:01",
        fixed_ips=("10.0.0.1", "fd00::1"),
        allowed_address_pairs=(
            AddressPair(ip_address="10.0.1.0/24", mac_address="fa:16:3e:00:00:99"),
            AddressPair(ip_address="10.0.2.9/32", mac_address="fa:16:3e:00:00:01"),
        ),
        security_groups=("g-default",),
    )
    # disabled, or absent (an older server): no filtering
    assert by_id["p2"].port_security is None
    assert by_id["p3"].port_security is None
    assert desired.group_rules == {
        "g-default": (
            SecurityRule(
                direction=Direction.INGRESS,
                ethertype=4,
                protocol=6,
                port_min=22,
                port_max=22,
                rule_id="r-ssh",
            ),
            SecurityRule(
                direction=Direction.INGRESS,
                ethertype=6,
                remote_group_id="g-default",
                rule_id="r-grp",
            ),
        )
    }
    assert desired.group_members == {"g-default": ("fd00::1/128", "fd00::2/128")}


@dataclass
class FakeConntrack:
    zones: dict[int, str] = field(default_factory=dict)
    calls: list[tuple[str, int, str | None]] = field(default_factory=list)
    flush_error: conntrack.ConntrackError | None = None

    def dump(self, zone: int) -> str:
        self.calls.append(("dump", zone, None))
        return self.zones.get(zone, "")

    def flush(self, zone: int, orig_tuple: str | None = None) -> None:
        self.calls.append(("flush", zone, orig_tuple))
        if self.flush_error is not None:
            raise self.flush_error


class StateServer(FakeServer):
    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state

    def desired_state(self, iface_ids: Any) -> Any:
        return self.state


SSH_CONN = (
    "tcp,orig=(src=10.0.0.9,dst=10.0.0.1,sport=40000,dport=22),"
    "reply=(src=10.0.0.1,dst=10.0.0.9,sport=22,dport=40000),zone=7,"
    "protoinfo=(state=ESTABLISHED)\n"
)
SSH_TUPLE = (
    "ct_nw_src=10.0.0.9,ct_nw_dst=10.0.0.1,ct_nw_proto=6,ct_tp_src=40000,ct_tp_dst=22"
)


def test_a_rule_removed_cuts_its_connections_a_kept_one_keeps_them() -> None:
    server = StateServer(_state([_port("p1", _security())], [SSH_RULE]))
    host = FakeHost(interfaces=[_vif("tap1", 7, "p1")])
    ct = FakeConntrack(zones={7: SSH_CONN})
    agent = Agent(CONFIG, server, host, host, ct)

    agent.round()
    # the port's zone is read once, and SSH is still allowed
    assert ct.calls == [("dump", 7, None)]
    flows = {i.flow.render() for i in host.flows["br-int"]}
    assert any("tcp_dst=22" in f and "reg7=7" in f for f in flows)

    ct.calls.clear()
    agent.round()
    assert ct.calls == []  # nothing changed: no look

    # the same rule as a range from 20 to 30: still allowed, kept
    wider = {**SSH_RULE, "port_range_min": 20, "port_range_max": 30}
    server.state = _state([_port("p1", _security())], [wider])
    agent.round()
    assert ct.calls == [("dump", 7, None)]

    ct.calls.clear()
    server.state = _state([_port("p1", _security())], [FROM_GROUP])
    agent.round()
    assert ct.calls == [("dump", 7, None), ("flush", 7, SSH_TUPLE)]
    flows = {i.flow.render() for i in host.flows["br-int"]}
    assert not any("tcp_dst" in f for f in flows)

    # port security off: the zone is emptied
    ct.calls.clear()
    server.state = _state([_port("p1", _security(enabled=False))], [FROM_GROUP])
    agent.round()
    assert ct.calls == [("flush", 7, None)]
    flows = {i.flow.render() for i in host.flows["br-int"]}
    assert not any("table=10," in f for f in flows)


def test_the_noop_driver_filters_nothing() -> None:
    config = replace(CONFIG, firewall=False)
    desired = desired_from_server(
        config, _state([_port("p1", _security())], [SSH_RULE, FROM_GROUP])
    )
    assert desired.ports[0].port_security is None


def test_a_connection_gone_before_its_flush_is_no_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """It ended between the dump and the flush: the zone counts as checked
    (not read again next round) and no warning is logged; any other failure
    leaves the zone to be checked again."""
    server = StateServer(_state([_port("p1", _security())], [FROM_GROUP]))
    host = FakeHost(interfaces=[_vif("tap1", 7, "p1")])
    ct = FakeConntrack(zones={7: SSH_CONN})
    ct.flush_error = conntrack.ConnectionGone("No such file or directory")
    agent = Agent(CONFIG, server, host, host, ct)
    with caplog.at_level(logging.WARNING):
        agent.round()
    assert ct.calls == [("dump", 7, None), ("flush", 7, SSH_TUPLE)]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    ct.calls.clear()
    agent.round()
    assert ct.calls == []

    ct.flush_error = conntrack.ConntrackError("ovs-appctl timed out")
    server.state = _state([_port("p1", _security())], [])
    agent.round()
    assert ct.calls == [("dump", 7, None), ("flush", 7, SSH_TUPLE)]
    assert any("cannot cut" in r.getMessage() for r in caplog.records)
    ct.calls.clear()
    ct.flush_error = None
    agent.round()
    assert ct.calls == [("dump", 7, None), ("flush", 7, SSH_TUPLE)]
    ct.calls.clear()
    agent.round()
    assert ct.calls == []


def test_appctl_tells_a_connection_not_found_from_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = {"text": ""}

    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 2, "", stderr["text"])

    monkeypatch.setattr(subprocess, "run", run)
    ct = conntrack_ctl.AppctlConntrack()
    stderr["text"] = (
        "ovs-vswitchd: failed to flush conntrack (No such file or directory)\n"
        "ovs-appctl: ovs-vswitchd.ctl: server returned an error\n"
    )
    with pytest.raises(conntrack.ConnectionGone):
        ct.flush(7, SSH_TUPLE)
    stderr["text"] = "ovs-appctl: cannot connect to ovs-vswitchd.ctl\n"
    with pytest.raises(conntrack.ConntrackError) as raised:
        ct.flush(7, SSH_TUPLE)
    assert not isinstance(raised.value, conntrack.ConnectionGone)
