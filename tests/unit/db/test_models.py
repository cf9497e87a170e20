# SPDX-License-Identifier: Apache-2.0
"""``quantum.db.models``: a stored port's row as its domain port."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from ipaddress import ip_address

from quantum.core.ports import ADMIN_DOWN_REASON, Port
from quantum.core.security_groups import AllowedAddressPair
from quantum.core.status import OpStatus
from quantum.core.subnets import FixedIP
from quantum.db.models import PORT_FIELDS, port_of

CREATED = datetime(2026, 12, 7, 12, 0, 0)
ROW: dict[str, object] = {
    "id": "p",
    "network_id": "n",
    "tenant_id": "t",
    "admin_state_up": True,
    "status": "UP",
    "attachment": None,
    "name": "ünï",
    "mac_address": "fa:16:3e:00:00:01",
    "device_id": "vm",
    "device_owner": "compute:nova",
    "binding_host_id": "h",
    "binding_profile": '{"a": [1]}',
    "status_reason": "",
    "description": "d",
    "created_at": CREATED,
    "updated_at": None,
    "revision_number": 3,
    "tags": '["x", "y"]',
    "port_security_enabled": True,
    "security_groups": '["g"]',
    "allowed_address_pairs": '[["10.0.0.9", "fa:16:3e:00:00:02"]]',
}
IPS = (FixedIP(subnet_id="s", ip_address=ip_address("10.0.0.2")),)


def test_a_rows_port_is_the_port_its_init_would_make() -> None:
    """``port_of`` sets the slots itself (PERF): the same port, equal, hashed and
    shown alike, as ``Port(...)`` with those values."""
    made = port_of(tuple(ROW[name] for name in PORT_FIELDS), IPS)
    expected = Port(
        id="p",
        network_id="n",
        tenant_id="t",
        admin_state_up=True,
        status=OpStatus.UP,
        name="ünï",
        mac_address="fa:16:3e:00:00:01",
        device_id="vm",
        device_owner="compute:nova",
        binding_host_id="h",
        binding_profile={"a": [1]},
        fixed_ips=IPS,
        description="d",
        created_at=CREATED,
        updated_at=CREATED,
        revision_number=3,
        tags=("x", "y"),
        security_groups=("g",),
        allowed_address_pairs=(
            AllowedAddressPair(ip_address="10.0.0.9", mac_address="fa:16:3e:00:00:02"),
        ),
    )
    assert made == expected
    assert repr(made) == repr(expected)
    assert hash(made) == hash(expected)
    assert dataclasses.replace(made, name="b") == dataclasses.replace(
        expected, name="b"
    )


def test_an_administratively_down_port_is_down() -> None:
    made = port_of(
        tuple({**ROW, "admin_state_up": False}[name] for name in PORT_FIELDS)
    )
    assert made.status is OpStatus.DOWN
    assert made.status_reason == ADMIN_DOWN_REASON
    assert made.fixed_ips == ()
