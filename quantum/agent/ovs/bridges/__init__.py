# SPDX-License-Identifier: Apache-2.0
"""Bridges speak intent: each module builds its bridge's flows from what they mean.

``integration``, ``tunnel`` and ``physical`` return ``flows.Flow`` values (pure);
``messages`` turns flows into os-ken OpenFlow 1.3 messages and dumped flows back.
"""
