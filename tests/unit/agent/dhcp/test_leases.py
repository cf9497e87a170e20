# SPDX-License-Identifier: Apache-2.0
"""Reading dnsmasq's leases files and reporting what is new or later."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from quantum.agent.dhcp.leases import LeaseWatch, parse
from quantum.agentapi.dhcp.messages import LeaseInfo

NET = "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"
FILE = """1765100000 fa:16:3e:00:00:01 10.0.0.3 host-10-0-0-3 01:fa:16:3e:00:00:01
1765100100 FA:16:3E:00:00:02 10.0.0.4 * *
0 fa:16:3e:00:00:05 10.0.0.7 * *
garbage line
duid 00:01:00:01:2c:4f:00:00:fa:16:3e:00:00:09
1765100200 1234 fd00::5 host-fd00--5 00:01:00:01
"""


def test_ipv4_leases_are_read_and_the_rest_skipped() -> None:
    assert [(x.ip_address, x.mac_address, x.expires_at) for x in parse(NET, FILE)] == [
        ("10.0.0.3", "fa:16:3e:00:00:01", 1765100000),
        ("10.0.0.4", "fa:16:3e:00:00:02", 1765100100),
    ]


def _watch(tmp_path: Path) -> tuple[LeaseWatch, list[list[LeaseInfo]], Path]:
    sent: list[list[LeaseInfo]] = []

    def report(leases: Sequence[LeaseInfo]) -> None:
        sent.append(list(leases))

    (tmp_path / NET).mkdir()
    (tmp_path / "not-a-network id").mkdir()
    return LeaseWatch(tmp_path, report), sent, tmp_path / NET / "leases"


def _write(path: Path, text: str, tick: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(tick, tick))


def test_new_and_later_leases_are_reported_once(tmp_path: Path) -> None:
    watch, sent, path = _watch(tmp_path)
    assert watch.poll() == 0  # NOTE: no file yet
    _write(path, "100 fa:16:3e:00:00:01 10.0.0.3 * *\n", 1)
    assert watch.poll() == 1
    assert watch.poll() == 0  # NOTE: unchanged: not even read
    renewed = "160 fa:16:3e:00:00:01 10.0.0.3 * *\n200 fa:16:3e:00:00:02 10.0.0.4 * *\n"
    _write(path, renewed, 2)
    assert watch.poll() == 2
    # rewritten with nothing later (a lease dropped): nothing to say
    _write(path, "160 fa:16:3e:00:00:01 10.0.0.3 * *\n", 3)
    assert watch.poll() == 0
    assert [[(x.ip_address, x.expires_at) for x in batch] for batch in sent] == [
        [("10.0.0.3", 100)],
        [("10.0.0.3", 160), ("10.0.0.4", 200)],
    ]
    assert {x.network_id for batch in sent for x in batch} == {NET}


def test_a_failed_report_is_sent_again(tmp_path: Path) -> None:
    watch, sent, path = _watch(tmp_path)
    _write(path, "100 fa:16:3e:00:00:01 10.0.0.3 * *\n", 1)
    failing = watch.report

    def down(leases: Sequence[LeaseInfo]) -> None:
        raise OSError("server away")

    watch.report = down
    with pytest.raises(OSError, match="server away"):
        watch.poll()
    watch.report = failing
    assert watch.poll() == 1
    assert len(sent) == 1
