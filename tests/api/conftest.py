# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the v1 conformance suite.

* ``version``: each API version (v1.0, v1.1).
* ``fmt``: each wire format (json, xml).
* ``v1``: a JSON client of ``version`` over ``api`` (every plugin and back-end).
* ``wire``: a client of ``version`` in ``fmt``, for the places where formats differ.
* ``xml``: an XML client of ``version``, for exact-byte checks of XML shapes.

Modules whose behaviour lives wholly in the API layer (routing, negotiation, body
parsing) run against the fake plugin only, with ``v1client.FAKE_ONLY``.
"""

from __future__ import annotations

import pytest

from tests.api.v1client import V1, VERSIONS, Fmt, Version
from tests.conftest import ApiUnderTest


@pytest.fixture(params=VERSIONS, ids=str)
def version(request: pytest.FixtureRequest) -> Version:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=list(Fmt), ids=str)
def fmt(request: pytest.FixtureRequest) -> Fmt:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def v1(api: ApiUnderTest, version: Version) -> V1:
    return V1(api, version)


@pytest.fixture
def wire(api: ApiUnderTest, version: Version, fmt: Fmt) -> V1:
    return V1(api, version, fmt)


@pytest.fixture
def xml(api: ApiUnderTest, version: Version) -> V1:
    return V1(api, version, Fmt.XML)
