# SPDX-License-Identifier: Apache-2.0
"""The original's extensions on their recorded URLs and bodies (spec §15), served by
the sql and openvswitch plugins over the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from webob import Request, Response

from quantum.api.app import load_app, service_for
from quantum.api.context import ENVIRON_KEY, RequestContext
from quantum.api.extensions import ExtensionsFilter
from quantum.api.v1.router import not_found
from quantum.api.v1.versions import V1_1
from quantum.core.exceptions import ConfigError
from quantum.core.settings import load_settings
from quantum.testing.client import Client, write_config
from tests.conftest import OVS_INI, _backend

KEY = Fernet.generate_key().decode()
SECRET = "s3cret"
AGENT = {"X-Quantum-Agent-Secret": SECRET}
JSON = {"Content-Type": "application/json"}
XML_CT = {"Content-Type": "application/xml"}
BASE = "/v1.1/extensions/csco/tenants/t1"
NS = "http://docs.ciscocloud.com/api/ext"


@dataclass
class Service:
    client: Client
    plugin: str
    url: str

    def send(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> Response:
        if body is not None and not isinstance(body, str | bytes):
            headers = {**JSON, **headers}
        return self.client.request(method, path, body, headers)

    def network(self, tenant: str = "t1") -> str:
        made = self.send(
            "POST", f"/v1.1/tenants/{tenant}/networks", {"network": {"name": "n"}}
        )
        return str(made.json["network"]["id"])

    def port(self, net: str, tenant: str = "t1", vif: str | None = None) -> str:
        made = self.send("POST", f"/v1.1/tenants/{tenant}/networks/{net}/ports")
        port = str(made.json["port"]["id"])
        if vif:
            plugged = self.send(
                "PUT",
                f"/v1.1/tenants/{tenant}/networks/{net}/ports/{port}/attachment",
                {"attachment": {"id": vif}},
            )
            assert plugged.status_int == 204
        return port

    def rows(self, sql: str) -> list[Any]:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            found = list(conn.execute(text(sql)))
        engine.dispose()
        return found


_services: dict[str, Service] = {}


def _service(kind: str, scratch: Path, *, key: str = KEY) -> Service:
    plugin, _, backend_name = kind.partition("-")
    backend = _backend(backend_name, scratch)
    backend.clear()
    name = f"{kind}-{'key' if key else 'nokey'}"
    if name not in _services:
        options: dict[str, object] = {
            "sql_connection": backend.url,
            "agent_secret": SECRET,
            "credential_key": key,
        }
        if plugin == "openvswitch":
            ini = scratch / name / "ovs.ini"
            ini.parent.mkdir(parents=True, exist_ok=True)
            ini.write_text(OVS_INI)
            options["core_plugin_config"] = ini
        config = write_config(scratch / name, core_plugin=plugin, **options)
        _services[name] = Service(
            Client(load_app(load_settings(config))), plugin, backend.url
        )
    return _services[name]


@pytest.fixture(params=["sql-sqlite", "sql-postgresql", "openvswitch-sqlite"])
def svc(request: pytest.FixtureRequest, scratch_dir: Path) -> Service:
    return _service(request.param, scratch_dir)


@pytest.fixture
def ovs(scratch_dir: Path) -> Service:
    return _service("openvswitch-sqlite", scratch_dir)


def _descriptor(alias: str, ns: str, updated: str, description: str) -> dict[str, Any]:
    return {
        "name": alias,
        "alias": alias,
        "description": description,
        "namespace": f"{NS}/{ns}/v1.0",
        "updated": updated,
        "links": [],
    }


CISCO = [
    _descriptor(
        "Cisco qos", "qos", "2011-07-25T13:25:27-06:00",
        "qos includes qos_name and qos_desc",
    ),
    _descriptor(
        "Cisco Port Profile", "portprofile", "2011-07-23T13:25:27-06:00",
        "Portprofile include QoS information",
    ),
    _descriptor(
        "Cisco Credential", "credential", "2011-07-25T13:25:27-06:00",
        "Credential include username and password",
    ),
    _descriptor(
        "Cisco Nova Tenant", "novatenant", "2011-08-09T13:25:27-06:00",
        "novatenant resource is used by nova side to invoke quantum api",
    ),
    _descriptor(
        "Cisco Multiport", "multiport", "2011-08-25T13:25:27-06:00",
        "handle multiple ports in one call",
    ),
]  # fmt: skip
PORTSTATS = {
    "name": "Port Statistics",
    "alias": "portstats",
    "description": "Port Statistics",
    "namespace": "http://docs.openstack.org/ext/portstats/api/v1.0",
    "updated": "2011-12-20T10:00:00-00:00",
    "links": [],
}


def _aliases(service: Service) -> list[dict[str, Any]]:
    listed = service.send("GET", "/v1.0/extensions").json["extensions"]
    return sorted(listed, key=lambda e: e["alias"])


def test_listing_per_plugin_and_key(scratch_dir: Path) -> None:
    sql = _service("sql-sqlite", scratch_dir)
    assert _aliases(sql) == sorted(CISCO, key=lambda e: e["alias"])
    ovs = _service("openvswitch-sqlite", scratch_dir)
    assert _aliases(ovs) == sorted([*CISCO, PORTSTATS], key=lambda e: e["alias"])
    shown = ovs.send("GET", "/v1.1/extensions/Cisco%20qos")
    assert shown.json == CISCO[0]
    # Without a key, no credentials: not listed, not routed.
    keyless = _service("sql-sqlite", scratch_dir, key="")
    assert "Cisco Credential" not in {e["alias"] for e in _aliases(keyless)}
    assert keyless.send("GET", f"{BASE}/credentials").status_int == 404


# -- QoS ------------------------------------------------------------------------------


def test_qos_lifecycle(svc: Service) -> None:
    desc = {"rate": 1000, "burst": 100, "TTL": "5"}
    made = svc.send(
        "POST", f"{BASE}/qoss", {"qos": {"qos_name": "gold", "qos_desc": desc}}
    )
    assert made.status == "200 OK"
    assert made.headers["Content-Type"] == "application/json"
    qos_id = made.json["qoss"]["qos"]["id"]
    assert made.json == {"qoss": {"qos": {"id": qos_id}}}
    assert svc.send("GET", f"{BASE}/qoss").json == {"qoss": [{"id": qos_id}]}
    shown = svc.send("GET", f"{BASE}/qoss/{qos_id}")
    assert shown.json == {
        "qoss": {"qos": {"id": qos_id, "name": "gold", "description": desc}}
    }
    renamed = svc.send(
        "PUT", f"{BASE}/qoss/{qos_id}", {"qos": {"qos_name": "silver", "qos_desc": {}}}
    )
    assert renamed.json["qoss"]["qos"]["name"] == "silver"
    assert renamed.json["qoss"]["qos"]["description"] == desc  # only the name changes
    xml = svc.send("GET", f"{BASE}/qoss/{qos_id}.xml")
    assert xml.headers["Content-Type"] == "application/xml"
    assert (
        xml.body
        == (
            f'<qoss><qos id="{qos_id}" name="silver"><description><rate>1000</rate>'
            "<burst>100</burst><TTL>5</TTL></description></qos></qoss>"
        ).encode()
    )
    listed = svc.send("GET", f"{BASE}/qoss", Accept="application/xml")
    assert listed.body == f'<qoss><qos id="{qos_id}"/></qoss>'.encode()
    # Another tenant sees nothing.
    other = svc.send("GET", f"/v1.1/extensions/csco/tenants/t2/qoss/{qos_id}")
    assert other.status == "452 QoS Not Found"
    deleted = svc.send("DELETE", f"{BASE}/qoss/{qos_id}")
    assert deleted.status == "200 OK"
    assert deleted.headers["Content-Type"] == "text/plain; charset=UTF-8"
    gone = svc.send("GET", f"{BASE}/qoss/{qos_id}")
    assert gone.status == "452 QoS Not Found"
    assert gone.json == {
        "QoSNotFound": {
            "code": 452,
            "message": "Unable to find a QoS with the specified identifier.",
        }
    }
    gone_xml = svc.send("DELETE", f"{BASE}/qoss/{qos_id}.xml")
    assert gone_xml.body == (
        b"<QoSNotFound><message>Unable to find a QoS with the specified identifier."
        b"</message><code>452</code></QoSNotFound>"
    )


def test_qos_bodies(svc: Service) -> None:
    malformed = {
        "malformedRequest": {
            "code": 400,
            "message": "The server could not comply with the request since it is "
            "either malformed or otherwise incorrect.",
        }
    }
    for body, headers in (
        ({"qos": {"qos_name": "x", "qos_desc": {}}}, {"Content-Type": "text/plain"}),
        ({"qos": {"qos_name": "x"}}, JSON),
        ({"qos": {"qos_name": "x", "qos_desc": None}}, JSON),
        ({"qoss": {}}, JSON),
        ({"qos": {"qos_name": "x", "qos_desc": {"rate": "fast"}}}, JSON),
        ({"qos": {"qos_name": "x", "qos_desc": {"rate": -1}}}, JSON),
        ({"qos": {"qos_name": ["x"], "qos_desc": {}}}, JSON),
    ):
        response = svc.client.request("POST", f"{BASE}/qoss", body, headers)
        assert response.status == "400 Bad Request", body
        assert response.json == malformed
    broken = svc.client.request("POST", f"{BASE}/qoss", "{", JSON)
    assert broken.json == malformed
    # The body is read as its Content-Type says, whatever the suffix.
    xml_body = '<qos qos_name="x"><qos_desc><rate>800</rate></qos_desc></qos>'
    made = svc.client.request("POST", f"{BASE}/qoss.json", xml_body, XML_CT)
    assert made.status == "200 OK"
    qos_id = made.json["qoss"]["qos"]["id"]
    assert svc.send("GET", f"{BASE}/qoss/{qos_id}").json["qoss"]["qos"][
        "description"
    ] == {"rate": "800"}
    assert svc.rows("SELECT count(*) FROM qos_policies")[0][0] == 1


# -- port profiles --------------------------------------------------------------------


def _profile(svc: Service, name: str = "pp", qos: str = "gold") -> str:
    made = svc.send(
        "POST",
        f"{BASE}/portprofiles",
        {"portprofile": {"portprofile_name": name, "qos_name": qos}},
    )
    assert made.status == "200 OK"
    return str(made.json["portprofiles"]["portprofile"]["id"])


def test_port_profile_lifecycle(svc: Service) -> None:
    pp = _profile(svc)
    net = svc.network()
    port = svc.port(net)
    assert svc.send("GET", f"{BASE}/portprofiles").json == {
        "portprofiles": [{"id": pp}]
    }
    detail = {"id": pp, "name": "pp", "qos_name": "gold"}
    shown = svc.send("GET", f"{BASE}/portprofiles/{pp}")
    assert shown.json == {"portprofiles": {"portprofile": detail}}
    assoc = {"portprofile": {"network-id": net, "port-id": port}}
    done = svc.send("PUT", f"{BASE}/portprofiles/{pp}/associate_portprofile", assoc)
    assert done.status == "200 OK"
    assert done.headers["Content-Type"] == "text/plain; charset=UTF-8"
    shown = svc.send("GET", f"{BASE}/portprofiles/{pp}")
    assert shown.json["portprofiles"]["portprofile"]["assignment"] == [port]
    in_use = svc.send("DELETE", f"{BASE}/portprofiles/{pp}")
    assert in_use.status == "421 Portprofile In Use"
    assert list(in_use.json) == ["PortprofileInUse"]
    renamed = svc.send(
        "PUT",
        f"{BASE}/portprofiles/{pp}",
        {"portprofile": {"portprofile_name": "pp2", "qos_name": "gold"}},
    )
    assert renamed.json["portprofiles"]["portprofile"]["name"] == "pp2"
    bad_port = {"portprofile": {"network-id": net, "port-id": "nope"}}
    missing = svc.send(
        "PUT", f"{BASE}/portprofiles/{pp}/associate_portprofile", bad_port
    )
    assert missing.status == "430 Port not Found"
    assert missing.json == {
        "quantumServiceFault": {
            "code": 430,
            "message": "Unable to find a port with the specified identifier.",
        }
    }
    foreign_net = svc.network("t2")
    foreign = svc.send(
        "PUT",
        f"{BASE}/portprofiles/{pp}/associate_portprofile",
        {
            "portprofile": {
                "network-id": foreign_net,
                "port-id": svc.port(foreign_net, "t2"),
            }
        },
    )
    assert foreign.status == "420 Network not Found"
    assert (
        svc.send("GET", f"{BASE}/portprofiles/nope").status
        == "450 Portprofile Not Found"
    )
    done = svc.send("PUT", f"{BASE}/portprofiles/{pp}/disassociate_portprofile", assoc)
    assert done.status == "200 OK"
    assert (
        "assignment"
        not in svc.send("GET", f"{BASE}/portprofiles/{pp}").json["portprofiles"][
            "portprofile"
        ]
    )
    assert svc.send("DELETE", f"{BASE}/portprofiles/{pp}").status == "200 OK"
    # Deleting a port drops its association with it.
    pp = _profile(svc)
    other = svc.port(net)
    svc.send(
        "PUT",
        f"{BASE}/portprofiles/{pp}/associate_portprofile",
        {"portprofile": {"network-id": net, "port-id": other}},
    )
    svc.send("DELETE", f"/v1.1/tenants/t1/networks/{net}/ports/{other}")
    assert svc.send("DELETE", f"{BASE}/portprofiles/{pp}").status == "200 OK"


def _agent_port(ovs: Service, vif: str) -> dict[str, Any]:
    state = ovs.send("POST", "/agent/v1/hosts/h1/state", {"iface_ids": [vif]}, **AGENT)
    assert state.status == "200 OK", state.body
    (port,) = state.json["ports"]
    return dict(port)


def test_a_port_profile_gives_its_port_the_qos_limit(ovs: Service) -> None:
    net = ovs.network()
    port = ovs.port(net, vif="vif-q")
    assert _agent_port(ovs, "vif-q")["qos"] is None
    qos = ovs.send(
        "POST",
        f"{BASE}/qoss",
        {"qos": {"qos_name": "gold", "qos_desc": {"rate": 2000, "burst": 200}}},
    ).json["qoss"]["qos"]["id"]
    pp = _profile(ovs, qos="gold")
    before = ovs.send("GET", "/agent/v1/changes", **AGENT).json["revision"]
    assoc = {"portprofile": {"network-id": net, "port-id": port}}
    ovs.send("PUT", f"{BASE}/portprofiles/{pp}/associate_portprofile", assoc)
    # NOTE: agents following the feed are woken by the association.
    assert ovs.send("GET", "/agent/v1/changes", **AGENT).json["revision"] > before
    assert _agent_port(ovs, "vif-q")["qos"] == {"rate_kbps": 2000, "burst_kb": 200}
    ovs.send("DELETE", f"{BASE}/qoss/{qos}")
    assert _agent_port(ovs, "vif-q")["qos"] is None
    ovs.send(
        "POST",
        f"{BASE}/qoss",
        {"qos": {"qos_name": "gold", "qos_desc": {"rate": 500}}},
    )
    assert _agent_port(ovs, "vif-q")["qos"] == {"rate_kbps": 500, "burst_kb": 0}
    ovs.send("PUT", f"{BASE}/portprofiles/{pp}/disassociate_portprofile", assoc)
    assert _agent_port(ovs, "vif-q")["qos"] is None


# -- credentials ----------------------------------------------------------------------


def test_credentials_encrypted_at_rest_and_never_logged(
    svc: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "hunter2-Zq9"
    body = {
        "credential": {
            "credential_name": "c1",
            "user_name": "admin",
            "password": password,
        }
    }
    made = svc.send("POST", f"{BASE}/credentials", body)
    assert made.status == "200 OK"
    cred = made.json["credentials"]["credential"]["id"]
    assert made.json == {"credentials": {"credential": {"id": cred}}}
    assert svc.send("GET", f"{BASE}/credentials").json == {
        "credentials": [{"id": cred}]
    }
    shown = svc.send("GET", f"{BASE}/credentials/{cred}")
    assert shown.json == {
        "credentials": {
            "credential": {"id": cred, "name": "admin", "password": password}
        }
    }
    xml = svc.send("GET", f"{BASE}/credentials/{cred}.xml")
    assert (
        xml.body
        == (
            f'<credentials><credential id="{cred}" name="admin">'
            f"<password>{password}</password></credential></credentials>"
        ).encode()
    )
    ((name, user, token),) = svc.rows(
        "SELECT name, user_name, password_token FROM credentials"
    )
    assert (name, user) == ("c1", "admin")
    assert password not in token
    assert Fernet(KEY.encode()).decrypt(token.encode()).decode() == password
    body["credential"]["credential_name"] = "c2"
    body["credential"]["password"] = "ignored"
    renamed = svc.send("PUT", f"{BASE}/credentials/{cred}", body)
    assert renamed.json["credentials"]["credential"]["password"] == password
    assert svc.rows("SELECT name FROM credentials")[0][0] == "c2"
    assert svc.send(
        "GET", f"/v1.1/extensions/csco/tenants/t2/credentials/{cred}"
    ).status == ("451 Credential Not Found")
    assert svc.send("DELETE", f"{BASE}/credentials/{cred}").status == "200 OK"
    gone = svc.send("DELETE", f"{BASE}/credentials/{cred}")
    assert gone.json == {
        "CredentialNotFound": {
            "code": 451,
            "message": "Unable to find a Credential with the specified identifier.",
        }
    }
    assert password not in caplog.text


def test_a_bad_credential_key_stops_the_start(tmp_path: Path) -> None:
    config = write_config(tmp_path, core_plugin="sql", credential_key="not-a-key")
    with pytest.raises(ConfigError, match="credential_key in \\[DEFAULT\\]"):
        load_app(load_settings(config))


# -- multiport ------------------------------------------------------------------------


def test_multiport_creates_all_or_nothing(svc: Service) -> None:
    a, b = svc.network(), svc.network()
    made = svc.send(
        "POST",
        f"{BASE}/multiport",
        {"multiport": {"net_id_list": [a, b], "status": "ACTIVE", "ports_desc": {}}},
    )
    assert made.status == "200 OK"
    ids = [p["id"] for p in made.json["ports"]]
    assert len(ids) == 2
    for net, port in zip((a, b), ids, strict=True):
        shown = svc.send("GET", f"/v1.1/tenants/t1/networks/{net}/ports/{port}")
        assert shown.json["port"]["state"] == "ACTIVE"
    foreign = svc.network("t2")
    refused = svc.send(
        "POST",
        f"{BASE}/multiport",
        {
            "multiport": {
                "net_id_list": [a, foreign],
                "status": "DOWN",
                "ports_desc": {},
            }
        },
    )
    assert refused.status == "420 Network not Found"
    assert (
        len(svc.send("GET", f"/v1.1/tenants/t1/networks/{a}/ports").json["ports"]) == 1
    )
    bad = svc.send(
        "POST",
        f"{BASE}/multiport",
        {"multiport": {"net_id_list": [a], "status": "UP", "ports_desc": {}}},
    )
    assert bad.status == "431 Requested State Invalid"
    xml = svc.client.request(
        "POST",
        f"{BASE}/multiport.xml",
        f"<multiport><net_id_list>{b}</net_id_list><status>DOWN</status>"
        "<ports_desc/></multiport>",
        XML_CT,
    )
    assert xml.status == "200 OK", xml.body
    assert xml.body.startswith(b'<ports><port id="')
    assert svc.send("GET", f"{BASE}/multiport").status_int == 404


# -- novatenant -----------------------------------------------------------------------


def test_novatenant_actions(ovs: Service) -> None:
    desc = {"user_id": "u1", "project_id": "t1", "vif_id": "vif-n"}
    body = {"novatenant": {"instance_id": 1, "instance_desc": desc}}
    hosts = ovs.send("PUT", f"{BASE}/novatenants/any/schedule_host", body)
    assert hosts.json == {"host_list": {}}
    for host in ("h2", "h1"):
        registered = ovs.send(
            "POST",
            f"/agent/v1/hosts/{host}",
            {"tunnel_ip": None, "tunnel_types": [], "agent_version": "1"},
            **AGENT,
        )
        assert registered.status == "200 OK"
    hosts = ovs.send("PUT", f"{BASE}/novatenants/any/schedule_host", body)
    assert hosts.json == {"host_list": {"host_1": "h1", "host_2": "h2"}}
    unplugged = ovs.send("PUT", f"{BASE}/novatenants/x/associate_port", body)
    assert unplugged.json == {
        "vif_desc": {
            "vif_id": "vif-n",
            "instance_id": "1",
            "port_id": None,
            "network_id": None,
        }
    }
    net = ovs.network()
    port = ovs.port(net, vif="vif-n")
    plugged = ovs.send("PUT", f"{BASE}/novatenants/x/associate_port", body)
    assert plugged.json["vif_desc"]["port_id"] == port
    assert plugged.json["vif_desc"]["network_id"] == net
    detached = ovs.send("PUT", f"{BASE}/novatenants/x/detach_port", body)
    assert detached.json == {"result": True}
    again = ovs.send("PUT", f"{BASE}/novatenants/x/detach_port", body)
    assert again.status == "453 Nova tenant Not Found"
    no_vif = {"novatenant": {"instance_id": 1, "instance_desc": {"user_id": "u"}}}
    assert (
        ovs.send("PUT", f"{BASE}/novatenants/x/associate_port", no_vif).status_int
        == 400
    )
    dummy = ovs.send("GET", f"{BASE}/novatenants/x")
    assert dummy.body == b"novatenant is a dummy resource"
    assert dummy.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert ovs.send("GET", f"{BASE}/novatenants").status_int == 404


# -- port statistics ------------------------------------------------------------------


def test_port_statistics_as_the_agent_reported_them(ovs: Service) -> None:
    net = ovs.network()
    port = ovs.port(net, vif="vif-s")
    url = f"/v1.0/extensions/ovs/tenants/t1/networks/{net}/ports/{port}/stats"
    zeros = dict.fromkeys(
        ("rx_bytes", "rx_packets", "rx_errors", "tx_bytes", "tx_packets", "tx_errors"),
        0,
    )
    assert ovs.send("GET", url).json == {"stats": zeros}
    counters = {
        "rx_packets": 10, "rx_bytes": 1500, "rx_errors": 1,
        "tx_packets": 20, "tx_bytes": 3000, "tx_errors": 2,
    }  # fmt: skip
    report = {
        "ports": [{"port_id": port, **counters}, {"port_id": "ghost", **counters}]
    }
    done = ovs.send("POST", "/agent/v1/hosts/h1/counters", report, **AGENT)
    assert done.status_int == 204
    assert ovs.send("GET", url + ".json").json == {"stats": counters}
    assert ovs.send("GET", url + "/anything").json == {"stats": counters}
    xml = ovs.send("GET", url.replace("/v1.0/", "/v1.1/") + ".xml")
    assert xml.body == (
        b'<stats rx_bytes="1500" rx_errors="1" rx_packets="10" tx_bytes="3000" '
        b'tx_errors="2" tx_packets="20"/>'
    )
    bad = ovs.send(
        "POST", "/agent/v1/hosts/h1/counters", {"ports": [{"port_id": port}]}, **AGENT
    )
    assert bad.status_int == 400
    missing = ovs.send("GET", url.replace(port, "nope"))
    assert missing.status == "430 portNotFound"
    assert missing.json["portNotFound"]["code"] == 430
    foreign = ovs.send("GET", url.replace("/t1/", "/t2/"))
    assert foreign.status == "420 networkNotFound"
    # Deleting the port deletes its counters.
    ovs.send("DELETE", f"/v1.1/tenants/t1/networks/{net}/ports/{port}/attachment")
    ovs.send("DELETE", f"/v1.1/tenants/t1/networks/{net}/ports/{port}")
    assert ovs.rows("SELECT count(*) FROM port_statistics")[0][0] == 0


def test_the_sql_plugin_has_no_port_statistics(scratch_dir: Path) -> None:
    sql = _service("sql-sqlite", scratch_dir)
    net = sql.network()
    port = sql.port(net)
    url = f"/v1.0/extensions/ovs/tenants/t1/networks/{net}/ports/{port}/stats"
    assert sql.send("GET", url).status_int == 404


# -- authorization --------------------------------------------------------------------


def test_another_tenants_extension_resources_do_not_exist(scratch_dir: Path) -> None:
    """As a keystone token would set it: the caller's project is not the URL's."""
    sql = _service("sql-sqlite", scratch_dir)
    made = sql.send("POST", f"{BASE}/qoss", {"qos": {"qos_name": "q", "qos_desc": {}}})
    qos_id = made.json["qoss"]["qos"]["id"]
    service = service_for(
        {"config_file": str(scratch_dir / "sql-sqlite-key" / "quantum.conf")}
    )
    guarded = ExtensionsFilter(
        lambda environ, start: not_found(Request(environ))(environ, start),
        service.extensions,
        V1_1,
        10_000,
        policy=service.policy,
    )

    def as_caller(context: RequestContext, method: str = "GET") -> Response:
        request = Request.blank(
            f"/extensions/csco/tenants/t1/qoss/{qos_id}", method=method
        )
        request.environ[ENVIRON_KEY] = context
        return request.get_response(guarded)

    stranger = as_caller(RequestContext(project_id="t2"))
    assert stranger.status == "404 Not Found"
    assert (
        as_caller(RequestContext(project_id="t2"), "DELETE").status == "404 Not Found"
    )
    assert as_caller(RequestContext()).status == "404 Not Found"
    assert as_caller(RequestContext(project_id="t1")).status == "200 OK"
    assert (
        as_caller(RequestContext(project_id="t9", roles=frozenset({"admin"}))).status
        == "200 OK"
    )
    assert sql.send("GET", f"{BASE}/qoss/{qos_id}").status == "200 OK"  # not deleted


@pytest.mark.parametrize(
    "body",
    [
        b'{"qos": {"qos_name": "\\ud800", "qos_desc": {}}}',
        b'{"qos": {"qos_name": "a\\u0000b", "qos_desc": {}}}',
    ],
)
def test_a_name_no_back_end_can_store_is_a_400(svc: Service, body: bytes) -> None:
    # NOTE: a lone surrogate has no UTF-8 form, PostgreSQL holds no NUL: the one
    # rule of quantum/core/text.py, as for every other door.
    made = svc.send("POST", f"{BASE}/qoss", body, **JSON)
    assert made.status_int == 400, made.body
    assert svc.send("GET", f"{BASE}/qoss").json == {"qoss": []}
    good = b'{"qos": {"qos_name": "\\ud83d\\ude00", "qos_desc": {}}}'
    assert svc.send("POST", f"{BASE}/qoss", good, **JSON).status_int == 200


@pytest.mark.parametrize("kind", ["sql-postgresql", "openvswitch-postgresql"])
def test_text_no_back_end_can_store_is_refused_at_the_edge_with_a_400(
    scratch_dir: Path, kind: str
) -> None:
    """PostgreSQL can neither store nor compare a NUL: the extensions' edge
    (``ExtensionCall.body`` and the URL's ids in ``ExtensionsFilter``) answers 400
    in the extension's own fault dialect before any store sees it; the stores
    below (quantum/plugins/extras) no longer ask. Each refusal has its positive
    control: the same request with clean text succeeds."""
    svc = _service(kind, scratch_dir)
    net = svc.network()
    port = svc.port(net, vif="vif-e")
    pp = _profile(svc)
    made = svc.send("POST", f"{BASE}/qoss", {"qos": {"qos_name": "q", "qos_desc": {}}})
    qos = made.json["qoss"]["qos"]["id"]
    cred_body = {
        "credential": {"credential_name": "c", "user_name": "u", "password": "p"}
    }
    cred = svc.send("POST", f"{BASE}/credentials", cred_body).json["credentials"]
    cred = cred["credential"]["id"]
    desc = {"user_id": "u1", "project_id": "t1", "vif_id": "vif-e"}
    nova = {"novatenant": {"instance_id": "i1", "instance_desc": desc}}
    nul_desc = {**desc, "vif_id": "vif\x00e"}
    nul_nova = {"novatenant": {"instance_id": "i1", "instance_desc": nul_desc}}
    assoc = {"portprofile": {"network-id": net, "port-id": port}}
    nul_assoc = {"portprofile": {"network-id": net, "port-id": f"{port}\x00"}}
    nul_base = "/v1.1/extensions/csco/tenants/t%00x"
    multi = {"multiport": {"net_id_list": [net], "status": "ACTIVE", "ports_desc": {}}}
    cases = [
        # (method, refused path, refused body, the clean path, the clean body)
        ("GET", f"{BASE}/qoss/a%00b", None, f"{BASE}/qoss/{qos}", None),
        ("GET", f"{nul_base}/qoss", None, f"{BASE}/qoss", None),
        ("GET", f"{BASE}/portprofiles/a%00b", None, f"{BASE}/portprofiles/{pp}", None),
        (
            "PUT",
            f"{BASE}/portprofiles/{pp}/associate_portprofile",
            nul_assoc,
            f"{BASE}/portprofiles/{pp}/associate_portprofile",
            assoc,
        ),
        ("GET", f"{BASE}/credentials/a%00b", None, f"{BASE}/credentials/{cred}", None),
        (
            "PUT",
            f"{BASE}/novatenants/x/associate_port",
            nul_nova,
            f"{BASE}/novatenants/x/associate_port",
            nova,
        ),
        (
            "PUT",
            f"{nul_base}/novatenants/x/detach_port",
            nova,
            f"{BASE}/novatenants/x/detach_port",
            nova,
        ),
        ("POST", f"{nul_base}/multiport", multi, f"{BASE}/multiport", multi),
        ("DELETE", f"{BASE}/qoss/a%00b", None, f"{BASE}/qoss/{qos}", None),
    ]
    for method, path, body, clean_path, clean_body in cases:
        refused = svc.send(method, path, body if body is not None else None)
        assert refused.status_int == 400, (method, path, refused.status, refused.body)
        ((_, fault),) = refused.json.items()  # the Cisco fault body
        assert fault["code"] == 400, refused.json
        done = svc.send(method, clean_path, clean_body)
        assert done.status_int == 200, (method, clean_path, done.status, done.body)
