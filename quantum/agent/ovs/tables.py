# SPDX-License-Identifier: Apache-2.0
"""The agent's OpenFlow pipeline in one place: tables, priorities, cookie, VLANs.

br-int (VIFs are access ports on their network's local VLAN; a port carries
nothing until the agent wires it, and quantum-vif plugs into the dead VLAN).
reg6 holds the frame's local VLAN (its network), reg7 the ofport a firewalled
frame is delivered to; a port with port security has conntrack zone = its ofport::

    table 0  classify
             prio 3  in_port=<physnet link>, dl_vlan=<segment>
                                       -> local VLAN, reg6, goto 20
             prio 2  in_port=<isolated VIF or link>  -> drop
             prio 2  in_port=<bound VIF with a QoS limit>
                                       -> meter <ofport>, reg6, goto 10 or 20
             prio 1  in_port=<bound VIF>  -> reg6, goto 10 (port security) or 20
             prio 1  in_port=<tunnel link>, dl_vlan=<local VLAN>  -> reg6, goto 20
             prio 0  any  -> drop
    table 10 egress: anti-spoofing (ports with port security only)
             prio 100 in_port=P, DHCP server (udp src 67, 547), RA (icmpv6 134)
                                       -> drop
             prio 95  in_port=P, eth_src=<its MAC>, DHCP client request -> goto 20
             prio 90  in_port=P, eth_src=<MAC>, ARP sha=<MAC> spa=<its IPv4>
                                       -> goto 20
             prio 90  in_port=P, eth_src=<MAC>, RS, NS, NA target=<its IPv6>
                                       -> goto 20
             prio 70  in_port=P, eth_src=<MAC>, ip(v6)_src=<its address>
                                       -> ct(zone=P, table=11)
             prio 0   any  -> drop
    table 11 egress rules
             prio 100 ct_state=+inv+trk  -> drop
             prio 90  ct_state=+est-rel-inv+trk or +rel-inv+trk  -> goto 20
             prio 50  in_port=P, ct_state=+new-est-inv+trk, <rule>
                                       -> ct(commit, zone=P), goto 20
             prio 0   any  -> drop
    table 20 switch
             prio 2  reg6=<local VLAN>, dl_dst=<MAC of a port with port security>
                                       -> reg7=<its ofport>, goto 30
             prio 0  any  -> NORMAL
    table 30 ingress (reg7=P): ARP, DHCP replies, MLD, RA, NS, NA -> goto 40;
             ip, ipv6 -> ct(zone=P, table=31); anything else -> drop
    table 31 ingress rules: as table 11, with reg7=P and the rule's remote as
             the source; accepted -> ct(commit, zone=P), goto 40
    table 40 deliver
             prio 2  reg7=P, tagged  -> pop_vlan, output P
             prio 1  reg7=P  -> output P
             prio 0  any  -> drop

    (meter N on br-int: drop above the port's rate, kbit/s, bursts of its burst)

br-tun (local VLAN <-> tunnel key = segmentation id; known unicast to the tunnel of
the MAC's host, broadcast, multicast and unknown unicast flooded to every tunnel)::

    table 0  prio 1  in_port=<patch-int>   -> goto 1
             prio 1  in_port=<gre port>    -> goto 3
             prio 1  in_port=<vxlan port>  -> goto 4
             prio 0  any                   -> drop
    table 1  prio 2  dl_vlan=<local VLAN>, dl_dst=<MAC on host H>
                                          -> pop_vlan, tun_id=<key>, output H's tunnel
             prio 1  dl_vlan=<local VLAN>  -> pop_vlan, tun_id=<key>, output tunnels
    table 3  prio 1  tun_id=<key>          -> push_vlan, local VLAN, output patch-int
    table 4  (as 3, for VXLAN: the same key may be used by a GRE and a VXLAN network)

Physical bridge (one per physical network)::

    table 0  prio 4  in_port=<phy link>, dl_vlan=<local VLAN>  -> segment VLAN, NORMAL
             prio 2  in_port=<phy link>                       -> drop
             prio 1  any                                      -> NORMAL
"""

from __future__ import annotations

from typing import Final

#: Every flow the agent installs carries this cookie ("QuantOVS" in ASCII), so its
#: flows can be dumped, diffed and swept apart from anyone else's.
AGENT_COOKIE: Final = 0x5175616E744F5653
COOKIE_MASK: Final = 0xFFFFFFFFFFFFFFFF

#: OVS access tag of an isolated port; packets tagged with it go nowhere.
DEAD_VLAN: Final = 4095
#: Local VLANs handed to networks present on the host.
MIN_LOCAL_VLAN: Final = 1
MAX_LOCAL_VLAN: Final = 4094

# br-int
INT_TABLE: Final = 0
EGRESS_TABLE: Final = 10
EGRESS_RULES_TABLE: Final = 11
SWITCH_TABLE: Final = 20
INGRESS_TABLE: Final = 30
INGRESS_RULES_TABLE: Final = 31
DELIVER_TABLE: Final = 40
#: The register holding a frame's local VLAN, and the one holding the ofport a
#: firewalled frame goes to.
NETWORK_REG: Final = "reg6"
PORT_REG: Final = "reg7"
FW_DROP_PRIORITY: Final = 100
FW_DHCP_CLIENT_PRIORITY: Final = 95
FW_STATE_PRIORITY: Final = 90
FW_NEIGHBOUR_PRIORITY: Final = 90
FW_CONNTRACK_PRIORITY: Final = 70
FW_RULE_PRIORITY: Final = 50
FW_DEFAULT_PRIORITY: Final = 0
SWITCH_PORT_PRIORITY: Final = 2
DELIVER_TAGGED_PRIORITY: Final = 2
DELIVER_PRIORITY: Final = 1
INT_DEFAULT_PRIORITY: Final = 0
INT_FORWARD_PRIORITY: Final = 1
INT_DROP_PRIORITY: Final = 2
INT_TRANSLATE_PRIORITY: Final = 3
#: A VIF's ingress limit; never on the same port as the drop of an isolated one.
INT_POLICE_PRIORITY: Final = 2

# br-tun
TUN_INPUT_TABLE: Final = 0
TUN_OUTBOUND_TABLE: Final = 1
GRE_INBOUND_TABLE: Final = 3
VXLAN_INBOUND_TABLE: Final = 4
TUN_DROP_PRIORITY: Final = 0
TUN_FLOW_PRIORITY: Final = 1
#: Known unicast (the MAC's host is known) goes to that host's tunnel only.
TUN_UNICAST_PRIORITY: Final = 2

# physical bridges
PHYS_TABLE: Final = 0
PHYS_NORMAL_PRIORITY: Final = 1
PHYS_DROP_PRIORITY: Final = 2
PHYS_TRANSLATE_PRIORITY: Final = 4

#: First OpenFlow port number requested for a new tunnel port (``ofport_request``),
#: so flows that flood to it can be planned before OVS reports it.
FIRST_TUNNEL_OFPORT: Final = 10
