# SPDX-License-Identifier: Apache-2.0
"""One module per v2 resource: its attribute spec, its view, its plugin calls."""

from quantum.api.v2.resources import network, port, subnet

RESOURCES = (network.NETWORK, subnet.SUBNET, port.PORT)
"""Every resource v2.0 serves, in the order of its index (``GET /v2.0``)."""
