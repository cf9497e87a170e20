# SPDX-License-Identifier: Apache-2.0
"""The agent's OpenFlow pipeline in one place: tables, priorities, cookie, VLANs.

br-int (one table, OVS NORMAL switching on local VLAN access tags; a port carries
nothing until the agent wires it, and quantum-vif plugs into the dead VLAN)::

    table 0  prio 3  in_port=<physnet link>, dl_vlan=<segment>  -> local VLAN, NORMAL
             prio 2  in_port=<isolated VIF or link>             -> drop
             prio 2  in_port=<bound VIF with a QoS limit>       -> meter <ofport>,NORMAL
             prio 1  in_port=<bound VIF or tunnel link>         -> NORMAL
             prio 0  any                                        -> drop

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
