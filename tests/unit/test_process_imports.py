# SPDX-License-Identifier: Apache-2.0
"""Each process loads only what it uses (issue 16, item 5): the server's supervisor
no app, no database library and no DNS/crypto stack; a worker with
``auth_strategy = noauth`` no Keystone middleware; the Open vSwitch agent neither the
server's code nor SQLAlchemy nor eventlet. Each is checked in a fresh interpreter,
with a positive control that it got as far as it should. Figures: bench/README.md
("Memory")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SUPERVISOR = """
import json, sys
import quantum.server
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

WORKER = """
import json, sys
from pathlib import Path
import quantum.server
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
directory = Path(sys.argv[1])
url = f"sqlite:///{directory / 'q.sqlite'}"
engine = make_engine(url)
migration.upgrade(engine)
engine.dispose()
paste = Path(quantum.server.__file__).parents[1] / "etc" / "api-paste.ini"
config = directory / "quantum.conf"
config.write_text(
    f"[DEFAULT]\\nstate_path = {directory}\\napi_paste_config = {paste}\\n"
    f"core_plugin = sql\\nsql_connection = {url}\\nauth_strategy = noauth\\n"
)
quantum.server.load_app(load_settings(config))
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
"""

# NOTE: what run() imports, after keep_eventlet_out() as run() calls it.
AGENT = """
import json, sys
from quantum.agent.ovs import main
main.keep_eventlet_out()
from quantum.agent.loop import follow_changes
from quantum.agent.ovs import openflow
from quantum.agent.ovs.ovsdb import Ovsdb
from quantum.agent.ovs.reconcile import Agent, AgentConfig
from quantum.agentapi.ovs.client import OvsClient
print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))
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


def test_a_noauth_worker_loads_no_keystone_middleware(tmp_path: Path) -> None:
    modules = _modules(WORKER, str(tmp_path))
    assert {"sqlalchemy", "quantum.api.app", "quantum.plugins.sql"} <= modules
    loaded = _loaded(
        modules, ("keystonemiddleware", "keystoneclient", "keystoneauth1", "dns")
    )
    assert loaded == []


def test_the_ovs_agent_loads_neither_the_server_nor_sqlalchemy_nor_eventlet() -> None:
    modules = _modules(AGENT)
    assert {"ovsdbapp", "os_ken", "ovs.poller", "quantum.agent.ovs.reconcile"} <= (
        modules
    )
    loaded = _loaded(
        modules, (*SERVER_SIDE, *DNS_AND_CRYPTO, "eventlet", "quantum.server")
    )
    assert loaded == []
