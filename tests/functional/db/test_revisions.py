# SPDX-License-Identifier: Apache-2.0
"""``revision_number`` under concurrency, on PostgreSQL and MariaDB: the bump is the
row's ``UPDATE ... WHERE revision_number = N``, so a write that read revision N
after another committed N + 1 runs again on what was committed; a conditional one
(``If-Match``) then fails. (SQLite has one writer at a time: nothing interleaves.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from quantum.api.v2.backend import service_of
from quantum.api.v2.resources.network import NETWORK
from quantum.api.v2.resources.port import PORT
from quantum.api.v2.router import check_revision
from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.networks import Network, NetworkCreate, NetworkUpdate
from quantum.core.ports import Port, PortCreate, PortUpdate
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.plugins.sql import SqlPlugin
from quantum.testing.databases import BACKENDS

SCOPE = Scope(tenant_id="tenant-a", is_admin=False)

# NOTE: SQLite serialises writers, so no write can come between two: these races
# are run on the servers with row locks only (never a skip: CI refuses skips).
pytestmark = pytest.mark.parametrize(
    "database_url",
    [name for name in BACKENDS if name != "sqlite"],
    indirect=True,
)


@pytest.fixture
def plugin(database_url: str) -> Iterator[SqlPlugin]:
    p = SqlPlugin(Settings(sql_connection=database_url, sql_pool_size=4))
    yield p
    p.close()


def _racing_another(
    service: Any, item_id: str, update: Callable[[str], Any], if_revision: int | None
) -> tuple[Any, list[int]]:
    """Our update of a new item reads revision 1; before it writes, another update
    (``update("theirs")``) commits revision 2. Returns our result (``update("ours")``,
    or the error) and the revisions we read."""
    seen: list[int] = []

    def authorize(item: Any) -> None:
        seen.append(item.revision_number)
        if len(seen) == 1:
            other = threading.Thread(
                target=service.update, args=(SCOPE, item_id, update("theirs"))
            )
            other.start()
            other.join(timeout=30)
            assert not other.is_alive()
        if if_revision is not None:
            check_revision({"revision_number": item.revision_number}, (if_revision,))

    try:
        result = service.update(SCOPE, item_id, update("ours"), authorize)
    except exc.QuantumError as error:
        result = error
    return result, seen


def _update_racing_another(
    plugin: SqlPlugin, if_revision: int | None
) -> tuple[Network | BaseException, list[int]]:
    """``_racing_another`` for a network's rename."""
    networks = service_of(NETWORK, plugin)
    net = networks.create(SCOPE, [NetworkCreate(tenant_id="tenant-a", name="a")])[0]
    return _racing_another(
        networks, net.id, lambda name: NetworkUpdate(name=name), if_revision
    )


def test_a_conditional_update_that_lost_the_race_is_refused(plugin: SqlPlugin) -> None:
    result, seen = _update_racing_another(plugin, if_revision=1)
    assert isinstance(result, exc.RevisionNumberConstraintFailed)
    assert seen == [1, 2]
    networks = service_of(NETWORK, plugin)
    (net,) = networks.list(SCOPE, ListQuery())
    assert (net.name, net.revision_number) == ("theirs", 2)


def test_an_unconditional_update_runs_again_and_wins(plugin: SqlPlugin) -> None:
    result, seen = _update_racing_another(plugin, if_revision=None)
    assert isinstance(result, Network), result
    assert seen == [1, 2]
    assert (result.name, result.revision_number) == ("ours", 3)


def _rename_port_racing_another(
    plugin: SqlPlugin, if_revision: int | None
) -> tuple[Port | BaseException, list[int]]:
    """``_racing_another`` for a port's rename (PERF: written as Core,
    ``PortStore._update_columns``, with the ORM's ``WHERE revision_number = N``)."""
    networks, ports = service_of(NETWORK, plugin), service_of(PORT, plugin)
    net = networks.create(SCOPE, [NetworkCreate(tenant_id="tenant-a", name="a")])[0]
    port = ports.create(SCOPE, [PortCreate(tenant_id="tenant-a", network_id=net.id)])[0]
    return _racing_another(
        ports, port.id, lambda name: PortUpdate(name=name), if_revision
    )


def test_a_conditional_rename_of_a_port_that_lost_the_race_is_refused(
    plugin: SqlPlugin,
) -> None:
    result, seen = _rename_port_racing_another(plugin, if_revision=1)
    assert isinstance(result, exc.RevisionNumberConstraintFailed)
    assert seen == [1, 2]
    (port,) = service_of(PORT, plugin).list(SCOPE, ListQuery())
    assert (port.name, port.revision_number) == ("theirs", 2)


def test_an_unconditional_rename_of_a_port_runs_again_and_wins(
    plugin: SqlPlugin,
) -> None:
    result, seen = _rename_port_racing_another(plugin, if_revision=None)
    assert isinstance(result, Port), result
    assert seen == [1, 2]
    assert (result.name, result.revision_number) == ("ours", 3)
    (port,) = service_of(PORT, plugin).list(SCOPE, ListQuery())
    assert (port.name, port.revision_number) == ("ours", 3)
    assert port.updated_at == result.updated_at
