# SPDX-License-Identifier: Apache-2.0
"""``external-net``: ``router:external`` on networks, which only an administrator
sets; an external network is visible to every tenant (the store's rule)."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field, to_bool

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="external-net",
        name="Neutron external network",
        description="Adds external network attribute to network resource.",
        namespace="http://docs.openstack.org/ext/external-net/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    extends={
        "network": Extend(
            fields=(
                Field(
                    name="router:external",
                    convert=to_bool,
                    on_update=True,
                    set_by_admin=True,
                ),
            )
        )
    },
)
