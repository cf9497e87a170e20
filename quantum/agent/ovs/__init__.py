# SPDX-License-Identifier: Apache-2.0
"""Open vSwitch L2 agent: br-int, br-tun and one bridge per physical network."""
