# SPDX-License-Identifier: Apache-2.0
"""Choose and build the core plugin named by ``core_plugin``, and the service
plugins named by ``service_plugins``: each an alias (built in, or registered by an
installed package's entry point) or a dotted path ``package.module:Class``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from quantum.core.exceptions import ConfigError
from quantum.core.settings import Settings
from quantum.plugins.interface import CorePlugin, CoreServices, ServicePlugin

PluginFactory = Callable[[Settings], CorePlugin]
ServicePluginFactory = Callable[[Settings, CorePlugin], ServicePlugin]

BUILTIN: dict[str, str] = {
    "fake": "quantum.plugins.fake:FakePlugin",
    "openvswitch": "quantum.plugins.openvswitch.plugin:OpenVSwitchPlugin",
    "sql": "quantum.plugins.sql:SqlPlugin",
}
"""Short aliases shipped with Quantum; installed packages add more through the
``quantum.core_plugins`` entry-point group."""

ENTRY_POINT_GROUP = "quantum.core_plugins"

CONTRACT = tuple(
    name
    for name in vars(CorePlugin)
    if not name.startswith("_") and name != "supported_extension_aliases"
)
"""Methods a plugin class must define (its aliases may be set per instance)."""


SERVICE_BUILTIN: dict[str, str] = {
    "router": "quantum.plugins.l3.plugin:L3Plugin",
    "lbaas": "quantum.plugins.lbaas.plugin:LbaasPlugin",
}
"""Service plugins shipped with Quantum (``router``: routers and floating IPs;
``lbaas``: load balancing);
installed packages add more through ``quantum.service_plugins``."""

SERVICE_ENTRY_POINT_GROUP = "quantum.service_plugins"

CORE_SERVICES = ("networks", "subnets", "ports", "quotas")


def available_aliases() -> list[str]:
    names = set(BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def available_service_aliases() -> list[str]:
    names = set(SERVICE_BUILTIN)
    names.update(ep.name for ep in entry_points(group=SERVICE_ENTRY_POINT_GROUP))
    return sorted(names)


def _import(path: str) -> object:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"{path!r} is not 'package.module:Class'")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def _resolve(
    name: str, builtin: dict[str, str] = BUILTIN, group: str = ENTRY_POINT_GROUP
) -> object:
    if name in builtin:
        return _import(builtin[name])
    for ep in entry_points(group=group, name=name):
        return ep.load()
    return _import(name)


def load_plugin(settings: Settings) -> CorePlugin:
    """Build the configured plugin; a ConfigError names the option and the choices."""
    name = settings.core_plugin.strip()
    choices = ", ".join(available_aliases())
    try:
        factory = _resolve(name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            reason=f"core_plugin = {name!r} in [DEFAULT] cannot be loaded ({exc}). "
            f"Choose one of: {choices}, or a dotted path 'package.module:Class'."
        ) from exc
    missing = [m for m in CONTRACT if not hasattr(factory, m)]
    if not callable(factory) or missing:
        raise ConfigError(
            reason=f"core_plugin = {name!r} does not implement the plugin contract "
            f"(quantum.plugins.interface.CorePlugin); missing: {', '.join(missing)}."
        )
    plugin = cast(PluginFactory, factory)(settings)
    if not isinstance(plugin, CoreServices):
        plugin.close()
        raise ConfigError(
            reason=f"core_plugin = {name!r} does not offer the core services "
            "(quantum.plugins.interface.CoreServices: networks, subnets, ports, "
            "quotas)."
        )
    return plugin


def load_service_plugins(
    settings: Settings, core: CorePlugin
) -> tuple[list[ServicePlugin], dict[str, object]]:
    """Build the configured service plugins over ``core``; with them, every service
    by name (the core's first). A ConfigError names the option and the choices; the
    plugins built before it are closed."""
    names = [n.strip() for n in settings.service_plugins.split(",") if n.strip()]
    choices = ", ".join(available_service_aliases()) or "(none built in)"
    services: dict[str, object] = {n: getattr(core, n) for n in CORE_SERVICES}
    plugins: list[ServicePlugin] = []
    try:
        for name in names:
            plugin = _service_plugin(settings, core, name, choices)
            plugins.append(plugin)
            for service_name, service in plugin.services().items():
                if service_name in services:
                    raise ConfigError(
                        reason=f"service_plugins = {name!r} in [DEFAULT] offers "
                        f"{service_name!r}, which another plugin already offers."
                    )
                services[service_name] = service
    except BaseException:
        for plugin in plugins:
            plugin.close()
        raise
    return plugins, services


def _service_plugin(
    settings: Settings, core: CorePlugin, name: str, choices: str
) -> ServicePlugin:
    try:
        factory = _resolve(name, SERVICE_BUILTIN, SERVICE_ENTRY_POINT_GROUP)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            reason=f"service_plugins = {name!r} in [DEFAULT] cannot be loaded "
            f"({exc}). Choose among: {choices}, or dotted paths "
            "'package.module:Class'."
        ) from exc
    contract = ("services", "close")
    missing = [m for m in contract if not hasattr(factory, m)]
    if not callable(factory) or missing:
        raise ConfigError(
            reason=f"service_plugins = {name!r} does not implement the service "
            "plugin contract (quantum.plugins.interface.ServicePlugin); missing: "
            f"{', '.join(missing) or 'a constructor'}."
        )
    return cast(ServicePluginFactory, factory)(settings, core)
