# SPDX-License-Identifier: Apache-2.0
"""``standard-attr-revisions``: a read-only ``revision_number`` on networks,
subnets and ports, bumped by every change of the stored item; and
``revision-if-match``: ``If-Match: revision_number=N`` on a PUT or DELETE of such
an item makes it conditional (412 when the item is at another revision).

What bumps it: any change a client makes through either API (attributes, a port's
``fixed_ips``, a subnet's DNS servers or routes, tags), and the server binding a
port to the first host whose agent finds it (``binding:host_id``); not ``status``,
which is what agents observe rather than a change anybody asked for, nor what is
computed when read (a network's ``subnets`` and ``mtu``). The bump is in the row's
UPDATE, ``... WHERE revision_number = N`` (``quantum.db.models.StandardAttributes``), so
of two conditional updates of one revision exactly one wins, on every back-end.
"""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension, Field, to_int
from quantum.api.v2.extensions.standard import on_every_resource

FIELD = "revision_number"
"""The attribute an ``If-Match: revision_number=N`` is checked against."""

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="standard-attr-revisions",
        name="Resource revision numbers",
        description="This extension will display the revision number of neutron "
        "resources.",
        namespace="http://docs.openstack.org/ext/standard-attr-revisions/api/v2.0",
        updated="2016-04-11T10:00:00-00:00",
    ),
    extends=on_every_resource(
        Field(
            name=FIELD,
            # NOTE: read-only; to_int makes it shown as the item holds it.
            convert=to_int,
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "integer"},
        )
    ),
)

IF_MATCH = Extension(
    descriptor=ExtensionDescriptor(
        alias="revision-if-match",
        name="If-Match constraints based on revision_number",
        description="Extension indicating that If-Match based on revision_number "
        "is supported.",
        namespace="http://docs.openstack.org/ext/revision-if-match/api/v2.0",
        updated="2016-12-11T00:00:00-00:00",
    ),
)
"""Served with ``standard-attr-revisions`` (the controller honours the header on
a resource that has ``revision_number``)."""
