# SPDX-License-Identifier: Apache-2.0
"""The v1.1 API as calls: networks, their ports, and a port's attachment.

v1.1 names the tenant in the URL (``/v1.1/tenants/{tenant}/...``), so a client is
made for one tenant. Answers are the wire dicts (``{"id": ..., "name": ...}``);
creates return the new id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from quantum.client.transport import Transport

Record = dict[str, Any]


class Client:
    def __init__(self, transport: Transport, tenant: str) -> None:
        self.transport = transport
        self.base = f"/v1.1/tenants/{quote(tenant, safe='')}"

    def _get(self, path: str, key: str) -> Any:
        return self.transport.request("GET", self.base + path)[key]

    def list_networks(self, detail: bool = False) -> list[Record]:
        return list(self._get("/networks" + ("/detail" if detail else ""), "networks"))

    def show_network(self, network: str, detail: bool = False) -> Record:
        suffix = "/detail" if detail else ""
        return dict(self._get(f"/networks/{network}{suffix}", "network"))

    def create_network(self, name: str) -> str:
        body = self.transport.request(
            "POST", self.base + "/networks", {"network": {"name": name}}
        )
        return str(body["network"]["id"])

    def update_network(self, network: str, name: str) -> None:
        self.transport.request(
            "PUT", f"{self.base}/networks/{network}", {"network": {"name": name}}
        )

    def delete_network(self, network: str) -> None:
        self.transport.request("DELETE", f"{self.base}/networks/{network}")

    def list_ports(self, network: str, detail: bool = False) -> list[Record]:
        suffix = "/detail" if detail else ""
        return list(self._get(f"/networks/{network}/ports{suffix}", "ports"))

    def show_port(self, network: str, port: str, detail: bool = False) -> Record:
        suffix = "/detail" if detail else ""
        return dict(self._get(f"/networks/{network}/ports/{port}{suffix}", "port"))

    def create_port(self, network: str, state: str | None = None) -> str:
        fields = {"state": state} if state else {}
        body = self.transport.request(
            "POST", f"{self.base}/networks/{network}/ports", {"port": fields}
        )
        return str(body["port"]["id"])

    def update_port(self, network: str, port: str, state: str) -> None:
        self.transport.request(
            "PUT",
            f"{self.base}/networks/{network}/ports/{port}",
            {"port": {"state": state}},
        )

    def delete_port(self, network: str, port: str) -> None:
        self.transport.request("DELETE", f"{self.base}/networks/{network}/ports/{port}")

    def show_attachment(self, network: str, port: str) -> str | None:
        """The attached interface id, or None."""
        found = self._get(f"/networks/{network}/ports/{port}/attachment", "attachment")
        return str(found["id"]) if found.get("id") else None

    def plug(self, network: str, port: str, interface: str) -> None:
        self.transport.request(
            "PUT",
            f"{self.base}/networks/{network}/ports/{port}/attachment",
            {"attachment": {"id": interface}},
        )

    def unplug(self, network: str, port: str) -> None:
        self.transport.request(
            "DELETE", f"{self.base}/networks/{network}/ports/{port}/attachment"
        )
