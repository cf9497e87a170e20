# SPDX-License-Identifier: Apache-2.0
"""The os-ken app the agent's bridges connect to, and how to embed os-ken.

os-ken 4.x has no CLI: ``start_controller`` parses os-ken's own options and starts
the app through ``AppManager`` inside the calling process. os-ken's default hub is
``native`` (plain threads, no eventlet monkey-patching), so the agent calls this app
from its own thread and blocks on replies; the app's handlers run in os-ken's
threads. Those threads are not daemons and ``hub.kill`` is a no-op: a process that
embeds the controller ends with ``os._exit`` (or a signal), not by returning.

Bridges must use ``fail_mode=secure`` and ``protocols=OpenFlow13``, with the
controller listening before ``set-controller`` (see the data-plane recipes).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_3

from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import messages
from quantum.agent.ovs.flows import Flow, FlowDiff, InstalledFlow

LOG = logging.getLogger(__name__)

#: xids the app assigns itself: far above os-ken's own per-datapath counter (which
#: starts at 0), so replies are never confused with os-ken's echo requests.
_FIRST_XID = 0x8000_0000


_Handler = TypeVar("_Handler", bound=Callable[..., None])


def _on(event: Any, dispatchers: Any) -> Callable[[_Handler], _Handler]:
    """os-ken's ``set_ev_cls``, typed (os-ken has no type hints)."""
    return cast(Callable[[_Handler], _Handler], set_ev_cls(event, dispatchers))


#: How often a request waiting for its reply checks that the connection still lives.
_LIVENESS_POLL = 0.05
#: Flow mods an apply sends before it waits for the switch to confirm them (a
#: barrier reply). 39,000 strict deletes sent in one go kept vswitchd from reading
#: for longer than os-ken's send timeout (5 s) on a loaded machine, and os-ken
#: dropped the bridge. A part of 1,000 firewall flow mods is 100-140 KB on the wire.
BATCH = 1000
#: Errors of one apply quoted in its exception; the rest are counted.
_ERRORS_QUOTED = 10


def _alive(datapath: Any) -> bool:
    """Whether os-ken's connection to the switch still works.

    With os-ken's native hub a connection the switch closed is never reported dead
    (its reader ends and closes the socket, but the teardown waits on a writer that
    ``hub.kill`` cannot stop), so look at the socket and at the writer's queue,
    which the writer drops when a send fails.
    """
    sock = getattr(datapath, "socket", None)
    if sock is not None and sock.fileno() == -1:
        return False
    return getattr(datapath, "send_q", True) is not None


class OpenFlowError(Exception):
    """A bridge refused a request, went away, or did not answer in time."""


class BridgeNotConnected(OpenFlowError):
    def __init__(self, bridge: str) -> None:
        super().__init__(f"bridge {bridge} is not connected to the controller")
        self.bridge = bridge


@dataclass(slots=True)
class _Request:
    """Replies to a batch of messages, complete when its last xid is answered."""

    xids: frozenset[int]
    last: int
    done: threading.Event = field(default_factory=threading.Event)
    body: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    convert: Callable[[Any], Any] | None = None
    """Applied to each stats entry as its reply part arrives, so a dump of
    40,000 flows never holds 40,000 os-ken stats objects at once."""
    lost: str | None = None
    """Why the connection the request was sent on is gone, if it is."""


class OpenFlowApp(app_manager.OSKenApp):  # type: ignore[misc]  # os-ken is untyped
    """Tracks connected bridges by name and installs, diffs and dumps their flows.

    A bridge is known by the name of its LOCAL port, read from the port description
    os-ken fetches during the handshake, so no OVSDB lookup of datapath ids is
    needed. All public methods are thread-safe and block until the switch answers.
    """

    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._bridges: dict[str, Any] = {}
        self._xids = itertools.count(_FIRST_XID)
        self._pending: dict[tuple[int, int], _Request] = {}
        #: Called (in os-ken's thread) when a bridge has connected: after an OVS
        #: restart it comes back with no flows, and the agent must act at once. A
        #: reconnect can replace a bridge's datapath without the set of names ever
        #: changing (os-ken may not report the old connection dead first).
        self.on_connect: Callable[[], None] | None = None

    # -- os-ken event handlers (run in os-ken's thread) --------------------------

    @_on(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER, DEAD_DISPATCHER])
    def _state_change(self, ev: Any) -> None:
        datapath = ev.datapath
        connected = False
        with self._lock:
            if ev.state == MAIN_DISPATCHER:
                local = datapath.ports.get(datapath.ofproto.OFPP_LOCAL)
                if local is None:
                    LOG.warning("datapath %016x has no LOCAL port", datapath.id)
                    return
                name = local.name.decode()
                old = self._bridges.get(name)
                if old is not None and old is not datapath:
                    self._fail_pending(old, "the bridge reconnected")
                self._bridges[name] = datapath
                connected = True
                LOG.info("bridge %s connected (dpid %016x)", name, datapath.id)
            else:
                for name, known in list(self._bridges.items()):
                    if known is datapath:
                        del self._bridges[name]
                        LOG.info("bridge %s disconnected", name)
                self._fail_pending(datapath, "the bridge disconnected")
            self._changed.notify_all()
        if connected and self.on_connect is not None:
            self.on_connect()

    @_on(ofp_event.EventOFPMeterConfigStatsReply, MAIN_DISPATCHER)
    def _meter_config(self, ev: Any) -> None:
        self._flow_stats(ev)

    @_on(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def _flow_stats(self, ev: Any) -> None:
        msg = ev.msg
        with self._lock:
            request = self._pending.get((id(msg.datapath), msg.xid))
            if request is None:
                return
            if request.convert is None:
                request.body.extend(msg.body)
            else:
                try:
                    request.body.extend(map(request.convert, msg.body))
                except Exception as error:  # noqa: BLE001 - reported to the caller
                    request.errors.append(f"unreadable flow stats: {error!r}")
                    request.done.set()
                    return
            if not msg.flags & msg.datapath.ofproto.OFPMPF_REPLY_MORE:
                request.done.set()

    @_on(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def _barrier(self, ev: Any) -> None:
        msg = ev.msg
        with self._lock:
            request = self._pending.get((id(msg.datapath), msg.xid))
            if request is not None:
                request.done.set()

    @_on(ofp_event.EventOFPErrorMsg, MAIN_DISPATCHER)
    def _error(self, ev: Any) -> None:
        msg = ev.msg
        with self._lock:
            request = self._pending.get((id(msg.datapath), msg.xid))
            if request is None:
                LOG.warning("unsolicited OpenFlow error: %s", msg)
                return
            ofp = msg.datapath.ofproto
            request.errors.append(
                f"{ofp.ofp_error_type_to_str(msg.type)}: "
                f"{ofp.ofp_error_code_to_str(msg.type, msg.code)}"
            )
            if msg.xid == request.last:
                request.done.set()

    def _fail_pending(self, datapath: Any, why: str) -> None:
        """End the requests waiting on ``datapath`` (call with the lock held)."""
        for (dp_id, _), request in list(self._pending.items()):
            if dp_id == id(datapath):
                request.lost = why
                request.done.set()

    # -- the agent's side ---------------------------------------------------------

    def bridges(self) -> frozenset[str]:
        """Names of the bridges connected right now."""
        with self._lock:
            return frozenset(n for n, dp in self._bridges.items() if _alive(dp))

    def wait_for_bridge(self, bridge: str, timeout: float) -> None:
        """Block until ``bridge`` has connected; raise ``BridgeNotConnected``."""
        if self.wait_for_bridges([bridge], timeout):
            raise BridgeNotConnected(bridge)

    def wait_for_bridges(self, bridges: Iterable[str], timeout: float) -> list[str]:
        """Block until every one of ``bridges`` has connected, or ``timeout``
        seconds in all have passed; the ones still missing then."""
        wanted = list(bridges)

        def missing() -> list[str]:
            return [b for b in wanted if b not in self._bridges]

        with self._changed:
            self._changed.wait_for(lambda: not missing(), timeout)
            return missing()

    def dump_flows(
        self, bridge: str, *, cookie: int | None = None, timeout: float = 10.0
    ) -> list[InstalledFlow]:
        """Every flow of the bridge (all tables), or only those with ``cookie``."""
        datapath = self._datapath(bridge)
        request = messages.flow_stats_request(datapath, cookie)
        reply = self._exchange(
            datapath, [request], timeout, convert=messages.from_stats
        )
        return reply.body

    def apply(
        self,
        bridge: str,
        diff: FlowDiff,
        *,
        cookie: int = tables.AGENT_COOKIE,
        timeout: float = 10.0,
    ) -> None:
        """Add, wait for the switch to confirm, then delete: no traffic gap.

        Each of the two goes out in parts of ``BATCH`` flow mods, each part
        followed by a barrier whose reply is awaited (``timeout`` for each part)
        before the next is sent, so the switch never has more than ``BATCH`` left
        to read. A part the switch does not confirm in time, or a lost
        connection, raises at once (the agent's next round is a full resync). A
        flow the switch refuses stops nothing of its own kind: every part of the
        adds (or deletes) is sent, then the errors of all of them are raised, and
        after refused adds no delete is sent.
        """
        if not diff:
            return
        datapath = self._datapath(bridge)
        adds, deletes = messages.apply_messages(datapath, diff, cookie=cookie)
        parser = datapath.ofproto_parser
        for batch, count in ((adds, len(diff.add)), (deletes, len(diff.delete))):
            errors: list[str] = []
            while count:
                part = min(count, BATCH)
                barrier = parser.OFPBarrierRequest(datapath)
                request = self._send(
                    datapath,
                    itertools.chain(itertools.islice(batch, part), (barrier,)),
                    timeout,
                    count=part + 1,
                )
                errors += request.errors
                count -= part
            if errors:
                raise OpenFlowError(_summary(errors))

    def dump_meters(
        self, bridge: str, *, timeout: float = 10.0
    ) -> dict[int, tuple[int, int]]:
        """The bridge's meters: id -> (rate kbit/s, burst kbit)."""
        datapath = self._datapath(bridge)
        reply = self._exchange(
            datapath, [messages.meter_config_request(datapath)], timeout
        )
        return dict(messages.from_meter_config(stats) for stats in reply.body)

    def set_meters(
        self,
        bridge: str,
        meters: Mapping[int, tuple[int, int]],
        *,
        existing: Collection[int] = (),
        timeout: float = 10.0,
    ) -> None:
        """Add (or, for ids in ``existing``, modify) meters: id -> (rate, burst)."""
        if not meters:
            return
        datapath = self._datapath(bridge)
        ofp = datapath.ofproto
        msgs = [
            messages.meter_mod(
                datapath,
                ofp.OFPMC_MODIFY if meter_id in existing else ofp.OFPMC_ADD,
                meter_id,
                rate,
                burst,
            )
            for meter_id, (rate, burst) in sorted(meters.items())
        ]
        parser = datapath.ofproto_parser
        self._exchange(datapath, [*msgs, parser.OFPBarrierRequest(datapath)], timeout)

    def remove_meters(
        self, bridge: str, meter_ids: Iterable[int], *, timeout: float = 10.0
    ) -> None:
        """Delete meters (and, as OpenFlow does, any flow still using them)."""
        meter_ids = list(meter_ids)
        if not meter_ids:
            return
        datapath = self._datapath(bridge)
        msgs = [messages.meter_delete(datapath, m) for m in meter_ids]
        parser = datapath.ofproto_parser
        self._exchange(datapath, [*msgs, parser.OFPBarrierRequest(datapath)], timeout)

    def install(
        self,
        bridge: str,
        flows: Iterable[Flow],
        *,
        cookie: int = tables.AGENT_COOKIE,
        sweep: bool = True,
        timeout: float = 10.0,
    ) -> FlowDiff:
        """Make the bridge's flow table ``flows`` (under ``cookie``); return the diff.

        ``sweep`` also deletes flows carrying other cookies (after a full resync).
        """
        installed = self.dump_flows(bridge, timeout=timeout)
        diff = FlowDiff.compute(flows, installed, cookie=cookie, sweep=sweep)
        self.apply(bridge, diff, cookie=cookie, timeout=timeout)
        return diff

    # -- plumbing -----------------------------------------------------------------

    def _datapath(self, bridge: str) -> Any:
        with self._lock:
            datapath = self._bridges.get(bridge)
        if datapath is None or not _alive(datapath):
            raise BridgeNotConnected(bridge)
        return datapath

    def _exchange(
        self,
        datapath: Any,
        msgs: Iterable[Any],
        timeout: float,
        *,
        count: int | None = None,
        convert: Callable[[Any], Any] | None = None,
    ) -> _Request:
        """``_send``, raising the switch's errors to any of ``msgs``."""
        request = self._send(datapath, msgs, timeout, count=count, convert=convert)
        if request.errors:
            raise OpenFlowError(_summary(request.errors))
        return request

    def _send(
        self,
        datapath: Any,
        msgs: Iterable[Any],
        timeout: float,
        *,
        count: int | None = None,
        convert: Callable[[Any], Any] | None = None,
    ) -> _Request:
        """Send ``msgs`` (``count`` of them, taken from the iterable one at a
        time as os-ken's bounded send queue drains); wait for the reply to the
        last one. Raises if the connection is lost or no reply comes within
        ``timeout``; the switch's errors are left in the request's ``errors``."""
        if count is None:
            msgs = list(msgs)
            count = len(msgs)
        with self._lock:
            xids = [next(self._xids) & datapath.ofproto.MAX_XID for _ in range(count)]
            request = _Request(xids=frozenset(xids), last=xids[-1], convert=convert)
            for xid in xids:
                self._pending[(id(datapath), xid)] = request
        try:
            for msg, xid in zip(msgs, xids, strict=True):
                msg.set_xid(xid)
                if not datapath.send_msg(msg):
                    raise OpenFlowError("the bridge disconnected")
            deadline = time.monotonic() + timeout
            while not request.done.wait(min(_LIVENESS_POLL, timeout)):
                if not _alive(datapath):
                    raise OpenFlowError("the bridge disconnected")
                if time.monotonic() >= deadline:
                    raise OpenFlowError(f"no reply from the bridge within {timeout}s")
        finally:
            with self._lock:
                for xid in xids:
                    self._pending.pop((id(datapath), xid), None)
        if request.lost is not None:
            raise OpenFlowError(request.lost)
        return request


def _summary(errors: list[str]) -> str:
    """The switch's errors, the first ``_ERRORS_QUOTED`` of them quoted."""
    quoted = "; ".join(errors[:_ERRORS_QUOTED])
    more = len(errors) - _ERRORS_QUOTED
    return f"{quoted}; and {more} more" if more > 0 else quoted


def start_controller(listen_host: str, listen_port: int) -> OpenFlowApp:
    """Start os-ken in this process, listening for bridges; return the app.

    Call once per process (os-ken keeps its configuration and its app manager in
    module globals). ``listen_host`` is an address; with ``127.0.0.1`` the bridges
    must live in the same network namespace as this process.
    """
    from os_ken import cfg

    # NOTE: registers os-ken's controller options (ofp-listen-host, ...).
    from os_ken.controller import controller as _controller  # noqa: F401

    cfg.CONF(
        args=[
            "--ofp-listen-host",
            listen_host,
            "--ofp-tcp-listen-port",
            str(listen_port),
        ],
        project="os_ken",
    )
    manager = app_manager.AppManager.get_instance()
    manager.load_apps([__name__])
    contexts = manager.create_contexts()
    manager.instantiate_apps(**contexts)
    app = app_manager.lookup_service_brick(OpenFlowApp.__name__)
    if not isinstance(app, OpenFlowApp):  # pragma: no cover - os-ken contract
        raise OpenFlowError("os-ken did not start the OpenFlow app")
    return app
