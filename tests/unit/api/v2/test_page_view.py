# SPDX-License-Identifier: Apache-2.0
"""``compile_page_view``: a list's ports rendered from the store's rows
(``PORT_SHAPE``) are the bodies the items' view renders, for every set of the
extensions that add port attributes, every ``fields=`` and what policy hides;
and what the rows cannot render is said, not guessed."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime
from ipaddress import ip_address
from typing import Any

import pytest

from quantum.api.v2.attributes import (
    Extend,
    Field,
    NotFromRows,
    Resource,
    compile_page_view,
    compile_view,
    wire,
)
from quantum.api.v2.catalog import ALWAYS, EVERYTHING, EXTENSIONS, catalog
from quantum.api.wire import encode_json_fast
from quantum.core.ports import Port
from quantum.core.subnets import FixedIP
from quantum.db.models import NO_DEAD_AGENTS, PORT_FIELDS, PORT_SHAPE, port_of


class OvsPlugin:
    vif_type = "ovs"


class PlainPlugin:
    """A plugin without agents (``binding:vif_type`` ``unbound``)."""


PORT_ALIASES = sorted(e.descriptor.alias for e in EXTENSIONS if "port" in e.extends)
"""The extensions that add port attributes."""

AT = datetime(2026, 12, 7, 15, 0, 1, 250000)
LATER = datetime(2026, 12, 7, 16, 30, 0)
IPS = (
    FixedIP(subnet_id="s4", ip_address=ip_address("10.0.0.2")),
    FixedIP(subnet_id="s6", ip_address=ip_address("fd00::2")),
)


def _row(**values: Any) -> tuple[Any, ...]:
    stored = {
        "id": "p0",
        "network_id": "n0",
        "tenant_id": "acme",
        "admin_state_up": True,
        "status": "UP",
        "attachment": None,
        "name": "",
        "mac_address": "fa:16:3e:00:00:01",
        "device_id": "",
        "device_owner": "",
        "binding_host_id": "",
        "binding_profile": None,
        "status_reason": "",
        "description": "",
        "created_at": AT,
        "updated_at": None,
        "revision_number": 1,
        "tags": None,
        "port_security_enabled": True,
        "security_groups": None,
        "allowed_address_pairs": None,
        **values,
    }
    assert set(stored) == set(PORT_FIELDS)
    return tuple(stored[name] for name in PORT_FIELDS)


ROWS = [
    (_row(), ()),
    (_row(id="p1", status="DOWN", status_reason="no link"), IPS[:1]),
    (_row(id="p2", admin_state_up=False, name="ünïcode", description="d"), IPS),
    (
        _row(
            id="p3",
            binding_host_id="hv1",
            binding_profile='{"a": [1, {"b": null}]}',
            updated_at=LATER,
            revision_number=7,
            tags='["a", "z"]',
            security_groups='["g1", "g2"]',
            allowed_address_pairs='[["10.9.0.0/24", "fa:16:3e:00:00:09"]]',
        ),
        IPS[1:],
    ),
    # NOTE: bound to a host whose agent is dead (``DEAD``), administratively down.
    (_row(id="p4", binding_host_id="hv2", admin_state_up=False, mac_address=None), ()),
    (
        _row(
            id="p5",
            binding_host_id="hv2",
            status="PROVISIONING",
            port_security_enabled=False,
        ),
        IPS,
    ),
]
DEAD = {"hv2": datetime(2026, 12, 7, 14, 0, 0)}


def _items_body(resource: Resource, plugin: Any, shown: Any, dead: Any) -> bytes:
    """What a list showed before: each row's port, through the items' view."""
    view = compile_view(resource, plugin, frozenset(shown), encoded=True)
    ports = [port_of(values, ips, dead) for values, ips in ROWS]
    return encode_json_fast([view(p) for p in ports], wire)


def _page_body(resource: Resource, plugin: Any, shown: Any, dead: Any) -> bytes:
    view = compile_page_view(resource, plugin, PORT_SHAPE, shown)
    return encode_json_fast(view(ROWS, dead), wire)


def _port(aliases: Any) -> Resource:
    (port,) = (r for r in catalog(aliases).resources if r.name == "port")
    return port


@pytest.mark.parametrize(
    "aliases",
    [
        frozenset(chosen)
        for n in range(len(PORT_ALIASES) + 1)
        for chosen in itertools.combinations(PORT_ALIASES, n)
        if ALWAYS & set(PORT_ALIASES) <= set(chosen) or n in (0, len(PORT_ALIASES))
    ],
)
@pytest.mark.parametrize("plugin", [OvsPlugin(), PlainPlugin()])
@pytest.mark.parametrize("dead", [NO_DEAD_AGENTS, DEAD])
def test_a_page_of_rows_shows_what_the_ports_view_shows(
    aliases: frozenset[str], plugin: Any, dead: Any
) -> None:
    port = _port(aliases)
    visible = [f.name for f in port.fields if f.visible]
    admin_only = {f.name for f in port.fields if f.admin_only}
    for shown in (visible, [n for n in visible if n not in admin_only]):
        assert _page_body(port, plugin, shown, dead) == _items_body(
            port, plugin, shown, dead
        )
    # NOTE: every attribute alone, as fields= asks (the page's keys in its order).
    for name in visible:
        assert _page_body(port, plugin, [name], dead) == _items_body(
            port, plugin, [name], dead
        )


def test_fields_order_the_keys_as_asked_each_once() -> None:
    port = _port(EVERYTHING_ALIASES)
    view = compile_page_view(port, OvsPlugin(), PORT_SHAPE, ["status", "id", "status"])
    assert [list(v) for v in view(ROWS[:1], NO_DEAD_AGENTS)] == [["status", "id"]]


EVERYTHING_ALIASES = frozenset(e.descriptor.alias for e in EXTENSIONS)


def test_every_port_attribute_of_every_extension_renders_from_the_rows() -> None:
    """NOTE: a new port attribute needs an expression of ``PORT_SHAPE`` (or a
    ``show``/``per_plugin`` hook); a render hook reading the item would list
    every port as an item again, which this says."""
    (port,) = (r for r in EVERYTHING.resources if r.name == "port")
    view = compile_page_view(port, OvsPlugin(), PORT_SHAPE)
    assert len(view(ROWS, DEAD)) == len(ROWS)


def test_the_shape_makes_every_attribute_of_a_port() -> None:
    assert set(PORT_SHAPE.attrs) == {f.name for f in dataclasses.fields(Port)}
    assert PORT_SHAPE.columns == PORT_FIELDS


def test_port_of_applies_the_dead_agents_report() -> None:
    alive = port_of(ROWS[4][0], ())
    assert (alive.status.value, alive.status_reason) == (
        "DOWN",
        "administratively down",
    )
    dead = port_of(ROWS[4][0], (), DEAD)
    assert dead.status.value == "UP"
    assert dead.status_reason.startswith("the agent of host hv2 is not alive (last")


def test_what_the_rows_cannot_render_is_refused() -> None:
    port = _port(EVERYTHING_ALIASES)
    # positive control: the same resource renders
    compile_page_view(port, OvsPlugin(), PORT_SHAPE)
    reads_item = port.extended(
        Extend(
            fields=(
                Field(
                    name="x",
                    attr=None,
                    render=lambda item, plugin: 1,
                    sortable=False,
                    filterable=False,
                ),
            )
        )
    )
    with pytest.raises(NotFromRows, match="x: its render hook reads the item"):
        compile_page_view(reads_item, OvsPlugin(), PORT_SHAPE)
    not_stored = port.extended(Extend(fields=(Field(name="qos_policy_id"),)))
    with pytest.raises(NotFromRows, match="the rows hold no qos_policy_id"):
        compile_page_view(not_stored, OvsPlugin(), PORT_SHAPE)
    # ... unless fields= leaves it out
    compile_page_view(not_stored, OvsPlugin(), PORT_SHAPE, ["id", "name"])


def test_a_field_has_one_hook_at_most() -> None:
    with pytest.raises(ValueError, match="one of render, show and per_plugin"):
        Field(name="x", show=str, per_plugin=str)
