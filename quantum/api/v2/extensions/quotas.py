# SPDX-License-Identifier: Apache-2.0
"""``quotas`` (spec §5.6): per-tenant limits, ``/v2.0/quotas``."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="quotas",
        name="Quota management support",
        description="Expose functions for quotas management per tenant",
        namespace="http://docs.openstack.org/ext/quotas/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
)
