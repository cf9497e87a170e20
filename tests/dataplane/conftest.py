# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the data-plane tier (every test here carries the ``dataplane`` mark).

* ``dataplane_session`` (package, automatic): checks the machine (root, ``ip netns``,
  the OVS binaries), holds the machine's data-plane lock ``/tmp/quantum-dataplane.lock``
  while the tier runs, released before the next tier of a full run starts
  (waiting, and saying so, while another run holds it; a run
  started under ``flock /tmp/quantum-dataplane.lock ...`` already holds it), reaps
  what crashed runs left, and owns the ``q<pid>`` prefix and ``/tmp/q<pid>``.
  Locally a machine that cannot run the tier skips it with the reason; with
  ``CI=true`` that is a failure.
* ``lab``: a :class:`~tests.dataplane.harness.Lab` for one test; whatever the test
  built through it (hypervisors, underlays, VMs) is torn down afterwards, even when
  the test fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.dataplane import harness

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger(__name__)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.dataplane)


@pytest.fixture(scope="package", autouse=True)
def dataplane_session(pytestconfig: pytest.Config) -> Iterator[harness.Session]:
    problem = harness.environment_problem()
    if problem:
        unavailable(problem)
    plugins = pytestconfig.pluginmanager

    def waiting(message: str) -> None:
        LOG.warning("%s", message)
        terminal = plugins.get_plugin("terminalreporter")
        capture = plugins.get_plugin("capturemanager")
        if terminal is not None and capture is not None:  # NOTE: not captured
            with capture.global_and_fixture_disabled():
                terminal.write_line(f"data-plane tier: {message}", yellow=True)

    with harness.machine_lock(waiting=waiting) as how:
        LOG.info("data-plane lock %s: %s", harness.MACHINE_LOCK, how)
        for what in harness.reap_leftovers():
            LOG.warning("reaped a crashed data-plane run's leftover: %s", what)
        session = harness.Session.start()
        try:
            yield session
        finally:
            leaked = session.close()
            if leaked:
                LOG.warning("data-plane session leaked (now removed): %s", leaked)


@pytest.fixture
def lab(dataplane_session: harness.Session) -> Iterator[harness.Lab]:
    with harness.lab(dataplane_session) as the_lab:
        yield the_lab
