# SPDX-License-Identifier: Apache-2.0
"""Plugins make the logical model true; the contract is in ``interface``."""
