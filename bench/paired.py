# SPDX-License-Identifier: Apache-2.0
"""Two or more checkouts, one request at a time each, in turn: a before/after
comparison that holds on a busy machine.

``bench/api.py`` and ``bench/api_v2.py`` run one checkout after the other, and
their ``--quick`` phases are a handful of requests: on a machine other work keeps
loaded, the load moves between two runs more than a change of 10% does. Here
every checkout's server runs at once (each started by its own ``bench/api.py``
harness, on its own scratch database), each is given the same data (a listing
tenant: 10 networks with a /24 subnet and 10 ports each; a second one with 1,000
ports on one network, for "v2 list 1000 ports"), and then each phase's
requests alternate between the servers (the order reversed every round), so both
see the same machine.

The phases are every phase of ``bench/api_v2.py`` and ``bench/api.py`` (v1.1),
plus show, list and rename of networks and subnets: the create phases make one
object a round under a second tenant, which the later phases show, change and
delete (v2: network, its /24 subnet, a port with an IPAM address; v1: network,
port, attachment); the list phases read the listing tenant. A warm-up pass runs
every phase a few times first. Per phase and checkout: p50 and p25-p75 in ms; the
last checkout's p50 over the first's, and the median of the per-round ratios
(each round's two requests ran back to back). See bench/README.md.

    python bench/paired.py --db sqlite --rounds 300 /tmp/before /work/main

``--db`` is sqlite (default), postgresql or mysql (MariaDB).

``--phases network`` runs only the phases whose name holds "network" (a comma
separates several patterns), with the phases before them of their API version
that make, change or delete objects, so each works on what it has in a full run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVE = """
import argparse, sys
sys.path.insert(0, "bench")
import api
ns = argparse.Namespace(url=None, config_file=None, server_pid=None, db=sys.argv[1],
                        workers=2)
with api.started_server(ns) as (server, _, _):
    print(f"{server.host}:{server.port}", flush=True)
    sys.stdin.read()
"""
"""Run in a checkout: its server as its bench/api.py starts it, until stdin ends."""


class Checkout:
    def __init__(self, tree: Path, db: str) -> None:
        self.name = tree.name
        self.tree = tree
        # NOTE: our own interpreter on our own script, in a checkout we were given.
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", SERVE, db],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        out = self.process.stdout
        host, _, port = (out.readline() if out else "").strip().partition(":")
        if not port:
            raise SystemExit(f"{tree}: its server did not start")
        self.connection = http.client.HTTPConnection(host, int(port))

    def call(self, method: str, path: str, body: Any, tenant: str) -> Any:
        headers = {
            "X-Project-Id": tenant,
            "X-Roles": "member,admin",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        data = json.dumps(body) if body is not None else None
        self.connection.request(method, path, data, headers)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status >= 300:
            raise SystemExit(f"{self.name}: {method} {path}: {response.status}")
        return json.loads(answer) if answer[:1] == b"{" else answer

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@dataclass
class State:
    """One checkout's objects, made by the create phases and used by the later ones.

    ``tenant`` owns what the phases create; ``listing`` is the populated tenant the
    list phases read (10 networks with a /24 subnet and 10 ports each), so a list
    reads the same rows however many rounds are run.
    """

    tenant: str
    listing: str
    cidr_base: int
    listed_nets: list[str] = field(default_factory=list)
    nets: list[str] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)
    v1_nets: list[str] = field(default_factory=list)
    v1_ports: list[str] = field(default_factory=list)

    @property
    def v1(self) -> str:
        return f"/v1.1/tenants/{self.tenant}"


def unlimited(checkout: Checkout, tenant: str) -> None:
    quota = {"quota": {"network": -1, "subnet": -1, "port": -1}}
    checkout.call("PUT", f"/v2.0/quotas/{tenant}", quota, tenant)


def populate(checkout: Checkout, state: State) -> None:
    tenant = state.listing
    unlimited(checkout, tenant)
    for i in range(10):
        body = {"network": {"name": f"net-{i}"}}
        net = checkout.call("POST", "/v2.0/networks", body, tenant)["network"]["id"]
        subnet = {"network_id": net, "cidr": f"10.{i}.0.0/24", "ip_version": 4}
        made = checkout.call("POST", "/v2.0/subnets", {"subnet": subnet}, tenant)
        state.nets.append(net)
        state.subnets.append(made["subnet"]["id"])
        for _ in range(10):
            checkout.call("POST", "/v2.0/ports", {"port": {"network_id": net}}, tenant)
    # NOTE: a second tenant with 1,000 ports on one network (bulk creates), for
    # "v2 list 1000 ports" (bench/api_v2.py's "list 1000 ports", issue 16).
    many = f"{tenant}-1000"
    unlimited(checkout, many)
    body = {"network": {"name": "net-1000"}}
    net = checkout.call("POST", "/v2.0/networks", body, many)["network"]["id"]
    subnet = {"network_id": net, "cidr": "10.250.0.0/20", "ip_version": 4}
    checkout.call("POST", "/v2.0/subnets", {"subnet": subnet}, many)
    for _ in range(10):
        bulk = {"ports": [{"network_id": net}] * 100}
        checkout.call("POST", "/v2.0/ports", bulk, many)


Phase = Callable[[Checkout, State, int], None]


def _at(items: Sequence[str], i: int) -> str:
    return items[i % len(items)]


# -- v2.0, the phases of bench/api_v2.py (and show/list/update of the others) --------


def v2_create_network(c: Checkout, s: State, i: int) -> None:
    made = c.call("POST", "/v2.0/networks", {"network": {"name": f"net-{i}"}}, s.tenant)
    s.nets.append(made["network"]["id"])


def v2_create_subnet(c: Checkout, s: State, i: int) -> None:
    n = s.cidr_base + i
    body = {
        "subnet": {
            "network_id": s.nets[i],
            "ip_version": 4,
            "cidr": f"{10 + n // 65536}.{n // 256 % 256}.{n % 256}.0/24",
        }
    }
    s.subnets.append(c.call("POST", "/v2.0/subnets", body, s.tenant)["subnet"]["id"])


def v2_create_port(c: Checkout, s: State, i: int) -> None:
    made = c.call("POST", "/v2.0/ports", {"port": {"network_id": s.nets[i]}}, s.tenant)
    if not made["port"]["fixed_ips"]:
        raise SystemExit(f"{c.name}: a port was made without an address")
    s.ports.append(made["port"]["id"])


def v2_list(collection: str, count: int, suffix: str = "") -> Phase:
    def phase(c: Checkout, s: State, i: int) -> None:
        tenant = s.listing + suffix
        listed = c.call("GET", f"/v2.0/{collection}?tenant_id={tenant}", None, tenant)
        if len(listed[collection]) != count:
            raise SystemExit(f"{c.name}: {collection}: not {count}")

    return phase


def v2_show(collection: str, made: Callable[[State], list[str]]) -> Phase:
    def phase(c: Checkout, s: State, i: int) -> None:
        c.call("GET", f"/v2.0/{collection}/{_at(made(s), i)}", None, s.tenant)

    return phase


def v2_rename(collection: str, made: Callable[[State], list[str]]) -> Phase:
    member = collection[:-1]

    def phase(c: Checkout, s: State, i: int) -> None:
        path = f"/v2.0/{collection}/{_at(made(s), i)}"
        c.call("PUT", path, {member: {"name": f"renamed-{i}"}}, s.tenant)

    return phase


def v2_delete(collection: str, made: Callable[[State], list[str]]) -> Phase:
    def phase(c: Checkout, s: State, i: int) -> None:
        c.call("DELETE", f"/v2.0/{collection}/{made(s)[i]}", None, s.tenant)

    return phase


# -- v1.1, the phases of bench/api.py -------------------------------------------------


def v1_create_network(c: Checkout, s: State, i: int) -> None:
    made = c.call(
        "POST", f"{s.v1}/networks", {"network": {"name": f"net-{i}"}}, s.tenant
    )
    s.v1_nets.append(made["network"]["id"])


def v1_port(s: State, i: int) -> str:
    return f"{s.v1}/networks/{s.v1_nets[i]}/ports/{s.v1_ports[i]}"


def v1_create_port(c: Checkout, s: State, i: int) -> None:
    path = f"{s.v1}/networks/{s.v1_nets[i]}/ports"
    made = c.call("POST", path, {"port": {"state": "ACTIVE"}}, s.tenant)
    s.v1_ports.append(made["port"]["id"])


def v1_plug(c: Checkout, s: State, i: int) -> None:
    body = {"attachment": {"id": f"vif-{uuid.uuid4()}"}}
    c.call("PUT", f"{v1_port(s, i)}/attachment", body, s.tenant)


def v1_list_networks(c: Checkout, s: State, i: int) -> None:
    c.call("GET", f"/v1.1/tenants/{s.listing}/networks/detail", None, s.listing)


def v1_list_ports(c: Checkout, s: State, i: int) -> None:
    net = _at(s.listed_nets, i)
    path = f"/v1.1/tenants/{s.listing}/networks/{net}/ports/detail"
    c.call("GET", path, None, s.listing)


def v1_show_port(c: Checkout, s: State, i: int) -> None:
    c.call("GET", f"{v1_port(s, i)}/detail", None, s.tenant)


def v1_rename_network(c: Checkout, s: State, i: int) -> None:
    body = {"network": {"name": f"renamed-{i}"}}
    c.call("PUT", f"{s.v1}/networks/{s.v1_nets[i]}", body, s.tenant)


def v1_set_port_state(c: Checkout, s: State, i: int) -> None:
    body = {"port": {"state": "DOWN" if i % 2 == 0 else "ACTIVE"}}
    c.call("PUT", v1_port(s, i), body, s.tenant)


def v1_unplug(c: Checkout, s: State, i: int) -> None:
    c.call("DELETE", f"{v1_port(s, i)}/attachment", None, s.tenant)


def v1_delete_port(c: Checkout, s: State, i: int) -> None:
    c.call("DELETE", v1_port(s, i), None, s.tenant)


def v1_delete_network(c: Checkout, s: State, i: int) -> None:
    c.call("DELETE", f"{s.v1}/networks/{s.v1_nets[i]}", None, s.tenant)


PHASES: dict[str, Phase] = {
    "floor: GET /healthcheck": lambda c, s, i: c.call(
        "GET", "/healthcheck", None, s.tenant
    ),
    "v2 create network": v2_create_network,
    "v2 create subnet (/24)": v2_create_subnet,
    "v2 create port (IPAM)": v2_create_port,
    "v2 list 100 ports": v2_list("ports", 100),
    "v2 list 1000 ports": v2_list("ports", 1000, "-1000"),
    "v2 list 10 networks": v2_list("networks", 10),
    "v2 list 10 subnets": v2_list("subnets", 10),
    "v2 show port": v2_show("ports", lambda s: s.ports),
    "v2 show network": v2_show("networks", lambda s: s.nets),
    "v2 show subnet": v2_show("subnets", lambda s: s.subnets),
    "v2 rename port": v2_rename("ports", lambda s: s.ports),
    "v2 rename network": v2_rename("networks", lambda s: s.nets),
    "v2 rename subnet": v2_rename("subnets", lambda s: s.subnets),
    "v2 delete port": v2_delete("ports", lambda s: s.ports),
    "v2 delete subnet": v2_delete("subnets", lambda s: s.subnets),
    "v2 delete network": v2_delete("networks", lambda s: s.nets),
    "v1 create network": v1_create_network,
    "v1 create port": v1_create_port,
    "v1 plug attachment": v1_plug,
    "v1 list 10 networks (detail)": v1_list_networks,
    "v1 list a network's 10 ports": v1_list_ports,
    "v1 show port (detail)": v1_show_port,
    "v1 rename network": v1_rename_network,
    "v1 set port state": v1_set_port_state,
    "v1 unplug attachment": v1_unplug,
    "v1 delete port": v1_delete_port,
    "v1 delete network": v1_delete_network,
}
"""Run in this order, each ``rounds`` times per checkout: the create phases make
one object a round, which the later phases show, change and delete."""

MAKERS = frozenset(
    {
        "v2 create network",
        "v2 create subnet (/24)",
        "v2 create port (IPAM)",
        "v2 delete port",
        "v2 delete subnet",
        "v2 delete network",
        "v1 create network",
        "v1 create port",
        "v1 plug attachment",
        "v1 set port state",
        "v1 unplug attachment",
        "v1 delete port",
        "v1 delete network",
    }
)
"""The phases that make, change the state of or delete what later phases of
their API version work on (a show or rename reads the objects the creates made;
a network's delete finds its subnets and ports gone)."""


def selected(patterns: str | None) -> list[str]:
    """The phases to run, in ``PHASES`` order: those whose name holds one of the
    comma-separated ``patterns`` (case-insensitive; None: every phase), and the
    ``MAKERS`` of their API version before them, so that each selected phase works
    on the same objects as in a full run (a list phase reads the populated tenant
    and needs none). SystemExit for a pattern no phase
    matches."""
    if patterns is None:
        return list(PHASES)
    wanted = [p.strip().lower() for p in patterns.split(",") if p.strip()]
    if not wanted:
        raise SystemExit("--phases: no pattern given")
    for pattern in wanted:
        if not any(pattern in name.lower() for name in PHASES):
            raise SystemExit(f"--phases: no phase matches {pattern!r}")
    names = list(PHASES)
    chosen = {n for n in names if any(p in n.lower() for p in wanted)}
    for i, name in enumerate(names):
        # NOTE: a list phase reads the populated tenant, which no phase changes.
        if name in chosen and name.split()[1] != "list":
            version = name.split()[0]
            chosen.update(
                m for m in names[:i] if m in MAKERS and m.split()[0] == version
            )
    return [n for n in names if n in chosen]


def run(
    checkouts: Sequence[Checkout],
    states: Sequence[State],
    rounds: int,
    phases: Sequence[str] = tuple(PHASES),
) -> dict[str, list[list[float]]]:
    """Each of ``phases`` (in ``PHASES`` order), its requests alternating between
    the checkouts (the order reversed every round); per phase, per checkout, each
    request's time in ms."""
    times: dict[str, list[list[float]]] = {}
    for name in phases:
        phase = PHASES[name]
        samples: list[list[float]] = [[] for _ in checkouts]
        for r in range(rounds):
            order = list(range(len(checkouts)))
            for k in order if r % 2 == 0 else reversed(order):
                start = time.perf_counter()
                phase(checkouts[k], states[k], r)
                samples[k].append((time.perf_counter() - start) * 1000)
        times[name] = samples
    return times


def summary(
    checkouts: Sequence[Checkout], times: dict[str, list[list[float]]]
) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    for name, samples in times.items():
        cells = []
        for checkout, ms in zip(checkouts, samples, strict=True):
            q1, p50, q3 = statistics.quantiles(ms, n=4)
            cells.append(
                {
                    "checkout": checkout.name,
                    "p50": statistics.median(ms),
                    "p25": q1,
                    "p75": q3,
                }
            )
        first, last = samples[0], samples[-1]
        phases[name] = {
            "checkouts": cells,
            "ratio": statistics.median(last) / statistics.median(first),
            "paired_ratio": statistics.median(
                b / a for a, b in zip(first, last, strict=True)
            ),
        }
    return phases


def report(checkouts: Sequence[Checkout], phases: dict[str, Any]) -> None:
    print(
        "phase".ljust(30)
        + "".join(f"{c.name + ' p50 (p25-p75)':>26}" for c in checkouts)
        + "  last/first  paired"
    )
    for name, row in phases.items():
        cells = "".join(
            f"{c['p50']:.2f} ({c['p25']:.2f}-{c['p75']:.2f})".rjust(26)
            for c in row["checkouts"]
        )
        print(f"{name:30}{cells}  {row['ratio']:10.2f}  {row['paired_ratio']:6.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="checkouts to compare")
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql", "mysql"), default="sqlite"
    )
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--phases",
        help="only the phases whose name holds this text (comma-separated: any of "
        "them), with the create, state and delete phases before them that make "
        "their objects",
    )
    args = parser.parse_args(argv)
    phases = selected(args.phases)
    checkouts: list[Checkout] = []
    try:
        for tree in args.trees:
            checkouts.append(Checkout(tree.resolve(), args.db))
        run_id = uuid.uuid4().hex[:8]
        listing = f"paired-{run_id}"

        populated = [State(listing, listing, 0) for _ in checkouts]
        for checkout, state in zip(checkouts, populated, strict=True):
            populate(checkout, state)

        def states(tenant: str, cidr_base: int) -> list[State]:
            made = []
            for checkout, listed in zip(checkouts, populated, strict=True):
                unlimited(checkout, tenant)
                state = State(tenant, listing, cidr_base)
                state.listed_nets = listed.nets
                made.append(state)
            return made

        # A warm-up pass: every phase a few times on each server, not measured.
        run(checkouts, states(f"warm-{run_id}", 3 * 65536), 4, phases)
        load = os.getloadavg()
        started = time.time()
        times = run(
            checkouts, states(f"bench-{run_id}", 2 * 65536), args.rounds, phases
        )
        figures = {
            "db": args.db,
            "rounds": args.rounds,
            "phases_selected": args.phases,
            "checkouts": [str(c.tree) for c in checkouts],
            "load_before": load,
            "load_after": os.getloadavg(),
            "seconds": time.time() - started,
            "phases": summary(checkouts, times),
        }
        after = figures["load_after"]
        print(f"{args.db}, {args.rounds} rounds; load average {load} -> {after}")
        if args.phases is not None:
            print(f"phases: {args.phases!r} ({len(phases)} of {len(PHASES)} run)")
        report(checkouts, figures["phases"])
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
    finally:
        for checkout in checkouts:
            checkout.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
