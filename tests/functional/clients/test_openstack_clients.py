# SPDX-License-Identifier: Apache-2.0
"""The real clients against a running server: the openstack CLI, openstacksdk and
python-neutronclient create, list, update and delete networks, subnets and ports,
and show the server's error messages to their users."""

from __future__ import annotations

from pathlib import Path

from tests.functional.clients.conftest import Openstack, post, run_python


def test_openstack_cli_with_auth_none_lists_shows_updates_and_deletes(
    openstack: Openstack, endpoint: str
) -> None:
    net = post(
        endpoint, "/v2.0/networks", {"network": {"name": "none-net", "tenant_id": "t1"}}
    )
    net_id = net["network"]["id"]
    sub = post(endpoint, "/v2.0/subnets", {"subnet": {
        "network_id": net_id, "tenant_id": "t1", "ip_version": 6,
        "cidr": "fd00:50::/64"}})["subnet"]  # fmt: skip
    port = post(
        endpoint, "/v2.0/ports", {"port": {"network_id": net_id, "tenant_id": "t1"}}
    )["port"]
    assert _names(openstack.json("network", "list"))[net_id] == "none-net"
    shown = openstack.json("subnet", "show", sub["id"])
    assert (shown["cidr"], shown["gateway_ip"]) == ("fd00:50::/64", "fd00:50::1")
    listed = {row["ID"]: row for row in openstack.json("port", "list")}
    assert "fd00:50::2" in str(listed[port["id"]]["Fixed IP Addresses"])
    openstack.ok("port", "set", "--name", "renamed", port["id"])
    openstack.ok("subnet", "set", "--dns-nameserver", "fd00:50::53", sub["id"])
    assert openstack.json("port", "show", port["id"])["name"] == "renamed"
    assert openstack.json("subnet", "show", sub["id"])["dns_nameservers"] == [
        "fd00:50::53"
    ]
    # an admin without a project must name one: the server says so, the CLI shows it
    refused = openstack.run("network", "create", "nameless")
    assert refused.returncode != 0
    assert "tenant_id is required" in refused.stderr
    openstack.ok("port", "delete", port["id"])
    openstack.ok("subnet", "delete", sub["id"])
    openstack.ok("network", "delete", net_id)
    assert net_id not in _names(openstack.json("network", "list"))


def _names(rows: list[dict[str, object]]) -> dict[object, object]:
    return {row["ID"]: row["Name"] for row in rows}


def test_openstack_cli_as_a_keystone_user_manages_networks_subnets_and_ports(
    openstack_user: Openstack, cloud: dict[str, str]
) -> None:
    openstack = openstack_user
    net = openstack.json("network", "create", "cli-net")
    assert net["project_id"] == cloud["project_id"]
    assert net["name"] == "cli-net"
    subnet = openstack.json(
        "subnet",
        "create",
        "--network",
        net["id"],
        "--subnet-range",
        "10.20.0.0/24",
        "--dns-nameserver",
        "10.20.0.53",
        "cli-subnet",
    )
    assert subnet["cidr"] == "10.20.0.0/24"
    assert subnet["gateway_ip"] == "10.20.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert subnet["dns_nameservers"] == ["10.20.0.53"]
    auto = openstack.json("port", "create", "--network", net["id"], "cli-port")
    assert auto["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.20.0.2"}]
    pinned = openstack.json(
        "port",
        "create",
        "--network",
        net["id"],
        "--fixed-ip",
        f"subnet={subnet['id']},ip-address=10.20.0.50",
        "cli-pinned",
    )
    assert pinned["fixed_ips"] == [
        {"subnet_id": subnet["id"], "ip_address": "10.20.0.50"}
    ]
    assert _names(openstack.json("network", "list"))[net["id"]] == "cli-net"
    subnets = {row["ID"]: row for row in openstack.json("subnet", "list")}
    assert subnets[subnet["id"]]["Subnet"] == "10.20.0.0/24"
    ports = {row["ID"]: row for row in openstack.json("port", "list")}
    assert set(ports) >= {auto["id"], pinned["id"]}
    assert "10.20.0.50" in str(ports[pinned["id"]]["Fixed IP Addresses"])

    openstack.ok("network", "set", "--name", "cli-net-2", net["id"])
    openstack.ok("subnet", "set", "--name", "cli-subnet-2", subnet["id"])
    openstack.ok("port", "set", "--name", "cli-port-2", auto["id"])
    assert openstack.json("network", "show", net["id"])["name"] == "cli-net-2"
    assert openstack.json("subnet", "show", subnet["id"])["name"] == "cli-subnet-2"
    assert openstack.json("port", "show", auto["id"])["name"] == "cli-port-2"

    # the server's own message reaches the CLI's user
    refused = openstack.run(
        "subnet",
        "create",
        "--network",
        net["id"],
        "--subnet-range",
        "10.20.0.0/16",
        "overlap",
    )
    assert refused.returncode != 0
    # tempest's words for "try the next range", naming only the caller's request
    assert "overlaps with another subnet" in refused.stderr
    assert f"cidr: 10.20.0.0/16 for network: {net['id']}" in refused.stderr
    in_use = openstack.run("subnet", "delete", subnet["id"])
    assert in_use.returncode != 0
    assert "One or more ports have an IP allocation" in in_use.stderr

    openstack.ok("port", "delete", auto["id"], pinned["id"])
    openstack.ok("subnet", "delete", subnet["id"])
    openstack.ok("network", "delete", net["id"])
    assert net["id"] not in _names(openstack.json("network", "list"))
    assert subnet["id"] not in {row["ID"] for row in openstack.json("subnet", "list")}


SDK_SCRIPT = """
import json, sys
import openstack
from openstack import exceptions
conn = openstack.connect(auth_type="none", endpoint=sys.argv[1],
                         load_envvars=False, load_yaml_config=False)
P = "sdk-project"
net = conn.network.create_network(name="sdk-net", project_id=P)
subnet = conn.network.create_subnet(network_id=net.id, ip_version=4,
                                    cidr="10.30.0.0/24", name="sdk-subnet",
                                    gateway_ip=None, project_id=P)
port = conn.network.create_port(network_id=net.id, name="sdk-port", project_id=P)
two = conn.network.create_port(network_id=net.id, project_id=P, fixed_ips=[
    {"subnet_id": subnet.id}, {"subnet_id": subnet.id, "ip_address": "10.30.0.9"}])
out = {
    "net": net.id, "subnet": subnet.id, "gateway": subnet.gateway_ip,
    "pools": subnet.allocation_pools, "port_ips": port.fixed_ips,
    "two_ips": two.fixed_ips,
    "networks": [n.id for n in conn.network.networks()],
    "subnets": [s.cidr for s in conn.network.subnets(network_id=net.id)],
    "ports": sorted(p.id for p in conn.network.ports(network_id=net.id)),
}
conn.network.update_network(net, name="sdk-net-2")
conn.network.update_subnet(subnet, name="sdk-subnet-2",
                           dns_nameservers=["10.30.0.53"])
updated = conn.network.update_port(two, name="sdk-two",
                                   fixed_ips=[{"ip_address": "10.30.0.9"}])
out["renamed"] = [conn.network.get_network(net.id).name,
                  conn.network.get_subnet(subnet.id).name,
                  conn.network.get_subnet(subnet.id).dns_nameservers]
out["replaced_ips"] = updated.fixed_ips
try:
    conn.network.create_port(network_id=net.id, project_id=P,
                             fixed_ips=[{"ip_address": "10.30.0.9"}])
except exceptions.SDKException as error:
    out["error"] = str(error)
for p in (port, two):
    conn.network.delete_port(p)
conn.network.delete_subnet(subnet)
conn.network.delete_network(net)
out["after"] = [n.id for n in conn.network.networks()]
print(json.dumps(out))
"""


def test_openstacksdk_manages_networks_subnets_and_ports(
    clients_venv: Path, endpoint: str
) -> None:
    out = run_python(clients_venv, SDK_SCRIPT, endpoint)
    assert out["gateway"] is None
    assert out["pools"] == [{"start": "10.30.0.1", "end": "10.30.0.254"}]
    assert out["port_ips"] == [{"subnet_id": out["subnet"], "ip_address": "10.30.0.1"}]
    assert out["two_ips"] == [
        {"subnet_id": out["subnet"], "ip_address": "10.30.0.2"},
        {"subnet_id": out["subnet"], "ip_address": "10.30.0.9"},
    ]
    assert out["net"] in out["networks"]
    assert out["subnets"] == ["10.30.0.0/24"]
    assert len(out["ports"]) == 2
    assert out["renamed"] == ["sdk-net-2", "sdk-subnet-2", ["10.30.0.53"]]
    assert out["replaced_ips"] == [
        {"subnet_id": out["subnet"], "ip_address": "10.30.0.9"}
    ]
    assert "The IP address 10.30.0.9 is in use" in out["error"]
    assert out["net"] not in out["after"]


NEUTRONCLIENT_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
from neutronclient.v2_0 import client
from neutronclient.common import exceptions
c = client.Client(auth_strategy="noauth", endpoint_url=sys.argv[1])
net = c.create_network({"network": {"name": "nc-net", "tenant_id": "nc"}})["network"]
out = {}
try:
    c.create_subnet({"subnet": {"network_id": net["id"], "ip_version": 4,
                                "cidr": "10.40.0.0/24", "tenant_id": "nc",
                                "allocation_pools": [{"start": "10.40.0.1",
                                                      "end": "10.40.0.9"}]}})
except exceptions.NeutronClientException as error:
    out["error"] = str(error)
    out["status"] = error.status_code
c.delete_network(net["id"])
print(json.dumps(out))
"""


def test_neutronclient_shows_the_servers_message(
    clients_venv: Path, endpoint: str
) -> None:
    out = run_python(clients_venv, NEUTRONCLIENT_SCRIPT, endpoint)
    assert out["status"] == 409
    assert "Gateway ip 10.40.0.1 conflicts with allocation pool" in out["error"]
