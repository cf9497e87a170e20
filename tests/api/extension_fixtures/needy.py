# SPDX-License-Identifier: Apache-2.0
"""An extension whose plugin interface no test plugin implements."""

from __future__ import annotations

from typing import Protocol


class NeedsPies(Protocol):
    def bake_pie(self, tenant_id: str) -> str: ...


class Needy:
    def get_name(self) -> str:
        return "Needy"

    def get_alias(self) -> str:
        return "NEEDY"

    def get_description(self) -> str:
        return "Needs a plugin that bakes pies"

    def get_namespace(self) -> str:
        return "http://example.com/needy"

    def get_updated(self) -> str:
        return "2012-01-01T00:00:00-00:00"

    def get_plugin_interface(self) -> type:
        return NeedsPies
