# SPDX-License-Identifier: Apache-2.0
"""A core plugin for server tests: the in-memory plugin, with one slow operation.

Creating a network whose name starts with ``slow`` first touches ``$state_path/<name>``
(so a test knows the request is in flight), then sleeps ``SLOW_SECONDS``. Configure it
with ``core_plugin = tests.functional.slow_plugin:SlowPlugin``.
"""

from __future__ import annotations

import time
from pathlib import Path

from quantum.core.networks import Network
from quantum.core.settings import Settings
from quantum.plugins.fake import FakeNetworks, FakePlugin

SLOW_SECONDS = 1.0


class SlowNetworks(FakeNetworks):
    state_path = Path()

    def create_owned(self, tenant_id: str, name: str | None) -> Network:
        if name and name.startswith("slow"):
            (self.state_path / name).touch()
            time.sleep(SLOW_SECONDS)  # NOTE: green under quantum-server's monkey_patch
        return super().create_owned(tenant_id, name)


class SlowPlugin(FakePlugin):
    network_store = SlowNetworks

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        assert isinstance(self.networks, SlowNetworks)  # NOTE: for mypy
        self.networks.state_path = Path(settings.state_path)
