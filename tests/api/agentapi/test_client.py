# SPDX-License-Identifier: Apache-2.0
"""``OvsClient`` over real HTTP against the Paste app (wsgiref in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from ipaddress import ip_address
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from quantum.agentapi.client import AgentApiError
from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.core.networks import NetworkType
from quantum.core.status import ReportedStatus
from tests.api.agentapi.conftest import SECRET, Store, plugged_port


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def served(store: Store) -> Iterator[tuple[str, Store]]:
    client = store.app("served")
    server = make_server("127.0.0.1", 0, client.app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", store
    server.shutdown()
    server.server_close()


def test_an_agent_round(served: tuple[str, Store]) -> None:
    url, store = served
    tenant = store.app("tenant")
    net, port_id = plugged_port(tenant, "vif-1")
    peer = OvsClient(url, host="h2", secret=SECRET)
    peer.register(
        msg.HostReport(
            tunnel_ip=ip_address("192.0.2.2"), tunnel_types=frozenset({NetworkType.GRE})
        )
    )
    agent = OvsClient(url, host="h1", secret=SECRET, timeout=5)
    start = agent.register(msg.HostReport(tunnel_ip=ip_address("192.0.2.1")))
    state = agent.desired_state(["vif-1", "vif-9"])
    assert state.revision >= start
    assert [(p.port_id, p.network_id) for p in state.ports] == [(port_id, net)]
    assert state.ports[0].segment.network_type is NetworkType.GRE
    assert state.ports[0].binding_host == "h1"
    assert [(e.host, str(e.ip)) for e in state.endpoints] == [("h2", "192.0.2.2")]
    assert agent.changes(state.revision, wait=0.2) == state.revision
    agent.report_status([msg.PortStatus(port_id=port_id, status=ReportedStatus.UP)])
    shown = tenant.get(f"/v1.1/tenants/t/networks/{net}/ports/{port_id}.json")
    assert b'"op-status": "UP"' in shown.body
    agent.close()
    peer.close()


def test_errors_carry_the_status(served: tuple[str, Store]) -> None:
    url, _ = served
    with pytest.raises(AgentApiError) as refused:
        OvsClient(url, host="h1", secret="wrong").changes(0)
    assert refused.value.status == 401
    with pytest.raises(AgentApiError) as unreachable:
        OvsClient("http://127.0.0.1:9", host="h1", secret=SECRET, timeout=1).changes(0)
    assert unreachable.value.status is None
