# SPDX-License-Identifier: Apache-2.0
"""Our ``quantum`` command (bin/quantum) against a running server: Grizzly's
commands and options, names for ids, the server's messages as they are, exit
codes 0/1/2, output formats and the bulk progress bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantum.agentapi.server import SECRET_HEADER
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.functional.auth.conftest import Identity
from tests.functional.clients.conftest import HOST, post

REPO = Path(__file__).resolve().parents[3]
QUANTUM = REPO / "bin" / "quantum"
AGENT_SECRET = "cli-agent-secret"  # noqa: S105  # NOTE: a test server's


def run(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return subprocess.run(  # noqa: S603  # NOTE: the command under test
        [sys.executable, str(QUANTUM), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**clean, **(env or {})},
    )


class Cli:
    """``quantum --os-url ENDPOINT [--os-project-id PROJECT] ...`` (noauth)."""

    def __init__(self, endpoint: str, project: str | None) -> None:
        self.how = ["--os-url", endpoint]
        if project is not None:
            self.how += ["--os-project-id", project]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(*self.how, *args)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "-f", "json"))


@pytest.fixture
def cli(endpoint: str, request: pytest.FixtureRequest) -> Cli:
    """The CLI as a member of a project named after the test."""
    return Cli(endpoint, "cli-" + request.node.name[5:40])


@pytest.fixture
def admin(endpoint: str) -> Cli:
    return Cli(endpoint, None)


def test_a_network_from_create_to_delete_by_name(cli: Cli) -> None:
    made = cli.run("net-create", "web")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created a new network:\n+")
    net = cli.json("net-show", "web")
    assert (net["name"], net["admin_state_up"], net["subnets"]) == ("web", True, [])
    id_row = [ln.split() for ln in made.stdout.splitlines() if ln.startswith("| id ")]
    assert id_row == [["|", "id", "|", net["id"], "|"]]

    subnet = cli.json("subnet-create", "--name", "web-v4", "web", "10.71.0.0/24")
    assert subnet["network_id"] == net["id"]
    listed = cli.ok("net-list")
    assert f"| {net['id']} | web  | {subnet['id']} 10.71.0.0/24 |" in listed
    assert listed.splitlines()[1].split() == [
        "|",
        "id",
        "|",
        "name",
        "|",
        "subnets",
        "|",
    ]

    port = cli.json(
        "port-create",
        "--name",
        "p1",
        "--fixed-ip",
        "subnet_id=web-v4,ip_address=10.71.0.9",
        "web",
    )
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.71.0.9"}]
    ports = cli.ok("port-list", "-c", "name", "-c", "fixed_ips")
    assert '{"ip_address": "10.71.0.9", "subnet_id": "' + subnet["id"] in ports

    assert cli.ok("net-update", "web", "--name", "www") == "Updated network: web\n"
    assert cli.ok("net-show", "www", "-f", "value", "-c", "id") == net["id"] + "\n"
    assert cli.ok("port-update", "p1", "--admin-state-up", "False") == (
        "Updated port: p1\n"
    )
    assert cli.json("port-show", port["id"])["admin_state_up"] is False

    assert cli.ok("port-delete", "p1") == "Deleted port: p1\n"
    assert cli.ok("subnet-delete", "web-v4") == "Deleted subnet: web-v4\n"
    assert cli.ok("net-delete", "www") == "Deleted network: www\n"
    gone = cli.run("net-show", net["id"])
    assert gone.returncode == 1
    assert gone.stderr == f"Network {net['id']} could not be found\n"


def test_the_servers_message_is_shown_as_it_is(cli: Cli) -> None:
    net = cli.json("net-create", "busy")["id"]
    cli.ok("subnet-create", "busy", "10.72.0.0/24")
    cli.ok("port-create", "busy")
    in_use = cli.run("net-delete", "busy")
    assert in_use.returncode == 1
    assert in_use.stdout == ""
    assert in_use.stderr == (
        f"Unable to complete operation on network {net}. There are one or more "
        "ports still in use on the network.\n"
    )
    overlap = cli.run("subnet-create", "busy", "10.72.0.0/16")
    assert overlap.returncode == 1
    assert overlap.stderr == (
        "Invalid input: Requested subnet with cidr: 10.72.0.0/16 for network: "
        f"{net} overlaps with another subnet\n"
    )


def test_an_ambiguous_name_is_an_error_naming_the_candidates(cli: Cli) -> None:
    one = cli.json("net-create", "twin")["id"]
    # control: a unique name is found
    assert cli.json("net-show", "twin")["id"] == one
    two = cli.json("net-create", "twin")["id"]
    for command in (("net-show", "twin"), ("net-delete", "twin")):
        done = cli.run(*command)
        assert done.returncode == 1
        assert done.stderr.startswith(
            "Multiple network matches found for name 'twin', use an ID to be more "
            "specific: "
        )
        assert one in done.stderr
        assert two in done.stderr
    assert cli.json("net-show", two)["id"] == two  # ids still work
    missing = cli.run("net-show", "nobody")
    assert (missing.returncode, missing.stderr) == (
        1,
        "Unable to find network with name or id 'nobody'\n",
    )


def test_exit_codes_are_0_1_and_2(cli: Cli, endpoint: str) -> None:
    assert cli.run("net-list").returncode == 0
    usage = cli.run("net-create")
    assert usage.returncode == 2
    assert "the following arguments are required: NAME" in usage.stderr
    assert cli.run("net-list", "--page-size", "many").returncode == 2
    assert cli.run("no-such-command").returncode == 2
    failed = cli.run("net-show", "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e")
    assert failed.returncode == 1
    nowhere = run("net-list")
    assert nowhere.returncode == 1
    assert nowhere.stderr.startswith("You must provide --os-token and --os-url")
    # the same through OS_* variables, and the token + URL mode
    via_env = run("net-list", env={"OS_URL": endpoint})
    assert via_env.returncode == 0, via_env.stderr
    token = run("--os-token", "anything", "--os-url", endpoint, "net-list")
    assert token.returncode == 0, token.stderr


def test_output_formats_columns_and_fields(cli: Cli) -> None:
    made = cli.json("net-create", "fmt")
    listed = cli.json("net-list", "-c", "id", "-c", "name")
    assert listed == [{"id": made["id"], "name": "fmt"}]
    assert cli.ok("net-list", "-f", "value", "-c", "name") == "fmt\n"
    assert cli.ok("net-list", "-f", "csv", "-c", "id", "-c", "name") == (
        f'"id","name"\n"{made["id"]}","fmt"\n'
    )
    assert f"id: {made['id']}\n" in cli.ok("net-show", "fmt", "-f", "yaml")
    # --fields asks the server for those attributes only
    assert cli.json("net-list", "--fields", "status") == [{"status": "ACTIVE"}]
    assert cli.json("net-show", "fmt", "-F", "name", "-F", "id") == {
        "id": made["id"],
        "name": "fmt",
    }
    detailed = cli.json("net-list", "-D")
    assert detailed[0]["tenant_id"] == made["tenant_id"]
    # the page size does not cut the list short
    cli.ok("net-create", "fmt-2")
    assert len(cli.json("net-list", "--page-size", "1")) == 2


def test_bulk_create_and_delete_show_progress(cli: Cli) -> None:
    made = cli.run("net-create", "--count", "4", "bulk", "-f", "json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["name"] == ["bulk-1", "bulk-2", "bulk-3", "bulk-4"]
    assert "4/4" in made.stderr
    names = sorted(n["name"] for n in cli.json("net-list"))
    assert names == ["bulk-1", "bulk-2", "bulk-3", "bulk-4"]

    # one of three is not there: the others go, the command says which failed
    deleted = cli.run("net-delete", "bulk-1", "bulk-9", "bulk-2")
    assert deleted.returncode == 1
    assert deleted.stdout == "Deleted network: bulk-1\nDeleted network: bulk-2\n"
    assert "3/3" in deleted.stderr
    assert deleted.stderr.endswith(
        "Failed to delete 1 of 3 networks:\n"
        "bulk-9: Unable to find network with name or id 'bulk-9'\n"
    )
    assert sorted(n["name"] for n in cli.json("net-list")) == ["bulk-3", "bulk-4"]
    single = cli.run("net-delete", "bulk-3")
    assert single.stderr == ""  # NOTE: no bar for one


def test_quotas(admin: Cli, endpoint: str) -> None:
    tenant = "cli-quota-tenant"
    shown = admin.json("quota-update", "--tenant-id", tenant, "--network", "7")
    assert shown["network"] == 7
    assert admin.json("quota-show", "--tenant-id", tenant)["network"] == 7
    listed = admin.json("quota-list")
    ours = [q for q in listed if q["tenant_id"] == tenant]
    assert len(ours) == 1
    assert (ours[0]["network"], ours[0]["subnet"], ours[0]["port"]) == (7, 10, 50)
    # a member of the tenant sees its own quota, and may not change it
    member = Cli(endpoint, tenant)
    assert member.json("quota-show")["network"] == 7
    refused = member.run("quota-update", "--network", "100")
    assert refused.returncode == 1
    assert refused.stderr.strip()
    assert admin.ok("quota-delete", "--tenant-id", tenant) == (
        f"Deleted quota: {tenant}\n"
    )
    assert admin.json("quota-show", "--tenant-id", tenant)["network"] == 10
    unknown = admin.run("quota-show")
    assert unknown.returncode == 1
    assert unknown.stderr == "Tenant not known: give --tenant-id (or --os-project-id)\n"


def test_external_networks(admin: Cli, endpoint: str) -> None:
    made = admin.json(
        "net-create", "--tenant-id", "cli-ext", "outside", "--router:external"
    )
    assert made["router:external"] is True
    admin.ok("net-update", made["id"], "--router:external", "False")
    assert admin.json("net-show", made["id"])["router:external"] is False
    admin.ok("net-update", made["id"], "--router:external=True")
    # a member of another project sees it, and may not make one
    member = Cli(endpoint, "cli-ext-member")
    assert member.json("net-show", made["id"])["router:external"] is True
    refused = member.run("net-create", "mine", "--router:external")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    admin.ok("net-delete", made["id"])


def test_extensions(cli: Cli) -> None:
    aliases = [e["alias"] for e in cli.json("ext-list")]
    assert "binding" in aliases
    assert cli.ok("ext-show", "binding", "-f", "value", "-c", "alias") == "binding\n"
    missing = cli.run("ext-show", "no-such-extension")
    assert missing.returncode == 1


def test_a_tenant_sees_only_its_own(endpoint: str) -> None:
    post(endpoint, "/v2.0/networks", {"network": {"name": "theirs", "tenant_id": "x"}})
    mine = Cli(endpoint, "cli-own")
    mine.ok("net-create", "ours")
    assert [n["name"] for n in mine.json("net-list")] == ["ours"]
    assert mine.run("net-show", "theirs").returncode == 1


def test_keystone_password_and_the_catalog(cloud: dict[str, str]) -> None:
    env = {k: v for k, v in cloud.items() if k.startswith("OS_")}
    made = run("net-create", "ks-net", "-f", "json", env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["tenant_id"] == cloud["project_id"]
    listed = run("net-list", "-f", "value", "-c", "name", env=env)
    assert listed.stdout.splitlines() == ["ks-net"]
    # no --tenant-id: the token's project
    own = run("quota-show", "-f", "value", "-c", "network", env=env)
    assert (own.returncode, own.stdout) == (0, "10\n")
    wrong = run("net-list", env={**env, "OS_PASSWORD": "not-the-password"})
    assert wrong.returncode == 1
    assert "The request you have made requires authentication." in wrong.stderr
    assert "Traceback" not in wrong.stderr


@pytest.fixture(scope="module")
def ovs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A noauth server with the Open vSwitch plugin and hosts hv1, hv2 registered."""
    directory = tmp_path_factory.mktemp("cli-ovs")
    (directory / "ovs.ini").write_text(
        "[OVS]\ntenant_network_type = gre\ntunnel_id_ranges = 100:199\n"
    )
    port = free_port(HOST)
    config = write_config(
        directory,
        bind_host=HOST,
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        agent_secret=AGENT_SECRET,
        log_file=directory / "quantum.log",
    )
    assert db_manage(config, "upgrade", "head").returncode == 0
    server = ServerProcess(config, HOST, port)
    server.start()
    try:
        for host, ip in (("hv1", "192.0.2.1"), ("hv2", "192.0.2.2")):
            conn = server.connection()
            report = {"tunnel_ip": ip, "tunnel_types": ["gre"], "agent_version": "1"}
            conn.request(
                "POST",
                f"/agent/v1/hosts/{host}",
                json.dumps(report),
                {"Content-Type": "application/json", SECRET_HEADER: AGENT_SECRET},
            )
            answer = conn.getresponse()
            assert answer.status == 200, answer.read()
            conn.close()
        yield f"http://{HOST}:{port}"
    finally:
        server.stop(timeout=15)


def test_agents_list_show_update_and_delete(ovs_endpoint: str) -> None:
    admin = Cli(ovs_endpoint, None)
    listed = admin.json("agent-list")
    assert sorted((a["host"], a["alive"]) for a in listed) == [
        ("hv1", True),
        ("hv2", True),
    ]
    assert set(listed[0]) == {"id", "agent_type", "host", "alive", "admin_state_up"}
    hv2 = next(a["id"] for a in listed if a["host"] == "hv2")
    shown = admin.json("agent-show", hv2)
    assert (shown["binary"], shown["agent_type"]) == (
        "quantum-openvswitch-agent",
        "Open vSwitch agent",
    )
    # a member may not look; the server's refusal is what it is told
    member = Cli(ovs_endpoint, "cli-agents").run("agent-list")
    assert member.returncode == 1
    assert member.stderr.strip()
    assert "Traceback" not in member.stderr
    # Grizzly's spelling (--admin_state_up=False) and ours
    assert admin.ok("agent-update", hv2, "--admin_state_up=False") == (
        f"Updated agent: {hv2}\n"
    )
    admin.ok("agent-update", hv2, "--description", "rack 4")
    shown = admin.json("agent-show", hv2)
    assert (shown["admin_state_up"], shown["description"]) == (False, "rack 4")
    listed = {a["host"]: a["admin_state_up"] for a in admin.json("agent-list")}
    assert listed == {"hv1": True, "hv2": False}
    admin.ok("agent-update", hv2, "--admin-state-up", "True")
    assert admin.json("agent-show", hv2)["admin_state_up"] is True
    nothing = admin.run("agent-update", hv2)
    assert (nothing.returncode, nothing.stderr) == (
        1,
        "Must specify new values to update\n",
    )
    refused = Cli(ovs_endpoint, "cli-agents").run(
        "agent-update", hv2, "--admin-state-up", "False"
    )
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert admin.json("agent-show", hv2)["admin_state_up"] is True
    assert admin.ok("agent-delete", hv2) == f"Deleted agent: {hv2}\n"
    assert [a["host"] for a in admin.json("agent-list")] == ["hv1"]
    again = admin.run("agent-show", hv2)
    assert again.returncode == 1
    assert "could not be found" in again.stderr


def test_a_token_and_url_against_a_keystone_server(
    cloud: dict[str, str], keystone: Identity
) -> None:
    """Token + URL mode with a real token: the server takes the token's project,
    and refuses a token Keystone never issued (control: the same command with the
    real one works)."""
    token = keystone.fresh_token("demo")
    made = run(
        "--os-token", token, "--os-url", cloud["url"], "net-create", "tok-net",
        "-f", "json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["tenant_id"] == cloud["project_id"]
    env = {"OS_TOKEN": token, "OS_URL": cloud["url"]}
    listed = run("net-list", "-f", "value", "-c", "name", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "tok-net" in listed.stdout.splitlines()
    forged = run("net-list", env={**env, "OS_TOKEN": "not-a-token"})
    assert forged.returncode == 1
    assert forged.stdout == ""
    assert "Traceback" not in forged.stderr
    assert forged.stderr.strip()
    assert run("net-delete", "tok-net", env=env).returncode == 0


def test_deleting_many_ports_shows_progress_and_names_the_failures(cli: Cli) -> None:
    cli.ok("net-create", "many")
    cli.ok("subnet-create", "many", "10.73.0.0/24")
    ids = [cli.json("port-create", "--name", f"p{i}", "many")["id"] for i in range(3)]
    done = cli.run("port-delete", "p0", "p-nobody", ids[1], "p2")
    assert done.returncode == 1
    assert done.stdout == (
        f"Deleted port: p0\nDeleted port: {ids[1]}\nDeleted port: p2\n"
    )
    assert "4/4" in done.stderr
    assert done.stderr.endswith(
        "Failed to delete 1 of 4 ports:\n"
        "p-nobody: Unable to find port with name or id 'p-nobody'\n"
    )
    assert cli.json("port-list") == []
    # control: all found, exit 0, and still a bar for more than one
    more = [cli.json("port-create", "many")["id"] for _ in range(2)]
    both = cli.run("port-delete", *more)
    assert both.returncode == 0, both.stderr
    assert "2/2" in both.stderr
    assert cli.json("port-list") == []


def _commands(help_text: str, after: str) -> set[str]:
    lines = help_text.split(after, 1)[1].splitlines()
    return {ln.split()[0] for ln in lines if ln.startswith("  ") and ln.split()}


def test_every_grizzly_command_is_here(grizzly_venv: Path) -> None:
    """The real Grizzly CLI's command list against ours. Left out: the NVP
    plugin's net-gateway-* and queue-* (no such plugin here)."""
    grizzly = subprocess.run(  # noqa: S603  # NOTE: the reference client
        [str(grizzly_venv / "bin" / "quantum"), "help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    theirs = _commands(grizzly.stdout, "Commands for API v2.0:")
    assert {"router-port-list", "net-create", "security-group-rule-create"} <= theirs
    ours = _commands(run("--help").stdout, "Commands:")
    missing = theirs - ours
    nvp = {c for c in missing if c.startswith(("net-gateway-", "queue-"))}
    assert missing - nvp == set()
    assert "router-port-list" in ours
    assert {c for c in theirs if c.startswith("lb-")} == {
        c for c in ours if c.startswith("lb-")
    }
    assert "lb-healthmonitor-associate" in ours


def test_os_project_id_is_sent_as_the_project_header(endpoint: str) -> None:
    env = {"OS_URL": endpoint, "OS_PROJECT_ID": "cli-env-project"}
    made = run("net-create", "env-net", "-f", "json", env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["tenant_id"] == "cli-env-project"
    # the option wins over the variable; another project does not see it
    other = run("--os-project-id", "cli-env-other", "net-list", "-f", "json", env=env)
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout) == []
    mine = run("net-list", "-f", "value", "-c", "name", env=env)
    assert mine.stdout == "env-net\n"
