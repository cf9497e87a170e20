# SPDX-License-Identifier: Apache-2.0
"""The L3 agent kind of the agent API: ``messages`` (JSON shapes), ``client``
(the agent's calls) and ``routes`` (server side)."""
