# SPDX-License-Identifier: Apache-2.0
"""The Grizzly client (python-quantumclient 2.2.3, Python 2.7) against a running
server: its ``quantum`` CLI shows the server's message, not a raw error body, and
its library raises its own exception classes (NetworkNotFoundClient, ...) for the
error types it knows."""

from __future__ import annotations

from pathlib import Path

from tests.functional.clients.conftest import Quantum, post, run_python

MISSING = "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"
RAW = ("NeutronError", "QuantumError", "{u'")  # NOTE: how a raw error body prints


def _make(endpoint: str, kind: str, tenant: str, **attrs: object) -> str:
    body = {kind: {"tenant_id": tenant, **attrs}}
    made = post(endpoint, f"/v2.0/{kind}s", body)
    return str(made[kind]["id"])


def _network_in_use(endpoint: str, tenant: str, cidr: str) -> tuple[str, str]:
    """A network of ``tenant`` with a subnet and a port: its id and the subnet's."""
    net = _make(endpoint, "network", tenant, name=tenant)
    sub = _make(endpoint, "subnet", tenant, network_id=net, ip_version=4, cidr=cidr)
    _make(endpoint, "port", tenant, network_id=net)
    return net, sub


def test_the_grizzly_cli_shows_the_servers_message(
    quantum: Quantum, endpoint: str
) -> None:
    net_a, sub_a = _network_in_use(endpoint, "grizzly-a", "10.61.0.0/24")
    net_b = _make(endpoint, "network", "grizzly-b", name="grizzly-b")
    listed = quantum.run("net-list")
    assert listed.returncode == 0, listed.stderr
    assert net_a in listed.stdout
    assert net_b in listed.stdout

    # the server's message is all the user sees (before: 409-{u'NeutronError': ...})
    in_use = quantum.run("net-delete", net_a)
    assert in_use.returncode != 0
    assert in_use.stderr.strip() == (
        f"Unable to complete operation on network {net_a}. There are one or more "
        "ports still in use on the network."
    )

    overlap = quantum.run(
        "subnet-create", "--tenant-id", "grizzly-b", net_b, "10.61.0.0/16"
    )
    assert overlap.returncode != 0
    assert overlap.stderr.strip() == (
        "Invalid input: Requested subnet with cidr: 10.61.0.0/16 for network: "
        f"{net_b} overlaps with another subnet"
    )
    # nothing of tenant a's subnet in what tenant b is told
    for secret in ("10.61.0.0/24", sub_a, net_a, "grizzly-a"):
        assert secret not in overlap.stderr + overlap.stdout
    for refused in (in_use, overlap):
        for raw in RAW:
            assert raw not in refused.stderr + refused.stdout

    made = quantum.run(
        "subnet-create", "--tenant-id", "grizzly-b", net_b, "10.62.0.0/24"
    )
    assert made.returncode == 0, made.stderr
    assert "10.62.0.0/24" in made.stdout


LIBRARY_SCRIPT = """
import json, sys
from quantumclient.common import exceptions
from quantumclient.v2_0 import client
c = client.Client(token="unused", endpoint_url=sys.argv[1])
missing, in_use, network = sys.argv[2:5]
out = {}
def attempt(name, call, *args):
    try:
        call(*args)
    except exceptions.QuantumClientException as error:
        out[name] = [type(error).__name__, error.status_code, str(error).strip()]
attempt("network", c.show_network, missing)
attempt("port", c.show_port, missing)
attempt("subnet", c.show_subnet, missing)
attempt("in_use", c.delete_network, in_use)
attempt("overlap", c.create_subnet, {"subnet": {
    "network_id": network, "ip_version": 4, "cidr": "10.63.0.0/25",
    "tenant_id": "library-b"}})
out["shown"] = c.show_network(network)["network"]["id"]
print(json.dumps(out))
"""


def test_the_grizzly_library_raises_its_own_exception_classes(
    grizzly_venv: Path, endpoint: str
) -> None:
    net_a, _ = _network_in_use(endpoint, "library-a", "10.63.0.0/24")
    net_b = _make(endpoint, "network", "library-b", name="library-b")
    out = run_python(grizzly_venv, LIBRARY_SCRIPT, endpoint, MISSING, net_a, net_b)
    assert out["shown"] == net_b
    # NOTE: the client gives its own classes no status code (0)
    assert out["network"] == [
        "NetworkNotFoundClient",
        0,
        f"Network {MISSING} could not be found",
    ]
    assert out["port"] == [
        "PortNotFoundClient",
        0,
        f"Port {MISSING} could not be found.",
    ]
    assert out["in_use"] == [
        "NetworkInUseClient",
        0,
        f"Unable to complete operation on network {net_a}. "
        "There are one or more ports still in use on the network.",
    ]
    # a type it has no class for: its generic exception, the status and the message
    assert out["subnet"] == [
        "QuantumClientException",
        404,
        f"Subnet {MISSING} could not be found",
    ]
    assert out["overlap"] == [
        "QuantumClientException",
        400,
        "Invalid input: Requested subnet with cidr: 10.63.0.0/25 for network: "
        f"{net_b} overlaps with another subnet",
    ]
