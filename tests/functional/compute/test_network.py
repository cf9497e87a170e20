# SPDX-License-Identifier: Apache-2.0
"""``quantum.compute.network`` against a running server (Open vSwitch plugin, VXLAN,
the agent API): the ports it makes and the network info it returns, rollback, the
wait woken by the agent's status report, deallocation. The agent here is this test
reporting through the agent API as the real one does; tests/dataplane/test_boot.py
runs the whole flow with real agents."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantum.agentapi.client import AgentClient
from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.client import errors, transport, v2
from quantum.compute import network
from quantum.compute.network import ComputeNetwork, Hypervisor, Instance, Nic
from quantum.core.status import ReportedStatus
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port

SECRET = "compute-secret"
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("compute-server")
    (root / "ovs.ini").write_text(
        "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 100:199\n"
    )
    port = free_port(HOST)
    config = write_config(
        root,
        bind_host=HOST,
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=f"sqlite:///{root / 'quantum.sqlite'}",
        agent_secret=SECRET,
        agent_max_wait=2,
    )
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    process = ServerProcess(config, HOST, port)
    process.start()
    yield process
    process.stop(timeout=15)


@pytest.fixture
def url(server: ServerProcess) -> str:
    return f"http://{server.host}:{server.port}"


@pytest.fixture
def admin(url: str) -> v2.Client:
    return v2.Client(transport.without_auth(url))


@pytest.fixture
def compute(url: str, admin: v2.Client, tmp_path: Path) -> ComputeNetwork:
    events = AgentClient(url, host="hv1", secret=SECRET)
    # NOTE: no switch here (see the deallocation test)
    nowhere = f"unix:{tmp_path / 'no-db.sock'}"
    return ComputeNetwork(admin, events, Hypervisor(host="hv1", ovsdb=nowhere))


def _network(admin: v2.Client, cidr: str, **subnet: Any) -> tuple[str, str]:
    net = admin.networks.create(tenant_id="p1", name=cidr)
    made = admin.subnets.create(
        tenant_id="p1", network_id=net["id"], ip_version=4, cidr=cidr, **subnet
    )
    return str(net["id"]), str(made["id"])


def _report(url: str, host: str, ports: dict[str, str]) -> None:
    agent = OvsClient(url, host=host, secret=SECRET)
    agent.report_status(
        msg.PortStatus(port_id=p, status=ReportedStatus(s), reason="")
        for p, s in ports.items()
    )
    agent.close()


def test_allocate_makes_the_ports_and_returns_the_network_info(
    admin: v2.Client, compute: ComputeNetwork
) -> None:
    net_a, sub_a = _network(admin, "10.31.0.0/24", dns_nameservers=["192.0.2.53"])
    net_b, sub_b = _network(admin, "10.32.0.0/24", gateway_ip="10.32.0.254")
    instance = Instance("vm-alloc", "p1", zone="az1")

    vifs = compute.allocate_for_instance(
        instance, [Nic(net_a), Nic(net_b, fixed_ip="10.32.0.77")]
    )

    assert [v.network_id for v in vifs] == [net_a, net_b]
    first, second = vifs
    assert [f.interface for f in first.fixed_ips] == ["10.31.0.2/24"]
    assert first.gateway == "10.31.0.1"
    assert first.fixed_ips[0].dns == ("192.0.2.53",)
    assert [f.interface for f in second.fixed_ips] == ["10.32.0.77/24"]
    assert second.gateway == "10.32.0.254"
    assert first.mtu == second.mtu == 1450  # NOTE: VXLAN on a 1500 underlay
    assert first.vif_type == "ovs"
    assert first.device == "tap" + first.port_id[:11]
    for vif in vifs:
        port = admin.ports.show(vif.port_id)
        assert port["device_id"] == "vm-alloc"
        assert port["device_owner"] == "compute:az1"
        assert port["binding:host_id"] == "hv1"
        assert port["tenant_id"] == "p1"
        assert port["mac_address"] == vif.mac
        assert port["status"] == "DOWN"  # NOTE: no agent has reported it yet
    assert sorted(p["id"] for p in compute.instance_ports("vm-alloc")) == sorted(
        v.port_id for v in vifs
    )


def test_a_refused_nic_makes_no_port_at_all(
    admin: v2.Client, compute: ComputeNetwork
) -> None:
    net, _ = _network(admin, "10.33.0.0/24")
    instance = Instance("vm-refused", "p1")
    with pytest.raises(errors.BadRequest):
        compute.allocate_for_instance(
            instance, [Nic(net), Nic(net, fixed_ip="10.99.0.5")]
        )
    assert compute.instance_ports("vm-refused") == []
    # control: the same request without the foreign address makes both
    assert len(compute.allocate_for_instance(instance, [Nic(net), Nic(net)])) == 2


def test_a_failure_after_the_ports_were_made_deletes_them(
    admin: v2.Client, compute: ComputeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    net, _ = _network(admin, "10.34.0.0/24")
    instance = Instance("vm-rollback", "p1")

    def broken(ports: Any) -> Any:
        assert len(compute.instance_ports("vm-rollback")) == 1  # NOTE: made
        raise errors.ServiceUnavailable("subnets unreachable", status=503)

    monkeypatch.setattr(compute, "_describe", broken)
    with pytest.raises(network.AllocationFailed, match="subnets unreachable"):
        compute.allocate_for_instance(instance, [Nic(net)])
    assert compute.instance_ports("vm-rollback") == []


def test_the_wait_returns_when_the_agent_reports_the_ports_up(
    url: str, admin: v2.Client, compute: ComputeNetwork
) -> None:
    net, _ = _network(admin, "10.35.0.0/24")
    vifs = compute.allocate_for_instance(Instance("vm-wait", "p1"), [Nic(net)] * 2)
    ids = [v.port_id for v in vifs]
    done: dict[str, float] = {}
    # NOTE: every request the wait makes goes through the events client: count
    # them, so a polling loop (many short requests) cannot pass for a wait
    assert compute.events is not None
    asked: list[float] = []
    long_poll = compute.events.wait_for_ports

    def counted(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("wait", args[2] if len(args) > 2 else 0.0))
        return long_poll(*args, **kwargs)

    compute.events.wait_for_ports = counted  # type: ignore[method-assign]

    def wait() -> None:
        compute.wait_until_active(ids, timeout=20)
        done["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    _report(url, "hv1", {ids[0]: "UP"})
    time.sleep(0.6)
    assert "at" not in done  # control: one of two is not enough
    _report(url, "hv1", dict.fromkeys(ids, "UP"))
    reported = time.monotonic()
    waiter.join(10)
    assert done["at"] - reported < 1.5  # NOTE: a loaded machine; asked for 20 s
    # one long-poll per status change at most (the server cuts each to 2 s)
    assert 1 <= len(asked) <= 3, asked
    assert all(w > 10 for w in asked), asked
    assert [admin.ports.show(p)["status"] for p in ids] == ["ACTIVE", "ACTIVE"]


def test_the_wait_times_out_naming_the_ports_not_up(
    url: str, admin: v2.Client, compute: ComputeNetwork
) -> None:
    net, _ = _network(admin, "10.36.0.0/24")
    (vif,) = compute.allocate_for_instance(Instance("vm-late", "p1"), [Nic(net)])
    # NOTE: another host cannot bring it up: it is bound to hv1
    _report(url, "hv2", {vif.port_id: "UP"})
    began = time.monotonic()
    with pytest.raises(network.PortsNotActive) as late:
        compute.wait_until_active([vif.port_id], timeout=3)
    # NOTE: the server cuts a long-poll to agent_max_wait (2 s): two polls
    assert 3 <= time.monotonic() - began < 8
    assert f"{vif.port_id} DOWN" in str(late.value)
    admin.ports.delete(vif.port_id)
    with pytest.raises(network.PortsGone):
        compute.wait_until_active([vif.port_id], timeout=3)


def test_the_wait_needs_the_agent_secret(url: str, admin: v2.Client) -> None:
    net, _ = _network(admin, "10.37.0.0/24")
    wrong = AgentClient(url, host="hv1", secret="guess")
    compute = ComputeNetwork(admin, wrong, Hypervisor(host="hv1"))
    (vif,) = compute.allocate_for_instance(Instance("vm-secret", "p1"), [Nic(net)])
    with pytest.raises(network.EventsUnavailable, match="401"):
        compute.wait_until_active([vif.port_id], timeout=1)


def test_deallocate_deletes_every_port_of_the_instance_and_only_those(
    admin: v2.Client, compute: ComputeNetwork
) -> None:
    """The switch here is unreachable (tests/dataplane/test_boot.py unplugs for
    real): the ports go anyway, and the error names the devices it could not check."""
    net, _ = _network(admin, "10.38.0.0/24")
    mine = compute.allocate_for_instance(Instance("vm-dealloc", "p1"), [Nic(net)] * 2)
    other = compute.allocate_for_instance(Instance("vm-other", "p1"), [Nic(net)])
    unrelated = admin.ports.create(
        tenant_id="p1", network_id=net, device_id="vm-dealloc"
    )

    with pytest.raises(network.LeftBehind) as left:
        compute.deallocate_for_instance("vm-dealloc")

    for vif in mine:
        assert f"device {vif.device} (cannot reach OVSDB" in str(left.value)
        with pytest.raises(errors.NotFound):
            admin.ports.show(vif.port_id)
    assert "port " not in str(left.value)
    assert compute.instance_ports("vm-dealloc") == []
    assert [p["id"] for p in compute.instance_ports("vm-other")] == [other[0].port_id]
    # NOTE: not a compute port (no compute: owner): not the instance's to delete
    assert admin.ports.show(unrelated["id"])["device_id"] == "vm-dealloc"
    assert compute.deallocate_for_instance("vm-dealloc") == []


def test_the_instances_security_groups_are_its_projects_by_name_or_id(
    admin: v2.Client, compute: ComputeNetwork
) -> None:
    net, _ = _network(admin, "10.39.0.0/24")
    web = admin.security_groups.create(tenant_id="p1", name="web")["id"]
    db = admin.security_groups.create(tenant_id="p1", name="db")["id"]
    # NOTE: another project's group of the same name, which the admin sees too
    admin.security_groups.create(tenant_id="p2", name="web")
    (default,) = admin.security_groups.list(tenant_id="p1", name="default")

    (plain,) = compute.allocate_for_instance(Instance("vm-sg-none", "p1"), [Nic(net)])
    assert admin.ports.show(plain.port_id)["security_groups"] == [default["id"]]
    asked = Instance("vm-sg", "p1", security_groups=("web", db, "web"))
    vifs = compute.allocate_for_instance(asked, [Nic(net), Nic(net)])
    for vif in vifs:
        port = admin.ports.show(vif.port_id)
        assert port["security_groups"] == sorted([web, db])
    none = Instance("vm-sg-empty", "p1", security_groups=())
    (bare,) = compute.allocate_for_instance(none, [Nic(net)])
    assert admin.ports.show(bare.port_id)["security_groups"] == []

    admin.security_groups.create(tenant_id="p1", name="twin")
    admin.security_groups.create(tenant_id="p1", name="twin")
    theirs = admin.security_groups.create(tenant_id="p2", name="theirs")["id"]
    for groups, said in (
        (("web", "nobody"), "security group nobody not found in project p1"),
        ((theirs,), f"security group {theirs} not found in project p1"),
        (("twin",), "security group name twin is ambiguous in project p1: "),
    ):
        refused = Instance("vm-sg-refused", "p1", security_groups=groups)
        with pytest.raises(network.AllocationFailed, match=said):
            compute.allocate_for_instance(refused, [Nic(net)])
        assert compute.instance_ports("vm-sg-refused") == []
