# SPDX-License-Identifier: Apache-2.0
"""v2.0 faults (spec §1.7): an unexpected error is a 500 with the fixed text and no
detail; a 401 of the authentication filters gets the v2.0 body; every body speaks to
both client generations (NeutronError, QuantumError)."""

from __future__ import annotations

import json
from typing import Any

from webob import Request, Response

from quantum.api.policy import Policy
from quantum.api.v2 import faults, policy
from quantum.api.v2.attributes import Operations
from quantum.api.v2.resources import network
from quantum.api.v2.router import ApiV2, Served
from quantum.core import exceptions as exc

NET_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def _broken(*args: Any) -> Any:
    raise RuntimeError("secret detail: /etc/quantum/quantum.conf")


def test_an_unexpected_error_is_500_with_the_fixed_text_only() -> None:
    operations = Operations(
        list=_broken,
        show=_broken,
        create=_broken,
        update=_broken,
        delete=_broken,
        view=_broken,
        not_found=_broken,
    )
    engine = Policy()
    engine.register(policy.rules([network.NETWORK]))
    app = ApiV2(
        None,  # type: ignore[arg-type]  # NOTE: never reached
        engine,
        [Served(resource=network.NETWORK, operations=operations)],
        [],
        max_body=1024,
        max_limit=10,
    )
    for method, path in (("GET", f"/networks/{NET_ID}"), ("GET", "/networks")):
        request = Request.blank(path, method=method)
        request.headers.update({"X-Project-Id": "acme", "X-Roles": "member"})
        response = request.get_response(app)
        assert response.status_int == 500
        assert json.loads(response.body) == {
            "NeutronError": {
                "type": "HTTPInternalServerError",
                "message": faults.INTERNAL,
                "detail": "",
            },
            "QuantumError": faults.INTERNAL,
        }
        assert faults.INTERNAL == (
            "Request Failed: internal server error while processing your request."
        )


def test_a_401_below_gets_the_v2_body_and_keeps_the_challenge() -> None:
    def refusing(environ: dict[str, Any], start_response: Any) -> Any:
        response = Response(status="401 Unauthorized", body=b"not json")
        response.headers["WWW-Authenticate"] = "Keystone uri='http://ks'"
        return response(environ, start_response)

    def passing(environ: dict[str, Any], start_response: Any) -> Any:
        return Response(status="200 OK", body=b"{}")(environ, start_response)

    refused = Request.blank("/networks").get_response(faults.AuthFaults(refusing))
    assert refused.status_int == 401
    assert refused.headers["WWW-Authenticate"] == "Keystone uri='http://ks'"
    assert json.loads(refused.body)["NeutronError"] == {
        "type": "HTTPUnauthorized",
        "message": faults.UNAUTHORIZED,
        "detail": "",
    }
    passed = Request.blank("/networks").get_response(faults.AuthFaults(passing))
    assert (passed.status_int, passed.body) == (200, b"{}")


def test_the_grizzly_client_gets_an_object_for_the_types_it_has_classes_for() -> None:
    in_use = json.loads(faults.fault(exc.NetworkHasPorts(network_id=NET_ID)).body)
    message = (
        f"Unable to complete operation on network {NET_ID}. "
        "There are one or more ports still in use on the network."
    )
    error = {"type": "NetworkInUse", "message": message, "detail": ""}
    assert in_use == {"NeutronError": error, "QuantumError": error}
    # any other type: the message alone, which that client shows as it is
    missing = json.loads(faults.fault(exc.SubnetNotFound(subnet_id=NET_ID)).body)
    text = f"Subnet {NET_ID} could not be found"
    assert missing == {
        "NeutronError": {"type": "SubnetNotFound", "message": text, "detail": ""},
        "QuantumError": text,
    }
