# SPDX-License-Identifier: Apache-2.0
"""DHCP agents on the server side: which agents serve which network
(``scheduler``, pure), and what one agent is told, with its DHCP ports kept
(``service``)."""
