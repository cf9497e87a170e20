# SPDX-License-Identifier: Apache-2.0
"""Networks (spec §6.1-6.7, §8): status codes and view shapes per version and format."""

from __future__ import annotations

import pytest

from tests.api.v1client import NETWORK_IN_USE, NETWORK_NOT_FOUND, V1, Fmt


def _net_attrs(v: V1, net: str, name: str) -> str:
    status = ' op-status="UP"' if v.op_status else ""
    return f'id="{net}" name="{name}"{status} xmlns="{v.version.xmlns}"'


def _op(v: V1, status: str = "UP") -> dict[str, str]:
    return {"op-status": status} if v.op_status else {}


def test_create_returns_only_the_id(wire: V1) -> None:
    response = wire.call("POST", "/networks", {"network": {"name": "n1"}})
    assert response.status == wire.version.create_status
    assert response.headers["Content-Type"] == wire.fmt.media_type
    (net,) = wire.data(response)["network"].values()
    if wire.fmt is Fmt.XML:
        assert (
            response.body
            == f'<network id="{net}" xmlns="{wire.version.xmlns}"/>'.encode()
        )
    else:
        assert response.json == {"network": {"id": net}}
    assert wire.ok(wire.get(f"/networks/{net}"))["network"]["id"] == net


def test_show(wire: V1) -> None:
    net = wire.create_network("n1")
    response = wire.get(f"/networks/{net}")
    assert wire.ok(response) == {"network": {"id": net, "name": "n1", **_op(wire)}}
    if wire.fmt is Fmt.XML:
        assert response.body == f"<network {_net_attrs(wire, net, 'n1')}/>".encode()


def test_lists_show_ids_and_detail_lists_add_name_and_status(wire: V1) -> None:
    first, second = wire.create_network("n1"), wire.create_network("n2")
    listed = wire.ok(wire.get("/networks"))["networks"]
    assert sorted(listed, key=lambda n: n["id"]) == sorted(
        [{"id": first}, {"id": second}], key=lambda n: n["id"]
    )
    detailed = wire.ok(wire.get("/networks/detail"))["networks"]
    assert sorted(detailed, key=lambda n: n["name"]) == [
        {"id": first, "name": "n1", **_op(wire)},
        {"id": second, "name": "n2", **_op(wire)},
    ]


def test_list_xml_bytes(xml: V1) -> None:
    ns = xml.version.xmlns
    assert xml.get("/networks").body == f'<networks xmlns="{ns}"/>'.encode()
    assert xml.get("/networks/detail").body == f'<networks xmlns="{ns}"/>'.encode()
    net = xml.create_network("n1")
    assert xml.get("/networks").body == (
        f'<networks xmlns="{ns}"><network id="{net}"/></networks>'.encode()
    )
    status = ' op-status="UP"' if xml.op_status else ""
    assert (
        xml.get("/networks/detail").body
        == (
            f'<networks xmlns="{ns}"><network id="{net}" name="n1"{status}/></networks>'
        ).encode()
    )


def test_unknown_tenant_has_empty_lists(v1: V1) -> None:
    v1.create_network()
    stranger = v1.as_tenant("nobody-at-all")
    assert v1.ok(stranger.get("/networks")) == {"networks": []}
    assert v1.ok(stranger.get("/networks/detail")) == {"networks": []}


def test_show_detail_adds_ports_with_their_attachments(wire: V1) -> None:
    net = wire.create_network("n1")
    plugged = wire.create_port(net, "ACTIVE")
    wire.plug(net, plugged, "vif-1")
    idle = wire.create_port(net)
    op = _op(wire, wire.api.port_status)
    body = wire.ok(wire.get(f"/networks/{net}/detail"))["network"]
    ports = sorted(body.pop("ports"), key=lambda p: p["id"] != plugged)
    assert ports == [
        {"id": plugged, "state": "ACTIVE", **op, "attachment": {"id": "vif-1"}},
        {"id": idle, "state": "DOWN", **op},
    ]
    assert body == {"id": net, "name": "n1", **_op(wire)}


def test_show_detail_xml_bytes(xml: V1) -> None:
    net = xml.create_network("n1")
    assert xml.get(f"/networks/{net}/detail").body == (
        f"<network {_net_attrs(xml, net, 'n1')}><ports/></network>".encode()
    )
    port = xml.create_port(net, "ACTIVE")
    xml.plug(net, port, "vif-1")
    op = f' op-status="{xml.api.port_status}"' if xml.op_status else ""
    assert (
        xml.get(f"/networks/{net}/detail").body
        == (
            f"<network {_net_attrs(xml, net, 'n1')}><ports>"
            f'<port id="{port}"{op} state="ACTIVE"><attachment id="vif-1"/></port>'
            "</ports></network>"
        ).encode()
    )


def test_rename(wire: V1) -> None:
    net = wire.create_network("old")
    response = wire.call("PUT", f"/networks/{net}", {"network": {"name": "new"}})
    assert response.status == "204 No Content"
    assert response.body == b""
    assert response.headers["Content-Type"] == wire.fmt.media_type
    assert wire.ok(wire.get(f"/networks/{net}"))["network"]["name"] == "new"


def test_rename_ignores_other_keys(v1: V1) -> None:
    net = v1.create_network("old")
    other = v1.create_network("other")
    body = {"network": {"name": "new", "id": other, "op-status": "DOWN", "x": 1}}
    assert v1.call("PUT", f"/networks/{net}", body).status_int == 204
    assert v1.ok(v1.get(f"/networks/{net}")) == {
        "network": {"id": net, "name": "new", **_op(v1)}
    }
    assert v1.ok(v1.get(f"/networks/{other}"))["network"]["name"] == "other"


def test_rename_unknown_network(v1: V1) -> None:
    response = v1.call("PUT", "/networks/A_BAD_ID", {"network": {"name": "x"}})
    v1.fails_with(response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found")


def test_show_unknown_network(v1: V1) -> None:
    for rel in ("/networks/A_BAD_ID", "/networks/A_BAD_ID/detail"):
        v1.fails_with(
            v1.get(rel), NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
        )


def test_empty_name_is_stored_as_null(wire: V1) -> None:
    net = wire.create_network("")
    assert wire.ok(wire.get(f"/networks/{net}"))["network"]["name"] == wire.expect(None)
    if wire.fmt is Fmt.XML:
        assert (
            f'<network id="{net}" name="None"'.encode()
            in wire.get(f"/networks/{net}").body
        )
    wire.call("PUT", f"/networks/{net}", {"network": {"name": "named"}})
    assert (
        wire.call("PUT", f"/networks/{net}", {"network": {"name": ""}}).status_int
        == 204
    )
    (listed,) = wire.ok(wire.get("/networks/detail"))["networks"]
    assert listed["name"] == wire.expect(None)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("123", "123"), ("-7", "-7"), ("1.5", "1.5"), ("1e3", "1000.0"), ("0", None)],
)
def test_a_number_as_name_is_stored_as_its_text(
    v1: V1, raw: str, stored: str | None
) -> None:
    # NOTE: as the original (a JSON number reached its string column); zero is a
    # false value, stored as null like the empty name.
    body = f'{{"network": {{"name": {raw}}}}}'
    response = v1.call("POST", "/networks", body)
    net = v1.ok(response, v1.version.create_status)["network"]["id"]
    assert v1.ok(v1.get(f"/networks/{net}"))["network"]["name"] == stored
    other = v1.create_network("x")
    assert v1.call("PUT", f"/networks/{other}", body).status_int == 204
    assert v1.ok(v1.get(f"/networks/{other}"))["network"]["name"] == stored


def test_names_need_not_be_unique_and_extra_keys_are_ignored(v1: V1) -> None:
    body = {"network": {"name": "same", "nova_id": "zone-1", "op-status": "DOWN"}}
    created = [v1.call("POST", "/networks", body) for _ in range(2)]
    ids = [v1.ok(r, v1.version.create_status)["network"]["id"] for r in created]
    assert ids[0] != ids[1]
    assert [n["name"] for n in v1.ok(v1.get("/networks/detail"))["networks"]] == [
        "same",
        "same",
    ]
    assert all(
        v1.ok(v1.get(f"/networks/{n}"))
        == {"network": {"id": n, "name": "same", **_op(v1)}}
        for n in ids
    )


def test_delete(v1: V1) -> None:
    net = v1.create_network()
    keep = v1.create_network()
    response = v1.call("DELETE", f"/networks/{net}")
    assert response.status == "204 No Content"
    assert response.body == b""
    assert v1.network_ids() == [keep]
    v1.fails_with(
        v1.get(f"/networks/{net}"),
        NETWORK_NOT_FOUND,
        f"Network {net} could not be found",
    )
    v1.fails_with(
        v1.call("DELETE", f"/networks/{net}"),
        NETWORK_NOT_FOUND,
        f"Network {net} could not be found",
    )


def test_delete_takes_unattached_ports_with_it(v1: V1) -> None:
    net = v1.create_network()
    v1.create_port(net)
    v1.create_port(net, "ACTIVE")
    assert v1.call("DELETE", f"/networks/{net}").status_int == 204
    v1.fails_with(
        v1.get(f"/networks/{net}/ports"),
        NETWORK_NOT_FOUND,
        f"Network {net} could not be found",
    )
    assert v1.network_ids() == []


def test_delete_refused_while_an_attachment_is_plugged(v1: V1) -> None:
    net = v1.create_network("busy")
    plugged, idle = v1.create_port(net), v1.create_port(net)
    v1.plug(net, plugged, "vif-1")
    before = v1.network(net)
    detail = (
        f"Unable to complete operation on network {net}. "
        "There is one or more attachments plugged into its ports."
    )
    v1.fails_with(v1.call("DELETE", f"/networks/{net}"), NETWORK_IN_USE, detail)
    after = v1.network(net)
    assert sorted(after.pop("ports"), key=str) == sorted(before.pop("ports"), key=str)
    assert after == before
    assert idle in v1.port_ids(net)
    # once unplugged the same network goes
    assert (
        v1.call("DELETE", f"/networks/{net}/ports/{plugged}/attachment").status_int
        == 204
    )
    assert v1.call("DELETE", f"/networks/{net}").status_int == 204
