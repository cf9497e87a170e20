# SPDX-License-Identifier: Apache-2.0
"""Extensions contribute attributes (``quantum.api.v2.extensions``): served only when
the plugin supports the extension. The SQL plugin has no segments, so it does not
serve ``provider``: its attributes are unknown there (refused in a body, ignored as
a filter, never shown); the Open vSwitch plugin serves them."""

from __future__ import annotations

from pathlib import Path

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field, Resource, string
from quantum.api.v2.catalog import catalog
from tests.api.v2.client import ADMIN, V2
from tests.conftest import make_api

LOCAL = {"provider:network_type": "local", "tenant_id": "acme"}


def _aliases(v2: V2) -> set[str]:
    return {e["alias"] for e in v2.get("/extensions").json["extensions"]}


def test_an_unsupported_extensions_attributes_are_neither_accepted_nor_shown(
    scratch_dir: Path, tmp_path: Path
) -> None:
    api = make_api("sql-sqlite", scratch_dir, tmp_path)
    sql = V2(api.client, api.plugin)
    assert "provider" not in _aliases(sql)
    refused = sql.post("/networks", {"network": LOCAL}, ADMIN)
    assert refused.status_int == 400
    assert refused.json["NeutronError"]["type"] == "InvalidInput"
    assert "provider:network_type" in refused.json["NeutronError"]["message"]
    net = sql.network(ADMIN, tenant_id="acme")
    assert not [k for k in net if k.startswith("provider:")]
    shown = sql.get(f"/networks/{net['id']}", ADMIN).json["network"]
    assert not [k for k in shown if k.startswith("provider:")]
    changed = sql.put(f"/networks/{net['id']}", {"network": LOCAL}, ADMIN)
    assert changed.status_int == 400
    # NOTE: a filter on an attribute the API does not serve is ignored (spec §1.8).
    listed = sql.get("/networks?provider:network_type=vlan", ADMIN).json["networks"]
    assert [n["id"] for n in listed] == [net["id"]]
    # NOTE: the positive control: the plugin with segments serves the extension.
    api = make_api("openvswitch-sqlite", scratch_dir, tmp_path)
    ovs = V2(api.client, api.plugin)
    assert "provider" in _aliases(ovs)
    created = ovs.post("/networks", {"network": LOCAL}, ADMIN)
    assert created.status_int == 201, created.body
    assert created.json["network"]["provider:network_type"] == "local"
    listed = ovs.get("/networks?provider:network_type=vlan", ADMIN).json["networks"]
    assert created.json["network"]["id"] not in [n["id"] for n in listed]


COLOUR = Extension(
    descriptor=ExtensionDescriptor(
        alias="colour",
        name="Colour",
        description="A colour on networks.",
        namespace="http://example.org/colour",
        updated="2026-12-06T00:00:00-00:00",
    ),
    extends={
        "network": Extend(fields=(Field(name="colour", convert=string(9)),)),
        "router": Extend(fields=(Field(name="colour", convert=string(9)),)),
    },
)


def test_an_extension_adds_its_fields_to_the_resources_it_extends_when_enabled() -> (
    None
):
    core = Resource(name="network", collection="networks", fields=(Field(name="id"),))
    on = catalog({"colour"}, [COLOUR], [core])
    assert [f.name for f in on.resources[0].fields] == ["id", "colour"]
    assert [e.descriptor.alias for e in on.extensions] == ["colour"]
    # NOTE: "router" is not served: extending it adds nothing.
    assert [r.name for r in on.resources] == ["network"]
    off = catalog(set(), [COLOUR], [core])
    assert [f.name for f in off.resources[0].fields] == ["id"]
    assert off.extensions == ()
