# SPDX-License-Identifier: Apache-2.0
"""``encodable``: a list's structured values as the encoder takes them, shown as
``wire`` shows them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from ipaddress import ip_address

from quantum.api.v2.attributes import encodable, wire
from quantum.api.wire import encode_json_fast
from quantum.core.security_groups import AllowedAddressPair
from quantum.core.subnets import FixedIP


@dataclass(slots=True)
class Mutable:
    name: str


def test_encodable_values_encode_as_their_wire_form() -> None:
    ips = (
        FixedIP(subnet_id="s4", ip_address=ip_address("10.0.0.2")),
        FixedIP(subnet_id="s6", ip_address=ip_address("fd00::2")),
    )
    pairs = (AllowedAddressPair(ip_address="10.0.0.0/24", mac_address="m"),)
    for value in (ips, pairs, ("a", "b"), (), {"k": [1]}, "text", None):
        assert json.loads(encode_json_fast(encodable(value), wire)) == json.loads(
            encode_json_fast(wire(value), wire)
        )
    # NOTE: a frozen value's wire form is made once (PERF), found by identity.
    assert encodable(ips)[0] is encodable(ips)[0]
    assert encodable(ips)[0] == {"subnet_id": "s4", "ip_address": "10.0.0.2"}


def test_a_value_that_may_change_is_shown_as_it_is_now() -> None:
    item = Mutable(name="before")
    assert encodable((item,)) == ({"name": "before"},)
    item.name = "after"
    assert encodable((item,)) == ({"name": "after"},)
