# SPDX-License-Identifier: Apache-2.0
"""The client library (quantum.client) against a running server: pagination
followed to the end, the server's errors as typed exceptions, retries bounded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantum.client import errors, transport, v1, v2
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.functional.auth.conftest import Identity
from tests.functional.clients.conftest import HOST

MISSING = "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"


def _client(endpoint: str, project: str | None = None) -> v2.Client:
    return v2.Client(transport.without_auth(endpoint, project))


def test_lists_follow_the_next_links_to_the_end(endpoint: str) -> None:
    client = _client(endpoint, "lib-pages")
    made = [client.networks.create(name=f"page-{i}")["id"] for i in range(5)]
    # control: one request of two holds two, and says there is more
    raw = client.transport.request("GET", "/v2.0/networks", params={"limit": "2"})
    assert len(raw["networks"]) == 2
    assert any(link["rel"] == "next" for link in raw["networks_links"])

    pages = list(client.networks.pages(page_size=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [n["id"] for n in client.networks.list(page_size=2)]
    assert sorted(listed) == sorted(made)
    names = [n["name"] for n in client.networks.list(page_size=2, sort_key="name")]
    assert names == [f"page-{i}" for i in range(5)]


def test_the_servers_errors_are_typed_with_its_message(endpoint: str) -> None:
    client = _client(endpoint, "lib-errors")
    with pytest.raises(errors.NotFound) as missing:
        client.networks.show(MISSING)
    assert missing.value.kind == "NetworkNotFound"
    assert str(missing.value) == f"Network {MISSING} could not be found"

    net = client.networks.create(name="busy")
    client.ports.create(network_id=net["id"])
    with pytest.raises(errors.Conflict) as busy:
        client.networks.delete(net["id"])
    assert busy.value.kind == "NetworkInUse"
    assert busy.value.status == 409
    with pytest.raises(errors.BadRequest) as bad:
        client.subnets.create(network_id=net["id"], cidr="10.0.0.300/24", ip_version=4)
    assert bad.value.status == 400
    assert "10.0.0.300/24" in str(bad.value)
    # a member is not an administrator: quotas are not its to change
    with pytest.raises(errors.Forbidden):
        client.quotas.update("lib-errors", network=3)
    assert client.networks.show(net["id"])["name"] == "busy"


def test_names_find_one_member_and_ambiguity_names_the_candidates(
    endpoint: str,
) -> None:
    client = _client(endpoint, "lib-names")
    first = client.networks.create(name="twin")["id"]
    assert client.networks.find_id("twin") == first
    second = client.networks.create(name="twin")["id"]
    with pytest.raises(errors.Ambiguous) as twice:
        client.networks.find("twin")
    assert set(twice.value.candidates) == {first, second}
    assert first in str(twice.value)
    assert second in str(twice.value)
    with pytest.raises(errors.NotFound):
        client.networks.find("nobody-has-this-name")


def test_operations_a_resource_lacks_are_refused_before_sending() -> None:
    client = _client("http://127.0.0.1:9")  # NOTE: nothing listens; nothing is sent
    with pytest.raises(TypeError, match="agents cannot create"):
        client.agents.create(host="x")
    with pytest.raises(TypeError, match="extensions cannot delete"):
        client.extensions.delete("binding")


def test_v1_1_networks_ports_and_attachments(endpoint: str) -> None:
    client = v1.Client(transport.without_auth(endpoint), "lib-v11")
    net = client.create_network("v11-net")
    port = client.create_port(net, state="ACTIVE")
    assert client.show_attachment(net, port) is None
    client.plug(net, port, "vif-lib-v11")
    assert client.show_attachment(net, port) == "vif-lib-v11"
    assert client.show_port(net, port, detail=True)["attachment"] == {
        "id": "vif-lib-v11"
    }
    with pytest.raises(errors.Conflict) as plugged:
        client.delete_network(net)
    assert plugged.value.kind == "NetworkInUse"
    client.unplug(net, port)
    client.delete_port(net, port)
    client.update_network(net, "renamed")
    assert client.show_network(net)["name"] == "renamed"
    client.delete_network(net)
    assert net not in [n["id"] for n in client.list_networks()]
    with pytest.raises(errors.NotFound):
        client.show_network(net)


def test_a_server_still_starting_is_waited_for(tmp_path: Path) -> None:
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    # control: nothing listens, no retries: the connection error is raised at once
    never = _client(url)
    never.transport.retries = 0
    with pytest.raises(errors.ConnectionFailed):
        list(never.networks.list())

    config = write_config(tmp_path, bind_host=HOST, bind_port=port, core_plugin="sql")
    assert db_manage(config, "upgrade", "head").returncode == 0
    server = ServerProcess(config, HOST, port)
    server.start(wait=False)
    try:
        patient = _client(url)
        patient.transport.retries = 8  # NOTE: 0.5 s doubling: half a minute and more
        assert list(patient.networks.list()) == []
    finally:
        server.stop(timeout=15)


class BusyServer:
    """The stand-in of ``busy_server.py``, in its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  # NOTE: our own script
            [sys.executable, str(Path(__file__).with_name("busy_server.py")), HOST],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = f"http://{HOST}:{int(self.process.stdout.readline())}"

    def _call(self, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.load(answer)

    def refuse(self, count: int) -> None:
        """Forget what was seen; answer 503 to the next ``count`` lists."""
        self._call("/control", {"busy": count})

    def seen(self) -> list[float]:
        return list(self._call("/seen")["seen"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def busy() -> Iterator[BusyServer]:
    server = BusyServer()
    yield server
    server.stop()


def test_503_is_retried_with_backoff_and_bounded(busy: BusyServer) -> None:
    busy.refuse(2)
    client = _client(busy.url)
    client.transport.retries = 3
    assert list(client.networks.list()) == []
    seen = busy.seen()
    assert len(seen) == 3
    waits = [b - a for a, b in zip(seen, seen[1:], strict=False)]
    assert waits[1] > waits[0] * 1.5  # NOTE: keystoneauth's 0.5 s, then 1 s

    busy.refuse(10)
    client.transport.retries = 1
    with pytest.raises(errors.ServiceUnavailable) as gave_up:
        list(client.networks.list())
    assert str(gave_up.value) == "later"
    assert len(busy.seen()) == 2


def test_keystone_password_and_token_with_url(
    cloud: dict[str, str], keystone: Identity
) -> None:
    """The library's Keystone mode finds the server in the catalog; its token +
    URL mode sends the token; the server's refusal of a forged one is typed."""
    by_password = v2.Client(
        transport.by_password(
            cloud["OS_AUTH_URL"],
            cloud["OS_USERNAME"],
            cloud["OS_PASSWORD"],
            project_name=cloud["OS_PROJECT_NAME"],
            user_domain_name=cloud["OS_USER_DOMAIN_NAME"],
            project_domain_name=cloud["OS_PROJECT_DOMAIN_NAME"],
            region=cloud["OS_REGION_NAME"],
        )
    )
    assert by_password.transport.endpoint is None  # NOTE: from the catalog
    made = by_password.networks.create(name="lib-ks")
    assert made["tenant_id"] == cloud["project_id"]
    by_token = v2.Client(transport.by_token(cloud["url"], keystone.fresh_token("demo")))
    assert made["id"] in [n["id"] for n in by_token.networks.list()]
    forged = v2.Client(transport.by_token(cloud["url"], "not-a-token"))
    with pytest.raises(errors.Unauthorized) as refused:
        list(forged.networks.list())
    assert refused.value.status == 401
    by_token.networks.delete(made["id"])
    with pytest.raises(errors.NotFound):
        by_password.networks.show(made["id"])


def test_a_refused_connection_is_retried_with_backoff() -> None:
    url = f"http://{HOST}:{free_port(HOST)}"  # NOTE: nothing listens there
    client = _client(url)
    client.transport.retries = 0
    began = time.monotonic()
    with pytest.raises(errors.ConnectionFailed):
        client.networks.show(MISSING)
    at_once = time.monotonic() - began
    client.transport.retries = 2
    began = time.monotonic()
    with pytest.raises(errors.ConnectionFailed):
        client.networks.show(MISSING)
    retried = time.monotonic() - began
    # NOTE: keystoneauth's backoff: 0.5 s, then 1 s
    assert at_once < 0.5, at_once
    assert retried >= 1.4, retried
