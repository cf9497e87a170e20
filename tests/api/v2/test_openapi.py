# SPDX-License-Identifier: Apache-2.0
"""The v2.0 OpenAPI document: generated from the resource specs, published as
etc/openapi/quantum-v2.0.json, and describing what the app serves
(tests/api/test_schemathesis.py sends it requests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantum.api.v2 import openapi
from quantum.api.v2.attributes import Field, Resource, string
from quantum.api.v2.catalog import EVERYTHING
from tests.api.v2.client import ADMIN, V2
from tests.conftest import make_api

PUBLISHED = (
    Path(__file__).resolve().parents[3] / "etc" / "openapi" / "quantum-v2.0.json"
)


def test_the_published_document_is_the_generated_one() -> None:
    assert PUBLISHED.read_text() == openapi.render(), (
        "etc/openapi/quantum-v2.0.json is stale: run "
        "python -m quantum.api.v2.openapi > etc/openapi/quantum-v2.0.json"
    )


def test_every_served_resource_and_attribute_is_documented(
    scratch_dir: Path, tmp_path: Path
) -> None:
    # NOTE: the Open vSwitch plugin (agents too) with the L3 service plugin
    # (routers, floating IPs) serves every resource.
    api = make_api(
        "openvswitch-sqlite", scratch_dir, tmp_path, service_plugins="router"
    )
    v2 = V2(api.client, api.plugin)
    served = [r["collection"] for r in v2.get("/", ADMIN).json["resources"]]
    assert served == [r.collection for r in EVERYTHING.resources if r.listed]
    doc = openapi.document()
    # NOTE: quotas are written out by hand (tenant ids, reads beside the limits).
    assert {"/quotas", "/quotas/{tenant_id}"} <= set(doc["paths"])
    for resource in EVERYTHING.resources:
        if resource.collection in openapi.BY_HAND:
            continue
        assert {
            f"/{resource.segment}",
            f"/{resource.segment}/{{{resource.name}_id}}",
        } <= set(doc["paths"])
        shown = doc["components"]["schemas"][resource.name.capitalize()]
        # NOTE: a filter-only field (tags-any) is no attribute: a filter.
        assert set(shown["properties"]) == {
            f.name for f in resource.fields if f.visible
        }
        created = doc["components"]["schemas"][f"{resource.name.capitalize()}Create"]
        assert set(created["properties"]) == {
            f.name for f in resource.fields if f.on_create
        }
        assert created.get("required", []) == [
            f.name for f in resource.fields if f.required
        ]
        writable = "post" in doc["paths"][f"/{resource.segment}"]
        assert writable == any(f.on_create for f in resource.fields)


def test_an_attribute_without_a_schema_stops_the_generator() -> None:
    def odd(name: str, value: object) -> object:
        return value

    good = Resource(
        name="x", collection="xs", fields=(Field(name="a", convert=string(9)),)
    )
    assert openapi.document([good])["components"]["schemas"]["X"]["properties"] == {
        "a": {"type": "string", "maxLength": 9}
    }
    bad = Resource(name="x", collection="xs", fields=(Field(name="a", convert=odd),))
    with pytest.raises(ValueError, match="x.a: no JSON schema"):
        openapi.document([bad])
