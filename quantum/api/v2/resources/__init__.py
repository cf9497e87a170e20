# SPDX-License-Identifier: Apache-2.0
"""One module per core v2 resource: its declaration (``Resource``), which drives
parsing, validation, policy, the view and the backend calls. Extensions add more
(``quantum.api.v2.extensions``); ``quantum.api.v2.catalog`` puts them together."""

from quantum.api.v2.resources import network, port, subnet

CORE = (network.NETWORK, subnet.SUBNET, port.PORT)
"""The core resources, in the order of the index (``GET /v2.0``)."""
