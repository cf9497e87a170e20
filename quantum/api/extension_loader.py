# SPDX-License-Identifier: Apache-2.0
"""Find the extensions on disk and build the registry one plugin exposes.

Search order: each directory of ``api_extensions_path`` (colon-separated; relative
paths are relative to the working directory), then the built-in ``quantum/extensions``
package. In each directory every ``*.py`` file whose name does not start with ``_`` is
an extension module. A v2 one declares ``EXTENSION``, a v2 ``Extension``
(``quantum.api.v2.attributes``: resources and fields added to existing resources),
exactly as the modules of ``quantum/api/v2/extensions/`` do; v2.0 serves it when its
alias is enabled (``quantum.api.v2.catalog``). Any other must define a class named
like the file with its first letter upper-cased (``qos.py`` -> ``Qos``) having the
five descriptor methods; the class is instantiated without arguments.

A module that does not import, lacks that class or those methods, or repeats an alias
another module already has stops the start-up with a ``ConfigError`` naming the file
(the server prints it on one line and exits 2). Of the rest, an extension is exposed
only when the plugin lists its alias in ``supported_extension_aliases`` and has every
public name of its ``get_plugin_interface()`` (when it declares one).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from quantum.api.extensions import (
    ActionExtension,
    Extension,
    ExtensionDescriptor,
    ExtensionRegistry,
    RequestExtension,
    ResourceExtension,
    describe,
)
from quantum.api.v2.attributes import Extension as V2Extension
from quantum.api.v2.extensions import EXTENSIONS as V2_BUILTIN
from quantum.core.exceptions import ConfigError

LOG = logging.getLogger(__name__)

BUILTIN_PACKAGE = "quantum.extensions"
"""The package whose modules are the extensions shipped with Quantum (v1)."""

DESCRIPTOR_METHODS = (
    "get_name",
    "get_alias",
    "get_description",
    "get_namespace",
    "get_updated",
)


@dataclass(frozen=True, slots=True)
class Found:
    """One extension module loaded from disk."""

    source: Path
    extension: Extension | None
    """The v1 extension (None for a v2 module)."""
    descriptor: ExtensionDescriptor
    v2: V2Extension | None = None
    """The module's ``EXTENSION``, for a v2 module."""


def search_path(api_extensions_path: str, builtin: str = BUILTIN_PACKAGE) -> list[Path]:
    """The directories to search, in order: the configured ones, then ``builtin``'s."""
    dirs = [Path(p) for p in api_extensions_path.split(":") if p.strip()]
    package = importlib.import_module(builtin)
    dirs.extend(Path(p) for p in package.__path__)
    return dirs


def _import(path: Path, builtin_dirs: dict[Path, str]) -> ModuleType:
    package = builtin_dirs.get(path.parent.resolve())
    if package is not None:
        return importlib.import_module(f"{package}.{path.stem}")
    # NOTE: a stable, unique module name per file, so two directories may both hold
    # a ``qos.py`` (and then fail as duplicates by alias, not by module name).
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"quantum_api_extension_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _load_file(path: Path, builtin_dirs: dict[Path, str]) -> Found:
    hint = "fix it or remove it from api_extensions_path"
    try:
        module = _import(path, builtin_dirs)
    except Exception as error:  # noqa: BLE001  # NOTE: any import failure is reported
        raise ConfigError(
            reason=f"API extension {path} cannot be imported ({_one_line(error)}); "
            f"{hint}"
        ) from error
    declared = getattr(module, "EXTENSION", None)
    if isinstance(declared, V2Extension):
        return Found(path, None, declared.descriptor, declared)
    class_name = path.stem[:1].upper() + path.stem[1:]
    factory = getattr(module, class_name, None)
    if factory is None or not callable(factory):
        raise ConfigError(
            reason=f"API extension {path} defines no class {class_name}; {hint}"
        )
    try:
        extension = factory()
    except Exception as error:  # noqa: BLE001
        raise ConfigError(
            reason=f"API extension {path}: {class_name}() failed "
            f"({_one_line(error)}); {hint}"
        ) from error
    missing = [
        m for m in DESCRIPTOR_METHODS if not callable(getattr(extension, m, None))
    ]
    if missing:
        raise ConfigError(
            reason=f"API extension {path}: {class_name} lacks {', '.join(missing)}; "
            f"{hint}"
        )
    try:
        descriptor = describe(extension)
    except Exception as error:  # noqa: BLE001
        raise ConfigError(
            reason=f"API extension {path}: its descriptor failed "
            f"({_one_line(error)}); {hint}"
        ) from error
    return Found(path, extension, descriptor)


def discover(dirs: Sequence[Path], builtin: str = BUILTIN_PACKAGE) -> list[Found]:
    """Load every extension module of ``dirs``; raise ConfigError on a broken one or
    on an alias two modules share."""
    package = importlib.import_module(builtin)
    builtin_dirs = {Path(p).resolve(): builtin for p in package.__path__}
    found: list[Found] = []
    by_alias: dict[str, Path] = {}
    builtin_v2 = {e.descriptor.alias for e in V2_BUILTIN}
    seen: set[Path] = set()
    for directory in dirs:
        if not directory.is_dir():
            raise ConfigError(
                reason=f"api_extensions_path names {directory}, which is not a "
                "directory"
            )
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_") or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            item = _load_file(path, builtin_dirs)
            alias = item.descriptor.alias
            if alias in by_alias:
                raise ConfigError(
                    reason=f"API extensions {by_alias[alias]} and {path} both have "
                    f"the alias {alias!r}; remove one of them"
                )
            if item.v2 is not None and alias in builtin_v2:
                raise ConfigError(
                    reason=f"API extension {path} has the alias {alias!r}, which a "
                    "built-in v2 extension has; rename it"
                )
            by_alias[alias] = path
            found.append(item)
    return found


def missing_interface(plugin: object, interface: type) -> list[str]:
    """The public names of ``interface`` the plugin lacks."""
    names = {
        n
        for n in (*vars(interface), *getattr(interface, "__annotations__", {}))
        if not n.startswith("_")
    }
    return sorted(n for n in names if getattr(plugin, n, None) is None)


def _optional(extension: Extension, method: str, *args: Any) -> tuple[Any, ...]:
    fn = getattr(extension, method, None)
    return tuple(fn(*args)) if callable(fn) else ()


def build_registry(plugin: Any, found: Sequence[Found]) -> ExtensionRegistry:
    """The registry of what ``plugin`` supports among ``found``."""
    wanted = set(getattr(plugin, "supported_extension_aliases", ()) or ())
    descriptors: list[ExtensionDescriptor] = []
    resources: list[ResourceExtension] = []
    actions: list[ActionExtension] = []
    request_exts: list[RequestExtension] = []
    sources: dict[str, str] = {}
    apis: dict[str, frozenset[str]] = {}
    for item in found:
        alias = item.descriptor.alias
        if item.extension is None or alias not in wanted:
            continue
        interface_of = getattr(item.extension, "get_plugin_interface", None)
        interface = interface_of() if callable(interface_of) else None
        if interface is not None:
            lacking = missing_interface(plugin, interface)
            if lacking:
                LOG.warning(
                    "extension %r not exposed: the plugin lacks %s",
                    alias,
                    ", ".join(lacking),
                )
                continue
        descriptors.append(item.descriptor)
        sources[alias] = str(item.source)
        apis_of = getattr(item.extension, "get_apis", None)
        apis[alias] = frozenset(apis_of() if callable(apis_of) else ("v1",))
        resources.extend(_optional(item.extension, "get_resources", plugin))
        actions.extend(_optional(item.extension, "get_actions", plugin))
        request_exts.extend(_optional(item.extension, "get_request_extensions", plugin))
        LOG.info("extension %r loaded from %s", alias, item.source)
    return ExtensionRegistry(
        descriptors=tuple(descriptors),
        resources=tuple(resources),
        actions=tuple(actions),
        request_extensions=tuple(request_exts),
        sources=sources,
        apis=apis,
        v2=tuple(item.v2 for item in found if item.v2 is not None),
    )


def load_registry(
    plugin: Any, api_extensions_path: str, builtin: str = BUILTIN_PACKAGE
) -> ExtensionRegistry:
    """Discover (api_extensions_path, then ``builtin``) and build the registry."""
    return build_registry(plugin, discover(search_path(api_extensions_path, builtin)))
