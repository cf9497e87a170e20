# SPDX-License-Identifier: Apache-2.0
"""The Open vSwitch plugin: the SQL model plus a network segment for every network."""
