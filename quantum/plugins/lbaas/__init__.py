# SPDX-License-Identifier: Apache-2.0
"""``service_plugins = lbaas``: load balancing v1 (spec §5.10)."""
