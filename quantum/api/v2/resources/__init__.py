# SPDX-License-Identifier: Apache-2.0
"""One module per v2 resource: its attribute spec, its view, its plugin calls."""

from quantum.api.v2.resources import agent, network, port, subnet

RESOURCES = (network.NETWORK, subnet.SUBNET, port.PORT, agent.AGENT)
"""Every resource v2.0 serves, in the order of its index (``GET /v2.0``); agents
only over a plugin whose agents report to it (Open vSwitch)."""
