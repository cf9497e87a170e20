# SPDX-License-Identifier: Apache-2.0
"""The error registry: a new subclass of any family gets its family's fault in every
dialect (v1.0, v1.1, v2.0, the Cisco extensions, the agent API) with no entry of its
own; listed classes keep their own literals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from webob import Request, Response

from quantum.agentapi import server as agent_server
from quantum.api import faults as registry
from quantum.api.v1 import faults as v1_faults
from quantum.api.v1.router import ApiV1
from quantum.api.v1.versions import V1_0, V1_1
from quantum.api.v2 import faults as v2_faults
from quantum.api.wire import Format
from quantum.core import exceptions as exc
from quantum.extensions import _cisco


class GadgetNotFound(exc.NotFound):
    template = "Gadget {gadget} could not be found"

    gadget: str


class GadgetBusy(exc.Conflict):
    template = "Gadget {gadget} is busy"

    gadget: str


class GadgetInUse(exc.InUse):
    template = "Gadget {gadget} is in use"

    gadget: str


class GadgetInvalid(exc.BadRequest):
    template = "Gadget {gadget} is invalid"

    gadget: str


class GadgetForbidden(exc.NotAuthorized):
    template = "Gadget {gadget} is not yours"

    gadget: str


class GadgetDown(exc.ServiceUnavailable):
    template = "Gadget {gadget} is down"

    gadget: str


class GadgetBroken(exc.QuantumError):
    template = "Gadget {gadget} is broken"

    gadget: str


def _json(response: Response) -> Any:
    return json.loads(response.body)


def _v1(error: exc.QuantumError, version: Any) -> tuple[str, Any]:
    response = v1_faults.render(
        v1_faults.from_error(error, version), Format.JSON, version
    )
    return response.status, _json(response)


def _cisco_fault(error: exc.QuantumError) -> tuple[str, Any]:
    response = _cisco.fault(error, Format.JSON)
    return response.status, _json(response)


def _v2(error: exc.QuantumError) -> tuple[str, Any]:
    response = v2_faults.fault(error)
    return response.status, _json(response)


def _agent(error: exc.QuantumError) -> tuple[str, Any]:
    response = agent_server.fault(error)
    return response.status, _json(response)


FAMILY_FAULTS = [
    # class, status in every dialect, the family's message in v1 and Cisco bodies
    (GadgetNotFound, "404 Not Found", "The resource could not be found."),
    (
        GadgetBusy,
        "409 Conflict",
        "The request conflicts with the state of the resource.",
    ),
    (GadgetInUse, "409 Conflict", "The resource is in use."),
    (GadgetForbidden, "403 Forbidden", "The action is not allowed."),
]


@pytest.mark.parametrize(("kind", "status", "message"), FAMILY_FAULTS)
def test_a_new_subclass_gets_its_familys_fault_in_every_dialect(
    kind: Any, status: str, message: str
) -> None:
    error = kind(gadget="g-1")
    detail = error.detail
    assert detail.startswith("Gadget g-1 ")
    code = int(status.split()[0])
    name = kind.__name__
    assert _v1(error, V1_0) == (
        status,
        {
            name[0].lower() + name[1:]: {
                "code": code,
                "message": message,
                "detail": detail,
            }
        },
    )
    assert _v1(error, V1_1) == (
        status,
        {"QuantumError": {"type": name, "message": message, "detail": detail}},
    )
    neutron = {"type": name, "message": detail, "detail": ""}
    assert _v2(error) == (status, {"NeutronError": neutron, "QuantumError": detail})
    assert _cisco_fault(error) == (
        status,
        {"quantumServiceFault": {"code": code, "message": message}},
    )
    assert _agent(error) == (status, {"error": detail})


def test_a_new_bad_request_is_the_invalid_body_family() -> None:
    error = GadgetInvalid(gadget="g-1")
    generic = registry.GENERIC_400
    assert _v1(error, V1_0) == (
        "400 Bad Request",
        {
            "Bad Request": {
                "code": 400,
                "message": generic,
                "detail": "Gadget g-1 is invalid",
            }
        },
    )
    assert _v1(error, V1_1) == (
        "400 Bad Request",
        {
            "QuantumError": {
                "type": "QuantumServiceFault",
                "message": generic,
                "detail": "Gadget g-1 is invalid",
            }
        },
    )
    neutron = {"type": "GadgetInvalid", "message": "Gadget g-1 is invalid"}
    assert _v2(error) == (
        "400 Bad Request",
        {"NeutronError": {**neutron, "detail": ""}, "QuantumError": neutron["message"]},
    )
    assert _cisco_fault(error) == (
        "400 Bad Request",
        {"malformedRequest": {"code": 400, "message": generic}},
    )
    assert _agent(error) == ("400 Bad Request", {"error": "Gadget g-1 is invalid"})


def test_a_new_unavailable_error_is_503_with_retry_after_in_every_dialect() -> None:
    error = GadgetDown(gadget="g-1")
    text = "Gadget g-1 is down"
    unavailable = {"serviceUnavailable": {"code": 503, "message": text}}
    assert _v1(error, V1_0) == ("503 Service Unavailable", unavailable)
    assert _v1(error, V1_1) == ("503 Service Unavailable", unavailable)
    assert _v2(error)[0] == "503 Service Unavailable"
    assert _cisco_fault(error)[0] == "503 Service Unavailable"
    assert _agent(error) == ("503 Service Unavailable", {"error": text})
    for response in (
        v1_faults.render(v1_faults.from_error(error, V1_0), Format.JSON, V1_0),
        _cisco.fault(error, Format.JSON),
    ):
        assert response.headers["Retry-After"] == "1"


def test_an_error_of_no_family_is_the_generic_500_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = GadgetBroken(gadget="secret")
    for status, body in (
        _v1(error, V1_0),
        _v1(error, V1_1),
        _v2(error),
        _cisco_fault(error),
        _agent(error),
    ):
        assert status == "500 Internal Server Error"
        assert "secret" not in json.dumps(body)
    assert "GadgetBroken" in caplog.text


def test_listed_classes_keep_their_own_literals_and_subclasses_inherit_them() -> None:
    class NetworkGone(exc.NetworkNotFound):
        pass

    status, body = _v1(NetworkGone(network_id="N"), V1_0)
    assert status == "420 networkNotFound"
    assert body["networkNotFound"]["detail"] == "Network N could not be found"
    status, body = _cisco_fault(NetworkGone(network_id="N"))
    assert status == "420 Network not Found"
    # v2.0 and v1.1 know a class by its own name unless the registry renames it
    assert _v2(NetworkGone(network_id="N"))[1]["NeutronError"]["type"] == "NetworkGone"
    assert registry.wire_type(exc.NetworkHasPorts) == "NetworkInUse"


@pytest.mark.parametrize("family", registry.FAMILIES)
def test_every_family_has_a_fault_in_every_dialect(
    family: type[exc.QuantumError],
) -> None:
    entry = registry.REGISTRY[family]
    for dialect in registry.Dialect:
        assert entry.form(dialect) is not None, (family, dialect)
    # and a family's fault is its own, not its base's (InUse is a Conflict)
    assert registry.resolve(family, registry.Dialect.V2_0)[0] is family


class _RefusingNetworks:
    def create_owned(self, tenant_id: str, name: str | None) -> Any:
        raise exc.OverQuota(resources="network")


class _Refusing:
    """A plugin whose v1 network create is refused with a v2-era error."""

    networks = _RefusingNetworks()
    ports = None


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            V1_0,
            {
                "overQuota": {
                    "code": 409,
                    "message": "The request conflicts with the state of the resource.",
                    "detail": "Quota exceeded for resources: network.",
                }
            },
        ),
        (
            V1_1,
            {
                "QuantumError": {
                    "type": "OverQuota",
                    "message": "The request conflicts with the state of the resource.",
                    "detail": "Quota exceeded for resources: network.",
                }
            },
        ),
    ],
)
def test_a_refusal_new_to_v1_is_its_family_fault_through_the_v1_app(
    version: Any, expected: Any
) -> None:
    app = ApiV1(_Refusing(), version, 1024)  # type: ignore[arg-type]
    request = Request.blank(
        "/tenants/acme/networks.json", method="POST", body=b'{"network": {"name": "n"}}'
    )
    request.content_type = "application/json"
    response = request.get_response(app)
    assert (response.status, json.loads(response.body)) == ("409 Conflict", expected)


def test_a_lost_association_race_is_the_specs_already_associated_fault() -> None:
    error = exc.FloatingIPAssociatedConcurrently(
        floating_ip_address="172.24.4.10", fip_id="f", port_id="p", current="port q"
    )
    status, body = _v2(error)
    assert status == "409 Conflict"
    assert body["NeutronError"]["type"] == "FloatingIPPortAlreadyAssociated"
    assert "another request changed its association" in body["NeutronError"]["message"]
    assert "(now: port q)" in body["NeutronError"]["message"]
