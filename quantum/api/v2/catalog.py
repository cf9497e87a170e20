# SPDX-License-Identifier: Apache-2.0
"""What v2.0 serves, built in one place: the core resources
(``quantum.api.v2.resources``) plus the enabled extensions
(``quantum.api.v2.extensions``) with their resources and the attributes they add.

An extension is enabled when its alias is one the core plugin or a loaded service
plugin supports (``supported_extension_aliases``), one that is always on
(``ALWAYS``), or ``agent`` over a plugin whose agents report to it (and
``agent_scheduler`` over one with DHCP agents). The extensions
are the built-in ones (``quantum.api.v2.extensions``) and those of modules on
``api_extensions_path`` (``quantum.api.extension_loader``). ``EVERYTHING`` is the
catalog with every built-in extension on: what the OpenAPI document describes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quantum.api.v2.attributes import Extension, Resource
from quantum.api.v2.extensions import EXTENSIONS as EXTENSIONS
from quantum.api.v2.resources import CORE
from quantum.plugins.interface import AgentAdmin, DhcpAgentScheduler

ALWAYS = frozenset(
    {
        "external-net",
        "binding",
        "quotas",
        "net-mtu",
        "standard-attr-description",
        "standard-attr-timestamp",
        "standard-attr-revisions",
        "revision-if-match",
        "standard-attr-tag",
        "tag",
        "tag-ext",
    }
)
"""Extensions every v2 plugin serves (the store implements them)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    resources: tuple[Resource, ...]
    """In the order of the index (``GET /v2.0``), extensions' attributes added."""
    extensions: tuple[Extension, ...]
    """The enabled extensions, in the order ``/v2.0/extensions`` lists them."""


def catalog(
    aliases: Collection[str],
    extensions: Sequence[Extension] = EXTENSIONS,
    core: Sequence[Resource] = CORE,
) -> Catalog:
    """The core resources and the extensions whose alias is in ``aliases``."""
    enabled = tuple(e for e in extensions if e.descriptor.alias in aliases)
    resources = [*core, *(r for e in enabled for r in e.resources)]
    index = {r.name: i for i, r in enumerate(resources)}
    for extension in enabled:
        for name, extend in extension.extends.items():
            # NOTE: extending a resource that is not served (its extension is
            # off) adds nothing.
            if name in index:
                i = index[name]
                resources[i] = resources[i].extended(extend)
    return Catalog(tuple(resources), enabled)


def aliases_of(plugin: Any, service_plugins: Iterable[Any] = ()) -> frozenset[str]:
    """The extension aliases ``plugin`` (the core plugin) and the loaded
    ``service_plugins`` enable."""
    found = set(ALWAYS)
    for each in (plugin, *service_plugins):
        found.update(getattr(each, "supported_extension_aliases", ()) or ())
    if isinstance(plugin, AgentAdmin):
        found.add("agent")
    if isinstance(plugin, DhcpAgentScheduler):
        found.add("agent_scheduler")
    return frozenset(found)


EVERYTHING = catalog({e.descriptor.alias for e in EXTENSIONS})
"""Every resource with every extension on (the OpenAPI document's)."""
