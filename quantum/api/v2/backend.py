# SPDX-License-Identifier: Apache-2.0
"""The one seam between the generic controller and the plugin.

For each served resource the controller holds ``Operations`` bound here, at start.
The backend of a resource is its service (``Resource.service``, by default the
collection), in the uniform shape of ``plugins.interface.Service`` (list, get,
create, update, delete) plus one method per action: the service of that name
among ``services`` (what service plugins contribute), else the core plugin's
(``plugin.networks``...), else ``Resource.backend(plugin)`` for a resource that
says how to reach its calls (quotas, agents). Nothing else reaches the plugin.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from quantum.api.v2.attributes import Operations, Resource, compile_view
from quantum.core import exceptions as exc


def service_of(
    resource: Resource, plugin: Any, services: Mapping[str, Any] | None = None
) -> Any:
    """What serves ``resource`` over ``plugin``. Raises ConfigError when nothing
    does (a resource served without its service)."""
    name = resource.service_name
    found = (services or {}).get(name)
    if found is None:
        found = getattr(plugin, name, None)
    if found is not None and callable(getattr(found, "create", None)):
        return found
    if resource.backend is not None:
        return resource.backend(plugin)
    raise exc.ConfigError(
        reason=f"v2.0 serves {resource.collection}, but no service {name} serves it"
    )


def _takes_revisions(delete: Any) -> bool:
    """Whether a service's ``delete`` takes ``revisions`` (``NetworkStore``'s)."""
    try:
        return "revisions" in inspect.signature(delete).parameters
    except (TypeError, ValueError):
        return False


def _page_lister(service: Any) -> Any:
    """The service's ``list_page`` (``Operations.list_page``), if the class that
    defines its ``list`` defines that too: a subclass that changes what ``list``
    gives (``FakePorts``: every port UP) does not inherit a page of rows that
    would not show its change."""
    kind = type(service)

    def owner(name: str) -> type | None:
        return next((k for k in kind.__mro__ if name in k.__dict__), None)

    lister = owner("list_page")
    if lister is None or lister is not owner("list"):
        return None
    return service.list_page


def bind(
    resource: Resource, plugin: Any, services: Mapping[str, Any] | None = None
) -> Operations:
    """The operations of ``resource`` over ``plugin`` (and ``services``)."""
    service = service_of(resource, plugin, services)
    return Operations(
        list=service.list,
        show=service.get,
        create=service.create,
        update=service.update,
        delete=service.delete,
        delete_at=service.delete if _takes_revisions(service.delete) else None,
        view=compile_view(resource, plugin),
        not_found=resource.missing,
        actions={a.name: getattr(service, a.name) for a in resource.actions},
        plugin=plugin,
        services=dict(services or {}),
        list_page=_page_lister(service),
        row_shape=getattr(service, "row_shape", None),
    )
