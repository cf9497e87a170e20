# SPDX-License-Identifier: Apache-2.0
"""Error answers become typed exceptions whose text is the server's message."""

from __future__ import annotations

import json

import pytest

from quantum.client import errors


def _body(kind: str, message: str) -> bytes:
    error = {"type": kind, "message": message, "detail": ""}
    return json.dumps({"NeutronError": error, "QuantumError": message}).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (405, errors.MethodNotAllowed),
        (409, errors.Conflict),
        (413, errors.RequestEntityTooLarge),
        (429, errors.OverLimit),
        (503, errors.ServiceUnavailable),
    ],
)
def test_the_status_picks_the_class(status: int, cls: type[errors.ClientError]) -> None:
    error = errors.from_response(status, "", _body("NetworkInUse", "in use"))
    assert type(error) is cls
    assert error.status == status
    assert error.kind == "NetworkInUse"
    assert str(error) == "in use"


def test_v1_and_keystone_bodies_give_their_message() -> None:
    v1 = json.dumps(
        {"QuantumError": {"type": "PortNotFound", "message": "no port", "detail": ""}}
    )
    found = errors.from_response(404, "Not Found", v1.encode())
    assert (found.kind, str(found)) == ("PortNotFound", "no port")
    keystone = {"error": {"code": 401, "title": "Unauthorized", "message": "who?"}}
    found = errors.from_response(401, "", json.dumps(keystone).encode())
    assert isinstance(found, errors.Unauthorized)
    assert (found.kind, str(found)) == ("Unauthorized", "who?")


def test_a_plain_page_gives_its_first_line_and_unknown_statuses_the_base() -> None:
    page = b"404 Not Found\n\nThe resource could not be found.\n"
    assert str(errors.from_response(404, "Not Found", page)) == "404 Not Found"
    odd = errors.from_response(418, "I'm a teapot", b"")
    assert type(odd) is errors.ClientError
    assert (odd.status, str(odd)) == (418, "418 I'm a teapot")
