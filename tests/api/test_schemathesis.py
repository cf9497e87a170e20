# SPDX-License-Identifier: Apache-2.0
"""Schemathesis against the published OpenAPI documents, v1.1 and v2.0, in-process.

Each documented operation gets ``CASES`` requests that schemathesis generates from
the document (bodies in every documented media type, XML included), sent by a tenant,
another tenant or an administrator, with the ids of a seeded network and port put in
place of generated ones so that operations also succeed, and an empty tenant id (a
routing miss). Every
response must be no server error and conform to the document: a documented status,
content type, headers and body schema. The Open vSwitch plugin on SQLite, which
serves every core resource (agents, provider attributes), with the LBaaS service
plugin (its ``/lb`` operations reach its services): the contract is the API
layer's.
``QUANTUM_SCHEMATHESIS_CASES`` makes longer runs; ``pytest -s`` prints how many
cases each operation was sent (shrinking included).
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_api

CASES = int(os.environ.get("QUANTUM_SCHEMATHESIS_CASES", "0")) or 25
OPENAPI = Path(__file__).resolve().parents[2] / "etc" / "openapi"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""No 5xx, and conformance. Not the checks that expect the document to say exactly
which inputs are refused (negative_data_rejection, positive_data_acceptance), nor
unsupported_method (v1.1 answers an undocumented method with its routing miss, 404,
by contract)."""


DOCUMENTS = {
    "v1.1": yaml.safe_load((OPENAPI / "quantum-v1.1.yaml").read_text()),
    "v2.0": json.loads((OPENAPI / "quantum-v2.0.json").read_text()),
}


def _schema(version: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENTS[version]))


def _label(result: Ok[APIOperation[Any, Any, Any, Any]] | Err[InvalidSchema]) -> str:
    """The operation's label; an operation our documents cannot describe is an error."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok().label


OPERATIONS = [
    (version, _label(result))
    for version in DOCUMENTS
    for result in _schema(version).get_all_operations()
]


@dataclass
class Seed:
    """What the generated requests may address: a tenant's network and port."""

    version: str
    tenant: str
    network: str
    port: str


def _seed(client: Any, version: str) -> Seed:
    if version == "v1.1":
        base = "/v1.1/tenants/st-tenant/networks"
        network = client.post(base, {"network": {"name": "n"}}).json["network"]["id"]
        port = client.post(f"{base}/{network}/ports", {"port": {}}).json["port"]["id"]
        return Seed(version, "st-tenant", network, port)
    headers = _who("st-tenant")
    made = client.request("POST", "/v2.0/networks", {"network": {}}, headers)
    network = made.json["network"]["id"]
    port_body = {"port": {"network_id": network}}
    port = client.request("POST", "/v2.0/ports", port_body, headers).json["port"]["id"]
    return Seed(version, "st-tenant", network, port)


def _who(tenant: str | None) -> dict[str, str]:
    if tenant is None:
        return {"X-Project-Id": "admin", "X-Roles": "admin"}
    return {"X-Project-Id": tenant, "X-Roles": "member"}


def _aim(case: Any, seed: Seed, data: st.DataObject) -> None:
    """Put a seeded id in place of each generated path parameter, or an empty
    tenant id (which no route matches), each with probability 1/3."""
    known = {
        "tenant_id": seed.tenant,
        "network_id": seed.network,
        "port_id": seed.port,
    }
    for name in list(case.path_parameters or {}):
        choice = data.draw(st.sampled_from(["generated", "seeded", "empty"]))
        # NOTE: only v1.1's tenant, whose routing miss the document declares: an
        # empty id further on can meet another route (.../networks//detail reads
        # as .../networks/detail), and v2.0's quota tenant is documented non-empty.
        if choice == "empty" and name == "tenant_id" and seed.version == "v1.1":
            case.path_parameters[name] = ""
        elif choice == "seeded" and name in known:
            case.path_parameters[name] = known[name]
    body = case.body
    port = body.get("port") if isinstance(body, dict) else None
    if isinstance(port, dict) and data.draw(st.booleans()):
        port["network_id"] = seed.network


@pytest.mark.parametrize(("version", "label"), OPERATIONS)
def test_operation_conforms_to_the_document(
    scratch_dir: Path, tmp_path: Path, version: str, label: str
) -> None:
    api = make_api("openvswitch-sqlite", scratch_dir, tmp_path, service_plugins="lbaas")
    schema = _schema(version)
    schema.app = api.client.app
    seed = _seed(api.client, version)
    method, path = label.split(" ", 1)
    operation = schema[path][method]

    @settings(
        max_examples=CASES,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        _aim(case, seed, data)
        who = data.draw(st.sampled_from([seed.tenant, "someone-else", None]))
        sent[0] += 1
        case.call_and_validate(headers=_who(who), checks=CHECKS)

    sent = [0]
    try:
        run()
    finally:
        print(f"\nschemathesis {version} {label}: {sent[0]} cases")  # noqa: T201


def _path_parameters(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every path parameter a document declares, references resolved."""
    shared = document.get("components", {}).get("parameters", {})
    found = []
    for item in document["paths"].values():
        operations = [o for o in item.values() if isinstance(o, dict)]
        for parameter in [*item.get("parameters", [])] + [
            p for o in operations for p in o.get("parameters", [])
        ]:
            if "$ref" in parameter:
                parameter = shared[parameter["$ref"].rsplit("/", 1)[-1]]
            if parameter["in"] == "path":
                found.append(parameter)
    return found


@pytest.mark.parametrize("version", DOCUMENTS)
def test_path_parameters_are_documented_non_empty(version: str) -> None:
    """An empty id changes which route a path meets (``.../networks//detail`` is
    read as ``.../networks/detail``, a list where a show was asked): every path
    parameter is documented non-empty, so that neither a generated client nor a
    fuzzer sends one, except v1.1's tenant id, whose empty value is the documented
    routing miss."""
    parameters = _path_parameters(DOCUMENTS[version])
    assert {p["name"] for p in parameters} >= {"network_id", "port_id"}
    for parameter in parameters:
        schema = parameter["schema"]
        if version == "v1.1" and parameter["name"] == "tenant_id":
            assert "minLength" not in schema
            continue
        non_empty = schema.get("minLength", 0) >= 1 or schema.get("format") == "uuid"
        assert non_empty, (version, parameter["name"], schema)
