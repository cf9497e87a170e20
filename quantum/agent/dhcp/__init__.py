# SPDX-License-Identifier: Apache-2.0
"""DHCP agent: one dnsmasq per network in a ``qdhcp-<network>`` namespace.

``model`` describes a network as the agent will receive it, ``render`` turns it
into dnsmasq's arguments and files (pure), ``plan`` decides what must change on
the host (pure) and ``driver`` observes and applies (namespaces, the DHCP port's
device, dnsmasq processes).
"""
