# SPDX-License-Identifier: Apache-2.0
"""Request bodies (spec §5.3, §6): XML forms, text fidelity and the bad-input rules."""

from __future__ import annotations

import pytest

from tests.api.v1client import (
    FAKE_ONLY,
    V1,
    invalid_body,
    malformed_body,
    missing_body,
)


def _name(v: V1, net: str) -> object:
    return v.ok(v.get(f"/networks/{net}"))["network"]["name"]


def _too_long(field: str) -> str:
    return f"Invalid value for {field}: longer than 255 characters"


# -- names and ids the store must keep exactly -----------------------------------------

NAMES = [
    "réseau-ü",
    "网络 ネットワーク",
    "🚀 rocket",
    "  padded  ",
    "a\tb\nc\r\nd",
    "<&>\"'",
    "None",
    "x" * 255,
    "é" * 255,
    "🙂" * 255,
]


def test_names_round_trip(wire: V1) -> None:
    for name in NAMES:
        net = wire.create_network(name)
        assert _name(wire, net) == name, name
        (listed,) = (
            n
            for n in wire.ok(wire.get("/networks/detail"))["networks"]
            if n["id"] == net
        )
        assert listed["name"] == name
        renamed = name[::-1]
        assert (
            wire.call(
                "PUT", f"/networks/{net}", {"network": {"name": renamed}}
            ).status_int
            == 204
        )
        assert _name(wire, net) == renamed


def test_json_escapes_and_raw_utf8_are_the_same_name(v1: V1) -> None:
    escaped = v1.call(
        "POST", "/networks", b'{"network": {"name": "r\\u00e9seau \\ud83d\\ude80"}}'
    )
    raw = v1.call("POST", "/networks", '{"network": {"name": "réseau 🚀"}}'.encode())
    for response in (escaped, raw):
        (net,) = v1.ok(response, v1.version.create_status)["network"].values()
        assert _name(v1, net) == "réseau 🚀"


def test_xml_responses_are_utf8(xml: V1) -> None:
    net = xml.create_network("réseau 🚀")
    assert 'name="réseau 🚀"'.encode() in xml.get(f"/networks/{net}").body


def test_names_longer_than_255_characters_are_refused(v1: V1) -> None:
    for name in ("x" * 256, "é" * 256, "🙂" * 256):
        response = v1.call("POST", "/networks", {"network": {"name": name}})
        v1.fault(response, invalid_body(v1.version, _too_long("name")))
    net = v1.create_network("kept")
    response = v1.call("PUT", f"/networks/{net}", {"network": {"name": "y" * 256}})
    v1.fault(response, invalid_body(v1.version, _too_long("name")))
    assert v1.ok(v1.get("/networks/detail")) == {
        "networks": [
            {"id": net, "name": "kept", **({"op-status": "UP"} if v1.op_status else {})}
        ]
    }


def test_attachment_ids_longer_than_255_characters_are_refused(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    rel = f"/networks/{net}/ports/{port}/attachment"
    response = v1.call("PUT", rel, {"attachment": {"id": "v" * 256}})
    v1.fault(response, invalid_body(v1.version, _too_long("id")))
    assert v1.ok(v1.get(rel)) == {"attachment": {}}
    v1.plug(net, port, "é" * 255)
    assert v1.ok(v1.get(rel)) == {"attachment": {"id": "é" * 255}}


def test_tenant_ids_longer_than_255_characters_cannot_own_networks(v1: V1) -> None:
    long_tenant = v1.as_tenant("t" * 256)
    response = long_tenant.call("POST", "/networks", {"network": {"name": "n"}})
    v1.fault(response, invalid_body(v1.version, _too_long("tenant_id")))
    assert long_tenant.network_ids() == []
    assert v1.as_tenant("t" * 255).create_network()


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01b", "\x1b[31m", "a\ud800b", "\uffff"])
def test_text_the_wire_cannot_carry_is_refused(v1: V1, bad: str) -> None:
    """NUL, other C0 controls, lone surrogates and non-characters: no store and
    no XML response can carry them, so they are refused rather than mangled."""
    response = v1.call("POST", "/networks", {"network": {"name": bad}})
    assert response.status == "400 Bad Request"
    assert "name" in response.json[next(iter(response.json))]["detail"]
    net = v1.create_network()
    port = v1.create_port(net)
    rel = f"/networks/{net}/ports/{port}/attachment"
    response = v1.call("PUT", rel, {"attachment": {"id": bad}})
    assert response.status == "400 Bad Request"
    assert v1.network_ids() == [net]
    assert v1.ok(v1.get(rel)) == {"attachment": {}}


# -- XML request forms -----------------------------------------------------------------

XML_NETWORKS = [
    '<network name="n1"/>',
    "<network><name>n1</name></network>",
    '<?xml version="1.0" encoding="UTF-8"?>\n<network name="n1"/>',
    '<network xmlns="http://openstack.org/quantum/api/v1.1"><name>n1</name></network>',
    '<network xmlns="urn:anything" name="n1"/>',
    "<network>\n  <name>n1</name>\n  <nova_id>zone</nova_id>\n</network>",
    '<network name="n1">\n</network>',
    '<network name="n1">   </network>',
]


@FAKE_ONLY
@pytest.mark.parametrize("body", XML_NETWORKS)
def test_xml_network_forms(xml: V1, body: str) -> None:
    response = xml.call("POST", "/networks", body)
    (net,) = xml.ok(response, xml.version.create_status)["network"].values()
    assert _name(xml, net) == "n1"
    assert (
        xml.call("PUT", f"/networks/{net}", body.replace("n1", "n2")).status_int == 204
    )
    assert _name(xml, net) == "n2"


@FAKE_ONLY
def test_xml_empty_name_forms_mean_null(xml: V1) -> None:
    for body in (
        '<network name=""/>',
        "<network><name></name></network>",
        "<network><name/></network>",
    ):
        response = xml.call("POST", "/networks", body)
        (net,) = xml.ok(response, xml.version.create_status)["network"].values()
        assert _name(xml, net) == "None"


@FAKE_ONLY
@pytest.mark.parametrize(
    ("body", "state"),
    [
        ('<port state="ACTIVE"/>', "ACTIVE"),
        ("<port><state>ACTIVE</state></port>", "ACTIVE"),
        ('<port state="ACTIVE">\n</port>', "ACTIVE"),
        ("<port/>", "DOWN"),
        ("<port></port>", "DOWN"),
        ("<port>\n</port>", "DOWN"),
        ('<port state=""/>', "DOWN"),
        ("<port><state/></port>", "DOWN"),
    ],
)
def test_xml_port_forms(xml: V1, body: str, state: str) -> None:
    net = xml.create_network()
    response = xml.call("POST", f"/networks/{net}/ports", body)
    (port,) = xml.ok(response, xml.version.create_status)["port"].values()
    assert xml.ok(xml.get(f"/networks/{net}/ports/{port}"))["port"]["state"] == state
    # an update with the same body sets the same state (a missing state means DOWN)
    xml.call("PUT", f"/networks/{net}/ports/{port}", '<port state="ACTIVE"/>')
    assert xml.call("PUT", f"/networks/{net}/ports/{port}", body).status_int == 204
    assert xml.ok(xml.get(f"/networks/{net}/ports/{port}"))["port"]["state"] == state


@FAKE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        '<attachment id="vif-1"/>',
        "<attachment><id>vif-1</id></attachment>",
        '<attachment id="vif-1">\n</attachment>',
    ],
)
def test_xml_attachment_forms(xml: V1, body: str) -> None:
    net = xml.create_network()
    port = xml.create_port(net)
    rel = f"/networks/{net}/ports/{port}/attachment"
    assert xml.call("PUT", rel, body).status_int == 204
    assert xml.ok(xml.get(rel)) == {"attachment": {"id": "vif-1"}}


@FAKE_ONLY
def test_deeply_nested_xml_is_malformed_not_a_crash(xml: V1) -> None:
    body = "<network>" + "<a>" * 5000 + "</a>" * 5000 + "</network>"
    response = xml.call("POST", "/networks", body)
    xml.fault(response, malformed_body(xml.version))
    assert xml.network_ids() == []


# -- form posts ------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


@FAKE_ONLY
@pytest.mark.parametrize(
    "ctype", [FORM, "multipart/form-data", FORM + "; charset=UTF-8"]
)
def test_a_document_posted_as_a_form_is_malformed(wire: V1, ctype: str) -> None:
    # NOTE: the original's router read every form POST's body as a form; the API then
    # saw the form's fields, not the JSON or XML document, and answered 400.
    body = wire.encode({"network": {"name": "n"}})
    net = wire.create_network("kept")
    for path in (f"{wire.url('/networks')}", f"{wire.url(f'/networks/{net}/ports')}"):
        response = wire.api.request("POST", path, body, {"Content-Type": ctype})
        wire.fault(response, malformed_body(wire.version))
    assert wire.network_ids() == [net]
    assert wire.port_ids(net) == []
    # NOTE: positive control: the same body with its own Content-Type creates
    response = wire.api.request(
        "POST", wire.url("/networks"), body, {"Content-Type": wire.fmt.media_type}
    )
    assert response.status == wire.version.create_status


@FAKE_ONLY
def test_an_empty_form_is_no_body(v1: V1) -> None:
    form = {"Content-Type": FORM}
    created = v1.api.request("POST", v1.url("/networks"), b"&", form)
    v1.fault(created, missing_body(v1.version))
    net = v1.create_network("n")
    port = v1.api.request("POST", v1.url(f"/networks/{net}/ports"), b"", form)
    assert port.status == v1.version.create_status


@FAKE_ONLY
def test_a_put_is_never_read_as_a_form(v1: V1) -> None:
    net = v1.create_network("old")
    response = v1.api.request(
        "PUT",
        v1.url(f"/networks/{net}"),
        b'{"network": {"name": "new"}}',
        {"Content-Type": FORM},
    )
    assert response.status == "204 No Content"
    assert _name(v1, net) == "new"
