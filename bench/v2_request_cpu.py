# SPDX-License-Identifier: Apache-2.0
"""CPU per v2 request in process: the WSGI app (Paste pipeline, filters, router,
store) called with a prebuilt environ, no HTTP server, no client.

What ``bench/api_v2.py`` measures through the real server, less eventlet's HTTP
parsing and the socket: the part of a request's cost this code owns. On a scratch
SQLite database (``--db`` for another), a /16 subnet with one port; per operation
(``GET /healthcheck``, show port, rename port, create port), the best of three
rounds of ``--requests`` calls, as process CPU time per call (steadier than wall
time on a shared machine). ``--profile OP`` prints cProfile's top functions for
one more round of that operation. See bench/README.md.

    python bench/v2_request_cpu.py
    python bench/v2_request_cpu.py --profile show
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quantum.api.app import close_services, load_app  # noqa: E402
from quantum.core.settings import load_settings  # noqa: E402
from quantum.testing import databases  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import db_manage  # noqa: E402

Call = Callable[[int], tuple[str, bytes]]


def environ(method: str, path: str, body: Any = None) -> dict[str, Any]:
    """A request as eventlet's server would hand it to the app."""
    data = b"" if body is None else json.dumps(body).encode()
    path, _, query = path.partition("?")
    found: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "9696",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:9696",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(data),
    }
    if body is not None:
        found["CONTENT_TYPE"] = "application/json"
        found["CONTENT_LENGTH"] = str(len(data))
    return found


def operations(app: Any, list_ports: int) -> dict[str, Call]:
    def call(method: str, path: str, body: Any = None) -> tuple[str, bytes]:
        status: list[str] = []

        def start(given: str, headers: Any, exc_info: Any = None) -> None:
            status.append(given)

        body_bytes = b"".join(app(environ(method, path, body), start))
        return status[0], body_bytes

    tenant = uuid.uuid4().hex
    unlimited = {"quota": {"port": -1, "network": -1, "subnet": -1}}
    call("PUT", f"/v2.0/quotas/{tenant}", unlimited)
    made = call("POST", "/v2.0/networks", {"network": {"tenant_id": tenant}})
    network = json.loads(made[1])["network"]["id"]
    subnet = {"network_id": network, "tenant_id": tenant, "cidr": "10.0.0.0/16"}
    call("POST", "/v2.0/subnets", {"subnet": {**subnet, "ip_version": 4}})
    port_body = {"port": {"network_id": network, "tenant_id": tenant}}
    port = json.loads(call("POST", "/v2.0/ports", port_body)[1])["port"]["id"]
    member = f"/v2.0/ports/{port}"
    found = {
        "floor": lambda i: call("GET", "/healthcheck"),
        "show": lambda i: call("GET", member),
        "rename": lambda i: call("PUT", member, {"port": {"name": f"p{i}"}}),
        "create": lambda i: call("POST", "/v2.0/ports", port_body),
    }
    if list_ports:
        # NOTE: as bench/api_v2.py lists: a tenant's ports, by an admin.
        lister = uuid.uuid4().hex
        call("PUT", f"/v2.0/quotas/{lister}", unlimited)
        made = call("POST", "/v2.0/networks", {"network": {"tenant_id": lister}})
        listed = json.loads(made[1])["network"]["id"]
        subnet = {"network_id": listed, "tenant_id": lister, "cidr": "10.1.0.0/16"}
        call("POST", "/v2.0/subnets", {"subnet": {**subnet, "ip_version": 4}})
        one = {"network_id": listed, "tenant_id": lister}
        for start in range(0, list_ports, 100):
            bulk = [one] * min(100, list_ports - start)
            call("POST", "/v2.0/ports", {"ports": bulk})
        path = f"/v2.0/ports?tenant_id={lister}"
        found["list"] = lambda i: call("GET", path)
    return found


def cpu_per_call(operation: Call, requests: int) -> tuple[float, str]:
    """The best of three rounds, in seconds of process CPU per call."""
    for i in range(requests // 10):
        operation(i)
    best = float("inf")
    status = ""
    for _ in range(3):
        started = time.process_time()
        for i in range(requests):
            status, _ = operation(i)
        best = min(best, (time.process_time() - started) / requests)
    return best, status


def calls(name: str, requests: int) -> int:
    """Calls per round of an operation: a list is a twentieth as many."""
    return max(1, requests // 20) if name == "list" else requests


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=databases.BACKENDS, default="sqlite")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--list-ports", type=int, default=1000)
    parser.add_argument(
        "--profile", choices=("floor", "show", "rename", "create", "list")
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="quantum-cpu-") as tmp:
        scratch = Path(tmp)
        db_name = f"quantum_cpu_{uuid.uuid4().hex[:8]}"
        url = databases.provision(args.db, db_name, scratch)
        config = write_config(scratch, core_plugin="sql", sql_connection=url)
        done = db_manage(config, "upgrade", "head")
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        try:
            ops = operations(load_app(load_settings(config)), args.list_ports)
            print(f"in-process CPU per request, {args.db}, best of 3 x {args.requests}")
            for name, operation in ops.items():
                requests = calls(name, args.requests)
                seconds, status = cpu_per_call(operation, requests)
                print(f"  {name:8} {seconds * 1e3:6.3f} ms  ({status})")
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for i in range(calls(args.profile, args.requests)):
                    ops[args.profile](i)
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        finally:
            close_services()
            if args.db != "sqlite":
                databases.drop(args.db, db_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
