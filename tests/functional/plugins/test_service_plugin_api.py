# SPDX-License-Identifier: Apache-2.0
"""A service plugin's API, over HTTP: v2.0 enables the extension aliases of the
loaded service plugins (``service_plugins``) as it does the core plugin's, and a
module on ``api_extensions_path`` contributes a v2 ``Extension`` (a resource and a
field added to networks) exactly as the modules of ``quantum/api/v2/extensions/``
do. The service plugin is the small real one of ``tests/unit/plugins/labels.py``;
the extension module is written into a temporary directory below."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantum.api.app import load_app
from quantum.core.exceptions import ConfigError
from quantum.core.settings import load_settings
from quantum.testing.client import Client, write_config
from quantum.testing.server import ServerProcess, start_sql_server

LABELS = "tests.unit.plugins.labels:LabelsPlugin"

MODULE = '''
"""network-labels: the API of tests.unit.plugins.labels, as a v2 extension."""

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Extend, Extension, Field, Resource, string, to_tenant, to_uuid,
)
from tests.unit.plugins.labels import LabelCreate, LabelNotFound, LabelUpdate

LABEL = Resource(
    name="label",
    collection="labels",
    create_type=LabelCreate,
    update_type=LabelUpdate,
    not_found=lambda i: LabelNotFound(label_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="network_id", convert=to_uuid, required=True),
        Field(name="text", convert=string(), required=True, on_update=True),
    ),
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="network-labels",
        name="Network labels",
        description="Labels on networks (a test service plugin).",
        namespace="http://example.org/network-labels",
        updated="2026-12-07T00:00:00-00:00",
    ),
    resources=(LABEL,),
    extends={
        "network": Extend(
            fields=(
                Field(
                    name="labels_href",
                    render=lambda network, plugin: (
                        f"/v2.0/labels?network_id={network.id}"
                    ),
                    on_create=False,
                    sortable=False,
                    filterable=False,
                    schema={"type": "string"},
                ),
            )
        )
    },
)
'''

ACME = {"X-Project-Id": "acme", "X-Roles": "member", "Content-Type": "application/json"}
OTHER = {**ACME, "X-Project-Id": "other"}


def _extension_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "extensions"
    directory.mkdir()
    (directory / "labels_api.py").write_text(MODULE)
    return directory


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    found = start_sql_server(
        tmp_path / "server",
        auth_strategy="noauth",
        api_workers=0,  # NOTE: the labels plugin keeps them in memory, per process
        service_plugins=LABELS,
        api_extensions_path=_extension_dir(tmp_path),
    )
    yield found
    found.stop(timeout=15)


def _call(
    server: ServerProcess,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] = ACME,
) -> tuple[int, Any]:
    conn = server.connection()
    conn.request(
        method, "/v2.0" + path, None if body is None else json.dumps(body), headers
    )
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, json.loads(data) if data else None


def test_a_service_plugins_extension_is_served_over_http(server: ServerProcess) -> None:
    status, listed = _call(server, "GET", "/extensions")
    assert status == 200
    assert "network-labels" in {e["alias"] for e in listed["extensions"]}
    status, index = _call(server, "GET", "")
    assert "label" in {r["name"] for r in index["resources"]}

    status, made = _call(server, "POST", "/networks", {"network": {"name": "n"}})
    assert status == 201, made
    net = made["network"]
    # the extension's field on the resource it extends
    assert net["labels_href"] == f"/v2.0/labels?network_id={net['id']}"

    status, made = _call(
        server, "POST", "/labels", {"label": {"network_id": net["id"], "text": "blue"}}
    )
    assert status == 201, made
    label = made["label"]
    assert label == {
        "id": label["id"],
        "tenant_id": "acme",
        "network_id": net["id"],
        "text": "blue",
    }
    status, changed = _call(
        server, "PUT", f"/labels/{label['id']}", {"label": {"text": "green"}}
    )
    assert (status, changed["label"]["text"]) == (200, "green")
    status, shown = _call(server, "GET", f"/labels/{label['id']}")
    assert (status, shown["label"]["text"]) == (200, "green")
    status, listed = _call(server, "GET", f"/labels?network_id={net['id']}")
    assert [x["id"] for x in listed["labels"]] == [label["id"]]
    # the core's tenancy, through the service plugin's service
    status, refused = _call(
        server,
        "POST",
        "/labels",
        {"label": {"network_id": net["id"], "text": "x"}},
        OTHER,
    )
    assert (status, refused["NeutronError"]["type"]) == (404, "NetworkNotFound")
    status, _ = _call(server, "GET", f"/labels/{label['id']}", headers=OTHER)
    assert status == 404
    status, _ = _call(server, "DELETE", f"/labels/{label['id']}")
    assert status == 204
    status, _ = _call(server, "GET", f"/labels/{label['id']}")
    assert status == 404


def _in_process(tmp_path: Path, **options: object) -> Client:
    config = write_config(
        tmp_path / "app",
        core_plugin="fake",
        auth_strategy="noauth",
        api_extensions_path=_extension_dir(tmp_path),
        **options,
    )
    return Client(load_app(load_settings(config)))


def test_without_the_service_plugin_its_extension_is_not_served(
    tmp_path: Path,
) -> None:
    client = _in_process(tmp_path)
    listed = client.request("GET", "/v2.0/extensions", headers=ACME).json
    assert "network-labels" not in {e["alias"] for e in listed["extensions"]}
    assert client.request("GET", "/v2.0/labels", headers=ACME).status_int == 404
    made = client.request("POST", "/v2.0/networks", {"network": {}}, ACME)
    assert made.status_int == 201
    assert "labels_href" not in made.json["network"]


def test_a_v2_module_may_not_take_a_built_in_alias(tmp_path: Path) -> None:
    directory = tmp_path / "extensions"
    directory.mkdir()
    (directory / "mine.py").write_text(MODULE.replace('"network-labels"', '"tag"'))
    config = write_config(
        tmp_path / "app", core_plugin="fake", api_extensions_path=directory
    )
    with pytest.raises(ConfigError, match="which a built-in v2 extension has"):
        load_app(load_settings(config))
