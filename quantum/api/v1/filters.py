# SPDX-License-Identifier: Apache-2.0
"""Query-string filters on v1 lists, with the original's exact semantics.

Exact string equality, keys ANDed, the last of repeated keys wins; ``has-attachment``
is true only for the (case-insensitive) value ``true``; a query made only of unknown
keys matches nothing. Filters never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import unquote_to_bytes

from quantum.core.networks import Network
from quantum.core.ports import Port

PortTest = Callable[[Port, str], bool]
NetworkTest = Callable[[Network, str], bool]
T = TypeVar("T")


def _has_attachment(value: str) -> bool:
    return value.lower() == "true"


PORT_FILTERS: dict[str, PortTest] = {
    "state": lambda p, v: p.state.value == v,
    "op-status": lambda p, v: p.status.value == v,
    "has-attachment": lambda p, v: bool(p.attachment) == _has_attachment(v),
    "attachment": lambda p, v: p.attachment == v,
}


def _ports(net: Network) -> Iterable[Port]:
    return net.ports or ()


NETWORK_FILTERS: dict[str, NetworkTest] = {
    "name": lambda n, v: n.name == v,
    "op-status": lambda n, v: n.status.value == v,
    "port-op-status": lambda n, v: any(p.status.value == v for p in _ports(n)),
    "port-state": lambda n, v: any(p.state.value == v for p in _ports(n)),
    "has-attachment": lambda n, v: (
        any(p.attachment for p in _ports(n)) == _has_attachment(v)
    ),
    "attachment": lambda n, v: any(p.attachment == v for p in _ports(n)),
    "port": lambda n, v: any(p.id == v for p in _ports(n)),
}

NEEDS_PORTS = frozenset(NETWORK_FILTERS) - {"name", "op-status"}
"""Network filters that look at the network's ports."""


def last_values(params: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The query as a dict where a repeated key keeps its last value."""
    return dict(params)


def _text(raw: bytes) -> str:
    return unquote_to_bytes(raw).decode("utf-8", "replace")


def parse_query(query_string: str) -> dict[str, str]:
    """``QUERY_STRING`` as filters: split and unquoted as WebOb does, last value wins.

    Bytes that are not UTF-8 become U+FFFD (matching nothing) instead of an error:
    filters never fail a request.
    """
    raw = query_string.encode("latin-1", "replace").replace(b"+", b" ")
    pairs = (pair.partition(b"=") for pair in re.split(rb"[&;]", raw) if pair)
    return last_values((_text(name), _text(value)) for name, _, value in pairs)


def _apply(
    items: Sequence[T],
    query: Mapping[str, str],
    tests: Mapping[str, Callable[[T, str], bool]],
) -> list[T]:
    if not query:
        return list(items)
    known = [(tests[k], v) for k, v in query.items() if k in tests]
    if not known:
        return []
    return [item for item in items if all(test(item, v) for test, v in known)]


def networks(items: Sequence[Network], query: Mapping[str, str]) -> list[Network]:
    return _apply(items, query, NETWORK_FILTERS)


def ports(items: Sequence[Port], query: Mapping[str, str]) -> list[Port]:
    return _apply(items, query, PORT_FILTERS)
