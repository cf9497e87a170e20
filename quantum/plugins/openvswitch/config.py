# SPDX-License-Identifier: Apache-2.0
"""The Open vSwitch plugin's own file, ``ovs_quantum_plugin.ini``, and its options.

The file is ``core_plugin_config`` from quantum.conf when set, else the first that
exists of ``quantum/plugins/openvswitch/ovs_quantum_plugin.ini`` and
``plugins/openvswitch/ovs_quantum_plugin.ini`` beside quantum.conf, then
``/etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini``. With none, the server
does not start (networks would silently be ``local``). The agents read the same file
for their own sections; options they add do not disturb this reader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from oslo_config import cfg

from quantum.core.exceptions import ConfigError
from quantum.core.networks import NetworkType
from quantum.core.settings import Settings
from quantum.plugins.openvswitch.segments import (
    GRE_KEYS,
    SegmentConfig,
    parse_tunnel_ranges,
    parse_vlan_ranges,
)

LOG = logging.getLogger(__name__)
T = TypeVar("T")

GROUP = "OVS"
INI_NAME = "ovs_quantum_plugin.ini"
SYSTEM_INI = Path("/etc/quantum/plugins/openvswitch") / INI_NAME

OPTIONS: tuple[cfg.Opt, ...] = (
    cfg.StrOpt(
        "tenant_network_type",
        default="local",
        help="Network type of every network a tenant creates: local (one host "
        "only, no id), vlan (an id from network_vlan_ranges), gre or vxlan (a "
        "tunnel key from tunnel_id_ranges).",
    ),
    cfg.ListOpt(
        "network_vlan_ranges",
        default=[],
        help="Comma-separated physnet:min:max (VLAN ids 1-4094) or bare physnet "
        "names. Tenant VLAN networks take the lowest free id of the first physical "
        "network with one; a name may repeat to give it several ranges.",
    ),
    cfg.ListOpt(
        "tunnel_id_ranges",
        default=[],
        help="Comma-separated min:max tunnel keys for gre and vxlan tenant networks "
        "(1-4294967295; vxlan 1-16777215). GRE and VXLAN share the keys.",
    ),
)


def candidates(settings: Settings) -> list[Path]:
    """Where the file is looked for when ``core_plugin_config`` is empty."""
    found = []
    if settings.config_file:
        here = Path(settings.config_file).parent
        found.append(here / "quantum" / "plugins" / "openvswitch" / INI_NAME)
        found.append(here / "plugins" / "openvswitch" / INI_NAME)
    found.append(SYSTEM_INI)
    return found


def ini_path(settings: Settings) -> Path | None:
    """The plugin's ini file, or None when none exists at the standard places."""
    if settings.core_plugin_config:
        path = Path(settings.core_plugin_config)
        if not path.is_absolute() and settings.config_file:
            path = Path(settings.config_file).parent / path
        if not path.is_file():
            raise ConfigError(
                reason=f"core_plugin_config = {settings.core_plugin_config} in "
                f"[DEFAULT]: {path} does not exist"
            )
        return path
    return next((p for p in candidates(settings) if p.is_file()), None)


def _option(path: Path, name: str, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except (cfg.Error, ValueError) as error:
        raise ConfigError(reason=f"{name} in [{GROUP}] of {path}: {error}") from error


def _tenant_network_type(value: str) -> NetworkType:
    # NOTE: flat is for provider networks only (one per physical network).
    choices = {t.value: t for t in NetworkType if t is not NetworkType.FLAT}
    kind = choices.get(value.strip().lower())
    if kind is None:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return kind


def read(path: Path) -> SegmentConfig:
    """Parse the ``[OVS]`` options of ``path``. Raises ConfigError naming the option."""
    conf = cfg.ConfigOpts()
    conf.register_opts(list(OPTIONS), group=GROUP)
    try:
        conf(
            [],
            project="quantum",
            prog="quantum-server",
            default_config_files=[str(path)],
            default_config_dirs=[],
        )
    except (cfg.Error, ValueError) as error:
        raise ConfigError(reason=f"Invalid configuration in {path}: {error}") from error
    group = conf[GROUP]
    kind = _option(
        path,
        "tenant_network_type",
        lambda: _tenant_network_type(group.tenant_network_type),
    )
    vlans = _option(
        path,
        "network_vlan_ranges",
        lambda: parse_vlan_ranges(group.network_vlan_ranges),
    )
    tunnels = _option(
        path,
        "tunnel_id_ranges",
        lambda: parse_tunnel_ranges(group.tunnel_id_ranges, GRE_KEYS),
    )
    try:
        return SegmentConfig(
            tenant_network_type=kind, vlan_ranges=vlans, tunnel_ranges=tunnels
        )
    except ValueError as error:
        raise ConfigError(reason=f"[{GROUP}] of {path}: {error}") from error


def load(settings: Settings) -> SegmentConfig:
    """The plugin's segment configuration, from its ini file.

    Raises ConfigError naming the places looked at when there is none: without it
    every network would silently be ``local`` (one host only).
    """
    path = ini_path(settings)
    if path is None:
        raise ConfigError(
            reason=f"core_plugin = openvswitch needs {INI_NAME}, and there is none "
            f"at {', '.join(str(p) for p in candidates(settings))}: copy "
            "etc/quantum/plugins beside quantum.conf, or set core_plugin_config "
            "in [DEFAULT]"
        )
    LOG.info("openvswitch plugin configuration: %s", path)
    return read(path)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """For oslo-config-generator: the options of ovs_quantum_plugin.ini."""
    return [(GROUP, list(OPTIONS))]
