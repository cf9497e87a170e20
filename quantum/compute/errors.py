# SPDX-License-Identifier: Apache-2.0
"""Errors of the compute side shared by the VIF driver and its OVSDB client.

Here, not in ``vif``, so that ``switch`` (imported by ``vif`` only on use) does not
import ``vif`` back.
"""

from __future__ import annotations

from quantum.core.families import ServiceUnavailable


class SwitchUnreachable(ServiceUnavailable):
    template = "cannot reach OVSDB at {remote}: {reason}"

    remote: str
    reason: str
