# SPDX-License-Identifier: Apache-2.0
"""A cloud for security-group tests and bench/secgroups.py: networks with an IPv4
and an IPv6 subnet, groups and rules, VMs whose ports (fixed addresses, bound to a
hypervisor) are made through ``/v2.0`` for the tenant ``t``.

::

    w = World(stack, hv1, hv2)          # stack: a cloud.deploy(...) Cloud
    net = w.network()
    web = w.group("web", {"direction": "ingress", "protocol": "icmp"})
    a = w.vm("a", hv1, net, 11, security_groups=[web])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.dataplane import cloud
from tests.dataplane.harness import VM, Hypervisor

TENANT = "t"
_NETS = itertools.count(60)


@dataclass
class Net:
    id: str
    v4: str
    """``10.N.0``: the subnet's first three octets."""
    v6: str
    """``fdNN::``: the IPv6 subnet's prefix."""
    number: int


@dataclass
class World:
    stack: cloud.Cloud
    hv1: Hypervisor
    hv2: Hypervisor
    ports: dict[str, str] = field(default_factory=dict)
    """A VM's name -> its port's id."""

    def v2(self, method: str, path: str, body: Any = None) -> Any:
        return self.stack.api.v2(method, path, body)

    def network(self) -> Net:
        """A network with an IPv4 and an IPv6 subnet (no DHCP: VMs are static)."""
        n = next(_NETS)
        made = self.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        net = Net(made["network"]["id"], f"10.{n}.0", f"fd{n:02x}::", n)
        for cidr, version in ((f"{net.v4}.0/24", 4), (f"{net.v6}/64", 6)):
            subnet = {
                "tenant_id": TENANT,
                "network_id": net.id,
                "cidr": cidr,
                "ip_version": version,
                "enable_dhcp": False,
            }
            self.v2("POST", "/subnets", {"subnet": subnet})
        return net

    def group(self, name: str, *rules: dict[str, Any]) -> str:
        """A new group (egress anywhere, nothing in) with ``rules`` added."""
        body = {"security_group": {"tenant_id": TENANT, "name": name}}
        group = str(self.v2("POST", "/security-groups", body)["security_group"]["id"])
        for rule in rules:
            self.rule(group, **rule)
        return group

    def rule(self, group: str, **rule: Any) -> str:
        body = {
            "security_group_rule": {
                "tenant_id": TENANT,
                "security_group_id": group,
                "ethertype": "IPv4",
                **rule,
            }
        }
        made = self.v2("POST", "/security-group-rules", body)
        return str(made["security_group_rule"]["id"])

    def vm(
        self,
        name: str,
        hv: Hypervisor,
        net: Net,
        host: int,
        *,
        ipv6: bool = False,
        **port: Any,
    ) -> VM:
        """A VM on ``net`` bound to ``hv``, its port holding ``10.N.0.host`` and
        ``fdNN::host`` (the VM configures the latter only with ``ipv6``); ``port``
        adds port attributes (security_groups, ...)."""
        mac = f"fa:16:3e:{net.number:02x}:00:{host:02x}"
        fixed = [
            {"ip_address": f"{net.v4}.{host}"},
            {"ip_address": f"{net.v6}{host:x}"},
        ]
        body = {
            "port": {
                "tenant_id": TENANT,
                "network_id": net.id,
                "mac_address": mac,
                "binding:host_id": hv.name,
                "fixed_ips": fixed,
                **port,
            }
        }
        made = self.v2("POST", "/ports", body)["port"]
        vm = self.stack.lab.vm(name, mac, f"{net.v4}.{host}/24", ipv6=ipv6)
        vm.plug(hv, made["id"])
        if ipv6:
            vm.netns.ip(
                "-6", "addr", "add", f"{net.v6}{host:x}/64", "dev", VM.NIC, "nodad"
            )
        self.ports[name] = made["id"]
        return vm

    def default_group(self) -> str:
        found = self.v2("GET", f"/security-groups?tenant_id={TENANT}&name=default")
        return str(found["security_groups"][0]["id"])

    def update_port(self, vm: VM, **changes: Any) -> None:
        self.v2("PUT", f"/ports/{self.ports[vm.name]}", {"port": changes})
