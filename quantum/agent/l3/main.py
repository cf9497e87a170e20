# SPDX-License-Identifier: Apache-2.0
"""``quantum-l3-agent``: the L3 agent process.

Reads ``[DEFAULT]`` of ``l3_agent.ini`` (``--config-file``; Grizzly's file and
section) and runs the reconcile loop (``agent.L3Agent``) with a thread that
follows the server's change feed (the L3 kind's topics). SIGTERM and SIGINT stop
it after the round in progress; the routers keep running (a restarted agent
adopts them without touching traffic).
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from quantum.agent.config import AgentConfigError, read_options
from quantum.agent.l3.plan import NAMESPACE_PREFIX
from quantum.compute import vif

LOG = logging.getLogger("quantum.agent.l3")
SECTION = "DEFAULT"
DEFAULT_INI = Path("/etc/quantum/l3_agent.ini")


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """``[DEFAULT]`` of the ini file; docs/configuration.md lists every one."""

    server_url: str = "http://127.0.0.1:9696"
    agent_secret: str = ""
    host: str = field(default_factory=socket.gethostname)
    integration_bridge: str = vif.DEFAULT_BRIDGE
    external_network_bridge: str = "br-ex"
    gateway_external_network_id: str = ""
    handle_internal_only_routers: bool = True
    ovsdb_connection: str = vif.DEFAULT_OVSDB
    namespace_prefix: str = NAMESPACE_PREFIX
    host_netns: str = ""
    send_arp_for_ha: int = 3
    state_path: str = ""
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0
    poll_wait: float = 25.0


def load_options(path: Path) -> Options:
    """Read ``[DEFAULT]`` of ``path``; a mistake names the option and the file."""
    options = read_options(path, SECTION, Options)
    where = f"[{SECTION}] of {path}"
    if not options.agent_secret:
        raise AgentConfigError(f"{where}: agent_secret is required")
    if not options.namespace_prefix:
        raise AgentConfigError(f"{where}: namespace_prefix must not be empty")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quantum-l3-agent")
    parser.add_argument("--config-file", type=Path, default=DEFAULT_INI)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        options = load_options(args.config_file)
    except AgentConfigError as error:
        print(f"quantum-l3-agent: {error}", file=sys.stderr)
        return 2
    return run(options)


def run(options: Options) -> int:  # pragma: no cover - exercised by tests/dataplane
    from quantum.agent.l3.agent import L3Agent, L3Config
    from quantum.agent.l3.driver import Driver, DriverConfig
    from quantum.agent.loop import follow_changes
    from quantum.agentapi.l3.client import L3Client

    stop = threading.Event()

    def client() -> L3Client:
        return L3Client(
            options.server_url, host=options.host, secret=options.agent_secret
        )

    driver = Driver(
        DriverConfig(
            namespace_prefix=options.namespace_prefix,
            ovsdb=options.ovsdb_connection,
            integration_bridge=options.integration_bridge,
            external_bridge=options.external_network_bridge,
            host_netns=options.host_netns or None,
            garp_count=options.send_arp_for_ha,
            state_dir=Path(options.state_path) if options.state_path else None,
        )
    )
    agent = L3Agent(
        L3Config(
            host=options.host,
            external_network_bridge=options.external_network_bridge,
            gateway_external_network_id=options.gateway_external_network_id,
            handle_internal_only_routers=options.handle_internal_only_routers,
            heartbeat_interval=options.heartbeat_interval,
            resync_interval=options.resync_interval,
        ),
        client(),
        driver,
    )

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        agent.wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threading.Thread(
        target=follow_changes,
        args=(client(), agent, stop),
        kwargs={"wait": options.poll_wait},
        name="change-feed",
        daemon=True,
    ).start()
    LOG.info("L3 agent for host %s running", options.host)
    agent.run(stop)
    driver.wait_announcements()
    return 0
