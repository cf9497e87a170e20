# SPDX-License-Identifier: Apache-2.0
"""Choose and build the core plugin named by ``core_plugin``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import cast

from quantum.core.exceptions import ConfigError
from quantum.core.settings import Settings
from quantum.plugins.interface import CorePlugin

PluginFactory = Callable[[Settings], CorePlugin]

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


def available_aliases() -> list[str]:
    names = set(BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def _import(path: str) -> object:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"{path!r} is not 'package.module:Class'")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def _resolve(name: str) -> object:
    if name in BUILTIN:
        return _import(BUILTIN[name])
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
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
    return cast(PluginFactory, factory)(settings)
