# SPDX-License-Identifier: Apache-2.0
"""The Paste app runs under any WSGI server: here the standard library's wsgiref."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from paste.deploy import loadapp

from quantum.api.app import close_service
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import PASTE_INI, Client


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_app_loads_by_paste_deploy_alone_and_serves(tmp_path: Path) -> None:
    # An operator's layout: api-paste.ini with quantum.conf beside it, nothing else.
    shutil.copy(PASTE_INI, tmp_path / "api-paste.ini")
    (tmp_path / "quantum.conf").write_text(
        f"[DEFAULT]\ncore_plugin = sql\nstate_path = {tmp_path}\n"
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'quantum.sqlite'}")
    migration.upgrade(engine)
    engine.dispose()

    app = loadapp(f"config:{tmp_path / 'api-paste.ini'}", name="quantum")
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request(
            "POST",
            "/v1.0/tenants/t/networks",
            body=json.dumps({"network": {"name": "via-wsgiref"}}),
            headers={"Content-Type": "application/json"},
        )
        created = conn.getresponse()
        assert created.status == 200
        net_id = json.loads(created.read())["network"]["id"]
        conn.request("GET", "/v1.0/tenants/t/networks/detail")
        listed = conn.getresponse()
        assert json.loads(listed.read()) == {
            "networks": [{"id": net_id, "name": "via-wsgiref"}]
        }
        assert listed.getheader("X-Openstack-Request-Id", "").startswith("req-")
        assert (tmp_path / "quantum.sqlite").exists()
    finally:
        server.shutdown()
        server.server_close()
        # NOTE: only this test's Service: the session's cached apps share the others.
        close_service(tmp_path / "quantum.conf")


def test_closing_one_service_leaves_the_others_serving(tmp_path: Path) -> None:
    # Paste apps of other configurations (the session's cached test apps, another
    # worker's app) keep their plugin when one configuration's Service is closed.
    def configured(name: str) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        shutil.copy(PASTE_INI, directory / "api-paste.ini")
        (directory / "quantum.conf").write_text(
            f"[DEFAULT]\ncore_plugin = sql\nstate_path = {directory}\n"
        )
        engine = make_engine(f"sqlite:///{directory / 'quantum.sqlite'}")
        migration.upgrade(engine)
        engine.dispose()
        return directory

    kept, closed = configured("kept"), configured("closed")
    kept_app = loadapp(f"config:{kept / 'api-paste.ini'}", name="quantum")
    loadapp(f"config:{closed / 'api-paste.ini'}", name="quantum")
    close_service(closed / "quantum.conf")
    try:
        created = Client(kept_app).post(
            "/v1.0/tenants/t/networks.json", {"network": {"name": "still-here"}}
        )
        assert created.status_int == 200, created.body
    finally:
        close_service(kept / "quantum.conf")
