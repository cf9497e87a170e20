# SPDX-License-Identifier: Apache-2.0
"""``standard-attr-description``: a free-text ``description`` (at most 255
characters, ``""`` by default) on networks, subnets and ports, set on create and
update."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension, Field, string
from quantum.api.v2.extensions.standard import on_every_resource
from quantum.core.text import DESCRIPTION_MAX

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="standard-attr-description",
        name="standard-attr-description",
        description="Extension to add descriptions to standard attributes",
        namespace="http://docs.openstack.org/ext/standard-attr-description/api/v2.0",
        updated="2016-02-10T10:00:00-00:00",
    ),
    extends=on_every_resource(
        Field(
            name="description",
            convert=string(DESCRIPTION_MAX),
            default="",
            on_update=True,
        )
    ),
)
