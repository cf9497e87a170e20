# SPDX-License-Identifier: Apache-2.0
"""os-ken loaded with OpenFlow 1.3 alone (``quantum.agent.ovs.openflow13``).

Each test runs in a fresh interpreter: the loader changes what ``sys.modules``
holds for the rest of a process. The agent's app itself is exercised with the
loader by tests/functional/agent/test_openflow.py (its controller process) and
tests/dataplane (the agent's ``run``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

LOAD = """
import json, sys, types
from quantum.agent.ovs import main
main.keep_eventlet_out()
from quantum.agent.ovs.openflow13 import DeferredModule, load_openflow13_only
loaded = load_openflow13_only()
"""


def _run(script: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OSKEN_HUB_TYPE", None)
    done = subprocess.run(  # noqa: S603  # NOTE: our own interpreter and code
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_only_openflow_13_is_known_and_the_rest_is_not_run() -> None:
    found = _run(
        LOAD
        + """
from os_ken import ofproto
from os_ken.controller import ofp_event
from os_ken.ofproto import ofproto_protocol, ofproto_v1_3_parser
from quantum.agent.ovs import openflow
print(json.dumps({
    "loaded": loaded,
    "versions": sorted(ofproto.get_ofp_modules()),
    "supported": sorted(ofproto_protocol._supported_versions),
    "deferred": sorted(k for k, v in sys.modules.items() if type(v) is DeferredModule),
    "decoders": sorted(k for k in sys.modules if k.startswith("os_ken.lib.packet.")
                       and type(sys.modules[k]) is types.ModuleType),
    "events": all(hasattr(ofp_event, f"EventOFP{m}") for m in (
        "Hello", "SwitchFeatures", "PortDescStatsReply", "EchoRequest", "EchoReply",
        "PortStatus", "ErrorMsg", "FlowStatsReply", "MeterConfigStatsReply",
        "BarrierReply")),
    "v15_event": hasattr(ofp_event, "EventOFPBundleCtrlMsg"),
    "parser": ofproto_protocol.ProtocolDesc().ofproto_parser is ofproto_v1_3_parser,
}))
"""
    )
    assert found == {
        "loaded": True,
        "versions": [4],
        "supported": [4],
        "deferred": [
            "os_ken.lib.packet",
            "os_ken.lib.packet.packet",
            "os_ken.ofproto.ofproto_v1_0_parser",
            "os_ken.ofproto.ofproto_v1_2_parser",
            "os_ken.ofproto.ofproto_v1_4_parser",
            "os_ken.ofproto.ofproto_v1_5_parser",
        ],
        # NOTE: the constants os_ken.ofproto.ether and .inet re-export.
        "decoders": ["os_ken.lib.packet.ether_types", "os_ken.lib.packet.in_proto"],
        "events": True,
        "v15_event": False,  # a message 1.4 and 1.5 have, 1.3 not
        "parser": True,
    }


MESSAGES = """
from types import SimpleNamespace
from os_ken.ofproto import ofproto_parser, ofproto_v1_3, ofproto_v1_3_parser
from quantum.agent.ovs.bridges import messages
from quantum.agent.ovs.flows import Ct, Flow, Match, Output
datapath = SimpleNamespace(ofproto=ofproto_v1_3, ofproto_parser=ofproto_v1_3_parser)
echo = ofproto_v1_3_parser.OFPEchoRequest(datapath, data=b"ping")
echo.set_xid(7)
echo.serialize()
back = ofproto_parser.msg(datapath, *ofproto_parser.header(echo.buf), bytes(echo.buf))
flow = Flow(table=0, priority=1, match=Match(in_port=1, eth_dst="fa:16:3e:00:00:01"),
            actions=(Ct(zone=3, table=2), Output(2)))
mod = messages.add_flow(datapath, flow, cookie=5)
mod.serialize()
print(json.dumps({"echo": [type(back).__name__, back.xid, back.data.decode()],
                  "flow_mod": bytes(mod.buf).hex(), "loaded": loaded}))
"""


def test_messages_are_the_bytes_os_ken_makes_with_every_version_loaded() -> None:
    """A flow mod the agent sends (with a Nicira action) and a switch's message
    parsed back, with the loader and with os-ken loaded in full."""
    alone = _run(LOAD + MESSAGES)
    full = _run("import json\nloaded = False\n" + MESSAGES)
    assert alone["echo"] == ["OFPEchoRequest", 7, "ping"]
    assert (alone.pop("loaded"), full.pop("loaded")) == (True, False)
    assert alone == full


def test_a_deferred_module_runs_on_first_use_even_after_os_ken_parsed_its_options():
    """The packet library (1.3's packet-out to JSON uses it) and another version's
    parser are the real modules when used, after ``start_controller`` has parsed
    os-ken's options (the zebra decoder registers options on import)."""
    found = _run(
        LOAD
        + """
from os_ken import cfg
from os_ken.base import app_manager  # noqa: F401  # (os-ken imports its controller so)
from os_ken.controller import controller  # noqa: F401  # its options
cfg.CONF(args=["--ofp-tcp-listen-port", "6699"], project="os_ken")
from types import SimpleNamespace
from os_ken.ofproto import ofproto_v1_3, ofproto_v1_3_parser, ofproto_v1_5_parser
from os_ken.lib.packet import ethernet, packet
datapath = SimpleNamespace(ofproto=ofproto_v1_3, ofproto_parser=ofproto_v1_3_parser)
frame = packet.Packet()
frame.add_protocol(ethernet.ethernet(dst="ff:ff:ff:ff:ff:ff", src="fa:16:3e:00:00:01"))
out = ofproto_v1_3_parser.OFPPacketOut(datapath, buffer_id=0xffffffff,
                                       in_port=1, actions=[], data=frame)
as_json = out.to_jsondict()["OFPPacketOut"]
again = ofproto_v1_3_parser.OFPPacketOut.from_jsondict(as_json, datapath=datapath)
import os_ken.lib.packet as library
print(json.dumps({
    "packet_out": type(again.data).__name__,
    "library": type(library).__name__,
    "bgp": "os_ken.lib.packet.bgp" in sys.modules,
    "v15": [ofproto_v1_5_parser.OFPFlowMod.__name__, type(ofproto_v1_5_parser).__name__,
            "OFPBundleCtrlMsg" in dir(ofproto_v1_5_parser)],
    "deferred": sorted(k for k, v in sys.modules.items() if type(v) is DeferredModule),
}))
"""
    )
    assert found == {
        "packet_out": "Packet",
        "library": "module",
        "bgp": True,
        "v15": ["OFPFlowMod", "module", True],
        "deferred": [
            "os_ken.ofproto.ofproto_v1_0_parser",
            "os_ken.ofproto.ofproto_v1_2_parser",
            "os_ken.ofproto.ofproto_v1_4_parser",
        ],
    }


def test_nothing_changes_once_os_ken_is_loaded_in_full() -> None:
    found = _run(
        """
import json
from os_ken import ofproto
from quantum.agent.ovs.openflow13 import load_openflow13_only
print(json.dumps({"loaded": load_openflow13_only(),
                  "versions": sorted(ofproto.get_ofp_modules())}))
"""
    )
    assert found == {"loaded": False, "versions": [1, 3, 4, 5, 6]}
