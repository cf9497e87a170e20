# SPDX-License-Identifier: Apache-2.0
"""The v2.0 OpenAPI document: generated from the resource specs, published as
etc/openapi/quantum-v2.0.json, and describing what the app serves
(tests/api/test_schemathesis.py sends it requests)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from quantum.api.v2 import openapi
from quantum.api.v2.attributes import Field, Resource, string, to_int
from quantum.api.v2.catalog import EVERYTHING
from quantum.api.v2.extensions.quotas import QUOTA
from quantum.core.quotas import QuotaResource
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
    # (routers, floating IPs) and the LBaaS one serves every resource.
    api = make_api(
        "openvswitch-sqlite", scratch_dir, tmp_path, service_plugins="router,lbaas"
    )
    v2 = V2(api.client, api.plugin)
    served = [r["collection"] for r in v2.get("/", ADMIN).json["resources"]]
    assert served == [r.collection for r in EVERYTHING.resources if r.listed]
    doc = openapi.document()
    for resource in EVERYTHING.resources:
        member = f"/{resource.segment}/{{{resource.name}_id}}"
        assert {f"/{resource.segment}", member} <= set(doc["paths"])
        schemas = doc["components"]["schemas"]
        shown = schemas[resource.name.capitalize()]
        # NOTE: a filter-only field (tags-any) is no attribute: a filter; a
        # quota's tenant_id is in lists only.
        assert set(shown["properties"]) == {
            f.name for f in resource.fields if f.visible and f.in_member
        }
        items = schemas[f"{resource.name.capitalize()}List"]["properties"]
        listed = items[resource.collection]["items"]["$ref"].rsplit("/", 1)[-1]
        assert set(schemas[listed]["properties"]) == {
            f.name for f in resource.fields if f.visible
        }
        updated = schemas[f"{resource.name.capitalize()}Update"]
        assert set(updated["properties"]) == {
            f.name for f in resource.fields if f.on_update
        }
        for action in resource.actions:
            at = f"/{resource.segment}/" + (
                action.name
                if action.collection
                else f"{{{resource.name}_id}}/{action.name}"
            )
            assert set(doc["paths"][at]) - {"parameters"} == {action.method.lower()}
        writable = "post" in doc["paths"][f"/{resource.segment}"]
        assert writable == (
            resource.creatable and any(f.on_create for f in resource.fields)
        )
        if not writable:
            continue
        created = schemas[f"{resource.name.capitalize()}Create"]
        assert set(created["properties"]) == {
            f.name for f in resource.fields if f.on_create
        }
        assert created.get("required", []) == [
            f.name for f in resource.fields if f.required
        ]


def test_the_quotas_paths_come_from_their_spec() -> None:
    """Quotas are a resource like the others (ids are tenant ids, reads beside
    the limits): their paths are generated from ``QUOTA``, none written by hand."""
    doc = openapi.document()
    quotas = {p: item for p, item in doc["paths"].items() if p.startswith("/quotas")}
    assert set(quotas) == {
        "/quotas",
        "/quotas/{quota_id}",
        "/quotas/{quota_id}/default",
        "/quotas/{quota_id}/details",
        "/quotas/tenant",
    }
    assert set(quotas["/quotas"]) == {"get"}  # POST is 501: not documented
    assert set(quotas["/quotas/{quota_id}"]) == {"parameters", "get", "put", "delete"}
    tenant_id = quotas["/quotas/{quota_id}"]["parameters"][0]["schema"]
    assert (tenant_id["type"], tenant_id["minLength"]) == ("string", 1)
    limits = {r.value for r in QuotaResource}
    schemas = doc["components"]["schemas"]
    assert set(schemas["Quota"]["properties"]) == limits
    assert set(schemas["QuotaUpdate"]["properties"]) == limits | {
        "check_limit",
        "force",
    }
    assert schemas["QuotaUpdate"]["properties"]["network"]["maximum"] == 2**31 - 1
    details = quotas["/quotas/{quota_id}/details"]["get"]["responses"]["200"]
    quota = details["content"]["application/json"]["schema"]["properties"]["quota"]
    assert set(quota["properties"]) == limits
    assert quota["properties"]["port"]["required"] == ["used", "limit", "reserved"]
    # A limit the spec gains is in the document with nothing else written.
    extra = Field(name="widget", convert=to_int, on_create=False, on_update=True)
    grown = dataclasses.replace(QUOTA, fields=(*QUOTA.fields, extra))
    regenerated = openapi.document([grown])["components"]["schemas"]
    assert "widget" in regenerated["Quota"]["properties"]
    assert "widget" in regenerated["QuotaUpdate"]["properties"]


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
