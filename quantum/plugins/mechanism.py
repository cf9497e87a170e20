# SPDX-License-Identifier: Apache-2.0
"""The one seam for back-ends: what a mechanism gives the core services.

A back-end (Open vSwitch today; Linux bridge and a central OpenFlow controller next)
is a ``Mechanism``: the SQL plugin's services stay the only write path for networks,
subnets, ports and quotas, and ask the mechanism, inside their own transactions, for
what only the back-end knows. It is never a wrapper around the store.

Rules every mechanism keeps:

* **In the caller's transaction.** ``network_precommit`` and ``port_precommit`` get
  the service's ``Session``; what they write commits with the network or port, and
  what they raise (a ``quantum.core.exceptions`` error) rolls the whole write back.
  They never commit, and never talk to agents or switches.
* **Segments are rows.** A segment is written in the network's create transaction and
  goes with the network (``ON DELETE CASCADE``); so delete needs no hook, and two
  concurrent creates cannot share an id (the allocation tables' keys).
* **Agents read what the store holds.** ``segments`` is what a back-end's agents need
  to wire a port (where its network lives); the agent API serves it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from quantum.core.networks import NetworkSegment
from quantum.core.ports import Port
from quantum.core.status import OpStatus

PROVIDER = "provider"
"""The extension alias of a mechanism that accepts requested segments."""


@runtime_checkable
class Mechanism(Protocol):
    vif_type: str
    """What its agents plug (``binding:vif_type``, spec §5.7: ``ovs``, ``bridge``)."""

    extension_aliases: Sequence[str]
    """API extensions the mechanism makes possible (``provider``: it accepts
    requested segments; ``portstats``: its agents report counters)."""

    initial_port_status: OpStatus
    """A new port's op-status: DOWN until its agent reports it wired; UP for a
    back-end with nothing to wire."""

    def network_precommit(
        self, s: Session, network_id: str, requested: NetworkSegment | None
    ) -> None:
        """Give the network just written its segment: ``requested`` (a provider
        network; raises InvalidInput, SegmentInUse), or else one of the tenant
        network type (raises NoNetworkAvailable). Also the place for checks a
        network must pass on this back-end."""
        ...

    def port_precommit(self, s: Session, port: Port) -> None:
        """Checks a port must pass on this back-end, after its row (and its
        addresses) are written in the create's transaction."""
        ...

    def segments(
        self, s: Session, network_ids: Collection[str] | None
    ) -> Mapping[str, NetworkSegment]:
        """Network id -> segment for the given networks (all when None); networks
        without a segment are left out."""
        ...
