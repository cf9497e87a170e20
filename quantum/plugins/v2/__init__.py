# SPDX-License-Identifier: Apache-2.0
"""The v2 view of the SQL store: networks and ports with every v2 attribute, keyset
pagination, quotas. Held by the SQL and Open vSwitch plugins as ``plugin.v2``."""
