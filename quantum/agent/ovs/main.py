# SPDX-License-Identifier: Apache-2.0
"""``quantum-openvswitch-agent``: the OVS agent process.

Reads ``[AGENT]`` of ``ovs_quantum_plugin.ini`` (``--config-file``), starts the
OpenFlow controller, makes the bridges, and runs the reconcile loop with a thread
that follows the server's change feed. While OVSDB does not answer (not up yet, or
too slow on a loaded host) the agent waits for it, saying so, instead of exiting.
os-ken's threads never end, so the process leaves through ``os._exit`` (SIGTERM and
SIGINT stop it cleanly first).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

from quantum.agent.config import AgentConfigError, read_options, split_list
from quantum.agent.loop import RETRY_MAX, RETRY_MIN
from quantum.agent.ovs.model import TunnelType

if TYPE_CHECKING:
    from quantum.agent.ovs.ovsdb import BridgeConfig

LOG = logging.getLogger("quantum.agent.ovs")
SECTION = "AGENT"
FIREWALL_DRIVERS = ("openvswitch", "noop")
DEFAULT_INI = Path("/etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini")
#: Seconds the first round waits, in all, for the bridges to connect.
BRIDGE_WAIT = 10.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """``[AGENT]`` of the ini file; docs/configuration.md lists every one."""

    server_url: str = "http://127.0.0.1:9696"
    agent_secret: str = ""
    host: str = field(default_factory=socket.gethostname)
    local_ip: str | None = None
    tunnel_types: frozenset[TunnelType] = frozenset()
    bridge_mappings: dict[str, str] = field(default_factory=dict)
    integration_bridge: str = "br-int"
    tunnel_bridge: str = "br-tun"
    datapath_type: str = "system"
    ovsdb_connection: str = "unix:/var/run/openvswitch/db.sock"
    openflow_listen_port: int = 6633
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0
    poll_wait: float = 25.0
    ovsdb_timeout: float = 10.0
    vswitchd_unixctl: str = ""
    """ovs-vswitchd's control socket (``ovs-appctl -t``); empty: ovs-appctl's
    default. The agent reads and flushes conntrack zones through it."""
    firewall_driver: str = "openvswitch"
    """``openvswitch``: port security and security groups enforced on br-int;
    ``noop``: nothing filtered (Grizzly's NoopFirewallDriver)."""

    @property
    def bridges(self) -> BridgeConfig:
        # NOTE: imported here: the OVS library behind ovsdb is not needed to print
        # usage or report a configuration mistake, and importing it makes noise.
        from quantum.agent.ovs.ovsdb import BridgeConfig

        return BridgeConfig(
            integration_bridge=self.integration_bridge,
            tunnel_bridge=self.tunnel_bridge if self.tunnel_types else None,
            bridge_mappings=dict(self.bridge_mappings),
            datapath_type=self.datapath_type,
        )


def _tunnel_types(value: str, where: str) -> frozenset[TunnelType]:
    return frozenset(TunnelType(t) for t in split_list(value))


def _mappings(value: str, where: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in split_list(value):
        physnet, sep, bridge = item.partition(":")
        if not sep or not physnet.strip() or not bridge.strip():
            raise AgentConfigError(
                f"bridge_mappings in {where}: {item!r} is not 'physnet:bridge'"
            )
        result[physnet.strip()] = bridge.strip()
    return result


def load_options(path: Path) -> Options:
    """Read ``[AGENT]`` of ``path``; a mistake names the option and the file."""
    converters = {"tunnel_types": _tunnel_types, "bridge_mappings": _mappings}
    options = read_options(path, SECTION, Options, converters)
    where = f"[{SECTION}] of {path}"
    if options.tunnel_types and not options.local_ip:
        raise AgentConfigError(f"{where}: tunnel_types needs local_ip")
    if not options.agent_secret:
        raise AgentConfigError(f"{where}: agent_secret is required")
    if options.firewall_driver not in FIREWALL_DRIVERS:
        raise AgentConfigError(
            f"firewall_driver in {where}: {options.firewall_driver!r} is not one of "
            f"{', '.join(FIREWALL_DRIVERS)}"
        )
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quantum-openvswitch-agent")
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
        print(f"quantum-openvswitch-agent: {error}", file=sys.stderr)
        return 2
    code = run(options)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # NOTE: os-ken's threads never end


def keep_eventlet_out() -> None:
    """Call before importing the ``ovs`` library and os-ken.

    PERF: the ``ovs`` library imports eventlet (installed for the server) only to ask
    whether ``select`` is monkey-patched; it is not, os-ken runs its native hub here.
    That import (eventlet, its DNS modules, cryptography: 260 modules, 16 MiB) was a
    quarter of the agent's memory; a failed import answers the probe. With
    ``OSKEN_HUB_TYPE=eventlet`` os-ken needs eventlet, which is then left alone
    (its import warns about its maintenance mode, which is known).
    """
    if os.environ.get("OSKEN_HUB_TYPE", "native") == "eventlet":
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    elif "eventlet" not in sys.modules:
        sys.modules["eventlet"] = None  # type: ignore[assignment]  # NOTE: see above


def until_ready(attempt: Callable[[], T], what: str, stop: threading.Event) -> T | None:
    """``attempt()``'s result, once it succeeds; None if ``stop`` is set first.

    While it raises (OVSDB not up yet, or too slow to answer in time on a loaded
    host), say why and try again after the agent loop's back-off: an agent started
    before its switch, or at a bad moment, waits for it instead of exiting and
    leaving every port of the host unwired.
    """
    failures = 0
    while not stop.is_set():
        try:
            return attempt()
        except Exception as error:  # noqa: BLE001 - any failure: retry, said why
            failures += 1
            delay = min(RETRY_MAX, RETRY_MIN * 2 ** (failures - 1))
            LOG.warning("%s: %s; trying again in %.1f s", what, error, delay)
            stop.wait(delay)
    return None


def run(options: Options) -> int:  # pragma: no cover - exercised by tests/dataplane
    keep_eventlet_out()
    from quantum.agent.ovs.openflow13 import load_openflow13_only

    load_openflow13_only()
    from quantum.agent.loop import follow_changes
    from quantum.agent.ovs import openflow
    from quantum.agent.ovs.conntrack_ctl import AppctlConntrack
    from quantum.agent.ovs.ovsdb import Ovsdb
    from quantum.agent.ovs.reconcile import Agent, AgentConfig
    from quantum.agentapi.ovs.client import OvsClient

    stop = threading.Event()
    agents: list[Agent] = []  # NOTE: the IDL may report changes before it exists

    def changed() -> None:
        for each in agents:
            each.wake()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        changed()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = openflow.start_controller("127.0.0.1", options.openflow_listen_port)
    config = AgentConfig(
        host=options.host,
        bridges=options.bridges,
        local_ip=options.local_ip,
        tunnel_types=options.tunnel_types,
        heartbeat_interval=options.heartbeat_interval,
        resync_interval=options.resync_interval,
        firewall=options.firewall_driver == "openvswitch",
    )
    app.on_connect = changed
    remote = options.ovsdb_connection
    switch = until_ready(
        lambda: Ovsdb(remote, timeout=options.ovsdb_timeout, on_change=changed),
        f"OVSDB at {remote}",
        stop,
    )
    if switch is None:
        return 0
    controller = f"tcp:127.0.0.1:{options.openflow_listen_port}"

    def bridges_set_up() -> bool:
        switch.ensure_bridges(config.bridges, controller)
        return True

    if not until_ready(bridges_set_up, "setting up the bridges", stop):
        switch.close()
        return 0

    def client() -> OvsClient:
        return OvsClient(
            options.server_url, host=options.host, secret=options.agent_secret
        )

    conntrack = AppctlConntrack(options.vswitchd_unixctl) if config.firewall else None
    agent = Agent(config, client(), switch, app, conntrack)
    agents.append(agent)
    # NOTE: one deadline for all: the first round waits for their flows, not for
    # each bridge in turn (a bridge that connects later wakes the loop).
    for bridge in app.wait_for_bridges(config.bridges.names, BRIDGE_WAIT):
        LOG.warning("bridge %s has not connected yet", bridge)

    threading.Thread(
        target=follow_changes,
        args=(client(), agent, stop),
        kwargs={"wait": options.poll_wait},
        name="change-feed",
        daemon=True,
    ).start()
    LOG.info("agent for host %s running", options.host)
    agent.run(stop)
    switch.close()
    return 0
