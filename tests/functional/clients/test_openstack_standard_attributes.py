# SPDX-License-Identifier: Apache-2.0
"""The standard attributes through today's clients: the openstack CLI sets and
shows ``description`` and tags, lists by tags, shows
``created_at``/``updated_at``/``revision_number``; openstacksdk's ``if_revision``
makes an update conditional (412 when stale)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.functional.clients.conftest import Openstack, run_python

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_openstack_cli_sets_and_shows_the_standard_attributes(
    openstack_user: Openstack,
) -> None:
    openstack = openstack_user
    net = openstack.json(
        "network", "create", "--description", "web tier",
        "--tag", "red", "--tag", "blue", "std-net",
    )  # fmt: skip
    assert net["description"] == "web tier"
    assert STAMP.match(net["created_at"]), net
    assert sorted(net["tags"]) == ["blue", "red"]
    other = openstack.json("network", "create", "--tag", "red", "std-other")
    # created, then tagged (the CLI's second request): revision 2
    shown = openstack.json("network", "show", net["id"])
    assert shown["revision_number"] == 2
    assert shown["tags"] == ["blue", "red"]
    openstack.ok("network", "set", "--description", "db tier", net["id"])
    shown = openstack.json("network", "show", net["id"])
    assert shown["description"] == "db tier"
    assert shown["revision_number"] == 3
    assert shown["created_at"] == net["created_at"]
    assert shown["updated_at"] >= net["created_at"]
    listed = openstack.json("network", "list", "--tags", "red,blue")
    assert [row["ID"] for row in listed] == [net["id"]]
    listed = openstack.json("network", "list", "--any-tags", "red")
    assert {row["ID"] for row in listed} == {net["id"], other["id"]}
    # NOTE: the project holds other tests' networks too: look at these two only.
    listed = openstack.json("network", "list", "--not-tags", "blue")
    ids = {row["ID"] for row in listed}
    assert other["id"] in ids
    assert net["id"] not in ids
    openstack.ok("network", "unset", "--tag", "red", net["id"])
    openstack.ok("network", "set", "--tag", "green", net["id"])
    assert openstack.json("network", "show", net["id"])["tags"] == ["blue", "green"]
    subnet = openstack.json(
        "subnet", "create", "--network", net["id"], "--subnet-range",
        "10.40.0.0/24", "--description", "first subnet", "std-subnet",
    )  # fmt: skip
    assert subnet["description"] == "first subnet"
    assert subnet["revision_number"] == 1
    port = openstack.json(
        "port", "create", "--network", net["id"], "--description", "nic", "std-port"
    )
    assert (port["description"], port["revision_number"]) == ("nic", 1)
    openstack.ok("port", "set", "--description", "nic 2", port["id"])
    shown_port = openstack.json("port", "show", port["id"])
    assert (shown_port["description"], shown_port["revision_number"]) == ("nic 2", 2)
    openstack.ok("port", "delete", port["id"])
    openstack.ok("subnet", "delete", subnet["id"])
    openstack.ok("network", "delete", net["id"], other["id"])


SDK_IF_REVISION = """
import json, sys
import openstack
from openstack import exceptions
conn = openstack.connect(auth_type="none", endpoint=sys.argv[1],
                         load_envvars=False, load_yaml_config=False)
net = conn.network.create_network(name="rev-net", project_id="sdk-rev",
                                  description="d")
out = {"created": [net.revision_number, net.description]}
# NOTE: by id, so each call sends its If-Match (a resource object sends a header
# only when its value changed since the last request).
done = conn.network.update_network(net.id, name="rev-2", if_revision=1)
out["updated"] = [done.name, done.revision_number]
try:
    conn.network.update_network(net.id, name="rev-3", if_revision=1)
except exceptions.PreconditionFailedException as error:
    out["stale"] = [error.status_code, str(error)]
try:
    conn.network.delete_network(net.id, if_revision=1)
except exceptions.PreconditionFailedException as error:
    out["stale_delete"] = error.status_code
shown = conn.network.get_network(net.id)
out["shown"] = [shown.name, shown.revision_number]
conn.network.delete_network(net.id, if_revision=2)
out["left"] = [n.id for n in conn.network.networks(project_id="sdk-rev")]
print(json.dumps(out))
"""


def test_openstacksdk_if_revision_is_a_conditional_update(
    clients_venv: Path, endpoint: str
) -> None:
    out = run_python(clients_venv, SDK_IF_REVISION, endpoint)
    assert out["created"] == [1, "d"]
    assert out["updated"] == ["rev-2", 2]
    assert out["stale"][0] == 412
    assert "Constrained to 1, but current revision is 2" in out["stale"][1]
    assert out["stale_delete"] == 412
    assert out["shown"] == ["rev-2", 2]
    assert out["left"] == []
