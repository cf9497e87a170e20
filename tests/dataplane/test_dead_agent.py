# SPDX-License-Identifier: Apache-2.0
"""An agent killed with SIGKILL (its OVS and VMs healthy) never partitions its host:
past ``agent_down_time``, and after a change that makes every other agent fetch its
desired state again, the other hosts keep their tunnels to it and a ping stream
across loses nothing, while ``/v2.0/agents`` says the agent is dead; an admin-down
of a port there, which nobody applies, is not reported DOWN. The control:
an admin deleting that agent is what takes the tunnels down (the ping stops), and
the agent's return brings them back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import wait_until

#: Seconds without a heartbeat before an agent counts as dead (cloud heartbeats: 5 s).
DOWN_TIME = 12


def _agents(world: Cloud) -> dict[str, Any]:
    return {a["host"]: a for a in world.api.v2("GET", "/agents")["agents"]}


def _tunnels_to(hv: harness.Hypervisor, remote_ip: str) -> list[str]:
    return hv.vsctl(
        "--no-wait", "--bare", "--columns=name", "find", "Interface",
        f'options:remote_ip="{remote_ip}"',
    ).split()  # fmt: skip


def test_a_killed_agent_leaves_its_host_reachable_until_an_admin_removes_it(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with cloud.deploy(
        dataplane_session, tmp_path, "vxlan", agent_down_time=DOWN_TIME
    ) as world:
        hv1, hv2 = world.hypervisors("hv1", "hv2")
        net = world.api.network("A")
        a1 = world.guest("a1", hv1, net, "fa:16:3e:00:0a:01", "10.1.0.1/24").vm
        a2 = world.guest("a2", hv2, net, "fa:16:3e:00:0a:02", "10.1.0.2/24").vm
        assert a1.can_reach(a2.address, timeout=20), world.dump()
        assert {h: a["alive"] for h, a in _agents(world).items()} == {
            "hv1": True,
            "hv2": True,
        }

        pings = a1.start_pings(a2.address)
        killed = time.monotonic()
        agent = world.agents["hv2"]
        agent.popen.kill()  # NOTE: SIGKILL: no goodbye to the server
        agent.popen.wait(5)
        wait_until(
            lambda: not _agents(world)["hv2"]["alive"],
            DOWN_TIME + 10,
            message=lambda: repr(_agents(world)),
        )
        dead_after = time.monotonic() - killed
        assert _agents(world)["hv1"]["alive"]
        # NOTE: any write wakes every agent to fetch its desired state at once
        world.api.network("wake-up")
        # an admin-down nobody can apply: the API must not claim DOWN
        port = f"/ports/{world['a2'].port_id}"
        down = world.api.v2("PUT", port, {"port": {"admin_state_up": False}})
        assert down["port"]["status"] == "ACTIVE"
        assert "hv2 is not alive" in down["port"]["status_reason"]
        time.sleep(3)
        assert _tunnels_to(hv1, str(hv2.underlay_ip)), world.dump()
        result = pings.stop()
        print(
            f"hv2's agent dead after {dead_after:.1f} s (agent_down_time "
            f"{DOWN_TIME} s); {result.transmitted} pings every 10 ms over "
            f"{result.seconds:.1f} s, lost: {len(result.lost)}"
        )
        assert result.kept_sending
        assert result.lost == []

        assert world.api.v2("GET", port)["port"]["status"] == "ACTIVE"
        world.api.v2("PUT", port, {"port": {"admin_state_up": True}})

        # control: deleting the agent removes the host, and only that
        world.api.v2("DELETE", f"/agents/{_agents(world)['hv2']['id']}")
        wait_until(
            lambda: not _tunnels_to(hv1, str(hv2.underlay_ip)),
            5,
            message=world.dump,
        )
        assert a1.cannot_reach(a2.address)
        world.start_agent("hv2")
        assert a1.can_reach(a2.address, timeout=20), world.dump()
        assert _agents(world)["hv2"]["alive"]
