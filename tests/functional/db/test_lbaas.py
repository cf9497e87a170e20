# SPDX-License-Identifier: Apache-2.0
"""Load balancing against SQLite, PostgreSQL and MariaDB: of VIPs made at once for
one pool one commits (the schema's unique key, ``quantum.plugins.lbaas``) and the
others leave no port behind; an object an agent is deleting is refused changes.

Each racer has its own plugins (its own engine), as separate server workers would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from ipaddress import ip_address

import pytest
from sqlalchemy import update

from quantum.core import exceptions as exc
from quantum.core.lbaas import (
    LOADBALANCER_OWNER,
    HealthMonitorCreate,
    HealthMonitorUpdate,
    LbMethod,
    LbStatus,
    MemberCreate,
    MonitorType,
    PoolCreate,
    PoolUpdate,
    Protocol,
    Vip,
    VipCreate,
    VipUpdate,
)
from quantum.core.listing import ListQuery
from quantum.core.networks import NetworkCreate
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.db.models import LbPoolRow, LbVipRow
from quantum.ipam.requests import SubnetRequest
from quantum.plugins.lbaas.plugin import LbaasPlugin
from quantum.plugins.sql import SqlPlugin
from tests.functional.db.test_store import race

TENANT = "tenant-a"
ME = Scope(tenant_id=TENANT)
ADMIN = Scope(tenant_id=None, is_admin=True)
RACERS = 8


@dataclass
class Worker:
    core: SqlPlugin
    lbaas: LbaasPlugin

    def close(self) -> None:
        self.lbaas.close()
        self.core.close()


@pytest.fixture
def workers(database_url: str) -> Iterator[list[Worker]]:
    settings = Settings(sql_connection=database_url, sql_pool_size=2)
    made = []
    for _ in range(RACERS):
        core = SqlPlugin(settings)
        made.append(Worker(core, LbaasPlugin(settings, core)))
    yield made
    for worker in made:
        worker.close()


def subnet(w: Worker) -> str:
    (net,) = w.core.networks.create(ME, [NetworkCreate(tenant_id=TENANT)])
    (made,) = w.core.subnets.create(
        ME,
        [
            SubnetRequest(
                tenant_id=TENANT, network_id=net.id, cidr="10.0.0.0/24", ip_version=4
            )
        ],
    )
    return made.id


def pool(w: Worker, subnet_id: str) -> str:
    (made,) = w.lbaas.pools.create(
        ME,
        [
            PoolCreate(
                tenant_id=TENANT,
                subnet_id=subnet_id,
                protocol=Protocol.HTTP,
                lb_method=LbMethod.ROUND_ROBIN,
            )
        ],
    )
    return made.id


def vip_ports(w: Worker) -> list[str]:
    return [
        p.id
        for p in w.core.ports.list(
            ADMIN, ListQuery(filters={"device_owner": (LOADBALANCER_OWNER,)})
        )
    ]


def test_vips_made_at_once_for_one_pool_give_one_success(
    workers: list[Worker],
) -> None:
    a = workers[0]
    subnet_id = subnet(a)
    for _ in range(3):
        pool_id = pool(a, subnet_id)
        results = race(
            [
                partial(
                    w.lbaas.vips.create,
                    ME,
                    [
                        VipCreate(
                            tenant_id=TENANT,
                            subnet_id=subnet_id,
                            protocol_port=80,
                            protocol=Protocol.HTTP,
                            pool_id=pool_id,
                        )
                    ],
                )
                for w in workers
            ]
        )
        made = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(made) == 1, results
        assert all(isinstance(r, exc.VipExists) for r in refused), refused
        (vips,) = made
        assert isinstance(vips[0], Vip)
        assert a.lbaas.pools.get(ME, pool_id).vip_id == vips[0].id
    # one port per VIP: the refused ones left none
    assert len(vip_ports(a)) == 3
    assert len(a.lbaas.vips.list(ME, ListQuery())) == 3


def test_objects_pending_delete_are_refused_changes(workers: list[Worker]) -> None:
    a = workers[0]
    subnet_id = subnet(a)
    pool_id = pool(a, subnet_id)
    (v,) = a.lbaas.vips.create(
        ME,
        [
            VipCreate(
                tenant_id=TENANT,
                subnet_id=subnet_id,
                protocol_port=80,
                protocol=Protocol.HTTP,
                pool_id=pool_id,
            )
        ],
    )
    (monitor,) = a.lbaas.health_monitors.create(
        ME,
        [
            HealthMonitorCreate(
                tenant_id=TENANT,
                type=MonitorType.PING,
                delay=1,
                timeout=1,
                max_retries=1,
            )
        ],
    )

    # NOTE: what an agent will do when it starts tearing them down.
    def pending_delete(table: type[LbPoolRow] | type[LbVipRow], item_id: str) -> None:
        a.core.db.run(
            lambda s: s.execute(
                update(table)
                .where(table.id == item_id)
                .values(status=LbStatus.PENDING_DELETE.value)
            ),
            write=True,
        )

    pending_delete(LbVipRow, v.id)
    with pytest.raises(exc.LoadBalancerStateInvalid):
        a.lbaas.vips.update(ME, v.id, VipUpdate(name="x"))
    pending_delete(LbPoolRow, pool_id)
    with pytest.raises(exc.LoadBalancerStateInvalid):
        a.lbaas.pools.update(ME, pool_id, PoolUpdate(name="x"))
    with pytest.raises(exc.LoadBalancerStateInvalid):
        a.lbaas.pools.associate(ME, pool_id, monitor.id)
    with pytest.raises(exc.LoadBalancerStateInvalid):
        a.lbaas.members.create(
            ME,
            [
                MemberCreate(
                    tenant_id=TENANT,
                    pool_id=pool_id,
                    address=ip_address("10.0.0.9"),
                    protocol_port=80,
                )
            ],
        )
    # positive control: a monitor not being deleted changes
    changed = a.lbaas.health_monitors.update(
        ME, monitor.id, HealthMonitorUpdate(delay=3)
    )
    assert (changed.delay, changed.status) == (3, LbStatus.PENDING_UPDATE)
    # and the objects are still there, as they were
    assert a.lbaas.vips.get(ME, v.id).name == ""
    assert a.lbaas.pools.get(ME, pool_id).name == ""
