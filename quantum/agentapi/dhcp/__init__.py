# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's part of the agent API: ``messages`` and ``client`` (agent side,
no server import) and ``routes`` (server side)."""
