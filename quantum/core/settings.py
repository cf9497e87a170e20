# SPDX-License-Identifier: Apache-2.0
"""Service configuration: options declared once, read once, passed down as ``Settings``.

Options are declared with oslo.config (help text, types, defaults, sample generation)
on a private ``ConfigOpts``; nothing reads configuration globally. ``load_settings``
turns a quantum.conf into the frozen ``Settings`` every component receives.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from oslo_config import cfg

from quantum.core.exceptions import ConfigError

DEFAULT_API_WORKERS = 2
"""Measured on SQLite with 0, 1 and 2 (bench/README.md, "api_workers for SQLite"):
2 had the lowest write p99 at concurrency 8 in every run."""

OPTIONS: tuple[cfg.Opt, ...] = (
    cfg.HostAddressOpt(
        "bind_host",
        default="0.0.0.0",  # noqa: S104  # NOTE: a server listens on all addresses
        help="Address the API listens on.",
    ),
    cfg.PortOpt("bind_port", default=9696, help="TCP port the API listens on."),
    cfg.IntOpt(
        "api_workers",
        default=DEFAULT_API_WORKERS,
        min=0,
        help="API worker processes. 0 serves from the main process; N>0 forks N "
        "workers sharing the listening socket. Default: 2 (measured best for "
        "SQLite's write tail latency, bench/README.md), 0 with core_plugin = fake "
        "(its store lives in each process).",
    ),
    cfg.StrOpt(
        "core_plugin",
        default="sql",
        help="The plugin that implements the logical model: a short alias "
        "(fake, sql, openvswitch) or a dotted path 'package.module:Class'.",
    ),
    cfg.StrOpt(
        "service_plugins",
        default="",
        help="Service plugins that add services beside the core plugin's "
        "(routers, load balancers...): comma-separated aliases or dotted paths "
        "'package.module:Class'.",
    ),
    cfg.StrOpt(
        "core_plugin_config",
        default="",
        help="The core plugin's own ini file; relative to the directory of "
        "quantum.conf. Empty means the plugin's standard file (openvswitch: "
        "quantum/plugins/openvswitch/ovs_quantum_plugin.ini or "
        "plugins/openvswitch/ovs_quantum_plugin.ini beside quantum.conf, then "
        "/etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini).",
    ),
    cfg.StrOpt(
        "state_path",
        default="/var/lib/quantum",
        help="Directory for the service's own state (the SQLite file by default). "
        "A relative path is relative to the working directory.",
    ),
    cfg.StrOpt(
        "sql_connection",
        default="",
        secret=True,
        help="SQLAlchemy URL of the store. Empty means "
        "sqlite:///$state_path/quantum.sqlite. Examples: "
        "postgresql+psycopg2://user@host/quantum, "
        "mysql+pymysql://user@host/quantum?charset=utf8mb4.",
    ),
    cfg.IntOpt("sql_pool_size", default=5, min=1, help="Connections kept per process."),
    cfg.StrOpt(
        "api_paste_config",
        default="api-paste.ini",
        help="Paste deployment file; relative to the directory of quantum.conf.",
    ),
    cfg.IntOpt(
        "max_request_body_size",
        default=114688,
        min=1,
        help="Largest request body accepted, in bytes; larger bodies get 413.",
    ),
    cfg.StrOpt(
        "api_extensions_path",
        default="",
        help="Colon-separated directories searched for API extensions.",
    ),
    cfg.IntOpt(
        "max_client_connections",
        default=4096,
        min=1,
        help="Client connections one serving process (each of api_workers) holds "
        "at once. At the limit, a new connection makes the process close the "
        "connection that has waited longest for a request (an idle keep-alive or "
        "one still sending its headers); connections being served are never "
        "closed. Lowered at start to what the file descriptor limit allows.",
    ),
    cfg.FloatOpt(
        "client_header_timeout",
        default=5.0,
        min=0.1,
        help="Seconds a client has to send a request's line and headers, from "
        "opening the connection (or from the request's first byte on a kept-alive "
        "one); a slower client is disconnected.",
    ),
    cfg.FloatOpt(
        "client_body_timeout",
        default=10.0,
        min=0.1,
        help="Seconds a client has to send a request's body once its headers are "
        "in (a slower one gets 408 and is disconnected); also the longest a client "
        "may leave the server waiting while it writes a response.",
    ),
    cfg.FloatOpt(
        "client_idle_timeout",
        default=30.0,
        min=0.1,
        help="Seconds a kept-alive connection may wait for its next request "
        "before the server closes it.",
    ),
    cfg.IntOpt(
        "shutdown_timeout",
        default=30,
        min=0,
        help="Seconds a worker waits for in-flight requests after SIGTERM.",
    ),
    cfg.StrOpt(
        "agent_secret",
        default="",
        secret=True,
        help="Shared secret agents send in X-Quantum-Agent-Secret to use the agent "
        "API (/agent/v1). Empty refuses every agent request (403).",
    ),
    cfg.IntOpt(
        "agent_down_time",
        default=75,
        min=1,
        help="Seconds after its last heartbeat an agent counts as dead "
        "(/v2.0/agents shows alive: false). Nothing is torn down: other hosts keep "
        "their tunnels to it until an admin deletes the agent.",
    ),
    cfg.IntOpt(
        "global_physnet_mtu",
        default=1500,
        min=68,
        help="MTU of the physical networks and of the tunnel underlay, in bytes. A "
        "network's mtu is this minus its type's encapsulation overhead (vxlan 50, "
        "gre 42, vlan/flat/local 0).",
    ),
    cfg.IntOpt(
        "agent_max_wait",
        default=30,
        min=0,
        help="Longest an agent API long-poll (GET /agent/v1/changes?wait=S) is "
        "held, in seconds; a longer wait is cut to this.",
    ),
    cfg.BoolOpt(
        "allow_overlapping_ips",
        default=False,
        help="Let subnets of different networks overlap (tenants may reuse "
        "10.0.0.0/24). Off: a subnet's CIDR may not overlap any other subnet's.",
    ),
    cfg.IntOpt(
        "max_dns_nameservers",
        default=5,
        min=0,
        help="Most DNS name servers a subnet may carry.",
    ),
    cfg.IntOpt(
        "max_subnet_host_routes",
        default=20,
        min=0,
        help="Most host routes a subnet may carry.",
    ),
    cfg.IntOpt(
        "max_routes",
        default=30,
        min=0,
        help="Most extra routes a router may carry (the extraroute extension).",
    ),
    cfg.IntOpt(
        "max_fixed_ips_per_port",
        default=5,
        min=1,
        help="Most fixed IPs one port may hold.",
    ),
    cfg.IntOpt(
        "max_allowed_address_pair",
        default=10,
        min=0,
        help="Most allowed address pairs one port may hold.",
    ),
    cfg.IntOpt(
        "dhcp_lease_duration",
        default=120,
        min=0,
        help="Seconds a released pool address stays held (not handed out again) "
        "after its port is deleted or its fixed_ips no longer list it: the DHCP lease "
        "the VM may still use. 0 frees addresses at once.",
    ),
    cfg.IntOpt(
        "dhcp_agents_per_network",
        default=1,
        min=1,
        help="DHCP agents serving each network that has a DHCP-enabled subnet, "
        "chosen among the live, enabled ones, least loaded first. Two give two "
        "dnsmasq handing out the same leases. A network whose agent is dead for "
        "agent_down_time moves to another live agent.",
    ),
    cfg.StrOpt(
        "auth_strategy",
        default="noauth",
        choices=("noauth", "keystone"),
        help="noauth: trust the tenant in the URL (v1) or X-Project-Id (v2.0), for "
        "development. keystone: validate X-Auth-Token with keystonemiddleware's "
        "auth_token, configured in [keystone_authtoken].",
    ),
    cfg.StrOpt(
        "policy_file",
        default="",
        help="Authorization rules (oslo.policy YAML or JSON) overriding the "
        "built-in defaults; relative to the directory of quantum.conf. Empty means "
        "the built-in defaults alone.",
    ),
    cfg.BoolOpt(
        "rate_limit_enabled",
        default=False,
        help="Limit each tenant's (else each client address's) request rate per "
        "HTTP verb with token buckets; over the limit gets the version's "
        "over-limit fault (v1: 413 with Retry-After).",
    ),
    cfg.StrOpt(
        "rate_limits",
        default="GET:20:40,POST:5:10,PUT:5:10,DELETE:5:10",
        help="Comma-separated VERB:RATE:BURST: a bucket of BURST requests per "
        "tenant and verb, refilled at RATE requests per second. HEAD counts as GET; "
        "'*' covers unlisted verbs; a verb not covered is not limited.",
    ),
    cfg.StrOpt(
        "base_mac",
        default="fa:16:3e:00:00:00",
        help="MAC prefix of v2 ports: octets 1-3 (and 4 when not 00) are kept, the "
        "rest is random. Must be a unicast address.",
    ),
    cfg.IntOpt(
        "mac_generation_retries",
        default=16,
        min=1,
        help="Random MACs tried on a network before a port create fails with 503.",
    ),
    cfg.IntOpt(
        "pagination_max_limit",
        default=1000,
        help="Largest page a v2 list returns; a larger (or no) limit is cut to it "
        "and the answer carries a next link. Negative: no maximum.",
    ),
    cfg.StrOpt(
        "credential_key",
        default="",
        secret=True,
        help="Comma-separated Fernet keys encrypting the passwords of the "
        "credentials extension at rest; the first encrypts, all decrypt. Empty "
        "turns the credentials extension off.",
    ),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.BoolOpt("verbose", default=False, help="Log at INFO level (else WARNING)."),
    cfg.StrOpt("log_file", help="Log to this file instead of stderr."),
)


QUOTA_GROUP = "QUOTAS"
QUOTA_OPTIONS: tuple[cfg.Opt, ...] = (
    cfg.IntOpt(
        "quota_network",
        default=10,
        help="Networks a tenant may own unless an admin set its own limit; "
        "negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_subnet",
        default=10,
        help="Subnets a tenant may own (likewise); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_port",
        default=50,
        help="Ports a tenant may own (likewise); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_router",
        default=10,
        help="Routers a tenant may own (likewise); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_floatingip",
        default=50,
        help="Floating IPs a tenant may own (likewise); negative: unlimited.",
    ),
    # -- security groups (security-group) --
    cfg.IntOpt(
        "quota_security_group",
        default=10,
        help="Security groups a tenant may own (likewise; its default group "
        "counts); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_security_group_rule",
        default=100,
        help="Security group rules a tenant may own (likewise; its groups' "
        "own rules count); negative: unlimited.",
    ),
    # -- load balancing (lbaas) --
    cfg.IntOpt(
        "quota_vip",
        default=10,
        help="Load-balancer VIPs a tenant may own (likewise; with "
        "service_plugins = lbaas); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_pool",
        default=10,
        help="Load-balancer pools a tenant may own (likewise; with "
        "service_plugins = lbaas); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_member",
        default=-1,
        help="Load-balancer pool members a tenant may own (likewise; with "
        "service_plugins = lbaas); negative: unlimited.",
    ),
    cfg.IntOpt(
        "quota_health_monitor",
        default=-1,
        help="Load-balancer health monitors a tenant may own (likewise; with "
        "service_plugins = lbaas); negative: unlimited.",
    ),
)
"""``[QUOTAS]``: the default per-tenant limits of the v2 API."""

BASE_MAC = re.compile(r"^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a server process needs, resolved (no placeholders left)."""

    bind_host: str = "0.0.0.0"  # noqa: S104
    bind_port: int = 9696
    api_workers: int = DEFAULT_API_WORKERS
    """Unless set; ``load_settings`` makes it 0 for the
    fake plugin."""
    core_plugin: str = "sql"
    core_plugin_config: str = ""
    service_plugins: str = ""
    state_path: str = "/var/lib/quantum"
    sql_connection: str = ""
    sql_pool_size: int = 5
    api_paste_config: str = "api-paste.ini"
    max_request_body_size: int = 114688
    api_extensions_path: str = ""
    max_client_connections: int = 4096
    client_header_timeout: float = 5.0
    client_body_timeout: float = 10.0
    client_idle_timeout: float = 30.0
    shutdown_timeout: int = 30
    agent_secret: str = ""
    agent_down_time: int = 75
    global_physnet_mtu: int = 1500
    agent_max_wait: int = 30
    base_mac: str = "fa:16:3e:00:00:00"
    mac_generation_retries: int = 16
    pagination_max_limit: int = 1000
    quota_network: int = 10
    quota_subnet: int = 10
    quota_port: int = 50
    quota_router: int = 10
    quota_floatingip: int = 50
    quota_security_group: int = 10
    quota_security_group_rule: int = 100
    quota_vip: int = 10
    quota_pool: int = 10
    quota_member: int = -1
    quota_health_monitor: int = -1
    max_allowed_address_pair: int = 10
    allow_overlapping_ips: bool = False
    max_dns_nameservers: int = 5
    max_subnet_host_routes: int = 20
    max_routes: int = 30
    max_fixed_ips_per_port: int = 5
    dhcp_lease_duration: int = 120
    dhcp_agents_per_network: int = 1
    auth_strategy: str = "noauth"
    policy_file: str = ""
    rate_limit_enabled: bool = False
    rate_limits: str = "GET:20:40,POST:5:10,PUT:5:10,DELETE:5:10"
    credential_key: str = ""
    debug: bool = False
    verbose: bool = False
    log_file: str | None = None
    config_file: str | None = None

    @property
    def database_url(self) -> str:
        if self.sql_connection:
            return self.sql_connection
        return f"sqlite:///{Path(self.state_path).absolute() / 'quantum.sqlite'}"

    @property
    def paste_config_path(self) -> Path:
        path = Path(self.api_paste_config)
        if not path.is_absolute() and self.config_file:
            path = Path(self.config_file).parent / path
        return path

    @property
    def policy_path(self) -> Path | None:
        if not self.policy_file:
            return None
        path = Path(self.policy_file)
        if not path.is_absolute() and self.config_file:
            path = Path(self.config_file).parent / path
        return path

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]  # NOTE: dataclass fields


def _register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(list(OPTIONS))
    conf.register_opts(list(QUOTA_OPTIONS), group=QUOTA_GROUP)


def load_settings(
    config_file: str | os.PathLike[str] | None, args: Sequence[str] = ()
) -> Settings:
    """Read quantum.conf (and command-line overrides) into ``Settings``.

    Raises ConfigError naming the file or option when the configuration is unusable.
    """
    conf = cfg.ConfigOpts()
    _register(conf)
    files = []
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(reason=f"Configuration file {path} does not exist")
        files.append(str(path))
    try:
        conf(list(args), project="quantum", default_config_files=files)
        values = {opt.dest: conf[opt.dest] for opt in OPTIONS}
        values.update({opt.dest: conf[QUOTA_GROUP][opt.dest] for opt in QUOTA_OPTIONS})
    except (cfg.Error, ValueError) as exc:
        raise ConfigError(reason=f"Invalid configuration: {exc}") from exc
    if not BASE_MAC.match(values["base_mac"]):
        raise ConfigError(
            reason=f"base_mac = {values['base_mac']} in [DEFAULT] is not a unicast "
            "MAC address (xx:xx:xx:xx:xx:xx with an even first octet)"
        )
    if values["core_plugin"].strip() == "fake" and _unset(conf, "api_workers"):
        # NOTE: the fake plugin's store is an in-memory database per process: with
        # workers, each would answer from its own.
        values["api_workers"] = 0
    return Settings(config_file=files[0] if files else None, **values)


def _unset(conf: cfg.ConfigOpts, name: str) -> bool:
    """Whether the option has its declared default (no file or argument set it)."""
    where = conf.get_location(name)
    return where is None or where.location == cfg.Locations.opt_default


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """For oslo-config-generator: the options of quantum.conf."""
    return [("DEFAULT", list(OPTIONS)), (QUOTA_GROUP, list(QUOTA_OPTIONS))]
