# SPDX-License-Identifier: Apache-2.0
"""A small real service plugin, to prove the ``service_plugins`` seam: labels on
networks, kept in memory, in the uniform service shape.

A label names a network the caller may see, through the core plugin's networks
service (so the core's tenancy rules hold here too); a label is its tenant's, as a
port is. Configure it with
``service_plugins = tests.unit.plugins.labels:LabelsPlugin``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.plugins.interface import CorePlugin, NetworkService, Service


class LabelNotFound(exc.NotFound):
    template = "Label {label_id} could not be found."

    label_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Label:
    id: str
    tenant_id: str
    network_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelCreate:
    tenant_id: str
    network_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelUpdate:
    text: str | None = None


class Labels:
    """``Service[Label, LabelCreate, LabelUpdate]``."""

    def __init__(self, networks: NetworkService) -> None:
        self.networks = networks
        self._lock = threading.Lock()
        self._labels: dict[str, Label] = {}

    def _visible(self, scope: Scope, label: Label) -> bool:
        return scope.owns(label.tenant_id)

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Label]:
        wanted = set(query.filters.get("network_id", ()))
        with self._lock:
            return [
                label
                for label in self._labels.values()
                if self._visible(scope, label)
                and (not wanted or label.network_id in wanted)
            ]

    def get(self, scope: Scope, id: str) -> Label:
        with self._lock:
            label = self._labels.get(id)
        if label is None or not self._visible(scope, label):
            raise LabelNotFound(label_id=id)
        return label

    def create(self, scope: Scope, items: Sequence[LabelCreate]) -> Sequence[Label]:
        for item in items:
            # NOTE: the core's rule: a network the caller cannot see is not found.
            self.networks.get(scope, item.network_id)
        made = [
            Label(
                id=str(uuid.uuid4()),
                tenant_id=item.tenant_id,
                network_id=item.network_id,
                text=item.text,
            )
            for item in items
        ]
        with self._lock:
            self._labels.update((label.id, label) for label in made)
        return made

    def update(
        self,
        scope: Scope,
        id: str,
        changes: LabelUpdate,
        authorize: Callable[[Label], None] | None = None,
    ) -> Label:
        label = self.get(scope, id)
        if authorize is not None:
            authorize(label)
        if changes.text is not None:
            label = replace(label, text=changes.text)
        with self._lock:
            self._labels[id] = label
        return label

    def delete(self, scope: Scope, id: str) -> None:
        self.get(scope, id)
        with self._lock:
            del self._labels[id]


class LabelsPlugin:
    supported_extension_aliases: Sequence[str] = ("network-labels",)

    def __init__(self, settings: Settings, core: CorePlugin) -> None:
        self.labels: Service[Label, LabelCreate, LabelUpdate] = Labels(core.networks)
        self.closed = False

    def services(self) -> Mapping[str, object]:
        return {"labels": self.labels}

    def close(self) -> None:
        self.closed = True


class NetworksAgain(LabelsPlugin):
    """A service plugin that offers a name the core already gives."""

    def services(self) -> Mapping[str, object]:
        return {"networks": self.labels}
