# SPDX-License-Identifier: Apache-2.0
"""OpenFlow 1.3 flows as plain data, their ovs-ofctl-like text, and flow-set diffs.

The planner produces these values; ``bridges/messages.py`` turns them into os-ken
messages and parses dumped flows back into them. Nothing here imports os-ken.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

VLAN_PRESENT = 0x1000  # OFPVID_PRESENT


class Untagged(enum.Enum):
    """Matches frames without an 802.1Q header (``vlan_tci=0x0000/0x1fff``)."""

    UNTAGGED = "untagged"


UNTAGGED = Untagged.UNTAGGED

_SHARED: dict[object, object] = {}
_SHARED_LIMIT = 200_000
T = TypeVar("T")


def shared(value: T) -> T:
    """One object for equal values: a match field pair like ``("reg7", 5)`` or an
    action tuple recurs in thousands of flows (a planned set and a dumped set of
    40,000 flows each held their own copies). Bounded: the table is emptied when
    it reaches ``_SHARED_LIMIT`` values."""
    found = _SHARED.get(value)
    if found is not None:
        return cast(T, found)
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    _SHARED[value] = value
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """Match fields; ``None`` means wildcarded.

    ``extra`` holds every other field as sorted ``(os-ken field name, value)``
    pairs, a masked value as ``(value, mask)``, in the form a dump gives back
    (``Match.of`` builds it): the firewall's L3/L4 and conntrack fields, and what
    a foreign flow in a dump matches, so it can still be compared and deleted
    exactly.
    """

    in_port: int | None = None
    vlan: int | Untagged | None = None
    tunnel_id: int | None = None
    eth_dst: str | None = None
    extra: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(
        cls,
        fields: Mapping[str, object] | None = None,
        /,
        *,
        in_port: int | None = None,
        vlan: int | Untagged | None = None,
        eth_dst: str | None = None,
        **more: object,
    ) -> Match:
        """A match with ``fields`` and ``more`` (os-ken names) in ``extra``'s
        canonical form: ``None`` values left out, a mask of all ones dropped."""
        extra = []
        for name, value in {**(fields or {}), **more}.items():
            if value is None:
                continue
            if isinstance(value, tuple) and _all_ones(value[1]):
                value = value[0]
            extra.append(shared((name, value)))
        return cls(
            in_port=in_port,
            vlan=vlan,
            eth_dst=eth_dst,
            extra=tuple(sorted(extra, key=lambda item: item[0])),
        )

    def get(self, name: str) -> object:
        """The value of field ``name`` in ``extra`` (``None``: wildcarded)."""
        return dict(self.extra).get(name)

    def render(self) -> str:
        parts: list[str] = []
        if self.in_port is not None:
            parts.append(f"in_port={self.in_port}")
        if self.vlan is UNTAGGED:
            parts.append("vlan_tci=0x0000/0x1fff")
        elif self.vlan is not None:
            parts.append(f"dl_vlan={self.vlan}")
        if self.eth_dst is not None:
            parts.append(f"dl_dst={self.eth_dst}")
        if self.tunnel_id is not None:
            parts.append(f"tun_id={self.tunnel_id:#x}")
        parts.extend(_render_field(name, value) for name, value in self.extra)
        return ",".join(parts)


_CT_FLAGS = ("new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat")


def _all_ones(mask: object) -> bool:
    if isinstance(mask, int):
        return mask in (0xFF, 0xFFFF, 0xFFFFFFFF, 2**64 - 1)
    if isinstance(mask, str):
        return mask in ("255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    return False


def _render_field(name: str, value: object) -> str:
    if name == "ct_state" and isinstance(value, tuple):
        bits, mask = value
        flags = "".join(
            ("+" if bits & (1 << i) else "-") + flag
            for i, flag in enumerate(_CT_FLAGS)
            if mask & (1 << i)
        )
        return f"ct_state={flags}"
    if isinstance(value, tuple):
        bits, mask = value
        if isinstance(bits, int) and isinstance(mask, int):
            return f"{name}={bits:#x}/{mask:#x}"
        return f"{name}={bits}/{mask}"
    if isinstance(value, int) and name == "eth_type":
        return f"{name}={value:#06x}"
    return f"{name}={value}"


@dataclass(frozen=True, slots=True)
class Output:
    port: int


@dataclass(frozen=True, slots=True)
class Normal:
    """Hand the packet to OVS's learning switch (the NORMAL reserved port)."""


@dataclass(frozen=True, slots=True)
class PushVlan:
    pass


@dataclass(frozen=True, slots=True)
class PopVlan:
    pass


@dataclass(frozen=True, slots=True)
class SetVlan:
    vlan: int


@dataclass(frozen=True, slots=True)
class SetTunnel:
    key: int


@dataclass(frozen=True, slots=True)
class SetField:
    """Load ``value`` into field ``name`` (os-ken name; here the registers)."""

    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Ct:
    """Send the packet through conntrack in ``zone``: ``commit`` records the
    connection; ``table`` continues processing there with ``ct_state`` set
    (``None``: the pipeline goes on after the action, state not recirculated)."""

    zone: int
    commit: bool = False
    table: int | None = None


@dataclass(frozen=True, slots=True)
class Goto:
    """The goto-table instruction; always the last item of a flow's actions."""

    table: int


@dataclass(frozen=True, slots=True)
class Meter:
    """The meter instruction (OpenFlow 1.3): packets over the meter's rate are
    dropped before the actions run; always the first item of a flow's actions."""

    meter_id: int


@dataclass(frozen=True, slots=True)
class Opaque:
    """An action or instruction the agent does not use, seen in a dumped flow."""

    text: str


Action = (
    Output
    | Normal
    | PushVlan
    | PopVlan
    | SetVlan
    | SetTunnel
    | SetField
    | Ct
    | Goto
    | Meter
    | Opaque
)


def render_action(action: Action) -> str:  # noqa: C901 - one arm per action type
    match action:
        case Output(port):
            return f"output:{port}"
        case Normal():
            return "NORMAL"
        case PushVlan():
            return "push_vlan:0x8100"
        case PopVlan():
            return "pop_vlan"
        case SetVlan(vlan):
            return f"set_field:{VLAN_PRESENT | vlan}->vlan_vid"
        case SetTunnel(key):
            return f"set_field:{key:#x}->tun_id"
        case SetField(name, value):
            return f"set_field:{value:#x}->{name}"
        case Ct(zone, commit, table):
            args = ["commit"] if commit else []
            args.append(f"zone={zone}")
            if table is not None:
                args.append(f"table={table}")
            return f"ct({','.join(args)})"
        case Goto(table):
            return f"goto_table:{table}"
        case Meter(meter_id):
            return f"meter:{meter_id}"
        case Opaque(text):
            return text
    raise AssertionError(action)  # pragma: no cover - the match is exhaustive


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """One flow entry; no actions means drop."""

    table: int
    priority: int
    match: Match = field(default_factory=Match)
    actions: tuple[Action, ...] = ()

    @property
    def key(self) -> tuple[int, int, Match]:
        """What OpenFlow identifies a flow by: an add with the same key replaces it."""
        return (self.table, self.priority, self.match)

    def render(self) -> str:
        """The flow as ``ovs-ofctl -O OpenFlow13 dump-flows --no-stats`` prints it."""
        match = self.match.render()
        head = f"table={self.table}, priority={self.priority}"
        if match:
            head += f",{match}"
        actions = ",".join(render_action(a) for a in self.actions) or "drop"
        return f"{head} actions={actions}"


def sort_key(flow: Flow) -> tuple[int, int, str]:
    """Order flows like a reader scans a table: by table, highest priority first."""
    return (flow.table, -flow.priority, flow.render())


def render_table(flows: Iterable[Flow]) -> str:
    return "".join(f"{flow.render()}\n" for flow in sorted(flows, key=sort_key))


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledFlow:
    """A flow dumped from a bridge, with the cookie it carries."""

    cookie: int
    flow: Flow


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowDiff:
    """What makes a bridge's flow table equal to the wanted set.

    Apply ``add`` first (an add replaces a flow with the same key in place, so a
    changed flow never disappears), then ``delete`` strictly, each with the cookie it
    was dumped with, so a flow just re-added under the agent cookie survives.
    """

    add: tuple[Flow, ...] = ()
    delete: tuple[InstalledFlow, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add or self.delete)

    @classmethod
    def compute(
        cls,
        wanted: Iterable[Flow],
        installed: Iterable[InstalledFlow],
        *,
        cookie: int,
        sweep: bool = True,
    ) -> FlowDiff:
        """Diff ``wanted`` against the flows dumped from the bridge.

        Flows carrying ``cookie`` are the agent's: those not wanted are deleted.
        Flows with any other cookie are deleted only when ``sweep`` is true (after a
        full resync), and a wanted flow found only under another cookie is added
        again so that it ends up under ``cookie``.
        """
        wanted_set = frozenset(wanted)
        wanted_keys = {flow.key for flow in wanted_set}
        installed = tuple(installed)
        ours = {item.flow for item in installed if item.cookie == cookie}
        add = tuple(sorted(wanted_set - ours, key=sort_key))
        delete = tuple(
            item
            for item in sorted(installed, key=lambda item: sort_key(item.flow))
            if (item.cookie == cookie and item.flow.key not in wanted_keys)
            or (item.cookie != cookie and sweep)
        )
        return cls(add=add, delete=delete)
