# SPDX-License-Identifier: Apache-2.0
"""Each process loads only what it uses (issue 16, item 5): ``quantum-server``'s
entry point no app, no database library and no DNS/crypto stack; the supervisor of
workers imports their code before forking (shared copy-on-write) but builds nothing:
no app, no engine, no database file, and then becomes the resident supervisor
(``quantum.supervisor``), which loads the standard library alone; a worker with
``auth_strategy = noauth`` no Keystone middleware, no alembic (the schema check reads
revisions itself), no requests (oslo.policy's HTTP check) and, without
``credential_key``, no cryptography; the agents neither the server's code nor
SQLAlchemy, the Open vSwitch agent no eventlet and of os-ken's OpenFlow layer
version 1.3 alone. Each is checked in a fresh interpreter, with a positive control
that it got as far as it should.
Figures: bench/README.md ("Memory")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SUPERVISOR = """
import json, sys
import quantum.server
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

PRELOAD = """
import json, sys
from pathlib import Path
import quantum.server
from quantum.core.settings import load_settings
directory = Path(sys.argv[1])
database = directory / "q.sqlite"
config = directory / "quantum.conf"
config.write_text(
    f"[DEFAULT]\\nstate_path = {directory}\\ncore_plugin = sql\\n"
    f"service_plugins = router\\nsql_connection = sqlite:///{database}\\n"
)
quantum.server.preload(load_settings(config))
import quantum.api.app
assert not database.exists() and not quantum.api.app._services, "built something"
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

RESIDENT = """
import json, sys
from quantum import supervisor
from quantum.core import log
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

WORKER = """
import json, sys
from pathlib import Path
import subprocess
import quantum.server
from quantum.core.settings import load_settings
directory = Path(sys.argv[1])
url = f"sqlite:///{directory / 'q.sqlite'}"
# NOTE: migrated by another process, as quantum-db-manage does: alembic is its own.
subprocess.run([sys.executable, "-c", "import sys; from quantum.db import migration; "
    "from quantum.db.session import make_engine; "
    "migration.upgrade(make_engine(sys.argv[1]))", url], check=True)
paste = Path(quantum.server.__file__).parents[1] / "etc" / "api-paste.ini"
config = directory / "quantum.conf"
config.write_text(
    f"[DEFAULT]\\nstate_path = {directory}\\napi_paste_config = {paste}\\n"
    f"core_plugin = sql\\nsql_connection = {url}\\nauth_strategy = noauth\\n"
)
quantum.server.load_app(load_settings(config))
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

DHCP_AGENT = """
import json, sys
from quantum.agent.dhcp import main
from quantum.agent.dhcp.agent import DhcpAgent, DhcpConfig
from quantum.agent.dhcp.driver import Driver, DriverConfig
from quantum.agent.dhcp.leases import LeaseWatch
from quantum.agent.loop import follow_changes
from quantum.agentapi.dhcp.client import DhcpClient
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

L3_AGENT = """
import json, sys
from quantum.agent.l3 import main
from quantum.agent.l3.agent import L3Agent, L3Config
from quantum.agent.l3.driver import Driver, DriverConfig
from quantum.agent.loop import follow_changes
from quantum.agentapi.l3.client import L3Client
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

# NOTE: what run() imports, after keep_eventlet_out() and load_openflow13_only() as
# run() calls them; a deferred module (never run) is not loaded.
AGENT = """
import json, sys, types
from quantum.agent.ovs import main
main.keep_eventlet_out()
from quantum.agent.ovs.openflow13 import load_openflow13_only
assert load_openflow13_only()
from quantum.agent.loop import follow_changes
from quantum.agent.ovs import openflow
from quantum.agent.ovs.ovsdb import Ovsdb
from quantum.agent.ovs.reconcile import Agent, AgentConfig
from quantum.agentapi.ovs.client import OvsClient
from os_ken.controller import ofp_handler  # NOTE: the app manager loads it at start
modules = (k for k, v in sys.modules.items() if type(v) is types.ModuleType)
print(json.dumps(sorted(modules)))
"""

SERVER_SIDE = (
    "sqlalchemy", "alembic", "webob", "paste.deploy", "routes", "quantum.api",
    "quantum.db", "quantum.plugins", "quantum.ipam", "psycopg2", "pymysql",
)  # fmt: skip
DNS_AND_CRYPTO = ("dns", "cryptography")


def _modules(script: str, *args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EVENTLET_NO_GREENDNS", None)
    env.pop("OSKEN_HUB_TYPE", None)
    # NOTE: under `pytest --cov` (CI) a subprocess starts coverage, which imports
    # greenlet for its tracer (`concurrency` in pyproject.toml): the probe is of
    # what our code imports, so it runs without coverage.
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    done = subprocess.run(  # noqa: S603  # NOTE: our own interpreter and code
        [sys.executable, "-W", "ignore", "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(
        m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)
    )


def test_the_supervisor_loads_no_app_no_database_and_no_dns_stack() -> None:
    modules = _modules(SUPERVISOR)
    assert {"eventlet", "quantum.core.settings", "quantum.server"} <= modules
    assert _loaded(modules, (*SERVER_SIDE, *DNS_AND_CRYPTO)) == []


def test_the_supervisor_of_workers_imports_their_code_and_builds_nothing(
    tmp_path: Path,
) -> None:
    modules = _modules(PRELOAD, str(tmp_path))
    assert {"sqlalchemy", "quantum.api.app", "quantum.plugins.l3.plugin"} <= modules
    assert {"quantum.plugins.sql", "sqlalchemy.dialects.sqlite"} <= modules
    assert _loaded(modules, ("sqlite3", "psycopg2", "pymysql", *DNS_AND_CRYPTO)) == [
        "sqlite3",  # NOTE: the standard library module; no connection (above)
        "sqlite3.dbapi2",
    ]


def test_the_resident_supervisor_loads_the_standard_library_alone() -> None:
    modules = _modules(RESIDENT)
    assert {"quantum.supervisor", "logging", "select", "json"} <= modules
    ours = {"quantum", "quantum.core", "quantum.core.log", "quantum.supervisor"}
    assert _loaded(modules, ("quantum",)) == sorted(ours)
    third_party = ("eventlet", "greenlet", "oslo_config", "webob", "sqlalchemy")
    assert _loaded(modules, third_party) == []
    assert len(modules) < 110  # NOTE: 104 (a bare interpreter: 69)


UNUSED_BY_A_NOAUTH_WORKER = (
    "keystonemiddleware", "keystoneclient", "keystoneauth1", "dns", "alembic",
    "mako", "requests", "urllib3", "cryptography",
)  # fmt: skip


def test_a_noauth_worker_loads_no_keystone_alembic_requests_or_crypto(
    tmp_path: Path,
) -> None:
    modules = _modules(WORKER, str(tmp_path))
    assert {"sqlalchemy", "quantum.api.app", "quantum.plugins.sql"} <= modules
    assert {"oslo_policy.policy", "quantum.db.migration"} <= modules
    assert _loaded(modules, UNUSED_BY_A_NOAUTH_WORKER) == []
    # NOTE: a SQLite worker: PostgreSQL's and MySQL's dialects (all their drivers'
    # modules) unused, the tables' MySQL options and types included.
    assert "sqlalchemy.dialects.sqlite" in modules
    assert _loaded(modules, ("sqlalchemy.dialects.postgresql",)) == []
    assert _loaded(modules, ("sqlalchemy.dialects.mysql",)) == []


@pytest.mark.parametrize("script", [DHCP_AGENT, L3_AGENT], ids=["dhcp", "l3"])
def test_the_dhcp_and_l3_agents_load_neither_the_server_nor_sqlalchemy(
    script: str,
) -> None:
    modules = _modules(script)
    assert {"quantum.agent.loop", "quantum.agent.processes"} <= modules
    assert _loaded(modules, (*SERVER_SIDE, *DNS_AND_CRYPTO, "quantum.server")) == []


def test_the_ovs_agent_loads_neither_the_server_nor_sqlalchemy_nor_eventlet() -> None:
    modules = _modules(AGENT)
    assert {"ovsdbapp", "os_ken", "ovs.poller", "quantum.agent.ovs.reconcile"} <= (
        modules
    )
    loaded = _loaded(
        modules, (*SERVER_SIDE, *DNS_AND_CRYPTO, "eventlet", "quantum.server")
    )
    assert loaded == []


OS_KEN_OFPROTO = (
    "ether", "inet", "nicira_ext", "nx_actions", "nx_match", "ofproto_common",
    "ofproto_parser", "ofproto_protocol", "ofproto_utils",
    "ofproto_v1_0", "ofproto_v1_2", "ofproto_v1_3", "ofproto_v1_3_parser",
    "ofproto_v1_4", "ofproto_v1_5",  # NOTE: constants; 1.3's parser alone
    "oxm_fields", "oxs_fields", "oxx_fields",
)  # fmt: skip


def test_the_ovs_agent_loads_os_kens_openflow_13_alone() -> None:
    """No other version's parser and no packet decoders (BGP, zebra, ...): 13 MiB
    (quantum/agent/ovs/openflow13.py). The os-ken modules it runs, all of them."""
    modules = _modules(AGENT)
    assert _loaded(modules, ("os_ken.lib.packet",)) == [
        "os_ken.lib.packet.ether_types",  # NOTE: constants, re-exported by ofproto
        "os_ken.lib.packet.in_proto",
    ]
    assert _loaded(modules, ("os_ken.ofproto",)) == [
        "os_ken.ofproto",
        *(f"os_ken.ofproto.{m}" for m in OS_KEN_OFPROTO),
    ]
    assert len(_loaded(modules, ("os_ken",))) == 43
