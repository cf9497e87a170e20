# SPDX-License-Identifier: Apache-2.0
"""Filters and sorting follow the field declarations (``Field.column``): the v2
listing names each attribute as the store does, and the store finds it among its
row's columns (``plugins.core.listing.row_columns``) or its own filters. No
attribute the API filters or sorts on is unknown to the store."""

from __future__ import annotations

import pytest
from webob.multidict import MultiDict

from quantum.api.v2 import listing
from quantum.api.v2.attributes import Field, Resource
from quantum.api.v2.catalog import EVERYTHING
from quantum.core.listing import NO_MATCH, SortKey
from quantum.core.scope import Scope
from quantum.core.status import OpStatus
from quantum.plugins.core.networks import NETWORK_COLUMNS
from quantum.plugins.core.ports import PORT_COLUMNS
from quantum.plugins.core.subnets import SUBNET_COLUMNS

STORES = {"network": NETWORK_COLUMNS, "subnet": SUBNET_COLUMNS, "port": PORT_COLUMNS}
ADMIN = Scope(tenant_id="admin", is_admin=True)

NOT_SORTED_BY_THE_STORE = {("subnet", "shared")}
"""Sortable in the declaration, but no column of the store (a 400, as before)."""


def _resource(name: str) -> Resource:
    return next(r for r in EVERYTHING.resources if r.name == name)


@pytest.mark.parametrize("name", sorted(STORES))
def test_every_filter_and_sort_key_is_a_column_of_the_store(name: str) -> None:
    columns = STORES[name]
    for field in _resource(name).fields:
        assert field.column is not None or not (field.filterable or field.sortable)
        if field.filterable:
            assert columns.get(str(field.column)) is not None, field.name
        if field.sortable and (name, field.name) not in NOT_SORTED_BY_THE_STORE:
            column = columns.get(str(field.column))
            assert column is not None, field.name
            assert column.sortable, field.name


def test_an_attribute_is_named_as_the_store_names_it() -> None:
    port = _resource("port")
    parsed = listing.parse(
        MultiDict(
            [("binding:host_id", "h1"), ("sort_key", "project_id"), ("tags-any", "a")]
        ),
        port,
        ADMIN,
        100,
    )
    assert parsed.query.filters == {"binding_host_id": ("h1",), "tags-any": (("a",),)}
    assert parsed.query.sorts == (SortKey(attribute="tenant_id"),)
    network = _resource("network")
    parsed = listing.parse(
        MultiDict([("provider:network_type", "vlan")]), network, ADMIN, 100
    )
    assert parsed.query.filters == {"segment.network_type": ("vlan",)}


def test_two_attributes_on_one_column_take_the_values_they_share() -> None:
    network = _resource("network")

    def filters(*pairs: tuple[str, str]) -> object:
        return listing.parse(MultiDict(pairs), network, ADMIN, 100).query.filters

    assert filters(("tenant_id", "a"), ("tenant_id", "b"), ("project_id", "b")) == {
        "tenant_id": ("b",)
    }
    assert filters(("tenant_id", "a"), ("project_id", "b")) == {
        "tenant_id": (NO_MATCH,)
    }


def test_a_status_filter_is_the_operational_status_it_names() -> None:
    network = _resource("network")
    query = listing.parse(
        MultiDict([("status", "ACTIVE"), ("status", "BOGUS")]), network, ADMIN, 100
    ).query
    assert query.filters == {"status": (OpStatus.UP, NO_MATCH)}


def test_a_filterable_field_without_a_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no column names it"):
        Field(name="computed", attr=None)
    assert Field(name="computed", attr=None, filterable=False, sortable=False)
    assert Field(name="x:y").column == "x_y"
    assert Field(name="x", attr="y", column="z").column == "z"
