# SPDX-License-Identifier: Apache-2.0
"""``quantum.db.models``: a stored port's row as its domain port; the tables' DDL on
MySQL and MariaDB."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from ipaddress import ip_address

from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

import quantum.db.extension_models  # noqa: F401  # NOTE: registers its tables
from quantum.core.ports import ADMIN_DOWN_REASON, Port
from quantum.core.security_groups import AllowedAddressPair
from quantum.core.status import OpStatus
from quantum.core.subnets import FixedIP
from quantum.db.models import PORT_FIELDS, Base, port_of, with_mysql_options

CREATED = datetime(2026, 12, 7, 12, 0, 0)
ROW: dict[str, object] = {
    "id": "p",
    "network_id": "n",
    "tenant_id": "t",
    "admin_state_up": True,
    "status": "UP",
    "attachment": None,
    "name": "ünï",
    "mac_address": "fa:16:3e:00:00:01",
    "device_id": "vm",
    "device_owner": "compute:nova",
    "binding_host_id": "h",
    "binding_profile": '{"a": [1]}',
    "status_reason": "",
    "description": "d",
    "created_at": CREATED,
    "updated_at": None,
    "revision_number": 3,
    "tags": '["x", "y"]',
    "port_security_enabled": True,
    "security_groups": '["g"]',
    "allowed_address_pairs": '[["10.0.0.9", "fa:16:3e:00:00:02"]]',
}
IPS = (FixedIP(subnet_id="s", ip_address=ip_address("10.0.0.2")),)


def test_a_rows_port_is_the_port_its_init_would_make() -> None:
    """``port_of`` sets the slots itself (PERF): the same port, equal, hashed and
    shown alike, as ``Port(...)`` with those values."""
    made = port_of(tuple(ROW[name] for name in PORT_FIELDS), IPS)
    expected = Port(
        id="p",
        network_id="n",
        tenant_id="t",
        admin_state_up=True,
        status=OpStatus.UP,
        name="ünï",
        mac_address="fa:16:3e:00:00:01",
        device_id="vm",
        device_owner="compute:nova",
        binding_host_id="h",
        binding_profile={"a": [1]},
        fixed_ips=IPS,
        description="d",
        created_at=CREATED,
        updated_at=CREATED,
        revision_number=3,
        tags=("x", "y"),
        security_groups=("g",),
        allowed_address_pairs=(
            AllowedAddressPair(ip_address="10.0.0.9", mac_address="fa:16:3e:00:00:02"),
        ),
    )
    assert made == expected
    assert repr(made) == repr(expected)
    assert hash(made) == hash(expected)
    assert dataclasses.replace(made, name="b") == dataclasses.replace(
        expected, name="b"
    )


def test_an_administratively_down_port_is_down() -> None:
    made = port_of(
        tuple({**ROW, "admin_state_up": False}[name] for name in PORT_FIELDS)
    )
    assert made.status is OpStatus.DOWN
    assert made.status_reason == ADMIN_DOWN_REASON
    assert made.fixed_ips == ()


def test_every_table_has_its_mysql_options_where_ddl_is_written() -> None:
    # NOTE: the migrations' environment (what autogenerate compares with) gets
    # them; without, the positive control: the same table, no options.
    bare = CreateTable(Base.metadata.tables["ports"]).compile(dialect=mysql.dialect())
    assert "ENGINE=InnoDB" not in str(bare)
    tables = with_mysql_options(Base.metadata).tables
    assert len(tables) > 40
    for name, table in tables.items():
        ddl = str(CreateTable(table).compile(dialect=mysql.dialect()))
        assert ddl.rstrip().endswith(
            "ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_nopad_bin"
        ), name


def test_timestamps_keep_microseconds_on_mysql_and_are_plain_elsewhere() -> None:
    table = Base.metadata.tables["agent_hosts"]
    assert "last_seen DATETIME(6) NOT NULL" in str(
        CreateTable(table).compile(dialect=mysql.dialect())
    )
    assert "last_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL" in str(
        CreateTable(table).compile(dialect=postgresql.dialect())
    )
    assert "last_seen DATETIME NOT NULL" in str(
        CreateTable(table).compile(dialect=sqlite.dialect())
    )
