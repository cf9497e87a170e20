# SPDX-License-Identifier: Apache-2.0
"""bench/paired.py's ``--phases``: which phases a filtered run runs."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

PAIRED = Path(__file__).resolve().parents[2] / "bench" / "paired.py"


@pytest.fixture(scope="module")
def paired() -> Iterator[ModuleType]:
    """The script as a module (registered while in use: its dataclasses look
    their module up)."""
    spec = importlib.util.spec_from_file_location("bench_paired", PAIRED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_every_phase_without_a_filter(paired: ModuleType) -> None:
    assert paired.selected(None) == list(paired.PHASES)


def test_a_show_runs_after_the_phases_that_make_its_objects(
    paired: ModuleType,
) -> None:
    assert paired.selected("v2 show network") == [
        "v2 create network",
        "v2 create subnet (/24)",
        "v2 create port (IPAM)",
        "v2 show network",
    ]


def test_a_list_reads_the_populated_tenant_alone(paired: ModuleType) -> None:
    assert paired.selected("V1 LIST, floor") == [
        "floor: GET /healthcheck",
        "v1 list 10 networks (detail)",
        "v1 list a network's 10 ports",
    ]


def test_a_network_delete_runs_after_its_ports_and_subnets_went(
    paired: ModuleType,
) -> None:
    chosen = paired.selected("network")
    assert all(name in paired.PHASES for name in chosen)
    assert [n for n in paired.PHASES if n in chosen] == chosen
    assert "v2 show port" not in chosen
    assert "v1 show port (detail)" not in chosen
    for before, after in (
        ("v2 delete port", "v2 delete subnet"),
        ("v2 delete subnet", "v2 delete network"),
        ("v1 unplug attachment", "v1 delete port"),
        ("v1 delete port", "v1 delete network"),
    ):
        assert chosen.index(before) < chosen.index(after)


def test_a_pattern_no_phase_matches_stops_the_run(paired: ModuleType) -> None:
    with pytest.raises(SystemExit, match="no phase matches 'nothing'"):
        paired.selected("network,nothing")
