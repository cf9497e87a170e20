# SPDX-License-Identifier: Apache-2.0
"""``quantum-dhcp-agent``: the DHCP agent process.

Reads ``[DEFAULT]`` of ``dhcp_agent.ini`` (``--config-file``; Grizzly's file and
section) and runs the reconcile loop (``agent.DhcpAgent``) with a thread that
follows the server's change feed (the DHCP kind's topics), and one that reports
dnsmasq's leases (``leases.LeaseWatch``). SIGTERM and SIGINT stop
it after the round in progress; dnsmasq keeps answering (a restarted agent adopts
what runs without restarting it).
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
from quantum.agent.dhcp.model import DEFAULT_DOMAIN, DEFAULT_LEASE_TIME, MIN_LEASE_TIME
from quantum.agent.dhcp.plan import NAMESPACE_PREFIX
from quantum.compute import vif

LOG = logging.getLogger("quantum.agent.dhcp")
SECTION = "DEFAULT"
DEFAULT_INI = Path("/etc/quantum/dhcp_agent.ini")


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """``[DEFAULT]`` of the ini file; docs/configuration.md lists every one."""

    server_url: str = "http://127.0.0.1:9696"
    agent_secret: str = ""
    host: str = field(default_factory=socket.gethostname)
    integration_bridge: str = vif.DEFAULT_BRIDGE
    ovsdb_connection: str = vif.DEFAULT_OVSDB
    namespace_prefix: str = NAMESPACE_PREFIX
    state_path: str = "/var/lib/quantum"
    dhcp_domain: str = DEFAULT_DOMAIN
    dhcp_lease_time: int = DEFAULT_LEASE_TIME
    dnsmasq: str = "dnsmasq"
    host_netns: str = ""
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0
    poll_wait: float = 25.0
    lease_poll_interval: float = 1.0


def load_options(path: Path) -> Options:
    """Read ``[DEFAULT]`` of ``path``; a mistake names the option and the file."""
    options = read_options(path, SECTION, Options)
    where = f"[{SECTION}] of {path}"
    if not options.agent_secret:
        raise AgentConfigError(f"{where}: agent_secret is required")
    if not options.namespace_prefix:
        raise AgentConfigError(f"{where}: namespace_prefix must not be empty")
    if options.lease_poll_interval <= 0:
        raise AgentConfigError(f"lease_poll_interval in {where}: must be positive")
    if options.dhcp_lease_time < MIN_LEASE_TIME:
        raise AgentConfigError(
            f"dhcp_lease_time in {where}: at least {MIN_LEASE_TIME} (dnsmasq's minimum)"
        )
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quantum-dhcp-agent")
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
        print(f"quantum-dhcp-agent: {error}", file=sys.stderr)
        return 2
    return run(options)


def run(options: Options) -> int:  # pragma: no cover - exercised by tests/dataplane
    from quantum.agent.dhcp.agent import DhcpAgent, DhcpConfig
    from quantum.agent.dhcp.driver import Driver, DriverConfig
    from quantum.agent.dhcp.leases import LeaseWatch
    from quantum.agent.loop import follow_changes
    from quantum.agentapi.dhcp.client import DhcpClient

    stop = threading.Event()

    def client() -> DhcpClient:
        return DhcpClient(
            options.server_url, host=options.host, secret=options.agent_secret
        )

    driver = Driver(
        DriverConfig(
            state_dir=Path(options.state_path) / "dhcp",
            namespace_prefix=options.namespace_prefix,
            ovsdb=options.ovsdb_connection,
            bridge=options.integration_bridge,
            dnsmasq=options.dnsmasq,
            host_netns=options.host_netns or None,
        )
    )
    agent = DhcpAgent(
        DhcpConfig(
            host=options.host,
            dhcp_domain=options.dhcp_domain,
            dhcp_lease_time=options.dhcp_lease_time,
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
    watch = LeaseWatch(Path(options.state_path) / "dhcp", client().report_leases)
    threading.Thread(
        target=watch.run,
        args=(stop, options.lease_poll_interval),
        name="leases",
        daemon=True,
    ).start()
    LOG.info("DHCP agent for host %s running", options.host)
    agent.run(stop)
    return 0
