# SPDX-License-Identifier: Apache-2.0
"""How a v2 resource is declared: its attributes, their converters and rules.

A converter takes the JSON value a client sent and returns the typed value, or
raises ``InvalidInput`` (400) saying what is wrong; it is also applied to query
filters, whose values arrive as strings (``query`` converts those).
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import operator
import re
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.core import exceptions as exc
from quantum.core import text
from quantum.core.listing import ListQuery
from quantum.core.mac import is_multicast, parse_mac
from quantum.core.rows import RowPage, RowShape
from quantum.core.scope import Scope
from quantum.core.text import NAME_MAX
from quantum.core.unset import UNSET
from quantum.core.workingset import IdentityWorkingSet, WorkingSet

Convert = Callable[[str, Any], Any]
"""(attribute name, value) -> typed value; raises InvalidInput."""


def _bad(name: str, value: Any, what: str) -> exc.InvalidInput:
    return exc.InvalidInput(reason=f"'{value}' is not {what} for {name}")


def to_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _bad(name, value, "a boolean")


#: The widest integer a back-end compares or stores (SQLite's and BIGINT's 64 bits):
#: a larger one is refused as input, where the driver would otherwise overflow.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: The widest an INTEGER column holds on PostgreSQL and MariaDB.
INT32_MAX = 2**31 - 1


def to_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _bad(name, value, "an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9]{1,20}\s*", value):
        number = int(value)
    else:
        raise _bad(name, value, "an integer")
    if not INT64_MIN <= number <= INT64_MAX:
        raise _bad(name, value, "a 64-bit integer")
    return number


@dataclass(frozen=True, slots=True)
class String:
    """Converter: a string of at most ``max_length`` characters."""

    max_length: int = NAME_MAX

    def __call__(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise _bad(name, value, "a string")
        if len(value) > self.max_length:
            raise exc.InvalidInput(
                reason=f"{name} is longer than {self.max_length} characters"
            )
        return value


def string(max_length: int = NAME_MAX) -> Convert:
    return String(max_length)


def to_tenant(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(name, value, "a string")
    return text.tenant_id(value)


def to_uuid(name: str, value: Any) -> str:
    if isinstance(value, str):
        try:
            if str(uuid.UUID(value)) == value:
                return value
        except ValueError:
            pass
    raise _bad(name, value, "a valid UUID")


def to_mac(name: str, value: Any) -> str:
    mac = parse_mac(value) if isinstance(value, str) else None
    if mac is None:
        raise _bad(name, value, "a valid MAC address")
    if is_multicast(mac):
        raise _bad(name, value, "a unicast MAC address")
    return mac


@dataclass(frozen=True, slots=True)
class OneOf:
    """Converter: one of ``choices``."""

    choices: tuple[str, ...]

    def __call__(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise exc.InvalidInput(
                reason=f"'{value}' is not one of {', '.join(self.choices)} for {name}"
            )
        return value


def one_of(*choices: str) -> Convert:
    return OneOf(choices)


def any_value(name: str, value: Any) -> Any:
    return value


OMIT: Any = object()
"""What a render hook returns for an attribute the item does not show (a network
without a segment has no ``provider:*``)."""

SCALARS: frozenset[Any] = frozenset({to_bool, to_int, to_uuid, to_tenant, to_mac})
"""Converters whose values are JSON scalars, shown as the item holds them."""

UUID_TEXT = (
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)

Render = Callable[[Any, Any], Any]
"""(domain item, plugin) -> the attribute's value on the wire, or ``OMIT``."""

Compose = Callable[[Mapping[str, Any]], Mapping[str, Any]]
"""The validated attributes of a create -> further keyword arguments of the
resource's create type, for attributes that are no plain domain attribute
(``provider:*`` -> ``segment``)."""

PLAIN = (str, int, bool, float, type(None))


def wire(value: Any) -> Any:
    """A domain value as JSON: sequences as lists, mappings and dataclasses as
    objects, enums as their values, anything else (addresses, CIDRs) as text."""
    kind = type(value)
    if kind in PLAIN:
        return value
    convert = _WIRE.get(kind)
    if convert is None:
        convert = _WIRE[kind] = _wire_of(kind)
    return convert(value)


_WIRE: dict[type, Callable[[Any], Any]] = {}
"""How each type met so far is shown (PERF: decided once per type, not per value)."""


def _wire_of(kind: type) -> Callable[[Any], Any]:
    if issubclass(kind, tuple | list):
        return lambda value: [wire(v) for v in value]
    if issubclass(kind, Mapping):
        return lambda value: {k: wire(v) for k, v in value.items()}
    if issubclass(kind, enum.Enum):
        return operator.attrgetter("value")
    if dataclasses.is_dataclass(kind):
        # PERF: one dict display, as for views (``compile_view``).
        body = ", ".join(
            f"{f.name!r}: wire(value.{f.name})" for f in dataclasses.fields(kind)
        )
        namespace: dict[str, Any] = {"wire": wire}
        exec(f"def shown(value):\n    return {{{body}}}\n", namespace)  # noqa: S102
        return namespace["shown"]  # type: ignore[no-any-return]
    if issubclass(kind, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return _address_text
    return str


def encodable(value: Any) -> Any:
    """A structured value of an ``encoded`` view (``compile_view``), as the
    encoder takes it fastest; shown as ``wire`` would show it.

    PERF: a tuple of frozen dataclasses (a port's fixed IPs, its address pairs)
    becomes a tuple of their ``wire`` forms, each made once per value object
    (orjson reads a slotted dataclass field by field in Python, then calls
    ``default`` for an address: 1.8 us per fixed IP; a plain dict: 0.15).
    Anything else is the value itself, for the encoder (with ``default=wire``)."""
    if type(value) is not tuple or not value:
        return value
    kind = type(value[0])
    if kind is str:
        return value
    frozen = _FROZEN.get(kind)
    if frozen is None:
        frozen = _FROZEN[kind] = _frozen(kind)
    if not frozen:
        return tuple(map(wire, value))
    if len(value) == 1:
        return (_wired(value[0]),)
    return tuple(map(_frozen_wire, value))


def _frozen_wire(value: Any) -> Any:
    kind = type(value)
    frozen = _FROZEN.get(kind)
    if frozen is None:
        frozen = _FROZEN[kind] = _frozen(kind)
    return _wired(value) if frozen else wire(value)


_WIRED: IdentityWorkingSet[Any] = IdentityWorkingSet(wire)
"""``wire`` of frozen dataclass values (a port's fixed IPs, which
``ipam.store.fixed_ip`` shares), by identity, as long as listings show them."""

_wired = _WIRED.lookup


_FROZEN: dict[type, bool] = {}
"""``_frozen`` of each type met so far."""


def _frozen(kind: type) -> bool:
    """Instances never change, nor do their field values (a frozen dataclass of
    text and addresses)."""
    if not dataclasses.is_dataclass(kind):
        return False
    params = getattr(kind, "__dataclass_params__", None)
    return bool(params and params.frozen) and all(
        f.type in _IMMUTABLE for f in dataclasses.fields(kind)
    )


_IMMUTABLE = frozenset({"str", "int", "bool", "IPAddress", "str | None"})
"""Field annotations (as text: ``from __future__ import annotations``) of values
that never change."""


_ADDRESS_TEXT: WorkingSet[str] = WorkingSet(str)
"""Addresses as text. PERF: ``ipaddress`` formats in Python (a third of a port's
view); a listing shows the same addresses again and again."""

_address_text: Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], str] = (
    _ADDRESS_TEXT.lookup
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One attribute of a resource: how it is parsed, checked, shown and stored.

    ``attr`` is the domain attribute it reads (the item's) and writes (the create
    and update types'): by default the name with ``:`` as ``_``
    (``binding:host_id`` -> ``binding_host_id``); None for an attribute that is
    none (its ``render`` computes it, a ``Compose`` hook writes it). ``render``
    computes a shown value the domain item does not hold as such (``status``).

    ``default`` applies to an omitted attribute on create (``UNSET``: the plugin
    computes it); ``required`` means it must be given. ``admin_only`` attributes are
    set and seen by admins only (provider, binding). ``filterable`` and
    ``sortable`` attributes are filtered and sorted by the store on ``column``.
    """

    name: str
    convert: Convert = any_value
    attr: str | None = ""
    render: Render | None = None
    show: Callable[[Any], Any] | None = None
    """The wire value of the item's ``attr``, where it is not the value itself
    (``status``: its v2 name; timestamps: their text), as ``render`` would compute
    it from that one attribute. PERF: a function of the value alone, so a list
    renders it from the store's rows without a domain item (``compile_page_view``)."""
    per_plugin: Callable[[Any], Any] | None = None
    """plugin -> the value every item shows (``binding:vif_type``), as ``render``
    would compute it without reading the item (a list: once per page)."""
    as_is: bool = False
    """Shown as the item holds it (a tuple of texts: JSON takes it as a list)."""
    omittable: bool = False
    """``render`` may return ``OMIT``: the key is then left out of the view."""
    default: Any = UNSET
    required: bool = False
    on_create: bool = True
    on_update: bool = False
    visible: bool = True
    admin_only: bool = False
    set_by_admin: bool = False
    """Everybody sees it, but only an admin may set it to a non-default value."""
    policy: str | None = None
    """The default rule of ``create_<resource>:<name>`` (and
    ``update_<resource>:<name>`` when it is updatable), checked whenever a body
    gives the attribute (``policy_when``: only for the values it accepts), e.g.
    ``rule:admin_or_network_owner``; the controller evaluates it against the item
    with its ``Resource.owner`` (``quantum.api.v2.policy``)."""
    policy_when: Callable[[Any], bool] | None = None
    sortable: bool = True
    filterable: bool = True
    column: str | None = ""
    """What the store filters and sorts it by, the key of the ``ListQuery``: by
    default ``attr``, a domain attribute, which the store finds as its row's column
    of that name; else the name of a filter the store has of its own
    (``segment.network_type``: the network's segment; ``tags-any``: the tag
    table). A filterable or sortable field without ``attr`` must name one."""
    in_member: bool = True
    """Shown for one item (show, create, update); False: in lists only."""
    query_convert: Convert | None = None
    """How a filter value is typed, where ``convert`` (bool, int) does not say."""
    schema: Mapping[str, Any] | None = None
    """The JSON schema of the value on the wire (OpenAPI 3.0), where ``convert``
    does not say (``quantum.api.v2.openapi`` derives it from the converter)."""
    shown: Mapping[str, Any] | None = None
    """The schema of the value in responses, where it differs from ``schema``."""
    filter_doc: str | None = None
    """What filtering on it does, where it is not "equals one of the values"; a
    field that is no attribute but a filter only (``tags-any``: ``visible=False``)
    is documented by it."""

    def __post_init__(self) -> None:
        if self.attr == "":
            object.__setattr__(self, "attr", self.name.replace(":", "_"))
        hooks = (self.render, self.show, self.per_plugin)
        if sum(h is not None for h in hooks) > 1:
            raise ValueError(f"{self.name}: one of render, show and per_plugin")
        if self.column == "":
            object.__setattr__(self, "column", self.attr)
        if self.column is None and (self.filterable or self.sortable):
            raise ValueError(
                f"{self.name}: filterable or sortable, but no column names it"
            )

    def query(self, text: str) -> Any:
        """A filter value (always a string on the wire) as the attribute's type."""
        if self.query_convert is not None:
            return self.query_convert(self.name, text)
        if self.convert in (to_bool, to_int):
            return self.convert(self.name, text)
        return text

    @property
    def scalar(self) -> bool:
        """Its values are JSON as the item holds them (no walk over the value)."""
        return (
            self.as_is
            or isinstance(self.convert, String | OneOf)
            or self.convert in SCALARS
        )

    @property
    def computed(self) -> bool:
        """Its value is not the item's attribute as such (a hook computes it)."""
        return (
            self.render is not None
            or self.show is not None
            or self.per_plugin is not None
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A member action, ``PUT /<collection>/<id>/<name>`` with a JSON object body
    (``add_router_interface``): the backend's method of the same name is called
    with (scope, id, body) and its answer is the response body. The policy rule is
    ``<name>`` (default ``rule``, checked against the item; None: no rule of its
    own); whoever may not see the item gets its not-found.

    ``method``: GET for a read (no body). ``collection``: the action is
    ``<method> /<collection>/<name>`` (the id passed is None), tried before a member
    of that id."""

    name: str
    rule: str | None = "rule:admin_or_owner"
    method: str = "PUT"
    collection: bool = False
    doc: str = ""
    """What it does, for the OpenAPI document."""
    answer: Mapping[str, Any] | None = None
    """The JSON schema of its response body, for the OpenAPI document (None: an
    object)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubRequest:
    """A request for a ``Subpath`` of an item the caller may see (and, for a write,
    update): ``key`` is the fourth path segment, if any; ``body`` the JSON body of
    a PUT to the subpath itself (None otherwise)."""

    plugin: Any
    resource: Resource
    scope: Scope
    method: str
    item_id: str
    key: str | None
    body: Any
    services: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Every service by name (the core's and the service plugins'), for a
    subpath served by another service than the item's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Subpath:
    """A path below an item, ``/<collection>/<id>/<name>[/<key>]`` (an item's
    ``tags``), answered by ``serve`` with a status line and a JSON body (None: no
    body). The controller first loads the item with the rule ``get_<resource>``
    for a GET, ``update_<resource>`` for a write (not visible: its not-found),
    and answers 405 for a method not in ``methods`` (``key_methods`` below a
    key)."""

    name: str
    serve: Callable[[SubRequest], tuple[str, Any]]
    methods: tuple[str, ...] = ("GET", "PUT", "DELETE")
    key_methods: tuple[str, ...] = ("GET", "PUT", "DELETE")
    doc: str = ""
    """What it does, for the OpenAPI document."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    """Where a sub-resource lives: ``/<collection>/<id>/<child collection>``.

    ``field`` is the child's attribute naming its parent (``network_id``): the
    controller checks that the caller may see the parent, filters the list by it,
    sets it on create and answers not-found for a child of another parent."""

    collection: str
    field: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """The owner of what an item belongs to, for policy targets: the target of an
    item gets ``key`` = the ``tenant_id`` of the ``collection`` item its ``field``
    names (a port's ``network_tenant_id``), read by the controller when a rule
    needs it."""

    field: str
    collection: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A v2 resource: body keys and URL collection, and its attributes.

    ``admin_only``: the whole resource is for administrators; every verb's
    ``<verb>_<resource>`` rule is ``admin_only`` and is checked before anything is
    read, so anybody else gets 403 (agents), not a not-found.

    ``service`` names the backend the controller calls (``quantum.api.v2.backend``);
    ``create_type``/``update_type`` are the domain requests it takes, built from the
    fields' ``attr`` (and ``compose`` hooks); ``not_found`` is the error for an id
    nobody may see.
    """

    name: str
    collection: str
    fields: tuple[Field, ...]
    admin_only: bool = False
    service: str = ""
    """Default: the collection."""
    create_type: Callable[..., Any] | None = None
    update_type: Callable[..., Any] | None = None
    compose: tuple[Compose, ...] = ()
    not_found: Callable[[str], exc.QuantumError] | None = None
    actions: tuple[Action, ...] = ()
    parent: Parent | None = None
    id_pattern: str = UUID_TEXT
    """What a member id in the path must look like (else 404)."""
    owner: Owner | None = None
    """What policy targets of its items are augmented with (``Owner``)."""
    id_check: Callable[[str], object] | None = None
    """Raises InvalidInput (400) for a member id the store cannot keep."""
    id_schema: Mapping[str, Any] | None = None
    """The JSON schema of a member id in the path, for the OpenAPI document, where
    it is not a UUID (``id_pattern``)."""
    hide_denied: bool = True
    """A denied show, update, delete or action reads as not found; False: 403."""
    listed: bool = True
    """In the index (``GET /v2.0``)."""
    paged: bool = True
    """Lists take sort keys, paging and ``fields``; False: all items, as they are."""
    creatable: bool = True
    """False: ``POST /<collection>`` is 501 and the collection allows GET only."""
    rules: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Default rules of ``<verb>_<resource>`` by verb, where they are not the
    usual ones (``quantum.api.v2.policy``)."""
    list_rule: str | None = None
    """A rule checked (403) before listing, beside the store's own scoping."""
    unknown: str = "Unrecognized attribute(s) '{}'"
    """The message for an attribute a body may not name."""
    backend: Callable[[Any], Any] | None = None
    """plugin -> the service, where no service of that name serves it (the
    quota and agent calls, ``quantum.api.v2.backend``)."""
    subpaths: tuple[Subpath, ...] = ()
    """Paths below an item that extensions serve (``Subpath``)."""
    path: str = ""
    """Its URL segment where it is not the collection, the body key
    (``/security-groups`` serves ``{"security_groups": [...]}``); it may have two
    parts (``lb/pools``: ``/v2.0/lb/pools`` serves ``{"pools": [...]}``)."""

    @property
    def segment(self) -> str:
        """Its URL segment: ``path``, by default the collection."""
        return self.path or self.collection

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def column(self, name: str) -> str:
        """What the store filters and sorts the field ``name`` by (``Field.column``;
        a name no field has, as it is)."""
        field = self.field(name)
        if field is None or field.column is None:
            return name
        return field.column

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    def subpath(self, name: str) -> Subpath | None:
        return next((p for p in self.subpaths if p.name == name), None)

    @property
    def parent_field(self) -> str:
        if self.parent is None:
            raise ValueError(f"{self.name} is no sub-resource")
        return self.parent.field

    @property
    def service_name(self) -> str:
        return self.service or self.collection

    def missing(self, item_id: str) -> exc.QuantumError:
        if self.not_found is not None:
            return self.not_found(item_id)
        return exc.ResourceNotFound(resource=self.name, resource_id=item_id)

    def extended(self, extend: Extend) -> Resource:
        """This resource with an extension's attributes (``Extension.extends``)."""
        clash = {f.name for f in extend.fields} & {f.name for f in self.fields}
        clash |= {p.name for p in extend.subpaths} & {p.name for p in self.subpaths}
        if clash:
            raise ValueError(f"{self.name}: declared twice: {sorted(clash)}")
        return dataclasses.replace(
            self,
            fields=self.fields + extend.fields,
            compose=self.compose + extend.compose,
            subpaths=self.subpaths + extend.subpaths,
        )

    def to_create(self, attrs: Mapping[str, Any]) -> Any:
        """The domain create request of one validated item."""
        kwargs: dict[str, Any] = {"tenant_id": attrs["tenant_id"]}
        for field in self.fields:
            if (
                field.attr is not None
                and field.on_create
                and field.name in attrs
                and field.name not in ("tenant_id", "project_id")
            ):
                kwargs[field.attr] = attrs[field.name]
        for hook in self.compose:
            kwargs.update(hook(attrs))
        if self.create_type is None:
            return kwargs
        return self.create_type(**kwargs)

    def to_update(self, changes: Mapping[str, Any]) -> Any:
        """The domain update request of validated changes."""
        kwargs = {}
        for name, value in changes.items():
            field = self.field(name)
            if field is not None and field.attr is not None:
                kwargs[field.attr] = value
        if self.update_type is None:
            return kwargs
        return self.update_type(**kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Extend:
    """What an extension adds to an existing resource."""

    fields: tuple[Field, ...] = ()
    compose: tuple[Compose, ...] = ()
    subpaths: tuple[Subpath, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Extension:
    """A v2 API extension: one module (``quantum.api.v2.extensions``).

    Served only when its alias is enabled (``quantum.api.v2.catalog``: the plugin's
    ``supported_extension_aliases``, plus the ones always on); it may add
    ``resources`` and ``extends`` existing ones (by resource name) with fields. A
    field of an extension that is not enabled is unknown: refused in a body (400),
    ignored as a filter, never shown.
    """

    descriptor: ExtensionDescriptor
    """What ``/v2.0/extensions`` lists; its alias enables it."""
    resources: tuple[Resource, ...] = ()
    extends: Mapping[str, Extend] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operations:
    """What the controller calls for one resource, bound to the backend at start
    (``quantum.api.v2.backend``).

    Request values are the domain requests of the resource (``Resource.to_create``,
    ``to_update``); results are domain items, which ``view`` turns into the wire
    dict.
    """

    list: Callable[[Scope, ListQuery], Sequence[Any]]
    show: Callable[[Scope, str], Any]
    create: Callable[[Scope, Sequence[Any]], Sequence[Any]]
    update: Callable[[Scope, str, Any, Callable[[Any], None]], Any]
    """(scope, id, changes, authorize): ``authorize`` is called with the item as
    it is, in the update's transaction, and raises to refuse it."""
    delete: Callable[[Scope, str], None]
    delete_at: Callable[[Scope, str, Sequence[int]], None] | None = None
    """(scope, id, revisions), for ``If-Match``: the item is deleted only at one
    of those revisions, checked in the DELETE itself; None: the service's delete
    takes no revisions (then only the controller's check before it holds)."""
    view: Callable[[Any], dict[str, Any]]
    not_found: Callable[[str], exc.QuantumError]
    """The error that says an id does not exist (also: may not be seen)."""
    actions: Mapping[str, Callable[[Scope, Any, Any], Any]] = dataclasses.field(
        default_factory=dict
    )
    """Actions by name: (scope, id or None, body or None) -> the response body."""
    plugin: Any = None
    """The plugin they are bound to (where a ``Subpath`` finds its store)."""
    services: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Every service by name (``SubRequest.services``)."""
    list_page: Callable[[Scope, ListQuery], RowPage | None] | None = None
    """A page as the store's rows in ``row_shape`` (None: a page it lists as
    items only), which a list renders without building items
    (``compile_page_view``); None: the service lists items only."""
    row_shape: RowShape | None = None


class NotFromRows(ValueError):
    """A field a page view cannot render from the store's rows (``compile_page_view``):
    its ``render`` hook reads the domain item, or the rows do not hold its
    attribute."""


def _view_values(
    fields: Sequence[Field],
    namespace: dict[str, Any],
    value_of: Callable[[Field], str],
    *,
    encoded: bool,
    item: str | None,
    plain: Collection[str] = (),
) -> list[str]:
    """Each field's entry of a view's dict display, its hooks put in
    ``namespace``; ``value_of`` is the expression of a field's attribute (the
    item's, or the rows'); ``item``: what a ``render`` hook is given (None: no
    item, NotFromRows for such a field); ``plain``: attributes whose values are
    shown as they are (``RowShape.plain``)."""
    entries = []
    for i, field in enumerate(fields):
        if field.render is not None:
            if item is None:
                raise NotFromRows(f"{field.name}: its render hook reads the item")
            namespace[f"_render{i}"] = field.render
            value = f"_render{i}({item}, _plugin)"
        elif field.per_plugin is not None:
            namespace[f"_per_plugin{i}"] = field.per_plugin
            value = f"_per_plugin{i}(_plugin)"
        elif field.attr is None or not field.attr.isidentifier():
            raise ValueError(f"{field.name}: neither a domain attribute nor a render")
        elif field.show is not None:
            namespace[f"_show{i}"] = field.show
            value = f"_show{i}({value_of(field)})"
        elif field.scalar or field.attr in plain:
            value = value_of(field)
        elif encoded:
            value = f"_encodable({value_of(field)})"
        else:
            value = f"_wire({value_of(field)})"
        entries.append(f"{field.name!r}: {value}")
    return entries


def _display(
    resource: Resource, entries: Sequence[str], namespace: dict[str, Any]
) -> str:
    body = "{" + ", ".join(entries) + "}"
    if any(f.omittable for f in resource.fields):
        body = f"{{k: v for k, v in {body}.items() if v is not _OMIT}}"
        namespace["_OMIT"] = OMIT
    return body


def _shown_fields(resource: Resource, only: Collection[str] | None) -> list[Field]:
    """The visible fields, in the resource's order, or ``only``'s for a sequence
    (the unknown and invisible ones left out)."""
    if only is None or isinstance(only, Set):
        return [
            f for f in resource.fields if f.visible and (only is None or f.name in only)
        ]
    found = (resource.field(name) for name in dict.fromkeys(only))
    return [f for f in found if f is not None and f.visible]


def compile_view(
    resource: Resource,
    plugin: Any,
    only: Collection[str] | None = None,
    *,
    encoded: bool = False,
) -> Callable[[Any], dict[str, Any]]:
    """The view of ``resource``: its visible attributes of a domain item (with
    ``only``, those of them named there: a list's ``fields=``).

    PERF: compiled to one function with a dict display, as a hand-written view
    would be (a list of 1,000 ports is shown 1,000 times per request): a plain
    attribute is ``item.<attr>``, a structured one ``wire(item.<attr>)``, a
    computed one its render hook's call.

    ``encoded``: a view only ever encoded as JSON with ``default=wire``
    (``quantum.api.wire.encode_json_fast``): a structured attribute is then the
    item's own value (a tuple, a dataclass, an address), which the encoder shows
    as ``wire`` would. PERF: no list or dict built per value (a list of 1,000
    ports: a third of its views' time).
    """
    namespace: dict[str, Any] = {
        "_wire": wire,
        "_encodable": encodable,
        "_plugin": plugin,
    }
    entries = _view_values(
        _shown_fields(resource, only),
        namespace,
        lambda field: f"item.{field.attr}",
        encoded=encoded,
        item="item",
    )
    body = _display(resource, entries, namespace)
    exec(f"def view(item):\n    return {body}\n", namespace)  # noqa: S102
    return namespace["view"]  # type: ignore[no-any-return]


def compile_page_view(
    resource: Resource,
    plugin: Any,
    shape: RowShape,
    only: Collection[str] | None = None,
) -> Callable[..., list[dict[str, Any]]]:
    """``compile_view(..., encoded=True)`` of a whole page, from the store's rows
    (``RowShape``) instead of domain items: ``view(rows, *page values)`` -> the
    items' views, each as ``compile_view`` shows the item the row makes (with
    ``only`` a sequence, its keys in that order: a list's ``fields=``).

    PERF: one comprehension per page, each attribute its row expression (a
    list of 1,000 ports built 1,000 domain ports, then called a view and six
    render hooks for each). Raises NotFromRows for a shown field whose value it
    cannot compute from the rows (its ``render`` hook reads the item; the shape
    has no expression for its attribute); the caller then lists items."""
    if "rows" in shape.columns + shape.extras + shape.page:
        raise ValueError("a row name is rows, the view's parameter")
    namespace: dict[str, Any] = {"_encodable": encodable, "_plugin": plugin}
    fields = _shown_fields(resource, only)

    def value_of(field: Field) -> str:
        found = shape.attrs.get(field.attr or "")
        if found is None:
            raise NotFromRows(f"{field.name}: the rows hold no {field.attr}")
        return f"({found})"

    entries = _view_values(
        fields, namespace, value_of, encoded=True, item=None, plain=shape.plain
    )
    clash = set(namespace) & set(shape.namespace)
    if clash:
        raise ValueError(f"row shape names clash with the view's: {sorted(clash)}")
    namespace.update(shape.namespace)
    # NOTE: what depends on the plugin alone, once per page.
    constants = []
    for i, field in enumerate(fields):
        if field.per_plugin is not None:
            constants.append(f"    _c{i} = _per_plugin{i}(_plugin)\n")
            entries[i] = f"{field.name!r}: _c{i}"
    body = _display(resource, entries, namespace)
    params = ", ".join(("rows", *shape.page))
    source = (
        f"def view({params}):\n"
        + "".join(constants)
        + f"    return [{body} for {shape.target} in rows]\n"
    )
    exec(source, namespace)  # noqa: S102  # NOTE: declarations, not input
    return namespace["view"]  # type: ignore[no-any-return]
