# SPDX-License-Identifier: Apache-2.0
"""``standard-attr-timestamp``: read-only ``created_at`` and ``updated_at`` of
networks, subnets and ports, in UTC to the second (``2026-12-06T23:10:00Z``, as
the clients parse it). ``updated_at`` is ``created_at`` until the first change;
it moves with every change that bumps ``revision_number``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension, Field
from quantum.api.v2.extensions.standard import on_every_resource
from quantum.core.workingset import WorkingSet

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SCHEMA = {"type": "string", "format": "date-time"}


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


STAMPS: WorkingSet[str | None] = WorkingSet(_text)
"""Stored UTC times (naive) as the API shows them, as long as listings show them
(``quantum.core.workingset``: a deleted item's go).

PERF: isoformat is C, and several times faster than strftime(FORMAT); the text of
each value is remembered (values are immutable, and a list shows the same ones
again and again: two per item, a port's ``updated_at`` its ``created_at`` until
it changes): a third of a page's rendering went here."""

stamp: Callable[[datetime | None], str | None] = STAMPS.lookup
"""A stored UTC time (naive) as the API shows it (``STAMPS``)."""


def _field(name: str) -> Field:
    return Field(
        name=name,
        on_create=False,
        show=stamp,
        sortable=False,
        filterable=False,
        schema=SCHEMA,
    )


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="standard-attr-timestamp",
        name="Resource timestamps",
        description="Adds created_at and updated_at fields to all Neutron "
        "resources that have Neutron standard attributes.",
        namespace="http://docs.openstack.org/ext/standard-attr-timestamp/api/v2.0",
        updated="2016-09-12T10:00:00-00:00",
    ),
    extends=on_every_resource(_field("created_at"), _field("updated_at")),
)
