# SPDX-License-Identifier: Apache-2.0
"""An in-process HTTP client for the Paste app, and config files for test services."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from webob import Request, Response

from quantum.api.app import WsgiApp

REPO = Path(__file__).resolve().parents[2]
PASTE_INI = REPO / "etc" / "api-paste.ini"


def write_config(directory: Path, **options: object) -> Path:
    """A quantum.conf in ``directory`` using the repository's api-paste.ini."""
    directory.mkdir(parents=True, exist_ok=True)
    values: dict[str, object] = {
        "state_path": directory,
        "api_paste_config": PASTE_INI,
        **options,
    }
    lines = ["[DEFAULT]"] + [f"{k} = {v}" for k, v in values.items()]
    path = directory / "quantum.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


class Client:
    """Drives the WSGI app in-process; bodies may be dicts (sent as JSON) or text."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        request = Request.blank(path, method=method, headers=dict(headers or {}))
        if isinstance(body, Mapping):
            request.body = json.dumps(body).encode()
        elif isinstance(body, str):
            request.body = body.encode()
        elif body is not None:
            request.body = body
        return request.get_response(self.app)

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Response:
        return self.request("POST", path, body, headers)

    def put(self, path: str, body: Any = None, **headers: str) -> Response:
        return self.request("PUT", path, body, headers)

    def delete(self, path: str, **headers: str) -> Response:
        return self.request("DELETE", path, headers=headers)
