# SPDX-License-Identifier: Apache-2.0
"""FOXNSOX: a test extension using every kind of attachment (spec §15.9).

Copied into a temporary ``api_extensions_path`` directory by the tests; it is never
on the built-in search path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from webob import Request, Response

from quantum.api.extensions import (
    ActionExtension,
    ExtensionCall,
    Parent,
    RequestExtension,
    ResourceExtension,
    Result,
)
from quantum.api.wire import XmlShape
from quantum.core.exceptions import InvalidInput


class Foxinsocks:
    def get_name(self) -> str:
        return "Fox In Socks"

    def get_alias(self) -> str:
        return "FOXNSOX"

    def get_description(self) -> str:
        return "The Fox In Socks Extension"

    def get_namespace(self) -> str:
        return "http://www.fox.in.socks/api/ext/pie/v1.0"

    def get_updated(self) -> str:
        return "2011-01-22T13:25:27-06:00"

    def get_resources(self, plugin: Any) -> Sequence[ResourceExtension]:
        def create(call: ExtensionCall) -> Result:
            body = call.body()
            if not isinstance(body, dict) or "fox" not in body:
                raise InvalidInput(reason="no fox")
            return {"fox": body["fox"]}

        socks = ResourceExtension(
            collection="foxnsocks",
            handlers={
                "index": lambda call: "Try to say this Mr. Knox, sir...",
                "show": lambda call: {"data": {"id": call.params["id"]}},
                "create": create,
                "shout": lambda call: {"collection": "value"},
                "wag": lambda call: {"member_action": call.params["id"]},
            },
            collection_actions={"shout": ("GET", "PUT", "POST", "DELETE")},
            member_actions={"wag": ("GET",)},
            xml=XmlShape(attributes={"data": ("id",)}, plurals={}),
        )
        tweedles = ResourceExtension(
            collection="tweedles",
            parent=Parent(member_name="beetle", collection_name="beetles"),
            handlers={
                "index": lambda call: {
                    "tweedles": [],
                    "beetle": call.params["beetle_id"],
                },
            },
        )
        return (socks, tweedles)

    def get_actions(self, plugin: Any) -> Sequence[ActionExtension]:
        def add(call: ExtensionCall, value: Any) -> Result:
            # NOTE: an action reaches the plugin like any handler: 404s are the API's.
            plugin.get_network(call.params["tenant_id"], call.params["id"])
            return f"Tweedle {value['name']} Added."

        def delete(call: ExtensionCall, value: Any) -> Result:
            return f"Tweedle {value['name']} Deleted."

        collection = "tenants/{tenant_id}/networks"
        return (
            ActionExtension(
                collection=collection, name="FOXNSOX:add_tweedle", handler=add
            ),
            ActionExtension(
                collection=collection, name="FOXNSOX:delete_tweedle", handler=delete
            ),
        )

    def get_request_extensions(self, plugin: Any) -> Sequence[RequestExtension]:
        path = "/tenants/{tenant_id}/networks/{network_id}"

        def goose(request: Request, response: Response) -> Response:
            data = json.loads(response.body)
            data["FOXNSOX:googoose"] = request.GET.get("chewing")
            response.body = json.dumps(data).encode()
            response.headers["X-Fox"] = request.headers.get("X-Sock", "none")
            return response

        def bands(request: Request, response: Response) -> Response:
            data = json.loads(response.body)
            data["FOXNSOX:big_bands"] = "Pig Bands!"
            response.body = json.dumps(data).encode()
            return response

        return (
            RequestExtension(method="GET", path=path, handler=goose),
            RequestExtension(method="GET", path=path, handler=bands),
        )
