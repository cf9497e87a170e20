# SPDX-License-Identifier: Apache-2.0
"""Values of the original's extension resources (QoS, port profiles, credentials,
compute instances' ports), as plugins return them to ``quantum/extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quantum.core.agents import QosLimit


@dataclass(frozen=True, slots=True, kw_only=True)
class QosPolicy:
    """A named QoS policy; ``description`` is the caller's JSON value, kept as given.

    ``limit`` is what the description's ``rate`` (kbit/s) and ``burst`` (kbit) ask
    for; None when it has no ``rate``.
    """

    id: str
    tenant_id: str
    name: str
    description: Any
    limit: QosLimit | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PortProfile:
    """A port profile: a QoS policy (by name, in the same tenant) for the ports
    associated with it (``port_ids``)."""

    id: str
    tenant_id: str
    name: str
    qos_name: str
    port_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    """A named user name and password; the password is decrypted only here."""

    id: str
    tenant_id: str
    name: str
    user_name: str
    password: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstancePort:
    """A compute instance's interface as the compute service associated it, with
    the port it is plugged into when there is one."""

    tenant_id: str
    instance_id: str
    vif_id: str
    user_id: str
    project_id: str
    port_id: str | None = None
    network_id: str | None = None
