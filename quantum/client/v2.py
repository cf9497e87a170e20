# SPDX-License-Identifier: Apache-2.0
"""The v2.0 API as calls: ``client.networks.list()``, ``client.ports.create(...)``.

Every resource of ``quantum.client.resources.KINDS`` is a ``Collection`` attribute
named after its collection (``client.networks``, ``client.quotas``...); others can
be reached with ``client.collection(kind)``. Members are the wire dicts the server
sends (``{"id": ..., "name": ...}``), never wrapped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from quantum.client import errors
from quantum.client.resources import (
    AGENT,
    EXTENSION,
    FLOATINGIP,
    HEALTH_MONITOR,
    MEMBER,
    NETWORK,
    POOL,
    PORT,
    QUOTA,
    ROUTER,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VIP,
    Kind,
    Op,
)
from quantum.client.transport import Transport

Record = dict[str, Any]
Records = list[Record]
Params = list[tuple[str, str]]
PREFIX = "/v2.0"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _query(
    filters: Mapping[str, Any], fields: Iterable[str], page_size: int | None
) -> Params:
    pairs: Params = []
    for key, value in filters.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, _text(v)) for v in values)
    pairs.extend(("fields", f) for f in fields)
    if page_size:
        pairs.append(("limit", str(page_size)))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


class Collection:
    """list/show/create/update/delete/find for one ``Kind``; an operation the
    kind does not offer raises ``TypeError`` before anything is sent."""

    def __init__(self, transport: Transport, kind: Kind) -> None:
        self.transport = transport
        self.kind = kind

    def _check(self, op: Op) -> None:
        if op not in self.kind.ops:
            raise TypeError(f"{self.kind.collection} cannot {op}")

    def _url(self, member: str | None = None) -> str:
        base = f"{PREFIX}/{self.kind.path}"
        return base if member is None else f"{base}/{member}"

    def pages(
        self,
        fields: Iterable[str] = (),
        page_size: int | None = None,
        **filters: Any,
    ) -> Iterator[list[Record]]:
        """Each page the server sends, following the ``next`` links."""
        self._check(Op.LIST)
        url = self._url()
        params: Params | None = _query(filters, fields, page_size)
        seen: set[str] = set()
        while True:
            body = self.transport.request("GET", url, params=params or None)
            page = list(body.get(self.kind.collection, []))
            yield page
            nxt = _next_link(body.get(f"{self.kind.collection}_links", ()))
            # NOTE: an empty page or a link seen before ends it: never loop forever.
            if nxt is None or not page or nxt in seen:
                return
            seen.add(nxt)
            url, params = _relative(nxt), None

    def list(
        self,
        fields: Iterable[str] = (),
        page_size: int | None = None,
        **filters: Any,
    ) -> Iterator[Record]:
        """Every member matching ``filters`` (all pages, fetched as iterated)."""
        for page in self.pages(fields=tuple(fields), page_size=page_size, **filters):
            yield from page

    def show(self, member: str, fields: Iterable[str] = ()) -> Record:
        self._check(Op.SHOW)
        params = [("fields", f) for f in fields]
        body = self.transport.request("GET", self._url(member), params=params or None)
        return dict(body[self.kind.singular])

    def create(self, **attributes: Any) -> Record:
        self._check(Op.CREATE)
        body = self.transport.request(
            "POST", self._url(), {self.kind.singular: attributes}
        )
        return dict(body[self.kind.singular])

    def create_many(self, items: Iterable[Mapping[str, Any]]) -> Records:
        """One bulk POST: all are made, or none."""
        self._check(Op.CREATE)
        body = self.transport.request(
            "POST", self._url(), {self.kind.collection: [dict(i) for i in items]}
        )
        return [dict(r) for r in body[self.kind.collection]]

    def update(self, member: str, **attributes: Any) -> Record:
        self._check(Op.UPDATE)
        body = self.transport.request(
            "PUT", self._url(member), {self.kind.singular: attributes}
        )
        return dict(body[self.kind.singular])

    def delete(self, member: str) -> None:
        self._check(Op.DELETE)
        self.transport.request("DELETE", self._url(member))

    def find(self, name_or_id: str, fields: Iterable[str] = ()) -> Record:
        """The member with this id, else the one with this name.

        ``NotFound`` when none, ``Ambiguous`` (naming the candidates' ids) when the
        name is not unique.
        """
        fields = tuple(fields)
        by_id: errors.NotFound | None = None
        if self.kind.name_attr is None or _is_uuid(name_or_id):
            try:
                return self.show(name_or_id, fields)
            except errors.NotFound as error:
                if self.kind.name_attr is None:
                    raise
                by_id = error
        assert self.kind.name_attr is not None  # noqa: S101  # NOTE: checked above
        wanted = tuple(dict.fromkeys((*fields, "id"))) if fields else ()
        by_name: dict[str, Any] = {self.kind.name_attr: name_or_id}
        found = [*self.list(wanted, None, **by_name)]
        if not found:
            if by_id is not None:
                raise by_id  # NOTE: an id not found: the server's own message
            raise errors.NotFound(
                f"Unable to find {self.kind.singular} with name or id '{name_or_id}'",
                kind=f"{self.kind.singular.capitalize()}NotFound",
                status=404,
            )
        if len(found) > 1:
            ids = tuple(str(r["id"]) for r in found)
            raise errors.Ambiguous(
                f"Multiple {self.kind.singular} matches found for name "
                f"'{name_or_id}', use an ID to be more specific: {', '.join(ids)}",
                ids,
            )
        return found[0]

    def find_id(self, name_or_id: str) -> str:
        if self.kind.name_attr is not None and _is_uuid(name_or_id):
            return name_or_id
        return str(self.find(name_or_id, fields=(self.kind.key,))[self.kind.key])


def _next_link(links: Iterable[Mapping[str, str]]) -> str | None:
    for link in links:
        if link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None


def _relative(href: str) -> str:
    """The path and query of a link: the client keeps talking to its own endpoint
    (a server behind a proxy may not know the address the client used)."""
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _one_of(subnet_id: str | None, port_id: str | None) -> dict[str, str]:
    """The bare body of an interface action: a subnet_id or a port_id."""
    if subnet_id is not None and port_id is None:
        return {"subnet_id": subnet_id}
    if port_id is not None and subnet_id is None:
        return {"port_id": port_id}
    raise TypeError("give subnet_id or port_id (one of them)")


def _members(body: Any, key: str) -> Records:
    return [dict(r) for r in (body or {}).get(key, [])]


class Networks(Collection):
    """Networks, and the DHCP agents that serve one (agent scheduler, admins)."""

    def dhcp_agents(self, network: str) -> Records:
        """``GET /v2.0/networks/<id>/dhcp-agents``."""
        body = self.transport.request("GET", self._url(network) + "/dhcp-agents")
        return _members(body, "agents")


class Routers(Collection):
    """Routers, their interfaces and gateway (spec §5.2), their L3 agents (§5.9)."""

    def add_interface(
        self, router: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> Record:
        """Attach a subnet (the router takes its gateway IP) or a free port:
        ``{"port_id": ..., "subnet_id": ...}``."""
        body = self.transport.request(
            "PUT",
            self._url(router) + "/add_router_interface",
            _one_of(subnet_id, port_id),
        )
        return dict(body or {})

    def remove_interface(
        self, router: str, *, subnet_id: str | None = None, port_id: str | None = None
    ) -> Record:
        """Detach by subnet or by port (the interface port is deleted)."""
        body = self.transport.request(
            "PUT",
            self._url(router) + "/remove_router_interface",
            _one_of(subnet_id, port_id),
        )
        return dict(body or {})

    def set_gateway(
        self, router: str, network_id: str, *, enable_snat: bool | None = None
    ) -> Record:
        """Give the router a gateway port on an external network."""
        info: dict[str, Any] = {"network_id": network_id}
        if enable_snat is not None:
            info["enable_snat"] = enable_snat
        return self.update(router, external_gateway_info=info)

    def clear_gateway(self, router: str) -> Record:
        return self.update(router, external_gateway_info={})

    def l3_agents(self, router: str) -> Records:
        """``GET /v2.0/routers/<id>/l3-agents``: the agent hosting it (admins)."""
        body = self.transport.request("GET", self._url(router) + "/l3-agents")
        return _members(body, "agents")


class FloatingIps(Collection):
    """Floating IPs, and their association with a port's fixed IP."""

    def associate(
        self, floatingip: str, port_id: str, fixed_ip_address: str | None = None
    ) -> Record:
        changes: dict[str, Any] = {"port_id": port_id}
        if fixed_ip_address is not None:
            changes["fixed_ip_address"] = fixed_ip_address
        return self.update(floatingip, **changes)

    def disassociate(self, floatingip: str) -> Record:
        return self.update(floatingip, port_id=None)


class Pools(Collection):
    """Load-balancer pools (``lbaas``, spec §5.10): their stats and the health
    monitors associated with them."""

    def stats(self, pool: str) -> Record:
        """``GET /v2.0/lb/pools/<id>/stats``: ``bytes_in``, ``bytes_out``,
        ``active_connections``, ``total_connections``."""
        body = self.transport.request("GET", self._url(pool) + "/stats")
        return dict((body or {}).get("stats", {}))

    def associate_health_monitor(self, pool: str, health_monitor_id: str) -> Record:
        """Associate a health monitor (of the pool's tenant) with the pool."""
        body = self.transport.request(
            "POST",
            self._url(pool) + "/health_monitors",
            {"health_monitor": {"id": health_monitor_id}},
        )
        return dict((body or {}).get("health_monitor", {}))

    def disassociate_health_monitor(self, pool: str, health_monitor_id: str) -> None:
        self.transport.request(
            "DELETE", f"{self._url(pool)}/health_monitors/{health_monitor_id}"
        )


class Agents(Collection):
    """Agents (admins), and what the scheduler gave them (spec §5.9)."""

    def _under(self, agent: str, what: str, member: str | None = None) -> str:
        url = f"{self._url(agent)}/{what}"
        return url if member is None else f"{url}/{member}"

    def dhcp_networks(self, agent: str) -> Records:
        body = self.transport.request("GET", self._under(agent, "dhcp-networks"))
        return _members(body, "networks")

    def add_dhcp_network(self, agent: str, network_id: str) -> None:
        self.transport.request(
            "POST", self._under(agent, "dhcp-networks"), {"network_id": network_id}
        )

    def remove_dhcp_network(self, agent: str, network_id: str) -> None:
        self.transport.request(
            "DELETE", self._under(agent, "dhcp-networks", network_id)
        )

    def l3_routers(self, agent: str) -> Records:
        body = self.transport.request("GET", self._under(agent, "l3-routers"))
        return _members(body, "routers")

    def add_l3_router(self, agent: str, router_id: str) -> None:
        self.transport.request(
            "POST", self._under(agent, "l3-routers"), {"router_id": router_id}
        )

    def remove_l3_router(self, agent: str, router_id: str) -> None:
        self.transport.request("DELETE", self._under(agent, "l3-routers", router_id))


class Client:
    """The v2.0 API over a ``Transport`` (see ``quantum.client.transport``)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.networks = Networks(transport, NETWORK)
        self.subnets = Collection(transport, SUBNET)
        self.ports = Collection(transport, PORT)
        self.quotas = Collection(transport, QUOTA)
        self.extensions = Collection(transport, EXTENSION)
        self.agents = Agents(transport, AGENT)
        self.routers = Routers(transport, ROUTER)
        self.floatingips = FloatingIps(transport, FLOATINGIP)
        self.security_groups = Collection(transport, SECURITY_GROUP)
        self.security_group_rules = Collection(transport, SECURITY_GROUP_RULE)
        self.vips = Collection(transport, VIP)
        self.pools = Pools(transport, POOL)
        self.members = Collection(transport, MEMBER)
        self.health_monitors = Collection(transport, HEALTH_MONITOR)

    def collection(self, kind: Kind) -> Collection:
        return Collection(self.transport, kind)
