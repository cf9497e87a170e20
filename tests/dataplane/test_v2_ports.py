# SPDX-License-Identifier: Apache-2.0
"""v2.0 end to end: a network, a subnet and two ports made through /v2.0; two VMs
plugged with the port ids as iface-ids and the MACs and addresses the server gave
them, on two hypervisors (VXLAN) with an agent each. They ping each other, and the
ports turn ACTIVE."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Any

from tests.dataplane import cloud, harness
from tests.dataplane.harness import wait_until


def v2(port: int, method: str, path: str, body: Any = None) -> Any:
    """One /v2.0 call; noauth with no project is an admin, so bodies name one."""
    return cloud.Api(port).v2(method, path, body)


def test_two_v2_ports_with_ipam_addresses_ping_each_other(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with cloud.deploy(dataplane_session, tmp_path, "vxlan") as world:
        api = world.server.port
        hvs = world.hypervisors("hv1", "hv2")
        net = v2(api, "POST", "/networks", {"network": {"tenant_id": "t"}})["network"]
        subnet = v2(
            api,
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": "t",
                    "network_id": net["id"],
                    "ip_version": 4,
                    "cidr": "10.7.0.0/24",
                }
            },
        )["subnet"]
        prefix = ip_network(subnet["cidr"]).prefixlen
        guests = []
        for hv in hvs:
            port = v2(
                api,
                "POST",
                "/ports",
                {
                    "port": {
                        "tenant_id": "t",
                        "network_id": net["id"],
                        "binding:host_id": hv.name,
                    }
                },
            )["port"]
            address = port["fixed_ips"][0]["ip_address"]
            vm = world.lab.vm(
                f"vm-{hv.name}", port["mac_address"], f"{address}/{prefix}"
            )
            vm.plug(hv, port["id"])  # NOTE: the iface-id is the v2 port id
            guests.append((vm, port["id"], address))
        (first, first_id, first_ip), (second, second_id, second_ip) = guests
        assert (first_ip, second_ip) == ("10.7.0.2", "10.7.0.3")
        assert first.can_reach(second_ip, timeout=20), world.dump()
        assert second.can_reach(first_ip, timeout=5)

        def statuses() -> list[str]:
            return [
                v2(api, "GET", f"/ports/{port_id}")["port"]["status"]
                for port_id in (first_id, second_id)
            ]

        wait_until(
            lambda: statuses() == ["ACTIVE", "ACTIVE"],
            15,
            message=lambda: str(statuses()),
        )
