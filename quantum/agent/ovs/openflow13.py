# SPDX-License-Identifier: Apache-2.0
"""Load os-ken's OpenFlow 1.3 alone: the agent speaks no other version.

PERF (issue 16 item 5): ``os_ken.ofproto`` imports every version's parser (1.0,
1.2, 1.3, 1.4, 1.5) to fill its version table (``ofproto_protocol._versions``),
and each parser imports ``os_ken.lib.packet``, whose package imports every
protocol it can decode (BGP, zebra, OSPF, ...). 1.3's parser refers to that
library only to convert a packet-out's data to and from JSON. Together that was
13 MiB of the agent's RSS and 33 modules.

``load_openflow13_only()``, called before anything imports os-ken, puts a
*deferred* module in ``sys.modules`` for each of the other parsers, for
``os_ken.lib.packet`` and for ``os_ken.lib.packet.packet``: a real module object
(its spec, file and path set) whose code runs in place on the first attribute
that is not yet there, so anything that ever uses one gets the real module, as
before, only later. Then it imports ``os_ken.ofproto`` and leaves OpenFlow 1.3
alone in the version table and in the supported versions (as an app declaring
``OFP_VERSIONS = [1.3]`` does), before ``os_ken.controller.ofp_event`` makes an
event class for each message of each version in that table.

What changes for a switch: one that offers no OpenFlow 1.3 fails its handshake
with an unknown-version error where os-ken would have logged a version mismatch;
the agent's bridges are made with ``protocols=OpenFlow13``. Pinned by
tests/unit/agent/ovs/test_openflow13.py and tests/unit/test_process_imports.py
(os-ken 4.2.2, requirements.txt).
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import types
from pathlib import Path
from typing import Any, cast

#: OpenFlow's wire versions: 1.3 is 4 (0x04); 1.0, 1.2, 1.4 and 1.5 the others.
OPENFLOW13 = 4
_OTHER_PARSERS = (
    "os_ken.ofproto.ofproto_v1_0_parser",
    "os_ken.ofproto.ofproto_v1_2_parser",
    "os_ken.ofproto.ofproto_v1_4_parser",
    "os_ken.ofproto.ofproto_v1_5_parser",
)
_PACKET_LIBRARY = "os_ken.lib.packet"

_LOCK = threading.RLock()
_LOADING: set[str] = set()


class DeferredModule(types.ModuleType):
    """A module whose code runs on the first use of an attribute it lacks.

    NOTE: not ``importlib.util.LazyLoader``: on Python 3.11 its module loads on
    *any* attribute read (the import system's own reads of ``__spec__`` and
    ``__path__`` when a submodule is imported included, which would load
    ``os_ken.lib.packet`` whole at once), and a second thread reading it while
    it loads sees it half made (3.11's has no lock)."""

    def __getattr__(self, name: str) -> Any:
        with _LOCK:
            if type(self) is DeferredModule:
                if self.__name__ in _LOADING:
                    # NOTE: its own code is running (a ``from . import x`` of a
                    # package asks whether x is there yet): not there yet.
                    raise AttributeError(name)
                _load(self)
        return getattr(self, name)

    def __dir__(self) -> list[str]:
        with _LOCK:
            if type(self) is DeferredModule and self.__name__ not in _LOADING:
                _load(self)
        return sorted(self.__dict__)


def _load(module: DeferredModule) -> None:
    spec = module.__spec__
    if spec is None or spec.loader is None:  # pragma: no cover - made by _defer
        raise ImportError(f"{module.__name__} cannot be loaded", name=module.__name__)
    _LOADING.add(module.__name__)
    try:
        spec.loader.exec_module(module)
    finally:
        _LOADING.discard(module.__name__)
    cast(types.ModuleType, module).__class__ = types.ModuleType


def _defer(name: str, root: Path) -> DeferredModule:
    """Put a deferred ``name`` (a module under ``root``, os-ken's directory) in
    ``sys.modules``, without importing its parent package."""
    parent = name.rpartition(".")[0]
    path = [str(root.joinpath(*parent.split(".")[1:]))]
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"os-ken has no module {name}", name=name)
    module = DeferredModule(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    module.__package__ = spec.parent
    if spec.submodule_search_locations is not None:
        module.__path__ = list(spec.submodule_search_locations)
    sys.modules[name] = module
    return module


def load_openflow13_only() -> bool:
    """Import os-ken's OpenFlow layer with version 1.3 alone; True if it did.

    False (and nothing done) when ``os_ken.ofproto`` is already imported, in full.
    """
    if "os_ken.ofproto" in sys.modules:
        return False
    import os_ken

    # NOTE: the zebra decoder registers these command-line options on import;
    # once os-ken's configuration has parsed its arguments that would raise.
    import os_ken.flags  # noqa: F401

    root = Path(os_ken.__path__[0])
    for name in _OTHER_PARSERS:
        _defer(name, root)
    package = _defer(_PACKET_LIBRARY, root)
    # NOTE: what ``from os_ken.lib.packet import packet`` finds, without asking
    # the package for it (which would run the package).
    package.__dict__["packet"] = _defer(f"{_PACKET_LIBRARY}.packet", root)

    from os_ken.ofproto import ofproto_protocol, ofproto_v1_3, ofproto_v1_3_parser

    for version in set(ofproto_protocol._versions) - {OPENFLOW13}:
        del ofproto_protocol._versions[version]
    ofproto_protocol.set_app_supported_versions([OPENFLOW13])
    if ofproto_protocol._versions != {
        OPENFLOW13: (ofproto_v1_3, ofproto_v1_3_parser)
    }:  # pragma: no cover - an os-ken other than the one pinned
        raise ImportError("os-ken's OpenFlow version table is not as expected")
    return True
