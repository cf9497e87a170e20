# SPDX-License-Identifier: Apache-2.0
"""Simulated hypervisors for the data-plane tier (recipes/dataplane.md §13).

A test session owns the prefix ``q<pid>``: every network namespace it creates is named
``q<pid>-<name>`` and every file lives under ``/tmp/q<pid>/``. Every process it starts
carries ``QUANTUM_DATAPLANE=q<pid>`` in its environment and (for daemons) a pidfile
there. :func:`reap_leftovers` removes what crashed sessions left behind, and
nothing else.

The harness builds only the "physical" parts: namespaces, the OVS daemons, the
underlay wire and ``br-phy``. Integration and tunnel bridges are the agent's job.

* :class:`Hypervisor`: a netns running its own ovsdb-server and ovs-vswitchd
  (userspace datapath, ``--disable-system``), with ``vsctl/ofctl/appctl/exec``.
* :class:`Underlay`: a netns with a Linux bridge (MTU 1600) joining hypervisors;
  ``hv.attach_underlay(ip, underlay)`` wires one in and puts ``ip`` on ``br-phy``.
  ``hv.attach_wire(underlay, nic, bridge)`` makes a NIC on it a port of an OVS
  bridge instead (the uplink of a physical network, for VLANs).
* :class:`VM`: a netns whose ``eth0`` is plugged by ``quantum-vif``, with checksum
  offload off, a fixed MAC, a static address and fast ARP retries.
* :class:`Lab`: makes the above for one test and tears all of it down.

A test with two hypervisors, an agent each, and a VM on each::

    def test_cross_host(lab: Lab) -> None:
        underlay = lab.underlay()
        hv1 = lab.hypervisor("hv1", underlay=underlay, underlay_ip="192.168.50.1")
        hv2 = lab.hypervisor("hv2", underlay=underlay, underlay_ip="192.168.50.2")
        for hv in (hv1, hv2):
            hv.forward_host_port(server_port)     # the server runs on the host
            ini = hv.dir / "agent.ini"            # its [AGENT] section names
            ini.write_text(agent_ini(hv))         # ovsdb_connection = hv.db
            hv.spawn("agent", sys.executable, str(REPO / "bin" /
                     "quantum-openvswitch-agent"), "--config-file", str(ini))
        vm1 = lab.vm("vm1", "fa:16:3e:00:00:01", "10.1.0.1/24")
        vm2 = lab.vm("vm2", "fa:16:3e:00:00:02", "10.1.0.2/24")
        vm1.plug(hv1, "vif-1")    # quantum-vif with iface-id vif-1, then tx off,
        vm2.plug(hv2, "vif-2")    # address; the API attached vif-1 to a port
        assert vm1.can_reach(vm2.address)         # polls; cannot_reach() for negatives
        vm2.serve_tcp(5001)
        vm1.tcp_transfer(vm2.address, 5001, size=1 << 20)

(``agent_ini`` stands for the test's own: test_agent.py's ``_start_agent`` writes a
complete one, with ``datapath_type = netdev`` and the server's URL.) Everything is
torn down after the test, also when it fails; ``hv.vsctl()``,
``hv.ofctl("dump-flows", "br-int")`` and ``hv.appctl()`` inspect a hypervisor,
``hv.restart_ovs()`` and ``hv.crash()`` disturb it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[2]
QUANTUM_VIF = REPO / "bin" / "quantum-vif"
TCP_TOOL = Path(__file__).resolve().parent / "tcp_tool.py"
OVS_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
BINARIES = (
    "ip",
    "ovsdb-tool",
    "ovsdb-server",
    "ovs-vswitchd",
    "ovs-vsctl",
    "ovs-ofctl",
    "ovs-appctl",
    "ethtool",
    "ping",
    "socat",
    "ss",
)
BASE = Path("/tmp")  # noqa: S108  # NOTE: fixed on purpose; the q<pid> prefix and
# the marker file keep sessions apart, and the reaper must find crashed ones here.
MARKER = ".quantum-dataplane"
ENV_TAG = "QUANTUM_DATAPLANE"
SESSION_DIR = re.compile(r"^q(\d+)$")
SESSION_NETNS = re.compile(r"^(q\d+)-")
UNDERLAY_MTU = 1600
DAEMONS = ("ovs-vswitchd", "ovsdb-server")

T = TypeVar("T")


# --------------------------------------------------------------------------- commands


class CommandFailed(Exception):
    """A command exited non-zero; the message holds its argv and stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str):
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        output = (stderr or stdout).strip()
        super().__init__(f"{' '.join(self.argv)} -> exit {returncode}: {output}")


def run(
    argv: Sequence[str],
    *,
    timeout: float = 10.0,
    check: bool = True,
    env: dict[str, str] | None = None,
    input: str | None = None,  # noqa: A002  # NOTE: subprocess.run's name
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no shell), capture text output; raise CommandFailed if asked."""
    done = subprocess.run(  # noqa: S603  # NOTE: argv lists built here, no shell
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        input=input,
    )
    if check and done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stdout, done.stderr)
    return done


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Call ``predicate`` until it returns something truthy; return that.

    Raises TimeoutError naming ``message`` (a string or a callable producing one,
    e.g. a dump of the flows) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise TimeoutError(f"not true after {timeout:g}s: {text}")
        time.sleep(interval)


# -------------------------------------------------------------------------- processes


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a reused pid apart), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # NOTE: the command name (field 2) may hold spaces; split after its ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def is_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (PID 1 reaps daemons late) counts as dead."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not any(
        line.startswith("State:") and "Z" in line.split()[1:2]
        for line in status.splitlines()
    )


def _tagged(pid: int, prefix: str) -> bool:
    """Whether ``pid`` was started by the harness of session ``prefix``."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{ENV_TAG}={prefix}".encode() in environ.split(b"\0")


def stop_pid(pid: int, grace: float = 3.0) -> None:
    """SIGTERM ``pid``, SIGKILL it after ``grace`` seconds, wait until it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not is_alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_by_pidfile(pidfile: Path, wait: float = 5.0) -> None:
    """Stop the daemon whose pid ``pidfile`` holds, once it holds one: a daemon
    (dhclient) creates the file and writes its pid after, so a read in between
    finds it empty. Nothing to stop when no pid appears within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while (pid := _read_pid(pidfile)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid is not None:
        stop_pid(pid)


class Process:
    """A child process started by the harness, logged to a file, stopped by pid."""

    def __init__(
        self,
        argv: Sequence[str],
        log: Path,
        env: dict[str, str],
        stdout_pipe: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603  # NOTE: argv list, no shell
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else out,
                stderr=out,
                env=env,
                start_new_session=True,
                text=True,
            )
        self.pid = self.popen.pid
        self._partial = bytearray()  # NOTE: readline's line, not finished yet
        log.with_suffix(".pid").write_text(f"{self.pid}\n")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def readline(self, timeout: float = 10.0) -> str:
        """One line of stdout (when started with ``stdout_pipe``); "" at its end.

        NOTE: the pipe is read a byte at a time, never past the line: a buffered
        ``readline`` takes every line already written at once, returns the first
        and leaves the others in its buffer, where the next call's wait on the
        pipe never sees them (a listener that printed five lines in a burst read
        as one). What is left stays in the pipe, for ``popen.communicate``.
        """
        assert self.popen.stdout is not None
        import selectors

        fd = self.popen.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not self._partial.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f"no output from {self.argv} in {timeout}s")
                byte = os.read(fd, 1)
                if not byte:
                    break
                self._partial += byte
        line, self._partial = self._partial.decode(errors="replace"), bytearray()
        return line

    def stop(self, grace: float = 3.0) -> int | None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        with contextlib.suppress(OSError):
            self.log.with_suffix(".pid").unlink()
        return self.popen.returncode


# ------------------------------------------------------------------------- namespaces


def netns_list() -> list[str]:
    out = run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def netns_pids(name: str) -> list[int]:
    done = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in done.stdout.split() if p.isdigit()]


def delete_netns(name: str) -> None:
    """Kill whatever still runs in netns ``name`` (all of it is ours), delete it."""
    for _ in range(3):
        pids = netns_pids(name)
        if not pids:
            break
        for pid in pids:
            stop_pid(pid, grace=1.0)
    run(["ip", "netns", "del", name], check=False)
    shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)


class Netns:
    """A named network namespace owned by the session."""

    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        self.short = name
        self.name = session.netns_name(name)

    def create(self, ipv6: bool = False) -> None:
        run(["ip", "netns", "add", self.name])
        self.ip("link", "set", "lo", "up")
        if not ipv6:
            # NOTE: IPv6 DAD/MLD chatter from every new link costs vswitchd CPU and
            # muddies captures; tests that need IPv6 ask for it.
            self.exec(
                "sysctl", "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            )  # fmt: skip

    def delete(self) -> None:
        delete_netns(self.name)

    def exists(self) -> bool:
        return self.name in netns_list()

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["ip", "-n", self.name, *args], check=check)

    def exec(
        self,
        *argv: str,
        check: bool = True,
        timeout: float = 10.0,
        input: str | None = None,  # noqa: A002
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the namespace."""
        return run(
            ["ip", "netns", "exec", self.name, *argv],
            check=check,
            timeout=timeout,
            input=input,
            env=env or self.session.env(),
        )

    def spawn(
        self,
        name: str,
        *argv: str,
        env: dict[str, str] | None = None,
        stdout_pipe: bool = False,
    ) -> Process:
        """Start ``argv`` in the namespace; log and pidfile at ``<dir>/<name>.*``."""
        self.session.root.mkdir(parents=True, exist_ok=True)
        log = self.session.root / f"{self.short}-{name}.log"
        process = Process(
            ["ip", "netns", "exec", self.name, *argv],
            log,
            env or self.session.env(),
            stdout_pipe=stdout_pipe,
        )
        # NOTE: return only once the child has entered the namespace, so callers
        # (and the reaper) never see it half-started.
        wait_until(
            lambda: not process.alive() or self.holds(process.pid),
            5,
            interval=0.005,
            message=f"{argv[0]} entered {self.name}",
        )
        return process

    def holds(self, pid: int) -> bool:
        """Whether process ``pid`` runs in this namespace."""
        try:
            mine = os.stat(f"/run/netns/{self.name}")
            theirs = os.stat(f"/proc/{pid}/ns/net")
        except OSError:
            return False
        return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


# ---------------------------------------------------------------------------- session


@dataclass
class Session:
    """The ``q<pid>`` prefix and ``/tmp/q<pid>`` directory of one test run."""

    prefix: str
    root: Path

    @classmethod
    def start(cls, base: Path = BASE) -> Session:
        pid = os.getpid()
        session = cls(f"q{pid}", base / f"q{pid}")
        session.root.mkdir(mode=0o755, parents=True, exist_ok=True)
        (session.root / MARKER).write_text(
            json.dumps({"pid": pid, "start": _start_time(pid)})
        )
        return session

    def netns_name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, **extra)
        env[ENV_TAG] = self.prefix
        return env

    def spawn(self, name: str, *argv: str) -> Process:
        """Start ``argv`` in the root namespace, tagged and logged like the rest."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Process(argv, self.root / f"{name}.log", self.env())

    def close(self) -> list[str]:
        """Remove everything of this session; return what had to be reaped."""
        return _reap_prefix(self.prefix, self.root)


def _session_alive(prefix: str, root: Path) -> bool:
    pid = int(prefix[1:])
    if pid == os.getpid():
        return True
    try:
        marker = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return is_alive(pid)
    return is_alive(pid) and _start_time(pid) == marker.get("start")


def _reap_prefix(prefix: str, root: Path) -> list[str]:
    reaped: list[str] = []
    # 1. daemons by pidfile, only if they carry this session's tag
    if root.is_dir():
        for pidfile in sorted(root.rglob("*.pid")):
            pid = _read_pid(pidfile)
            if pid and is_alive(pid) and _tagged(pid, prefix):
                stop_pid(pid, grace=1.0)
                reaped.append(f"pid {pid} ({pidfile.name})")
    # 2. tagged processes whose pidfile is gone (e.g. agents started in the root ns)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            pid = int(entry.name)
            if _tagged(pid, prefix) and is_alive(pid):
                stop_pid(pid, grace=1.0)
                reaped.append(f"pid {pid}")
    # 3. namespaces (deleting one also destroys the taps of a crashed vswitchd)
    for name in netns_list():
        match = SESSION_NETNS.match(name)
        if match and match.group(1) == prefix:
            delete_netns(name)
            reaped.append(f"netns {name}")
    for conf in Path("/etc/netns").glob(f"{prefix}-*"):
        shutil.rmtree(conf, ignore_errors=True)
    # 4. the directory, only if it is ours (it holds the marker)
    if (root / MARKER).exists():
        shutil.rmtree(root, ignore_errors=True)
    return reaped


def reap_leftovers(base: Path = BASE) -> list[str]:
    """Remove what crashed sessions left; live sessions (and others) are untouched.

    A session is recognised by its ``q<pid>`` prefix: a ``/tmp/q<pid>`` directory
    holding the harness marker, or ``q<pid>-*`` network namespaces. It is dead when
    its pid is gone (or was reused: the recorded start time differs).
    """
    prefixes: dict[str, Path] = {}
    for entry in base.iterdir():
        if SESSION_DIR.match(entry.name) and (entry / MARKER).is_file():
            prefixes[entry.name] = entry
    for name in netns_list():
        match = SESSION_NETNS.match(name)
        if match:
            prefixes.setdefault(match.group(1), base / match.group(1))
    reaped: list[str] = []
    for prefix, root in sorted(prefixes.items()):
        if not _session_alive(prefix, root):
            reaped += [f"{prefix}: {what}" for what in _reap_prefix(prefix, root)]
    return reaped


# ----------------------------------------------------------------------- machine lock

# The data-plane tier's one lock on this machine: bench/ and people take it with
# ``flock /tmp/quantum-dataplane.lock <command>``, the tier with machine_lock().
MACHINE_LOCK = BASE / "quantum-dataplane.lock"


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _lineage() -> Iterator[int]:
    """This process, its parent, and so on up to (not including) PID 1."""
    pid: int | None = os.getpid()
    while pid is not None and pid > 1:
        yield pid
        pid = _parent(pid)


def _holds_flock(pid: int, file: tuple[int, int]) -> bool:
    """Whether an open file of ``pid`` is ``file`` (st_dev, st_ino) with an
    exclusive flock on it (``/proc/<pid>/fdinfo`` lists the locks of each fd)."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = fd.stat()
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        if (target.st_dev, target.st_ino) != file:
            continue
        for line in info.splitlines():
            if line.startswith("lock:") and line.split()[2:5:2] == ["FLOCK", "WRITE"]:
                return True
    return False


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    words = raw.replace(b"\0", b" ").decode(errors="replace").split()
    return " ".join(words)[:120]


def lock_holders(path: Path = MACHINE_LOCK) -> list[int]:
    """The pids that hold an exclusive flock on ``path`` (from ``/proc/locks``)."""
    try:
        file = path.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return []
    key = f"{os.major(file.st_dev):02x}:{os.minor(file.st_dev):02x}:{file.st_ino}"
    pids = []
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:2146386 0 EOF"; waiters have "->"
        if fields[1:2] == ["FLOCK"] and fields[3] == "WRITE" and fields[5] == key:
            pids.append(int(fields[4]))
    return pids


def _lock(fd: int, path: Path, waiting: Callable[[str], None] | None) -> str:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return "taken"
    except BlockingIOError:
        pass
    stat = os.fstat(fd)
    file = (stat.st_dev, stat.st_ino)
    ancestor = next((pid for pid in _lineage() if _holds_flock(pid, file)), None)
    if ancestor is not None:
        return f"held by pid {ancestor} ({_command_line(ancestor)})"
    if waiting is not None:
        holders = ", ".join(f"pid {p} ({_command_line(p)})" for p in lock_holders(path))
        waiting(f"waiting for {path}, held by {holders or 'another run'}")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return "taken"


@contextlib.contextmanager
def machine_lock(
    path: Path = MACHINE_LOCK, *, waiting: Callable[[str], None] | None = None
) -> Iterator[str]:
    """Hold the data-plane tier's machine-wide lock (an exclusive ``flock(2)``).

    Yields how it is held: ``"taken"``, or ``"held by pid N (...)"`` when this
    process or one of its ancestors holds it already: a run under ``flock <path>
    <command>`` (with or without ``-o``, or ``exec 9<path; flock 9; <command>`` in
    a shell) must not wait for itself. Otherwise it waits for the holder, after
    telling ``waiting`` who that is; a lock held by a sibling is never taken over.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        yield _lock(fd, path, waiting)
    finally:
        os.close(fd)  # NOTE: closing the only fd of the lock releases it


def environment_problem(session_prefix: str = f"q{os.getpid()}") -> str | None:
    """Why this machine cannot run the data-plane tier, or None if it can."""
    if os.geteuid() != 0:
        return "the data-plane tier needs root (network namespaces, veths)"
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return (
            f"missing {', '.join(missing)} (apt-get install openvswitch-switch "
            "ethtool iproute2 iputils-ping socat; scripts/test does it)"
        )
    if not OVS_SCHEMA.is_file():
        return f"missing {OVS_SCHEMA}"
    probe = f"{session_prefix}-probe"
    try:
        run(["ip", "netns", "add", probe])
    except CommandFailed as error:
        return f"cannot create a network namespace: {error}"
    run(["ip", "netns", "del", probe], check=False)
    return None


# ------------------------------------------------------------------------- hypervisor


@dataclass
class Hypervisor:
    """One simulated hypervisor: a netns running its own OVS (userspace datapath).

    ``db`` is the OVSDB remote (``unix:<dir>/db.sock``), ``rundir`` where
    ovs-vswitchd puts ``<bridge>.mgmt`` sockets (and where a ``unix:`` controller
    must live), ``ctl`` the ovs-vswitchd unixctl socket. An agent under test runs
    in ``hv.netns`` (see :meth:`spawn`) with ``ovsdb_connection = <hv.db>`` in the
    ``[AGENT]`` section of its ``--config-file``; ``quantum-vif`` takes
    ``--ovsdb hv.db``.
    """

    session: Session
    name: str
    netns: Netns = field(init=False)
    dir: Path = field(init=False)
    underlay_ip: str | None = field(default=None, init=False)
    processes: list[Process] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.netns = Netns(self.session, self.name)
        self.dir = self.session.root / self.name

    @property
    def db(self) -> str:
        return f"unix:{self.dir}/db.sock"

    @property
    def rundir(self) -> Path:
        return self.dir

    @property
    def ctl(self) -> Path:
        return self.dir / "ovs-vswitchd.ctl"

    def ovs_env(self) -> dict[str, str]:
        where = str(self.dir)
        return self.session.env(OVS_RUNDIR=where, OVS_LOGDIR=where, OVS_DBDIR=where)

    # -- life cycle

    def up(self) -> Hypervisor:
        self.dir.mkdir(parents=True)
        self.netns.create()
        run(["ovsdb-tool", "create", str(self.dir / "conf.db"), str(OVS_SCHEMA)])
        self._start_ovsdb()
        self.vsctl(
            "--no-wait", "init", "--", "set", "Open_vSwitch", ".",
            f"external_ids:system-id={self.name}",
            f"external_ids:hostname={self.name}",
        )  # fmt: skip
        self._start_vswitchd()
        return self

    def _daemon(self, argv: Sequence[str]) -> None:
        run(["ip", "netns", "exec", self.netns.name, *argv], env=self.ovs_env())

    def _start_ovsdb(self) -> None:
        d = self.dir
        self._daemon(
            [
                "ovsdb-server", str(d / "conf.db"),
                f"--remote=punix:{d}/db.sock",
                "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
                f"--pidfile={d}/ovsdb-server.pid",
                f"--unixctl={d}/ovsdb-server.ctl",
                f"--log-file={d}/ovsdb-server.log",
                "--detach", "--no-chdir", "-vconsole:off",
            ]
        )  # fmt: skip

    def _start_vswitchd(self) -> None:
        d = self.dir
        self._daemon(
            [
                "ovs-vswitchd", self.db, "--disable-system",
                f"--pidfile={d}/ovs-vswitchd.pid",
                f"--unixctl={d}/ovs-vswitchd.ctl",
                f"--log-file={d}/ovs-vswitchd.log",
                "--detach", "--no-chdir", "-vconsole:off",
            ]
        )  # fmt: skip

    def daemon_pid(self, daemon: str) -> int | None:
        """The pid of ``daemon`` (ovs-vswitchd or ovsdb-server) if it runs."""
        pid = _read_pid(self.dir / f"{daemon}.pid")
        return pid if pid is not None and is_alive(pid) else None

    def _stop_daemon(self, daemon: str) -> None:
        pid = self.daemon_pid(daemon)
        if pid is None:
            return
        ctl = self.dir / f"{daemon}.ctl"
        run(["ovs-appctl", "-t", str(ctl), "-T", "5", "exit"], check=False)
        deadline = time.monotonic() + 5
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        stop_pid(pid)

    def stop_daemon(self, daemon: str) -> None:
        """Stop ``daemon`` (ovs-vswitchd or ovsdb-server) cleanly, as
        ``systemctl stop`` would; :meth:`start_daemon` starts it again."""
        self._stop_daemon(daemon)

    def start_daemon(self, daemon: str) -> None:
        start = {
            "ovsdb-server": self._start_ovsdb,
            "ovs-vswitchd": self._start_vswitchd,
        }
        start[daemon]()

    def crash(self, daemon: str = "ovs-vswitchd") -> None:
        """SIGKILL ``daemon``, as a crash would (its taps and pidfile stay)."""
        pid = self.daemon_pid(daemon)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not is_alive(pid), 5, message=f"{daemon} killed")

    def restart_ovs(self) -> None:
        """Stop and start both daemons on the same database, as a package upgrade
        or ``systemctl restart openvswitch-switch`` would."""
        for daemon in DAEMONS:
            self._stop_daemon(daemon)
        self._start_ovsdb()
        self._start_vswitchd()

    def down(self) -> None:
        """Stop everything of this hypervisor and remove its netns and directory."""
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        for daemon in DAEMONS:
            self._stop_daemon(daemon)
        # NOTE: deleting the netns also destroys the taps a crashed vswitchd left.
        self.netns.delete()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- tools

    def vsctl(self, *args: str, timeout: float = 10.0, check: bool = True) -> str:
        """``ovs-vsctl`` on this hypervisor's database; returns stdout, stripped.

        Without ``--no-wait`` it waits for ovs-vswitchd (at most ``timeout``).
        NOTE: ovs-vsctl exits 0 when a port could not be set up; check ``ofport``.
        """
        argv = ["ovs-vsctl", f"--db={self.db}", f"--timeout={max(1, int(timeout))}"]
        done = run([*argv, *args], timeout=timeout + 5, check=check, env=self.ovs_env())
        return done.stdout.strip()

    def ofctl(
        self, *args: str, protocol: str | None = "OpenFlow13", timeout: float = 10.0
    ) -> str:
        """``ovs-ofctl`` here; bridge names work (``OVS_RUNDIR`` is set)."""
        argv = ["ovs-ofctl", f"--timeout={max(1, int(timeout))}"]
        if protocol:
            argv += ["-O", protocol]
        return run([*argv, *args], timeout=timeout + 5, env=self.ovs_env()).stdout

    def appctl(
        self, *args: str, target: str = "ovs-vswitchd", timeout: float = 10.0
    ) -> str:
        ctl = self.dir / f"{target}.ctl"
        argv = ["ovs-appctl", "-t", str(ctl), "-T", str(max(1, int(timeout))), *args]
        return run(argv, timeout=timeout + 5, env=self.ovs_env()).stdout

    def exec(
        self, *argv: str, check: bool = True, timeout: float = 10.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the hypervisor's netns (with ``OVS_RUNDIR`` set)."""
        return self.netns.exec(*argv, check=check, timeout=timeout, env=self.ovs_env())

    def spawn(self, name: str, *argv: str, stdout_pipe: bool = False) -> Process:
        """Start a long-running process (an agent) in the hypervisor's netns; it is
        stopped by pid at :meth:`down`. Output goes to ``<session>/<hv>-<name>.log``.
        """
        process = self.netns.spawn(
            name, *argv, env=self.ovs_env(), stdout_pipe=stdout_pipe
        )
        self.processes.append(process)
        return process

    def forward_host_port(self, host_port: int, local_port: int | None = None) -> int:
        """Make ``127.0.0.1:local_port`` in this hypervisor lead to
        ``127.0.0.1:host_port`` in the root namespace, e.g. for an agent to reach
        a server the test runs. Returns the local port (default: ``host_port``).

        NOTE: a socat pair over a unix socket in the hypervisor's directory, so no
        interface gets an address and nothing is routed between namespaces. Its TCP
        ends set TCP_NODELAY, as http.client and the server do: otherwise a request
        whose headers and body come as two writes waits ~40 ms in the relay (Nagle
        against the delayed ACK), which bench/convergence.py would count.
        """
        local_port = local_port or host_port
        sock = self.dir / f"fwd-{host_port}.sock"
        relay = self.session.spawn(
            f"{self.name}-fwd-{host_port}",
            "socat", f"UNIX-LISTEN:{sock},fork,unlink-early",
            f"TCP:127.0.0.1:{host_port},nodelay",
        )  # fmt: skip
        self.processes.append(relay)
        wait_until(sock.exists, 5, 0.01, message=f"socat listens on {sock}")
        self.spawn(
            f"fwd-{local_port}",
            "socat", f"TCP-LISTEN:{local_port},bind=127.0.0.1,reuseaddr,fork,nodelay",
            f"UNIX-CONNECT:{sock}",
        )  # fmt: skip
        wait_until(
            lambda: f":{local_port} " in self.exec("ss", "-Hltn").stdout,
            5,
            0.01,
            message=f"socat listens on 127.0.0.1:{local_port} in {self.netns.name}",
        )
        return local_port

    def ofport(self, interface: str) -> int:
        """The Interface's ofport (-1 failed, 0/[] pending)."""
        value = self.vsctl("--no-wait", "get", "Interface", interface, "ofport")
        return int(value) if value.lstrip("-").isdigit() else 0

    def external_ids(self, interface: str) -> dict[str, str]:
        out = self.vsctl(
            "--no-wait", "--format=json", "--columns=external_ids",
            "list", "Interface", interface,
        )  # fmt: skip
        cell = json.loads(out)["data"][0][0]
        return {k: v for k, v in cell[1]}

    def links(self) -> list[str]:
        """Names of the links in the hypervisor's netns."""
        out = self.netns.ip("-o", "link", "show").stdout
        return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]

    # -- underlay

    def attach_underlay(self, ip: str, underlay: Underlay, prefixlen: int = 24) -> None:
        """Wire ``uplink`` into ``underlay`` and give ``br-phy`` the address ``ip``.

        Tunnel ports use ``local_ip=ip``; ovs-vswitchd learns the route to the
        other hypervisors from this netns (no ``ovs/route/add`` needed).
        """
        self.attach_wire(underlay, "uplink", "br-phy")
        self.vsctl("set", "Interface", "br-phy", f"mtu_request={underlay.mtu}")
        self.netns.ip("addr", "add", f"{ip}/{prefixlen}", "dev", "br-phy")
        self.netns.ip("link", "set", "br-phy", "up")
        self.underlay_ip = ip

    def attach_wire(self, underlay: Underlay, nic: str, bridge: str) -> None:
        """Wire ``nic`` into ``underlay`` and make it a port of the OVS bridge
        ``bridge`` (created if missing), as an operator does for the uplink of a
        physical network (``bridge_mappings``) or of the tunnel endpoint."""
        self.attach_nic(underlay, nic)
        self.vsctl(
            "--may-exist", "add-br", bridge,
            "--", "set", "Bridge", bridge, "datapath_type=netdev",
            "--", "add-port", bridge, nic,
        )  # fmt: skip

    def attach_nic(self, underlay: Underlay, nic: str) -> None:
        """A NIC ``nic`` of this hypervisor, up, cabled to ``underlay``."""
        peer = underlay.connect(self)
        mtu = str(underlay.mtu)
        run(
            [
                "ip", "-n", underlay.netns.name, "link", "add", peer, "mtu", mtu,
                "type", "veth", "peer", "name", nic, "mtu", mtu,
                "netns", self.netns.name,
            ]
        )  # fmt: skip
        underlay.netns.ip("link", "set", peer, "master", underlay.BRIDGE, "up")
        self.netns.ip("link", "set", nic, "up")


@dataclass
class Underlay:
    """The physical network between hypervisors: a Linux bridge in its own netns;
    its links, and the hypervisors' ends of them, have the MTU ``mtu``."""

    session: Session
    name: str = "ul"
    mtu: int = UNDERLAY_MTU
    BRIDGE = "ul-br"
    netns: Netns = field(init=False)

    def __post_init__(self) -> None:
        self.netns = Netns(self.session, self.name)

    def up(self) -> Underlay:
        self.netns.create()
        self.netns.ip("link", "add", self.BRIDGE, "type", "bridge")
        self.netns.ip("link", "set", self.BRIDGE, "mtu", str(self.mtu), "up")
        return self

    def connect(self, hv: Hypervisor) -> str:
        """The name of ``hv``'s port on the underlay bridge."""
        name = f"u-{hv.name}"
        if len(name) > 15:
            raise ValueError(f"hypervisor name {hv.name!r} too long for {name!r}")
        return name

    def down(self) -> None:
        self.netns.delete()


# --------------------------------------------------------------------------------- VM


@dataclass(frozen=True)
class Transfer:
    bytes: int
    seconds: float


@dataclass(frozen=True)
class PingResult:
    """What a :class:`PingStream` saw: echo requests sent, and the wall-clock time
    (``ping -D``) each answered one (by ``icmp_seq``) was answered at."""

    transmitted: int
    replies: dict[int, float]
    seconds: float
    interval: float

    @property
    def kept_sending(self) -> bool:
        """Whether ping sent at least half the requests its interval asks for
        (so that no loss is not just silence)."""
        return self.transmitted >= self.seconds / self.interval / 2

    @property
    def lost(self) -> list[int]:
        """Requests never answered, except the last one: it may still have been
        on the wire when the stream was stopped."""
        return [seq for seq in range(1, self.transmitted) if seq not in self.replies]

    def lost_after(self, when: float) -> list[int] | None:
        """Requests lost after the first reply at or after wall-clock ``when``
        (None: no reply that late, the stream fell silent or stalled)."""
        first = min(
            (seq for seq, at in self.replies.items() if at >= when), default=None
        )
        return None if first is None else [seq for seq in self.lost if seq > first]


class PingStream:
    """``ping -i INTERVAL`` running in a VM until :meth:`stop`."""

    REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+) ")
    SENT = re.compile(r"^(\d+) packets transmitted")

    def __init__(self, process: Process, interval: float) -> None:
        self.process = process
        self.interval = interval
        self.started = time.monotonic()

    def stop(self) -> PingResult:
        """SIGINT (ping prints its summary), then parse what it printed."""
        seconds = time.monotonic() - self.started
        self.process.popen.send_signal(signal.SIGINT)
        self.process.popen.wait(10)
        self.process.stop()
        transmitted = 0
        replies: dict[int, float] = {}
        for line in self.process.log.read_text().splitlines():
            if match := self.REPLY.match(line):
                replies.setdefault(int(match.group(2)), float(match.group(1)))
            elif match := self.SENT.match(line):
                transmitted = int(match.group(1))
        if not transmitted:
            raise RuntimeError(f"ping printed no summary: {self.process.log}")
        return PingResult(transmitted, replies, seconds, self.interval)


@dataclass
class VM:
    """A "VM": a netns whose NIC ``eth0`` is a veth plugged by ``quantum-vif``.

    ``ip`` is an interface address with its prefix (``10.1.0.11/24``) or None
    (the test configures the NIC itself, e.g. by DHCP).
    """

    session: Session
    name: str
    mac: str
    ip: str | None = None
    gateway: str | None = None
    ipv6: bool = False
    netns: Netns = field(init=False)
    hv: Hypervisor | None = field(default=None, init=False)
    device: str | None = field(default=None, init=False)
    processes: list[Process] = field(default_factory=list, init=False)
    _streams: int = field(default=0, init=False)

    NIC = "eth0"

    def __post_init__(self) -> None:
        self.netns = Netns(self.session, self.name)

    @property
    def address(self) -> str:
        assert self.ip is not None, f"{self.name} has no static address"
        return self.ip.split("/")[0]

    def create(self) -> VM:
        self.netns.create(ipv6=self.ipv6)
        return self

    def destroy(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.netns.delete()

    # -- plugging (the compute service's part)

    def quantum_vif(
        self, hv: Hypervisor, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``quantum-vif`` in ``hv``'s netns against ``hv``'s OVSDB."""
        return hv.exec(
            sys.executable, str(QUANTUM_VIF), *args, "--ovsdb", hv.db,
            check=check, timeout=30,
        )  # fmt: skip

    def plug(
        self,
        hv: Hypervisor,
        iface_id: str,
        *,
        instance_id: str | None = None,
        bridge: str | None = "br-int",
        device: str | None = None,
        configure: bool = True,
        extra: Sequence[str] = (),
    ) -> str:
        """Plug ``eth0`` into ``bridge`` on ``hv`` with ``iface_id``; configure it.
        ``extra``: more ``quantum-vif plug`` options (``--vif-type bridge``...).

        Returns the host-side device name (the OVS port).
        """
        args = [
            "plug", "--iface-id", iface_id, "--mac", self.mac,
            "--instance-id", instance_id or f"vm-{self.name}",
            "--netns", self.netns.name, "--peer", self.NIC, *extra,
        ]  # fmt: skip
        if bridge:
            args += ["--bridge", bridge]
        if device:
            args += ["--dev", device]
        out = self.quantum_vif(hv, *args).stdout
        self.hv = hv
        self.device = out.split()[1]
        if configure:
            self.configure()
        return self.device

    def unplug(self, *extra: str) -> str:
        """``quantum-vif unplug`` this VM's device (``extra``: more options); what
        it printed."""
        out = ""
        if self.hv is not None and self.device is not None:
            out = self.quantum_vif(
                self.hv, "unplug", "--dev", self.device, *extra
            ).stdout
        self.hv = self.device = None
        return out

    def configure(self) -> None:
        """What the guest does with its NIC: no TX checksum offload (veth +
        userspace datapath leaves TCP/UDP checksums unfilled), ARP retries every
        100 ms, the static address and default route."""
        self.netns.exec("ethtool", "-K", self.NIC, "tx", "off")
        self.netns.exec(
            "sysctl", "-qw", f"net.ipv4.neigh.{self.NIC}.retrans_time_ms=100"
        )
        if self.ip is not None:
            self.netns.ip("addr", "replace", self.ip, "dev", self.NIC)
        if self.gateway is not None:
            self.netns.ip("route", "replace", "default", "via", self.gateway)

    # -- traffic

    def exec(
        self, *argv: str, check: bool = True, timeout: float = 10.0
    ) -> subprocess.CompletedProcess[str]:
        return self.netns.exec(*argv, check=check, timeout=timeout)

    def ping(self, dst: str, count: int = 1, wait: float = 1.0) -> bool:
        done = self.exec(
            "ping", "-n", "-q", "-c", str(count), "-W", f"{wait:g}", "-i", "0.2", dst,
            check=False, timeout=count * (wait + 0.2) + 5,
        )  # fmt: skip
        return done.returncode == 0

    def start_pings(self, dst: str, interval: float = 0.01) -> PingStream:
        """Ping ``dst`` every ``interval`` seconds until the stream is stopped."""
        self._streams += 1
        process = self.netns.spawn(
            f"ping{self._streams}", "ping", "-n", "-D", "-i", f"{interval:g}", dst
        )
        self.processes.append(process)
        return PingStream(process, interval)

    def can_reach(self, dst: str, timeout: float = 10.0) -> bool:
        """Poll with single pings until one is answered (True) or ``timeout``."""
        try:
            wait_until(lambda: self.ping(dst, wait=0.5), timeout, interval=0.01)
        except TimeoutError:
            return False
        return True

    def cannot_reach(self, dst: str) -> bool:
        """True when two pings (1 s each) go unanswered: for negative checks."""
        return not self.ping(dst, count=2, wait=1.0)

    def serve_tcp(self, port: int = 5001) -> Process:
        """Start a TCP sink on ``port``: it answers each connection with the byte
        count and SHA-256 of what it received. Stopped at :meth:`destroy`."""
        process = self.netns.spawn(
            f"tcp{port}", sys.executable, str(TCP_TOOL), "serve",
            "--port", str(port),
            stdout_pipe=True,
        )  # fmt: skip
        self.processes.append(process)
        line = process.readline(timeout=10)
        if not line.startswith("ready"):
            process.stop()
            raise RuntimeError(f"TCP sink in {self.name} did not start: {line!r}")
        return process

    def tcp_transfer(
        self, dst: str, port: int = 5001, size: int = 1 << 20, timeout: float = 20.0
    ) -> Transfer:
        """Send ``size`` random bytes to ``dst:port`` (a :meth:`serve_tcp` sink);
        raise CommandFailed unless the sink got exactly them."""
        done = self.exec(
            sys.executable, str(TCP_TOOL), "send", dst,
            "--port", str(port), "--size", str(size), "--timeout", f"{timeout:g}",
            timeout=timeout + 5,
        )  # fmt: skip
        result = json.loads(done.stdout)
        return Transfer(bytes=result["bytes"], seconds=result["seconds"])


# -------------------------------------------------------------------------------- lab


class Lab:
    """Everything one test builds; :meth:`close` tears it down in reverse order."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._teardown: list[tuple[str, Callable[[], None]]] = []

    def _own(self, what: str, teardown: Callable[[], None]) -> None:
        self._teardown.append((what, teardown))

    def underlay(self, name: str = "ul", mtu: int = UNDERLAY_MTU) -> Underlay:
        underlay = Underlay(self.session, name, mtu)
        self._own(f"underlay {name}", underlay.down)
        return underlay.up()

    def hypervisor(
        self,
        name: str,
        *,
        underlay: Underlay | None = None,
        underlay_ip: str | None = None,
    ) -> Hypervisor:
        """A running hypervisor; with ``underlay`` it also gets its ``br-phy``."""
        hv = Hypervisor(self.session, name)
        self._own(f"hypervisor {name}", hv.down)
        hv.up()
        if underlay is not None:
            if underlay_ip is None:
                raise ValueError("an underlay needs underlay_ip")
            hv.attach_underlay(underlay_ip, underlay)
        return hv

    def vm(
        self,
        name: str,
        mac: str,
        ip: str | None = None,
        *,
        gateway: str | None = None,
        ipv6: bool = False,
    ) -> VM:
        """A VM namespace, not plugged yet (see :meth:`VM.plug`)."""
        vm = VM(self.session, name, mac, ip, gateway, ipv6)
        self._own(f"vm {name}", vm.destroy)
        return vm.create()

    def close(self) -> None:
        errors: list[str] = []
        while self._teardown:
            what, teardown = self._teardown.pop()
            try:
                teardown()
            except Exception as error:  # NOTE: tear down the rest, report at the end
                errors.append(f"{what}: {error!r}")
        if errors:
            raise RuntimeError("teardown failed: " + "; ".join(errors))


@contextlib.contextmanager
def lab(session: Session) -> Iterator[Lab]:
    the_lab = Lab(session)
    try:
        yield the_lab
    finally:
        the_lab.close()
