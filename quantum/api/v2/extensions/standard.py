# SPDX-License-Identifier: Apache-2.0
"""What the standard-attribute extensions share: the resources they extend.

A standard attribute is one every such resource has, declared once in its
extension module (``description``, ``timestamp``, ``revisions``, ``tags``) for all
of them; a resource that gains standard attributes is listed here (and gets the
columns and a tag table, ``quantum.db.models.StandardAttributes``).
"""

from __future__ import annotations

from quantum.api.v2.attributes import Extend, Field

RESOURCES = ("network", "subnet", "port", "router", "floatingip")
"""The resources with standard attributes."""


def on_every_resource(*fields: Field) -> dict[str, Extend]:
    """``Extension.extends`` adding ``fields`` to every standard resource."""
    return {name: Extend(fields=fields) for name in RESOURCES}
