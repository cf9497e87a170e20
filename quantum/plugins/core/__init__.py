# SPDX-License-Identifier: Apache-2.0
"""The core services over the SQL store, one class per domain (``networks.py``,
``subnets.py``, ``ports.py``, ``quotas.py``), sharing the tenancy lookups
(``access.py``) and keyset pagination (``listing.py``). The SQL and Open vSwitch
plugins hold them as ``plugin.networks`` etc. (``interface.CoreServices``)."""
