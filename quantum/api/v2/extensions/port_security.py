# SPDX-License-Identifier: Apache-2.0
"""``port-security``: ``port_security_enabled`` on networks (what their new ports
get) and ports (whether the agent filters the port: security groups and
anti-spoofing). A port with it off may have no security groups nor allowed
address pairs (409)."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field, to_bool

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="port-security",
        name="Port Security",
        description="Provides port security",
        namespace="http://docs.openstack.org/ext/portsecurity/api/v1.0",
        updated="2012-07-23T10:00:00-00:00",
    ),
    extends={
        "network": Extend(
            fields=(
                Field(
                    name="port_security_enabled",
                    convert=to_bool,
                    default=True,
                    on_update=True,
                ),
            )
        ),
        "port": Extend(
            fields=(
                # NOTE: omitted on create, the network's.
                Field(name="port_security_enabled", convert=to_bool, on_update=True),
            )
        ),
    },
)
