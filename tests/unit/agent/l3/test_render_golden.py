# SPDX-License-Identifier: Apache-2.0
"""A router's devices, addresses, routes, iptables-restore input and radvd.conf
for a few routers, kept under tests/golden/l3/ for reviewers.

Regenerate after an intended change with ``QUANTUM_UPDATE_GOLDEN=1 pytest ...`` and
read the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from quantum.agent.l3 import render
from quantum.agent.l3.model import Router
from tests.unit.agent.l3.routers import (
    B6,
    GATEWAY,
    NOT_ADVERTISED,
    STATEFUL,
    STATELESS,
    A,
    B,
    router,
)

GOLDEN = Path(__file__).parents[3] / "golden" / "l3"

SCENARIOS: dict[str, Router] = {
    "snat-floating-extra-route": router(),
    "no-snat-with-metadata": router(
        gateway=replace(GATEWAY, enable_snat=False),
        floating_ips=(),
        metadata_port=9697,
    ),
    "internal-only": Router(id="router-2", interfaces=(A, B)),
    "ipv6-advertised": Router(
        id="router-3",
        interfaces=(A, B6, STATEFUL, STATELESS, NOT_ADVERTISED),
        gateway=GATEWAY,
    ),
}


def rendered(made: Router) -> str:
    parts = ["[addresses]"]
    for device, addresses in sorted(render.addresses(made).items()):
        parts.extend(f"{device} {a}" for a in sorted(addresses))
    parts.append("[routes]")
    parts.extend(
        f"{r.destination} via {r.nexthop}" for r in sorted(render.routes(made))
    )
    parts.append("[iptables-restore --noflush, first load]")
    text = render.restore_input(render.rules(made), frozenset(render.HOOKS))
    radvd = render.radvd_config(made)
    if radvd is not None:
        text += "[radvd.conf]\n" + radvd
    return "\n".join(parts) + "\n" + text


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendered_router_matches_golden(name: str) -> None:
    text = rendered(SCENARIOS[name])
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("QUANTUM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()
