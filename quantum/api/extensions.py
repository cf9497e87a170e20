# SPDX-License-Identifier: Apache-2.0
"""Extension discovery: ``/extensions`` and ``/extensions/{alias}`` under each version.

Lists the extensions that are both known to the service and supported by the plugin
(its ``supported_extension_aliases``). Requests for anything else pass through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from webob import Request, Response

from quantum.api.v1.router import not_found
from quantum.api.wire import Format, XmlShape, encode_json, negotiate, split_suffix


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionDescriptor:
    name: str
    alias: str
    description: str
    namespace: str
    updated: str

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "description": self.description,
            "namespace": self.namespace,
            "updated": self.updated,
            "links": [],
        }


XML = XmlShape(attributes={}, plurals={"extensions": "extension", "links": "link"})


def supported(
    known: Iterable[ExtensionDescriptor], aliases: Sequence[str]
) -> tuple[ExtensionDescriptor, ...]:
    wanted = set(aliases)
    return tuple(ext for ext in known if ext.alias in wanted)


class ExtensionsFilter:
    """Paste filter: serves extension discovery, hands everything else to ``app``."""

    def __init__(self, app: Any, extensions: Sequence[ExtensionDescriptor]) -> None:
        self.app = app
        self.by_alias = {ext.alias: ext for ext in extensions}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            path = request.path_info
        except UnicodeDecodeError:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        stripped, suffix = split_suffix(path)
        if not (stripped == "/extensions" or stripped.startswith("/extensions/")):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        listing = stripped == "/extensions"
        alias = "" if listing else stripped.removeprefix("/extensions/")
        if request.method != "GET" or not (listing or alias) or "/" in alias:
            # NOTE: extension resources (issue: extension framework) mount here later.
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        fmt = negotiate(request, suffix)
        if listing:
            payload: dict[str, Any] = {
                "extensions": [e.wire() for e in self.by_alias.values()]
            }
            body = XML.encode(payload) if fmt is Format.XML else encode_json(payload)
        else:
            ext = self.by_alias.get(alias)
            if ext is None:
                response = not_found(
                    request, f"Extension with alias {alias} does not exist"
                )
                return response(environ, start_response)  # type: ignore[no-any-return]
            if fmt is Format.XML:
                body = XML.encode({"extension": ext.wire()})
            else:
                body = encode_json(ext.wire())
        response = Response(status="200 OK", body=body)
        response.headers["Content-Type"] = fmt.value
        return response(environ, start_response)  # type: ignore[no-any-return]
