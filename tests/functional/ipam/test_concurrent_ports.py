# SPDX-License-Identifier: Apache-2.0
"""Eight HTTP clients creating ports at once on one small subnet, against a real
quantum-server with two API workers, on SQLite, PostgreSQL and MariaDB: no address
is given twice, and the ports beyond the subnet's size get the exhausted fault."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path
from typing import Any

from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port

HOST = "127.0.0.1"
ADMIN = {"Content-Type": "application/json", "X-Roles": "admin"}


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(method, "/v2.0" + path, json.dumps(body) if body else None, ADMIN)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    return response.status, json.loads(raw) if raw else None


def test_eight_http_clients_never_share_an_address(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port(HOST)
    config = write_config(
        tmp_path,
        bind_host=HOST,
        bind_port=port,
        api_workers=2,
        core_plugin="sql",
        sql_connection=database_url,
        log_file=tmp_path / "quantum.log",
    )
    assert db_manage(config, "upgrade", "head").returncode == 0
    server = ServerProcess(config, HOST, port)
    server.start(timeout=60)
    try:
        status, net = call(port, "POST", "/networks", {"network": {"tenant_id": "t"}})
        assert status == 201, net
        net_id = net["network"]["id"]
        status, sub = call(
            port,
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": "t",
                    "network_id": net_id,
                    "ip_version": 4,
                    "cidr": "10.0.0.0/28",  # .2-.14: 13 addresses
                }
            },
        )
        assert status == 201, sub
        results: list[tuple[int, Any]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def client() -> None:
            barrier.wait()
            for _ in range(2):
                answer = call(
                    port,
                    "POST",
                    "/ports",
                    {"port": {"tenant_id": "t", "network_id": net_id}},
                )
                with lock:
                    results.append(answer)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        made = [body["port"] for status, body in results if status == 201]
        refused = [body for status, body in results if status == 409]
        assert (len(made), len(refused)) == (13, 3), results
        assert {r["NeutronError"]["type"] for r in refused} == {
            "IpAddressGenerationFailure"
        }
        addresses = [p["fixed_ips"][0]["ip_address"] for p in made]
        assert sorted(addresses, key=lambda a: int(a.rsplit(".", 1)[1])) == [
            f"10.0.0.{i}" for i in range(2, 15)
        ]
        status, listed = call(port, "GET", f"/ports?network_id={net_id}")
        assert status == 200
        assert len(listed["ports"]) == 13
    finally:
        server.stop(timeout=30)
