# SPDX-License-Identifier: Apache-2.0
"""The one seam between the generic controller and the plugin.

For each served resource the controller holds ``Operations`` bound here, at start.
The backend of a resource is its service (``Resource.service``, by default the
collection): ``plugin.<service>`` when the plugin has such a per-domain service
(the uniform CRUD shape: list, get, create, update, delete, and one method per
member action), else ``Resource.backend(plugin)`` when the resource says how to
reach it, else the plugin's flat v2 methods by name (``list_<collection>``,
``get_<name>``, ``create_<collection>``, ``update_<name>``, ``delete_<name>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from quantum.api.v2.attributes import Operations, Resource, compile_view
from quantum.core.listing import ListQuery
from quantum.core.scope import Scope


class Flat:
    """A resource's service over the plugin's flat v2 methods."""

    def __init__(self, store: Any, resource: Resource) -> None:
        name, collection = resource.name, resource.collection
        self.list: Callable[[Scope, ListQuery], Sequence[Any]] = getattr(
            store, f"list_{collection}"
        )
        self.get: Callable[[Scope, str], Any] = getattr(store, f"get_{name}")
        self.create: Callable[[Scope, Sequence[Any]], Sequence[Any]] = getattr(
            store, f"create_{collection}"
        )
        self.update: Callable[..., Any] = getattr(store, f"update_{name}")
        self.delete: Callable[[Scope, str], None] = getattr(store, f"delete_{name}")
        for action in resource.actions:
            setattr(self, action.name, getattr(store, action.name))


def service_of(resource: Resource, plugin: Any) -> Any:
    """What serves ``resource`` over ``plugin``."""
    found = getattr(plugin, resource.service_name, None)
    if found is not None and callable(getattr(found, "create", None)):
        return found
    if resource.backend is not None:
        return resource.backend(plugin)
    return Flat(plugin, resource)


def bind(resource: Resource, plugin: Any) -> Operations:
    """The operations of ``resource`` over ``plugin``."""
    service = service_of(resource, plugin)
    return Operations(
        list=service.list,
        show=service.get,
        create=service.create,
        update=service.update,
        delete=service.delete,
        view=compile_view(resource, plugin),
        not_found=resource.missing,
        actions={a.name: getattr(service, a.name) for a in resource.actions},
    )
