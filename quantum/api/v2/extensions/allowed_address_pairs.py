# SPDX-License-Identifier: Apache-2.0
"""``allowed-address-pairs``: addresses (or CIDRs) a port may send from besides
its fixed IPs, each with a MAC (the port's own when omitted). Needs port
security on (409); at most ``max_allowed_address_pair`` (400)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field, to_mac
from quantum.core import exceptions as exc
from quantum.core.security_groups import AllowedAddressPair


def _address(name: str, value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                return str(ip_network(text, strict=False))
            return str(ip_address(text))
        except ValueError:
            pass
    raise exc.InvalidInput(
        reason=f"'{value}' is not a valid IP address or CIDR for {name}"
    )


def to_pairs(name: str, value: Any) -> list[AllowedAddressPair]:
    """A list of ``{"ip_address": ..., "mac_address": ...}`` (the MAC optional);
    null: none. Raises InvalidInput, DuplicateAddressPairInRequest."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise exc.InvalidInput(reason=f"{name} must be a list of objects")
    pairs: list[AllowedAddressPair] = []
    seen: set[tuple[str, str | None]] = set()
    for entry in value:
        if not isinstance(entry, dict):
            raise exc.InvalidInput(reason=f"{name}: '{entry}' is not an object")
        unknown = set(entry) - {"ip_address", "mac_address"}
        if unknown:
            raise exc.InvalidInput(
                reason=f"{name}: unrecognized attribute(s) "
                f"'{', '.join(sorted(unknown))}'"
            )
        if "ip_address" not in entry:
            raise exc.InvalidInput(reason="AllowedAddressPair must contain ip_address")
        address = _address("ip_address", entry["ip_address"])
        mac = entry.get("mac_address")
        if mac is not None:
            mac = to_mac("mac_address", mac)
        if (address, mac) in seen:
            raise exc.DuplicateAddressPairInRequest(
                mac_address=str(mac), ip_address=address
            )
        seen.add((address, mac))
        pairs.append(AllowedAddressPair(ip_address=address, mac_address=mac))
    return pairs


PAIR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ip_address": {"type": "string"},
        "mac_address": {"type": "string"},
    },
}

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="allowed-address-pairs",
        name="Allowed Address Pairs",
        description="Provides allowed address pairs",
        namespace="http://docs.openstack.org/ext/allowedaddresspairs/api/v2.0",
        updated="2013-07-23T10:00:00-00:00",
    ),
    extends={
        "port": Extend(
            fields=(
                Field(
                    name="allowed_address_pairs",
                    convert=to_pairs,
                    default=[],
                    on_update=True,
                    schema={"type": "array", "nullable": True, "items": PAIR},
                    shown={
                        "type": "array",
                        "items": {**PAIR, "required": ["ip_address", "mac_address"]},
                    },
                    sortable=False,
                    filterable=False,
                ),
            )
        )
    },
)
