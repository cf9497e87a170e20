# SPDX-License-Identifier: Apache-2.0
"""Run the agent's OpenFlow app in a child process and drive it over stdin/stdout.

os-ken's threads cannot be stopped and a TCP controller on 127.0.0.1 must run in
the bridges' network namespace, so tests start this module there
(``ip netns exec NS python -m quantum.testing.ofcontroller HOST PORT``) and stop it
by pid. One JSON request per line in, one JSON reply per line out:

* ``{"op": "wait", "bridge": "br-x", "timeout": 10}`` -> ``{"ok": true}``
* ``{"op": "install", "bridge": "br-x", "flows": [...], "sweep": true}``
  -> ``{"ok": true, "add": [...], "delete": [...]}``
* ``{"op": "dump", "bridge": "br-x", "cookie": null}``
  -> ``{"ok": true, "flows": [...]}``

Errors come back as ``{"ok": false, "error": "..."}``. The first line printed is
``{"ready": true}``, once the controller listens.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from typing import Any

from quantum.agent.ovs.flows import (
    UNTAGGED,
    Action,
    Ct,
    Flow,
    Goto,
    InstalledFlow,
    Match,
    Meter,
    Normal,
    Opaque,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    SetTunnel,
    SetVlan,
)


def encode_action(action: Action) -> list[Any]:  # noqa: C901 - one arm per action
    match action:
        case Output(port):
            return ["output", port]
        case Normal():
            return ["normal"]
        case PushVlan():
            return ["push_vlan"]
        case PopVlan():
            return ["pop_vlan"]
        case SetVlan(vlan):
            return ["set_vlan", vlan]
        case SetTunnel(key):
            return ["set_tunnel", key]
        case SetField(name, value):
            return ["set_field", name, value]
        case Ct(zone, commit, table):
            return ["ct", zone, commit, table]
        case Meter(meter_id):
            return ["meter", meter_id]
        case Goto(table):
            return ["goto", table]
        case Opaque(text):
            return ["opaque", text]
    raise AssertionError(action)  # pragma: no cover - the match is exhaustive


def decode_action(data: list[Any]) -> Action:  # noqa: C901 - one arm per action
    match data:
        case ["output", int(port)]:
            return Output(port)
        case ["normal"]:
            return Normal()
        case ["push_vlan"]:
            return PushVlan()
        case ["pop_vlan"]:
            return PopVlan()
        case ["set_vlan", int(vlan)]:
            return SetVlan(vlan)
        case ["set_tunnel", int(key)]:
            return SetTunnel(key)
        case ["set_field", str(name), int(value)]:
            return SetField(name, value)
        case ["ct", int(zone), bool(commit), int() | None as table]:
            return Ct(zone, commit, table)
        case ["meter", int(meter_id)]:
            return Meter(meter_id)
        case ["goto", int(table)]:
            return Goto(table)
        case ["opaque", str(text)]:
            return Opaque(text)
    raise ValueError(f"unknown action {data!r}")


def encode_flow(flow: Flow) -> dict[str, Any]:
    match = flow.match
    return {
        "table": flow.table,
        "priority": flow.priority,
        "match": {
            "in_port": match.in_port,
            "vlan": "untagged" if match.vlan is UNTAGGED else match.vlan,
            "tunnel_id": match.tunnel_id,
            "eth_dst": match.eth_dst,
            "extra": [[name, repr(value)] for name, value in match.extra],
        },
        "actions": [encode_action(a) for a in flow.actions],
    }


def decode_flow(data: dict[str, Any]) -> Flow:
    match = data["match"]
    if match["extra"]:
        raise ValueError("flows with extra match fields cannot cross the pipe")
    return Flow(
        table=data["table"],
        priority=data["priority"],
        match=Match(
            in_port=match["in_port"],
            vlan=UNTAGGED if match["vlan"] == "untagged" else match["vlan"],
            tunnel_id=match["tunnel_id"],
            eth_dst=match["eth_dst"],
        ),
        actions=tuple(decode_action(a) for a in data["actions"]),
    )


def encode_installed(item: InstalledFlow) -> dict[str, Any]:
    return {"cookie": item.cookie, "flow": encode_flow(item.flow)}


def _serve(app: Any) -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = _handle(app, request)
        except Exception as error:  # noqa: BLE001 - reported to the test
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)


def _handle(app: Any, request: dict[str, Any]) -> dict[str, Any]:
    bridge = request["bridge"]
    if request["op"] == "wait":
        app.wait_for_bridge(bridge, request.get("timeout", 10.0))
        return {"ok": True}
    if request["op"] == "install":
        flows = [decode_flow(f) for f in request["flows"]]
        diff = app.install(bridge, flows, sweep=request.get("sweep", True))
        return {
            "ok": True,
            "add": [encode_flow(f) for f in diff.add],
            "delete": [encode_installed(i) for i in diff.delete],
        }
    if request["op"] == "dump":
        flows = app.dump_flows(bridge, cookie=request.get("cookie"))
        return {"ok": True, "flows": [encode_installed(i) for i in flows]}
    raise ValueError(f"unknown op {request['op']!r}")


def _wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
        else:
            return


def main() -> None:
    # NOTE: as the agent loads os-ken (quantum.agent.ovs.main.run).
    from quantum.agent.ovs.openflow13 import load_openflow13_only

    load_openflow13_only()
    from quantum.agent.ovs.openflow import start_controller

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    host, port = sys.argv[1], int(sys.argv[2])
    app = start_controller(host, port)
    _wait_listening(host, port)
    print(json.dumps({"ready": True}), flush=True)
    try:
        _serve(app)
    finally:
        # NOTE: os-ken's threads cannot be stopped; leave without waiting for them.
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
