# SPDX-License-Identifier: Apache-2.0
"""The os-ken app's bookkeeping against a fake datapath that answers in-line.

The fake keeps a flow table with OpenFlow's add/strict-delete rules and replies to
stats and barrier requests by calling the app's handlers, as os-ken's event loop
would. The real switch is exercised in tests/functional/agent/test_openflow.py.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from quantum.agent.ovs import openflow, tables
from quantum.agent.ovs.bridges import integration, messages
from quantum.agent.ovs.flows import Flow, FlowDiff, InstalledFlow, Match, Output
from quantum.agent.ovs.openflow import BridgeNotConnected, OpenFlowApp, OpenFlowError


class FakeDatapath:
    ofproto = ofp
    ofproto_parser = parser

    def __init__(self, app: OpenFlowApp, name: str, *, answer: bool = True) -> None:
        self.app = app
        self.id = 0xAB
        self.ports = {ofp.OFPP_LOCAL: SimpleNamespace(name=name.encode())}
        self.table: dict[tuple[int, int, object], InstalledFlow] = {}
        self.log: list[str] = []
        self.answer = answer
        self.connected = True
        # os-ken's connection: its socket (none here) and its writer's queue, which
        # os-ken sets to None when a send fails.
        self.socket: socket.socket | None = None
        self.send_q: object | None = object()

    def send_msg(self, msg: Any) -> bool:
        if not self.connected:
            return False
        msg.serialize()
        ev = SimpleNamespace(msg=msg)
        if isinstance(msg, parser.OFPFlowMod):
            self._flow_mod(msg)
        elif isinstance(msg, parser.OFPBarrierRequest):
            self.log.append("barrier")
            if self.answer:
                self.app._barrier(ev)
        elif isinstance(msg, parser.OFPFlowStatsRequest) and self.answer:
            stats = [
                parser.OFPFlowStats(
                    table_id=item.flow.table,
                    priority=item.flow.priority,
                    cookie=item.cookie,
                    match=messages.to_match(item.flow.match),
                    instructions=messages.to_instructions(item.flow.actions),
                )
                for item in self.table.values()
                if msg.cookie_mask == 0 or item.cookie == msg.cookie
            ]
            half = len(stats) // 2
            for body, flags in (
                (stats[:half], ofp.OFPMPF_REPLY_MORE),
                (stats[half:], 0),
            ):
                reply = SimpleNamespace(
                    datapath=self, xid=msg.xid, body=body, flags=flags
                )
                self.app._flow_stats(SimpleNamespace(msg=reply))
        return True

    def _flow_mod(self, msg: Any) -> None:
        item = messages.from_stats(
            SimpleNamespace(
                table_id=msg.table_id,
                priority=msg.priority,
                cookie=msg.cookie,
                match=msg.match,
                instructions=msg.instructions,
            )
        )
        key = item.flow.key
        if msg.command == ofp.OFPFC_ADD:
            if Output(ofp.OFPP_ANY) in item.flow.actions:
                error = SimpleNamespace(
                    datapath=self, xid=msg.xid, type=ofp.OFPET_BAD_ACTION, code=4
                )
                self.app._error(SimpleNamespace(msg=error))
                return
            self.log.append(f"add {item.flow.render()}")
            self.table[key] = item
        elif msg.command == ofp.OFPFC_DELETE_STRICT:
            self.log.append(f"delete {item.flow.render()}")
            found = self.table.get(key)
            if found is not None and found.cookie == msg.cookie:
                del self.table[key]


def _connect(app: OpenFlowApp, datapath: FakeDatapath, state: str) -> None:
    app._state_change(SimpleNamespace(datapath=datapath, state=state))


@pytest.fixture
def app() -> OpenFlowApp:
    return OpenFlowApp()


def test_bridges_are_known_by_their_local_port(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    assert app.bridges() == {"br-int"}
    app.wait_for_bridge("br-int", timeout=0)
    _connect(app, dp, DEAD_DISPATCHER)
    assert app.bridges() == frozenset()
    with pytest.raises(BridgeNotConnected, match="br-int"):
        app.wait_for_bridge("br-int", timeout=0.01)
    with pytest.raises(BridgeNotConnected):
        app.dump_flows("br-int")


def test_the_bridges_are_awaited_under_one_deadline(app: OpenFlowApp) -> None:
    """The agent's start waits for all its bridges at once: three that never
    connect cost the timeout once, not three times (a restarted agent's first
    round, which wires what was plugged meanwhile, waited 10 s for each)."""
    _connect(app, FakeDatapath(app, "br-int"), MAIN_DISPATCHER)
    started = time.monotonic()
    assert app.wait_for_bridges(["br-int", "br-tun", "br-eth1"], 0.3) == [
        "br-tun",
        "br-eth1",
    ]
    assert time.monotonic() - started < 0.6

    def later() -> None:
        time.sleep(0.1)
        _connect(app, FakeDatapath(app, "br-tun"), MAIN_DISPATCHER)
        _connect(app, FakeDatapath(app, "br-eth1"), MAIN_DISPATCHER)

    threading.Thread(target=later).start()
    assert app.wait_for_bridges(["br-int", "br-tun", "br-eth1"], 10) == []


def test_every_connect_is_announced_also_one_replacing_a_live_bridge(
    app: OpenFlowApp,
) -> None:
    calls: list[frozenset[str]] = []
    app.on_connect = lambda: calls.append(app.bridges())
    old, new = FakeDatapath(app, "br-int"), FakeDatapath(app, "br-int")
    _connect(app, old, MAIN_DISPATCHER)
    _connect(app, new, MAIN_DISPATCHER)  # OVS restarted; os-ken missed the close
    _connect(app, old, DEAD_DISPATCHER)

    assert calls == [frozenset({"br-int"}), frozenset({"br-int"})]
    assert app.bridges() == {"br-int"}
    assert app._datapath("br-int") is new


def test_a_datapath_without_local_port_is_ignored(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "x")
    dp.ports = {}
    _connect(app, dp, MAIN_DISPATCHER)
    assert app.bridges() == frozenset()


def test_install_adds_then_deletes_and_sweeps(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    foreign = InstalledFlow(cookie=1, flow=Flow(table=5, priority=5))
    dp.table[foreign.flow.key] = foreign
    first = [integration.drop_by_default(), integration.isolate_port(3)]
    diff = app.install("br-int", first)
    assert set(diff.add) == set(first)
    assert diff.delete == (foreign,)
    assert dp.log[-2:] == ["delete table=5, priority=5 actions=drop", "barrier"]
    assert dp.log.index("barrier") < dp.log.index(dp.log[-2])

    dp.log.clear()
    second = [integration.drop_by_default(), integration.isolate_port(4)]
    diff = app.install("br-int", second)
    assert diff.add == (integration.isolate_port(4),)
    assert [item.flow for item in diff.delete] == [integration.isolate_port(3)]
    assert dp.log == [
        "add table=0, priority=2,in_port=4 actions=drop",
        "barrier",
        "delete table=0, priority=2,in_port=3 actions=drop",
        "barrier",
    ]
    assert {item.flow for item in app.dump_flows("br-int")} == set(second)
    assert not app.install("br-int", second)
    mine = app.dump_flows("br-int", cookie=tables.AGENT_COOKIE)
    assert {item.cookie for item in mine} == {tables.AGENT_COOKIE}


def test_refused_adds_raise_before_anything_is_deleted(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    app.install("br-int", [integration.drop_by_default()])
    bad = Flow(table=0, priority=1, actions=(Output(ofp.OFPP_ANY),))
    with pytest.raises(OpenFlowError, match="OFPET_BAD_ACTION"):
        app.install("br-int", [bad, integration.isolate_port(9)])
    assert {item.flow for item in app.dump_flows("br-int")} == {
        integration.drop_by_default(),
        integration.isolate_port(9),
    }


def test_silence_and_disconnects_are_errors(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int", answer=False)
    _connect(app, dp, MAIN_DISPATCHER)
    with pytest.raises(OpenFlowError, match="no reply"):
        app.dump_flows("br-int", timeout=0.01)
    dp.connected = False
    with pytest.raises(OpenFlowError, match="disconnected"):
        app.dump_flows("br-int", timeout=0.01)


def test_a_connection_the_switch_closed_is_no_bridge(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int")
    dp.socket = socket.socket()
    _connect(app, dp, MAIN_DISPATCHER)
    assert app.bridges() == {"br-int"}
    dp.socket.close()  # NOTE: what os-ken's reader does; no DEAD event follows

    assert app.bridges() == frozenset()
    with pytest.raises(BridgeNotConnected):
        app.dump_flows("br-int")


def _failing_soon(app: OpenFlowApp, then: Callable[[], None]) -> str:
    """The error of a dump that ``then`` (run 0.05 s later) interrupts."""
    timer = threading.Timer(0.05, then)
    timer.start()
    started = time.monotonic()
    with pytest.raises(OpenFlowError) as error:
        app.dump_flows("br-int", timeout=10)
    timer.join()
    assert time.monotonic() - started < 2
    return str(error.value)


def test_a_request_ends_when_its_connection_dies_or_is_replaced(
    app: OpenFlowApp,
) -> None:
    dp = FakeDatapath(app, "br-int", answer=False)
    dp.send_q = object()
    _connect(app, dp, MAIN_DISPATCHER)
    assert "disconnected" in _failing_soon(app, lambda: setattr(dp, "send_q", None))

    old = FakeDatapath(app, "br-int", answer=False)
    _connect(app, old, MAIN_DISPATCHER)
    new = FakeDatapath(app, "br-int")
    reason = _failing_soon(app, lambda: _connect(app, new, MAIN_DISPATCHER))
    assert "reconnected" in reason
    assert app.dump_flows("br-int") == []


def test_unsolicited_replies_are_ignored(app: OpenFlowApp) -> None:
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    stray = SimpleNamespace(datapath=dp, xid=1, body=[], flags=0, type=1, code=1)
    app._barrier(SimpleNamespace(msg=stray))
    app._flow_stats(SimpleNamespace(msg=stray))
    app._error(SimpleNamespace(msg=stray))
    assert app.bridges() == {"br-int"}


class CountingDatapath(FakeDatapath):
    """Records how many of the flow mods built so far are alive at each send."""

    def __init__(self, app: OpenFlowApp, name: str) -> None:
        super().__init__(app, name)
        self.built: weakref.WeakSet[Any] = weakref.WeakSet()
        self.alive: list[int] = []

    def send_msg(self, msg: Any) -> bool:
        if isinstance(msg, parser.OFPFlowMod):
            self.alive.append(len(self.built))
        return super().send_msg(msg)


def test_flows_are_sent_and_dumped_without_holding_every_message(
    app: OpenFlowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An os-ken message is ~4 KiB: 39,000 flows built at once, or dumped as
    stats objects kept until the last reply part, were 150 MiB of the agent."""
    dp = CountingDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    add_flow = messages.add_flow

    def counted(*args: Any, **kwargs: Any) -> Any:
        made = add_flow(*args, **kwargs)
        dp.built.add(made)
        return made

    monkeypatch.setattr(messages, "add_flow", counted)
    wanted = [integration.isolate_port(port) for port in range(1, 201)]
    app.install("br-int", wanted)
    assert len(dp.alive) == 200
    assert max(dp.alive) <= 2

    held: list[type] = []
    flow_stats = app._flow_stats

    def spy(ev: Any) -> None:
        flow_stats(ev)
        held.extend(
            type(item) for request in app._pending.values() for item in request.body
        )

    monkeypatch.setattr(app, "_flow_stats", spy)
    dumped = app.dump_flows("br-int")
    assert {item.flow for item in dumped} == set(wanted)
    assert held
    assert set(held) == {InstalledFlow}


def _parts(log: list[str]) -> list[tuple[str, int]]:
    """The switch's log as (kind of flow mod, how many) per part between barriers."""
    parts: list[tuple[str, int]] = []
    kinds: list[str] = []
    for line in log:
        if line == "barrier":
            assert len(set(kinds)) == 1, kinds  # a part never mixes adds and deletes
            parts.append((kinds[0], len(kinds)))
            kinds = []
        else:
            kinds.append(line.split()[0])
    assert not kinds  # every part ends with a barrier
    return parts


def test_a_big_apply_goes_out_in_parts_each_confirmed_by_the_switch(
    app: OpenFlowApp,
) -> None:
    """39,000 flow mods in one go kept vswitchd from reading long enough for
    os-ken to drop the bridge: every 1,000 the agent waits for a barrier reply."""
    assert openflow.BATCH == 1000
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    first = [integration.isolate_port(port) for port in range(1, 2501)]
    app.install("br-int", first)
    assert _parts(dp.log) == [("add", 1000), ("add", 1000), ("add", 500)]

    dp.log.clear()
    second = [integration.isolate_port(port) for port in range(3001, 4251)]
    diff = app.install("br-int", second)
    assert (len(diff.add), len(diff.delete)) == (1250, 2500)
    assert _parts(dp.log) == [
        ("add", 1000),
        ("add", 250),
        ("delete", 1000),
        ("delete", 1000),
        ("delete", 500),
    ]
    assert {item.flow for item in app.dump_flows("br-int")} == set(second)


class SilentAfter(FakeDatapath):
    """Answers until ``barriers`` barriers were sent, then nothing (a stuck
    switch)."""

    def __init__(self, app: OpenFlowApp, name: str, barriers: int) -> None:
        super().__init__(app, name)
        self.barriers = barriers

    def send_msg(self, msg: Any) -> bool:
        self.answer = self.barriers > 0
        if isinstance(msg, parser.OFPBarrierRequest):
            self.barriers -= 1
        return super().send_msg(msg)


def test_a_part_the_switch_does_not_confirm_ends_the_apply_in_time(
    app: OpenFlowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openflow, "BATCH", 10)
    dp = SilentAfter(app, "br-int", barriers=1)
    _connect(app, dp, MAIN_DISPATCHER)
    wanted = [integration.isolate_port(port) for port in range(1, 36)]
    diff = FlowDiff(add=tuple(wanted))
    started = time.monotonic()
    with pytest.raises(OpenFlowError, match="no reply from the bridge within 0.2s"):
        app.apply("br-int", diff, timeout=0.2)
    assert time.monotonic() - started < 2
    # the second part was never confirmed: nothing more was sent after it
    assert _parts(dp.log) == [("add", 10), ("add", 10)]
    assert not app._pending

    # the agent's next round (a full resync) finds what the switch has and
    # completes it
    dp.barriers = 10**6
    dp.log.clear()
    added = app.install("br-int", wanted)
    assert len(added.add) == 15
    assert {item.flow for item in app.dump_flows("br-int")} == set(wanted)


def _refused(in_port: int) -> Flow:
    """A flow the switch refuses (output to OFPP_ANY)."""
    match = Match(in_port=in_port)
    return Flow(table=0, priority=1, match=match, actions=(Output(ofp.OFPP_ANY),))


def test_refused_flows_of_every_part_are_reported_and_nothing_deleted(
    app: OpenFlowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openflow, "BATCH", 10)
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    old = [integration.isolate_port(port) for port in range(100, 105)]
    app.install("br-int", old)
    dp.log.clear()
    bad = [_refused(n) for n in (1, 2, 25)]
    good = [integration.isolate_port(port) for port in range(1, 23)]
    with pytest.raises(OpenFlowError) as error:
        app.install("br-int", [*bad, *good])
    # every refusal, whichever part it was in
    assert str(error.value).count("OFPET_BAD_ACTION") == 3
    assert [kind for kind, _ in _parts(dp.log)] == ["add"] * 3  # no delete sent
    assert {item.flow for item in app.dump_flows("br-int")} == {*old, *good}


def test_many_refusals_are_counted_not_all_quoted(
    app: OpenFlowApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openflow, "BATCH", 10)
    dp = FakeDatapath(app, "br-int")
    _connect(app, dp, MAIN_DISPATCHER)
    bad = [_refused(n) for n in range(1, 26)]
    with pytest.raises(OpenFlowError) as error:
        app.apply("br-int", FlowDiff(add=tuple(bad)))
    assert str(error.value).count("OFPET_BAD_ACTION") == 10
    assert str(error.value).endswith("; and 15 more")
