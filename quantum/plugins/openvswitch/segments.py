# SPDX-License-Identifier: Apache-2.0
"""Network segments: which VLAN id or tunnel key a new tenant network gets.

The pool is the configured ranges; an id in use is a row of ``vlan_allocations`` or
``tunnel_allocations`` whose primary key makes sharing it impossible on every back-end.
``SegmentAllocator.allocate`` runs inside the transaction that creates the network: it
reads the ids in use, inserts the lowest free one under a savepoint and, when a
concurrent create committed that id first (the key refuses ours), tries the next. The
rows go with their network (``ON DELETE CASCADE``), so a delete frees the id in its
own transaction and the next create reuses it.

Nothing is written at start-up: ranges may change between restarts, and ids in use
outside the new ranges simply stay with their networks until those are deleted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from quantum.core import exceptions as exc
from quantum.core.networks import NetworkSegment, NetworkType
from quantum.db.models import (
    PHYSNET_MAX,
    NetworkSegmentRow,
    TunnelAllocationRow,
    VlanAllocationRow,
)

LOG = logging.getLogger(__name__)

# -- ranges (pure) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class IdRange:
    """Ids ``first`` to ``last``, both included."""

    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.first}:{self.last}"


VLAN_IDS = IdRange(1, 4094)
FLAT_SLOT = 0
"""The ``vlan_allocations`` id a flat network holds on its physical network (no VLAN
has it): so one flat network per physical network is the table's primary key."""
"""802.1Q ids a network may use (0 and 4095 are reserved)."""
GRE_KEYS = IdRange(1, 2**32 - 1)
"""GRE keys are 32 bits."""
VXLAN_VNIS = IdRange(1, 2**24 - 1)
"""VXLAN network identifiers are 24 bits."""

_NUMBER = re.compile(r"[0-9]+")


def parse_range(text: str, limits: IdRange) -> IdRange:
    """``"min:max"`` inside ``limits``. Raises ValueError saying what is wrong."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(_NUMBER.fullmatch(p.strip()) for p in parts):
        raise ValueError(f"{text!r} is not 'min:max' with whole numbers")
    first, last = (int(p) for p in parts)
    if first > last:
        raise ValueError(f"{text!r}: min is greater than max")
    if first < limits.first or last > limits.last:
        raise ValueError(f"{text!r} is outside {limits.first}..{limits.last}")
    return IdRange(first, last)


def merge_ranges(ranges: Iterable[IdRange]) -> tuple[IdRange, ...]:
    """Sorted, with overlapping and adjacent ranges joined."""
    merged: list[IdRange] = []
    for r in sorted(ranges):
        if merged and r.first <= merged[-1].last + 1:
            merged[-1] = IdRange(merged[-1].first, max(merged[-1].last, r.last))
        else:
            merged.append(r)
    return tuple(merged)


def parse_tunnel_ranges(
    entries: Sequence[str], limits: IdRange = GRE_KEYS
) -> tuple[IdRange, ...]:
    """``tunnel_id_ranges``: ``["min:max", ...]``."""
    return merge_ranges(parse_range(e, limits) for e in entries if e.strip())


def parse_vlan_ranges(entries: Sequence[str]) -> dict[str, tuple[IdRange, ...]]:
    """``network_vlan_ranges``: ``["physnet:min:max" | "physnet", ...]``.

    A bare name makes the physical network known without giving tenants any of its
    VLANs; a name may repeat to give it several ranges. Order is kept: tenant networks
    take the first physical network with a free id.
    """
    found: dict[str, list[IdRange]] = {}
    for entry in entries:
        if not entry.strip():
            continue
        name, sep, rest = entry.strip().partition(":")
        name = name.strip()
        if not name:
            raise ValueError(f"{entry!r} has no physical network name")
        if len(name) > PHYSNET_MAX:
            raise ValueError(
                f"{entry!r}: a physical network name has at most {PHYSNET_MAX} "
                "characters"
            )
        ranges = found.setdefault(name, [])
        if sep:
            try:
                ranges.append(parse_range(rest, VLAN_IDS))
            except ValueError as error:
                raise ValueError(
                    f"{entry!r} is not 'physnet:min:max' ({error})"
                ) from None
    return {name: merge_ranges(ranges) for name, ranges in found.items()}


def lowest_free(ranges: Sequence[IdRange], used: Collection[int]) -> int | None:
    """The lowest id of ``ranges`` (taken in order) that is not in ``used``."""
    for r in ranges:
        candidate = r.first
        for taken in sorted(u for u in used if r.first <= u <= r.last):
            if taken > candidate:
                break
            candidate = taken + 1
        if candidate <= r.last:
            return candidate
    return None


def _describe(ranges: Iterable[IdRange]) -> str:
    return ",".join(str(r) for r in ranges)


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentConfig:
    """The segment pools, as ``[OVS]`` in ``ovs_quantum_plugin.ini`` configures them.

    Construction checks that the tenant network type has a pool; the ValueError names
    the options to fix.
    """

    tenant_network_type: NetworkType = NetworkType.LOCAL
    vlan_ranges: Mapping[str, tuple[IdRange, ...]] = field(default_factory=dict)
    """Physical network -> its VLAN ranges (empty: known, but no tenant pool)."""
    tunnel_ranges: tuple[IdRange, ...] = ()
    """Tunnel keys for ``gre`` and ``vxlan`` tenant networks."""

    def __post_init__(self) -> None:
        kind = self.tenant_network_type
        if kind is NetworkType.VLAN and not any(self.vlan_ranges.values()):
            raise ValueError(
                "tenant_network_type = vlan needs at least one 'physnet:min:max' "
                "in network_vlan_ranges"
            )
        if kind in (NetworkType.GRE, NetworkType.VXLAN) and not self.tunnel_ranges:
            raise ValueError(
                f"tenant_network_type = {kind} needs at least one 'min:max' "
                "in tunnel_id_ranges"
            )
        highest = max((r.last for r in self.tunnel_ranges), default=0)
        if kind is NetworkType.VXLAN and highest > VXLAN_VNIS.last:
            raise ValueError(
                f"tenant_network_type = vxlan: tunnel_id_ranges must stay inside "
                f"{VXLAN_VNIS.first}..{VXLAN_VNIS.last} (24-bit VNIs); "
                f"got {_describe(self.tunnel_ranges)}"
            )


# -- allocation (inside the caller's transaction) --------------------------------------


def _in_ranges(
    column: InstrumentedAttribute[int], ranges: Sequence[IdRange]
) -> ColumnElement[bool]:
    return or_(*(column.between(r.first, r.last) for r in ranges))


def _claim(
    s: Session,
    id_column: InstrumentedAttribute[int],
    ranges: Sequence[IdRange],
    network_id: str,
    scope: Sequence[tuple[InstrumentedAttribute[str], str]] = (),
) -> int | None:
    """Insert the lowest free id of ``ranges`` (within ``scope``, e.g. one physical
    network) for the network; None when every one is in use."""
    query = select(id_column).where(
        _in_ranges(id_column, ranges), *(column == value for column, value in scope)
    )
    fixed = {column.key: value for column, value in scope}
    refused: set[int] = set()
    while True:
        used = refused.union(s.scalars(query))
        candidate = lowest_free(ranges, used)
        if candidate is None:
            return None
        row = {**fixed, id_column.key: candidate, "network_id": network_id}
        try:
            with s.begin_nested():
                s.execute(insert(id_column.class_).values(row))
        except IntegrityError:
            # NOTE: a concurrent create committed this id after our read; the primary
            # key refused ours. The next read (READ COMMITTED) sees it; remembering it
            # here as well makes every round progress whatever the back-end shows.
            LOG.debug(
                "segment id %d was taken concurrently; trying the next", candidate
            )
            refused.add(candidate)
            continue
        return candidate


class SegmentAllocator:
    """Gives each new network a segment of the tenant network type.

    Methods take the caller's session: they run inside its transaction, so a network
    and its segment are committed, or rolled back, together.
    """

    def __init__(self, config: SegmentConfig) -> None:
        self.config = config

    def allocate(self, s: Session, network_id: str) -> NetworkSegment:
        """Record a segment for the network just written in this transaction.

        Raises NoNetworkAvailable when every id of the tenant type is in use.
        """
        kind = self.config.tenant_network_type
        if kind is NetworkType.VLAN:
            segment = self._vlan(s, network_id)
        elif kind in (NetworkType.GRE, NetworkType.VXLAN):
            segment = self._tunnel(s, network_id, kind)
        else:
            segment = NetworkSegment(network_id=network_id, network_type=kind)
        s.add(
            NetworkSegmentRow(
                network_id=network_id,
                network_type=segment.network_type.value,
                physical_network=segment.physical_network,
                segmentation_id=segment.segmentation_id,
            )
        )
        s.flush()
        return segment

    def _vlan(self, s: Session, network_id: str) -> NetworkSegment:
        for physnet, ranges in self.config.vlan_ranges.items():
            if not ranges:
                continue
            vlan_id = _claim(
                s,
                VlanAllocationRow.vlan_id,
                ranges,
                network_id,
                scope=((VlanAllocationRow.physical_network, physnet),),
            )
            if vlan_id is not None:
                return NetworkSegment(
                    network_id=network_id,
                    network_type=NetworkType.VLAN,
                    physical_network=physnet,
                    segmentation_id=vlan_id,
                )
        pools = ",".join(
            f"{physnet}:{r}"
            for physnet, ranges in self.config.vlan_ranges.items()
            for r in ranges
        )
        raise exc.NoNetworkAvailable(network_type="vlan", ranges=pools)

    def _tunnel(self, s: Session, network_id: str, kind: NetworkType) -> NetworkSegment:
        ranges = self.config.tunnel_ranges
        tunnel_id = _claim(s, TunnelAllocationRow.tunnel_id, ranges, network_id)
        if tunnel_id is None:
            raise exc.NoNetworkAvailable(network_type=kind, ranges=_describe(ranges))
        return NetworkSegment(
            network_id=network_id, network_type=kind, segmentation_id=tunnel_id
        )

    def check_provider(self, segment: NetworkSegment) -> None:
        """Raise InvalidInput unless this configuration can carry ``segment``.

        A provider segment may lie outside the tenant ranges; a VLAN's physical
        network must be configured, and tunnels need tunnelling configured.
        """
        kind, physnet, seg_id = (
            segment.network_type,
            segment.physical_network,
            segment.segmentation_id,
        )
        if kind is NetworkType.LOCAL:
            if physnet is not None or seg_id is not None:
                raise exc.InvalidInput(
                    reason="a local network takes neither provider:physical_network "
                    "nor provider:segmentation_id"
                )
            return
        if kind in (NetworkType.VLAN, NetworkType.FLAT):
            if physnet is None:
                raise exc.InvalidInput(
                    reason=f"a {kind} network needs provider:physical_network"
                )
            if physnet not in self.config.vlan_ranges:
                known = ", ".join(self.config.vlan_ranges) or "none"
                raise exc.InvalidInput(
                    reason=f"unknown provider:physical_network {physnet} "
                    f"(configured: {known})"
                )
            if kind is NetworkType.FLAT:
                if seg_id is not None:
                    raise exc.InvalidInput(
                        reason="a flat network takes no provider:segmentation_id"
                    )
                return
            limits = VLAN_IDS
        else:
            if physnet is not None:
                raise exc.InvalidInput(
                    reason=f"a {kind} network takes no provider:physical_network"
                )
            tunnelling = (
                self.config.tunnel_ranges
                or self.config.tenant_network_type
                in (
                    NetworkType.GRE,
                    NetworkType.VXLAN,
                )
            )
            if not tunnelling:
                raise exc.InvalidInput(
                    reason=f"{kind} networks need tunnel_id_ranges configured"
                )
            limits = VXLAN_VNIS if kind is NetworkType.VXLAN else GRE_KEYS
        if seg_id is None:
            raise exc.InvalidInput(
                reason=f"a {kind} network needs provider:segmentation_id"
            )
        if not limits.first <= seg_id <= limits.last:
            raise exc.InvalidInput(
                reason=f"provider:segmentation_id {seg_id} is outside {limits} "
                f"for {kind}"
            )

    def claim(self, s: Session, network_id: str, segment: NetworkSegment) -> None:
        """Record the provider segment asked for, for the network just written.

        Raises InvalidInput (see ``check_provider``), or SegmentInUse when another
        network holds the id.
        """
        self.check_provider(segment)
        kind, seg_id = segment.network_type, segment.segmentation_id
        try:
            with s.begin_nested():
                if kind in (NetworkType.VLAN, NetworkType.FLAT):
                    s.execute(
                        insert(VlanAllocationRow).values(
                            physical_network=segment.physical_network,
                            vlan_id=FLAT_SLOT if seg_id is None else seg_id,
                            network_id=network_id,
                        )
                    )
                elif kind is not NetworkType.LOCAL:
                    s.execute(
                        insert(TunnelAllocationRow).values(
                            tunnel_id=seg_id, network_id=network_id
                        )
                    )
        except IntegrityError:
            where = [segment.physical_network, seg_id]
            raise exc.SegmentInUse(
                network_type=kind.value,
                segment=":".join(str(w) for w in where if w is not None),
            ) from None
        s.add(
            NetworkSegmentRow(
                network_id=network_id,
                network_type=kind.value,
                physical_network=segment.physical_network,
                segmentation_id=seg_id,
            )
        )
        s.flush()

    @staticmethod
    def get(s: Session, network_id: str) -> NetworkSegment | None:
        row = s.get(NetworkSegmentRow, network_id)
        return None if row is None else row.to_domain()

    @staticmethod
    def get_many(
        s: Session, network_ids: Collection[str] | None = None
    ) -> dict[str, NetworkSegment]:
        query = select(NetworkSegmentRow)
        if network_ids is not None:
            query = query.where(NetworkSegmentRow.network_id.in_(list(network_ids)))
        return {row.network_id: row.to_domain() for row in s.scalars(query)}
