# SPDX-License-Identifier: Apache-2.0
"""``agent`` (spec §5.8): ``/v2.0/agents``, over a plugin whose agents report to it
(``quantum.api.v2.resources.agent``)."""

from __future__ import annotations

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extension
from quantum.api.v2.resources.agent import AGENT

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="agent",
        name="agent",
        description="The agent management extension.",
        namespace="http://docs.openstack.org/ext/agent/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    resources=(AGENT,),
)
