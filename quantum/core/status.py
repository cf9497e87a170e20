# SPDX-License-Identifier: Apache-2.0
"""Operational status: what the plugin and its agents say of a network or a port.

The v1 API shows an ``OpStatus`` as it is (``op-status``); a v2 resource shows its
``RESOURCE_STATUS`` word.
"""

from __future__ import annotations

import enum


class OpStatus(enum.StrEnum):
    """Operational status, as reported by the plugin or its agents."""

    UP = "UP"
    DOWN = "DOWN"
    PROVISIONING = "PROVISIONING"
    UNKNOWN = "UNKNOWN"


class ReportedStatus(enum.StrEnum):
    """What an agent may say of a port: wired (UP) or not (DOWN, with a reason).

    Its values are those of the matching ``OpStatus``.
    """

    UP = "UP"
    DOWN = "DOWN"

    @property
    def op_status(self) -> OpStatus:
        return OpStatus(self.value)


RESOURCE_STATUS = {
    OpStatus.UP: "ACTIVE",
    OpStatus.DOWN: "DOWN",
    OpStatus.PROVISIONING: "BUILD",
    OpStatus.UNKNOWN: "ERROR",
}
"""The ``status`` a v2 resource shows for each operational status."""


OP_STATUS_BY_RESOURCE_STATUS = {v: k for k, v in RESOURCE_STATUS.items()}
