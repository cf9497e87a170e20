# SPDX-License-Identifier: Apache-2.0
"""L3 agent device layer: one ``qrouter-<router>`` namespace per router.

``model`` describes a router as the agent will receive it, ``render`` turns it
into addresses, routes and iptables rules (pure), ``plan`` decides what must
change on the host (pure) and ``driver`` observes and applies (namespaces, the
``qr-``/``qg-`` devices, ``ip``, ``iptables-restore``, gratuitous ARP).
"""
