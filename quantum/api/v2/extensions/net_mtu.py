# SPDX-License-Identifier: Apache-2.0
"""``net-mtu``: the read-only ``mtu`` of networks (``quantum.core.mtu``); always on,
so the attribute stays in the core spec."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="net-mtu",
        name="Network MTU",
        description="Provides MTU attribute for a network resource.",
        namespace="http://docs.openstack.org/ext/net_mtu/api/v2.0",
        updated="2015-03-25T10:00:00-00:00",
    ),
)
