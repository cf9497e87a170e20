# SPDX-License-Identifier: Apache-2.0
"""Whose view of the store a call works in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """Whose view of the store a v2 call works in.

    ``tenant_id`` is None for a caller without a tenant (an admin with no project);
    an admin sees and may change every tenant's resources, anybody else their own
    (plus what is shared with them, read-only).
    """

    tenant_id: str | None
    is_admin: bool = False

    def owns(self, tenant_id: str) -> bool:
        return self.is_admin or (
            self.tenant_id is not None and self.tenant_id == tenant_id
        )
