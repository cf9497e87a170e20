# SPDX-License-Identifier: Apache-2.0
"""The L3 service plugin: routers and floating IPs (spec §5.2, §5.3)."""
