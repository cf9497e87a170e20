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
* In parallel (pytest-xdist, ``-n N``): the controlling process takes the lock and
  reaps once, before any worker starts; each worker is a session of its own
  (``q<worker pid>``), sees the lock as held by its lineage and reaps nothing, so no
  worker can race a sibling's start-up. Nothing a test builds is named outside its
  session's prefix, so workers share no namespace, bridge, port or directory.
* ``lab``: a :class:`~tests.dataplane.harness.Lab` for one test; whatever the test
  built through it (hypervisors, underlays, VMs) is torn down afterwards, even when
  the test fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.dataplane import harness

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger(__name__)
HELD = pytest.StashKey[contextlib.ExitStack]()


def _say(config: pytest.Config, message: str) -> None:
    LOG.warning("%s", message)
    plugins = config.pluginmanager
    terminal = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if terminal is not None and capture is not None:  # NOTE: not captured
        with capture.global_and_fixture_disabled():
            terminal.write_line(f"data-plane tier: {message}", yellow=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The controller of a parallel run (xdist's ``dsession``) holds the lock for
    its workers, which are its children, and reaps before they start."""
    config = session.config
    if not config.pluginmanager.has_plugin("dsession"):
        return  # NOTE: a serial run, or an xdist worker
    if harness.environment_problem() is not None:
        return  # NOTE: each worker skips (or, in CI, fails) with the reason
    held = contextlib.ExitStack()
    how = held.enter_context(
        harness.machine_lock(waiting=lambda message: _say(config, message))
    )
    LOG.info("data-plane lock %s for the workers: %s", harness.MACHINE_LOCK, how)
    for what in harness.reap_leftovers():
        LOG.warning("reaped a crashed data-plane run's leftover: %s", what)
    config.stash[HELD] = held


def pytest_sessionfinish(session: pytest.Session) -> None:
    held = session.config.stash.get(HELD, None)
    if held is not None:
        held.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.dataplane)


@pytest.fixture(scope="package", autouse=True)
def dataplane_session(pytestconfig: pytest.Config) -> Iterator[harness.Session]:
    problem = harness.environment_problem()
    if problem:
        unavailable(problem)

    with harness.machine_lock(waiting=lambda m: _say(pytestconfig, m)) as how:
        LOG.info("data-plane lock %s: %s", harness.MACHINE_LOCK, how)
        # NOTE: an xdist worker leaves reaping to its controller (done before the
        # workers started): a sibling worker reaping at its own start could take a
        # dead session that test_harness.py has just made up from under it.
        if "PYTEST_XDIST_WORKER" not in os.environ:
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
