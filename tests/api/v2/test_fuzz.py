# SPDX-License-Identifier: Apache-2.0
"""Fuzzing the v2 API in-process: random paths, methods, query strings and bodies,
as a tenant, another tenant, an admin or a tenant id too long to store, over a store
the fuzzer grows (networks, subnets, ports), with the inputs the earlier fuzzing found
5xx with: query strings that are not UTF-8, lone surrogates and NUL in bodies, paging
by a boolean sort key from a marker.

Each request must get a JSON answer with a status below 500 (503 only for a
generation failure, which these inputs cannot cause), every fault a NeutronError
body, and every success a payload of the addressed resource. After each example the
store must still be consistent: every port on an existing network, no two ports of
a network with one MAC. SQLite gets ``EXAMPLES`` examples, PostgreSQL and MariaDB a
fifth of that; ``QUANTUM_FUZZ_EXAMPLES`` makes longer runs, and ``pytest -s`` prints
how many requests each run sent and how many answered 5xx.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.v2.client import ADMIN, V2, tenant

EXAMPLES = int(os.environ.get("QUANTUM_FUZZ_EXAMPLES", "60"))
SERVER_BACKEND_SHARE = 5

WHO = st.sampled_from([tenant("acme"), tenant("other"), ADMIN, {}, tenant("t" * 256)])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.sampled_from(
        ["true", "False", "0", "1", "vlan", "gre", "local", "flat", "physnet1",
         "network:dhcp", "fa:16:3e:00:00:01", "FA-16-3E-00-00-02", "\x00", "é",
         "00000000-0000-0000-0000-000000000000", "\ud800", "a\udfff", "t" * 256,
         "10.0.0.0/24", "ff05::/64", "224.0.0.0/24", "10.0.0.1", 4, 6]
    ),
)  # fmt: skip
KEYS = st.sampled_from(
    ["name", "tenant_id", "project_id", "admin_state_up", "shared", "status", "id",
     "router:external", "provider:network_type", "provider:physical_network",
     "provider:segmentation_id", "network_id", "mac_address", "device_id",
     "device_owner", "binding:host_id", "fixed_ips", "subnets", "bogus", "cidr",
     "ip_version", "gateway_ip", "enable_dhcp", "allocation_pools", "subnet_id",
     "ip_address", "\ud800"]
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3)
    ),
    max_leaves=6,
)
ATTRS = st.dictionaries(KEYS, VALUES, max_size=5)
BODIES = st.one_of(
    st.builds(lambda a: {"network": a}, ATTRS),
    st.builds(lambda a: {"port": a}, ATTRS),
    st.builds(lambda a: {"networks": a}, st.lists(ATTRS, max_size=3)),
    st.builds(lambda a: {"ports": a}, st.lists(ATTRS | VALUES, max_size=3)),
    st.builds(lambda a: {"subnet": a}, ATTRS),
    st.builds(lambda a: {"quota": a}, st.dictionaries(
        st.sampled_from(["network", "port", "subnet", "router"]), VALUES, max_size=3)),
    VALUES,
)  # fmt: skip
QUERY_KEYS = st.sampled_from(
    ["fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "name",
     "admin_state_up", "status", "shared", "router:external", "tenant_id",
     "provider:segmentation_id", "mac_address", "network_id", "device_owner", "x",
     "enable_dhcp", "ip_version", "cidr"]
)  # fmt: skip
SORTS = st.sampled_from(
    ["sort_key=admin_state_up", "sort_key=shared", "sort_key=enable_dhcp",
     "sort_key=router:external&sort_key=name", "sort_key=admin_state_up&sort_dir=desc"]
)  # fmt: skip
RAW_QUERIES = st.sampled_from(["%ff=1", "name=%ed%a0%80", "fields=%c3", "%00=x", ""])
"""Query strings that are not quoted text: bytes that are not UTF-8, NUL."""
QUERIES = st.lists(
    st.tuples(QUERY_KEYS, st.text(max_size=40) | SCALARS.map(str)), max_size=4
)


def _path(collection: str, ident: str | None, suffix: str) -> str:
    return (
        f"/{collection}"
        + (f"/{quote(ident, safe='')}" if ident is not None else "")
        + suffix
    )


def _check(method: str, path: str, response: Any) -> None:
    # NOTE: POST /quotas is 501 by the spec (§5.6), whatever the body.
    unimplemented = method == "POST" and path.split("?")[0] in (
        "/quotas",
        "/quotas.json",
        "/quotas/",
    )
    if not (unimplemented and response.status_int == 501):
        assert response.status_int < 500, (response.status, response.body[:500])
    if response.status_int == 204 or method == "HEAD":
        assert response.body == b""
        return
    assert response.content_type == "application/json", response.headers
    payload = json.loads(response.body)
    if response.status_int >= 400:
        error = payload["NeutronError"]
        assert isinstance(error["type"], str)
        assert isinstance(error["message"], str)


def test_random_requests_never_fail_the_server(
    v2: V2, request: pytest.FixtureRequest
) -> None:
    kind = request.node.callspec.params["v2"]
    made = [v2.network(name="seed")["id"]]
    subnet = {"network_id": made[0], "ip_version": 4, "cidr": "10.0.0.0/24"}
    made.append(v2.post("/subnets", {"subnet": subnet}).json["subnet"]["id"])
    made.append(v2.port(made[0])["id"])
    made.append(v2.network(as_=ADMIN, tenant_id="other", shared=True)["id"])
    counts = {"requests": 0, "5xx": 0}
    examples = EXAMPLES
    if not kind.endswith("sqlite"):
        examples = max(1, EXAMPLES // SERVER_BACKEND_SHARE)

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
        collection=st.sampled_from(
            ["networks", "ports", "subnets", "quotas", "extensions", "x"]
        ),
        ident=st.none() | st.sampled_from(made) | st.text(max_size=40),
        suffix=st.sampled_from(["", ".json", ".xml", "/"]),
        query=QUERIES,
        extra=st.none() | RAW_QUERIES | SORTS.map(lambda s: f"{s}&limit=1"),
        marker=st.none() | st.sampled_from(made),
        body=st.none() | BODIES,
        who=WHO,
    )
    def step(
        method: str,
        collection: str,
        ident: str | None,
        suffix: str,
        query: list[tuple[str, str]],
        extra: str | None,
        marker: str | None,
        body: Any,
        who: dict[str, str],
    ) -> None:
        path = _path(collection, ident, suffix)
        # NOTE: a lone surrogate goes out as its CESU bytes: a query that is not UTF-8.
        parts = [f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in query]
        parts += [extra] if extra else []
        parts += [f"marker={marker}"] if marker else []
        if parts:
            path += "?" + "&".join(parts)
        raw = None if body is None else json.dumps(body)
        response = v2.request(method, path, raw, who)
        counts["requests"] += 1
        counts["5xx"] += response.status_int >= 500 and response.status_int != 501
        _check(method, path, response)
        if response.status_int in (200, 201) and method in ("POST", "PUT"):
            for key in ("network", "port", "subnet"):
                if key in response.json:
                    made.append(response.json[key]["id"])

    try:
        step()
    finally:
        print(f"v2 fuzz over {kind}: {counts}")  # noqa: T201
    ports = v2.get("/ports?limit=0", ADMIN).json["ports"]
    networks = {n["id"] for n in v2.get("/networks", ADMIN).json["networks"]}
    assert {p["network_id"] for p in ports} <= networks
    pairs = [(p["network_id"], p["mac_address"]) for p in ports]
    assert len(pairs) == len(set(pairs))
