# SPDX-License-Identifier: Apache-2.0
"""The change feed: how often agents wake, and how much they refetch, for nothing.

A real ``quantum-server`` (openvswitch plugin, VXLAN, SQLite) with 20 agents of two
kinds following its change feed over HTTP, each a thread that long-polls and, on
every wake-up, refetches its whole desired state, as the agents do:

* 10 OVS agents (``hv00`` .. ``hv09``): the real ``OvsClient``; the state is
  ``POST /agent/v1/ovs/hosts/{host}/state`` for the ports bound to the host;
* 10 DHCP-shaped agents (``dhcp00`` .. ``dhcp09``), each hosting every tenth
  network: the state is what a DHCP agent needs of its networks, the ports and
  subnets of ``/v2.0`` (``?network_id=...``).

A write load (``--writes`` writes, one every ``--interval`` s, the same sequence in
both phases) runs through ``/v2.0``: create a port bound to a host (30%), delete one
(15%), change a subnet's DNS servers (20%), rename a port (15%), create a network with
a subnet (10%), disable or enable an OVS agent (10%).

Two phases, each on a fresh server set up alike: ``global``, every agent following
the one store revision (``GET /agent/v1/changes``), and ``per-topic``, each following
its kind's topics
(``GET /agent/v1/ovs/changes``; the DHCP-shaped ones ``?topics=networks,subnets,
ports``, what the DHCP kind declares). The floor, measured in the same run by the same
agents, is the wake-ups after which the refetched state differed from the one
before (the revision aside): what a feed that woke an agent only for its own changes
would cost. Figures per agent, by kind: wake-ups, useful wake-ups (the floor),
wake-ups / floor, refetched bytes (JSON bodies) and those of the useful ones.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quantum.agentapi.client import AgentClient  # noqa: E402
from quantum.agentapi.ovs import messages as msg  # noqa: E402
from quantum.agentapi.ovs.client import OvsClient  # noqa: E402
from quantum.core.networks import NetworkType  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import ServerProcess, db_manage, free_port  # noqa: E402

SECRET = "agent-feed-bench"  # noqa: S105  # NOTE: a scratch server's secret
ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin"}
TENANT = "bench"
HOSTS = 10
DHCP_AGENTS = 10
DHCP_TOPICS = "networks,subnets,ports"
WAIT = 20.0


class Api:
    """``/v2.0`` as an admin, one keep-alive connection (one per thread)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[Any, int]:
        """The decoded answer and the size of its body."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, 30)
        headers = {**ADMIN, "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body)
        try:
            self._conn.request(method, "/v2.0" + path, data, headers)
            response = self._conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()
            self._conn = None
            raise
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
        return (json.loads(raw) if raw else None), len(raw)


class SizedOvsClient(OvsClient):
    """The OVS agent's client, counting the bytes of the answers it reads."""

    def desired_state_sized(self, iface_ids: Sequence[str]) -> tuple[Any, int]:
        request = msg.StateRequest(iface_ids=tuple(iface_ids))
        body = self.call("POST", "/state", request.to_json())
        return body, len(json.dumps(body))


class TopicClient(AgentClient):
    """A feed follower that names its topics."""

    def __init__(self, url: str, *, host: str, secret: str, topics: str) -> None:
        super().__init__(url, host=host, secret=secret)
        self.topics = topics

    def changes(self, since: int, wait: float = 0.0) -> int:
        path = f"{self.base}/changes?since={since}&wait={wait:g}&topics={self.topics}"
        body = self._call("GET", path, None, extra_timeout=wait)
        return int(body["revision"])


@dataclass
class World:
    """What the write load made, shared with the agents."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    networks: list[str] = field(default_factory=list)
    subnets: dict[str, str] = field(default_factory=dict)  # network -> subnet
    ports: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (net, host)
    bound: dict[str, set[str]] = field(default_factory=dict)  # host -> port ids
    agents: dict[str, str] = field(default_factory=dict)  # host -> agent id

    def iface_ids(self, host: str) -> list[str]:
        with self.lock:
            return sorted(self.bound.get(host, ()))

    def hosted(self, index: int) -> list[str]:
        with self.lock:
            return [n for i, n in enumerate(self.networks) if i % DHCP_AGENTS == index]


@dataclass
class Counts:
    wakeups: int = 0
    useful: int = 0
    bytes: int = 0
    useful_bytes: int = 0


class Follower(threading.Thread):
    """One agent: long-poll the feed, refetch everything on a wake-up."""

    def __init__(
        self,
        name: str,
        kind: str,
        feed: AgentClient,
        fetch: Callable[[], tuple[Any, int]],
        stop: threading.Event,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.kind = kind
        self.feed = feed
        self.fetch = fetch
        self.stop = stop
        self.counts = Counts()
        self.last_wake = time.monotonic()
        self.state: Any = None
        self.error: BaseException | None = None

    def prime(self) -> None:
        """The starting point: the state and the feed's revision, not counted."""
        self.since = self.feed.changes(0)
        self.state, _ = self.fetch()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                revision = self.feed.changes(self.since, wait=WAIT)
                if revision <= self.since:
                    continue
                self.since = revision
                state, size = self.fetch()
                counts = self.counts
                counts.wakeups += 1
                counts.bytes += size
                if state != self.state:
                    counts.useful += 1
                    counts.useful_bytes += size
                self.state = state
                self.last_wake = time.monotonic()
        except BaseException as error:  # noqa: BLE001  # NOTE: reported by the run
            if not self.stop.is_set():
                self.error = error


def ovs_fetch(client: SizedOvsClient, world: World) -> Callable[[], tuple[Any, int]]:
    def fetch() -> tuple[Any, int]:
        body, size = client.desired_state_sized(world.iface_ids(client.host))
        body.pop("revision")
        return body, size

    return fetch


def dhcp_fetch(api: Api, world: World, index: int) -> Callable[[], tuple[Any, int]]:
    def fetch() -> tuple[Any, int]:
        nets = world.hosted(index)
        if not nets:
            return ([], []), 0
        query = "&".join(f"network_id={n}" for n in nets)
        ports, size_ports = api.call("GET", f"/ports?{query}")
        subnets, size_subnets = api.call("GET", f"/subnets?{query}")
        wanted = sorted(
            (p["id"], p["mac_address"], json.dumps(p["fixed_ips"]), p["device_owner"])
            for p in ports["ports"]
        )
        return (wanted, subnets["subnets"]), size_ports + size_subnets

    return fetch


# ----------------------------------------------------------------------- the load


def make_network(api: Api, world: World, index: int) -> None:
    net, _ = api.call(
        "POST", "/networks", {"network": {"name": f"n{index}", "tenant_id": TENANT}}
    )
    net_id = net["network"]["id"]
    cidr = f"10.{index // 250}.{index % 250}.0/24"
    body = {"network_id": net_id, "tenant_id": TENANT, "ip_version": 4, "cidr": cidr}
    sub, _ = api.call("POST", "/subnets", {"subnet": body})
    with world.lock:
        world.networks.append(net_id)
        world.subnets[net_id] = sub["subnet"]["id"]


def make_port(api: Api, world: World, rng: random.Random) -> None:
    with world.lock:
        net = rng.choice(world.networks)
    host = f"hv{rng.randrange(HOSTS):02d}"
    body = {"network_id": net, "tenant_id": TENANT, "binding:host_id": host}
    port, _ = api.call("POST", "/ports", {"port": body})
    port_id = port["port"]["id"]
    with world.lock:
        world.ports[port_id] = (net, host)
        world.bound.setdefault(host, set()).add(port_id)


def write(api: Api, world: World, rng: random.Random, step: int) -> str:
    """One write of the load; its name."""
    roll = rng.random()
    with world.lock:
        ports = sorted(world.ports)
    if roll < 0.30 or not ports:
        make_port(api, world, rng)
        return "port create"
    if roll < 0.45:
        port_id = rng.choice(ports)
        api.call("DELETE", f"/ports/{port_id}")
        with world.lock:
            _, host = world.ports.pop(port_id)
            world.bound[host].discard(port_id)
        return "port delete"
    if roll < 0.65:
        with world.lock:
            subnet = world.subnets[rng.choice(world.networks)]
        dns = [f"192.0.2.{rng.randrange(1, 250)}"]
        api.call("PUT", f"/subnets/{subnet}", {"subnet": {"dns_nameservers": dns}})
        return "subnet update"
    if roll < 0.80:
        port_id = rng.choice(ports)
        api.call("PUT", f"/ports/{port_id}", {"port": {"name": f"p{step}"}})
        return "port rename"
    if roll < 0.90:
        with world.lock:
            index = len(world.networks)
        make_network(api, world, index)
        return "network create"
    host = f"hv{rng.randrange(HOSTS):02d}"
    agent, _ = api.call("GET", f"/agents/{world.agents[host]}")
    up = not agent["agent"]["admin_state_up"]
    api.call("PUT", f"/agents/{world.agents[host]}", {"agent": {"admin_state_up": up}})
    return "agent admin_state_up"


# ----------------------------------------------------------------------- the run


def start_server(root: Path) -> ServerProcess:
    port = free_port()
    (root / "ovs.ini").write_text(
        "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 1000:1999\n"
    )
    config = write_config(
        root,
        bind_host="127.0.0.1",
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=f"sqlite:///{root / 'quantum.sqlite'}",
        agent_secret=SECRET,
        agent_max_wait=30,
        shutdown_timeout=5,
        log_file=root / "quantum.log",
    )
    with config.open("a") as conf:
        conf.write(
            "\n[QUOTAS]\nquota_network = -1\nquota_subnet = -1\nquota_port = -1\n"
        )
    done = db_manage(config, "upgrade", "head")
    if done.returncode != 0:
        raise RuntimeError(f"quantum-db-manage: {done.stderr}")
    server = ServerProcess(config, "127.0.0.1", port)
    server.start()
    return server


def setup(url: str, api: Api, networks: int, ports: int, seed: int) -> World:
    world = World()
    for index in range(HOSTS):
        host = f"hv{index:02d}"
        client = OvsClient(url, host=host, secret=SECRET)
        client.register(
            msg.HostReport(
                tunnel_ip=ip_address(f"192.0.2.{index + 1}"),
                tunnel_types=frozenset({NetworkType.VXLAN}),
                agent_version="bench",
            )
        )
        client.close()
    agents, _ = api.call("GET", "/agents")
    world.agents = {a["host"]: a["id"] for a in agents["agents"]}
    for index in range(networks):
        make_network(api, world, index)
    rng = random.Random(seed)
    for _ in range(ports):
        make_port(api, world, rng)
    return world


def phase(
    name: str, url: str, port: int, world: World, args: argparse.Namespace
) -> dict[str, Any]:
    stop = threading.Event()
    followers: list[Follower] = []
    per_topic = name == "per-topic"
    for index in range(HOSTS):
        host = f"hv{index:02d}"
        sized = SizedOvsClient(url, host=host, secret=SECRET)
        feed: AgentClient = (
            OvsClient(url, host=host, secret=SECRET)
            if per_topic
            else AgentClient(url, host=host, secret=SECRET)
        )
        followers.append(Follower(host, "ovs", feed, ovs_fetch(sized, world), stop))
    for index in range(DHCP_AGENTS):
        host = f"dhcp{index:02d}"
        feed = (
            TopicClient(url, host=host, secret=SECRET, topics=DHCP_TOPICS)
            if per_topic
            else AgentClient(url, host=host, secret=SECRET)
        )
        followers.append(
            Follower(host, "dhcp", feed, dhcp_fetch(Api(port), world, index), stop)
        )
    for follower in followers:
        follower.prime()
        follower.start()
    api = Api(port)
    rng = random.Random(args.seed + 1)
    mix: dict[str, int] = {}
    started = time.monotonic()
    for step in range(args.writes):
        what = write(api, world, rng, step)
        mix[what] = mix.get(what, 0) + 1
        time.sleep(args.interval)
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # NOTE: until every agent has caught up
        if all(time.monotonic() - f.last_wake > 1.0 for f in followers):
            break
        time.sleep(0.2)
    stop.set()
    errors = [f"{f.name}: {f.error!r}" for f in followers if f.error]
    if errors:
        raise RuntimeError("; ".join(errors))
    kinds: dict[str, dict[str, float]] = {}
    for kind in ("ovs", "dhcp"):
        group = [f.counts for f in followers if f.kind == kind]
        n = len(group)
        wakeups = sum(c.wakeups for c in group) / n
        useful = sum(c.useful for c in group) / n
        kinds[kind] = {
            "wakeups": wakeups,
            "useful": useful,
            "ratio": wakeups / useful if useful else float("inf"),
            "kib": sum(c.bytes for c in group) / n / 1024,
            "useful_kib": sum(c.useful_bytes for c in group) / n / 1024,
        }
    return {"writes": args.writes, "seconds": elapsed, "mix": mix, "kinds": kinds}


def report(figures: dict[str, Any]) -> None:
    print(
        f"20 agents (10 OVS, 10 DHCP-shaped), {figures['writes']} writes per phase, "
        f"{figures['networks']} networks, {figures['ports']} ports at the start"
    )
    print(f"write mix (global phase): {figures['global']['mix']}")
    print()
    header = (
        f"{'phase':<10} {'kind':<5} {'wake-ups':>9} {'floor':>7} {'/floor':>7} "
        f"{'KiB':>9} {'floor KiB':>10} {'/floor':>7}"
    )
    print("per agent, averaged over its kind:")
    print(header)
    for name in ("global", "per-topic"):
        for kind, k in figures[name]["kinds"].items():
            bytes_ratio = k["kib"] / k["useful_kib"] if k["useful_kib"] else 0.0
            print(
                f"{name:<10} {kind:<5} {k['wakeups']:>9.1f} {k['useful']:>7.1f} "
                f"{k['ratio']:>7.2f} {k['kib']:>9.1f} {k['useful_kib']:>10.1f} "
                f"{bytes_ratio:>7.2f}"
            )
    print()
    for kind in ("ovs", "dhcp"):
        before = figures["global"]["kinds"][kind]
        after = figures["per-topic"]["kinds"][kind]
        print(
            f"{kind}: per-topic wakes {after['wakeups'] / before['wakeups']:.2f}x "
            f"and refetches {after['kib'] / before['kib']:.2f}x what the global "
            "revision does"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agent_feed", description=__doc__)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--ports", type=int, default=100)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {
        "networks": args.networks,
        "ports": args.ports,
        "writes": args.writes,
    }
    for name in ("global", "per-topic"):
        # NOTE: a fresh server per phase: both start alike and get the same writes
        with tempfile.TemporaryDirectory(prefix="agent-feed-") as scratch:
            server = start_server(Path(scratch))
            try:
                url = f"http://127.0.0.1:{server.port}"
                api = Api(server.port)
                world = setup(url, api, args.networks, args.ports, args.seed)
                figures[name] = phase(name, url, server.port, world, args)
            finally:
                server.stop(timeout=15)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
