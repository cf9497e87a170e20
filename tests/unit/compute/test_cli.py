# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from typing import Any

import pytest

from quantum.compute import cli, linuxbridge, vif
from quantum.compute.devices import DeviceError
from quantum.compute.errors import SwitchUnreachable

PLUG = [
    "plug",
    "--iface-id", "3b9b7c1e-5d2e-4c6a-9f0e-000000000001",
    "--mac", "FA:16:3E:00:01:01",
    "--instance-id", "vm-1",
]  # fmt: skip


def test_plug_defaults() -> None:
    args = cli.parse_args([*PLUG, "--netns", "vm1"])
    assert args.ovsdb == vif.DEFAULT_OVSDB
    assert args.bridge == "br-int"
    assert args.dev == "tap3b9b7c1e-5d"
    assert args.timeout == 10.0
    assert args.host_netns is None
    assert cli.vif_from(args) == vif.Vif(
        iface_id="3b9b7c1e-5d2e-4c6a-9f0e-000000000001",
        mac="fa:16:3e:00:01:01",
        instance_id="vm-1",
        device="tap3b9b7c1e-5d",
        netns="vm1",
        peer="eth0",
    )


def test_plug_everything_given() -> None:
    args = cli.parse_args(
        [
            *PLUG, "--tap", "--dev", "vnet0", "--bridge", "br-x",
            "--ovsdb", "tcp:127.0.0.1:6640", "--timeout", "2.5", "--host-netns", "hv1",
        ]
    )  # fmt: skip
    assert (args.dev, args.bridge, args.ovsdb) == (
        "vnet0",
        "br-x",
        "tcp:127.0.0.1:6640",
    )
    assert (args.timeout, args.host_netns, args.netns) == (2.5, "hv1", None)


def test_unplug_by_iface_id_or_device() -> None:
    assert cli.parse_args(["unplug", "--iface-id", "att1"]).dev == "tapatt1"
    assert cli.parse_args(["unplug", "--dev", "vnet0"]).dev == "vnet0"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*PLUG], "one of the arguments --netns --tap is required"),
        ([*PLUG, "--tap", "--netns", "vm1"], "not allowed with argument"),
        ([*PLUG, "--tap", "--peer", "eth1"], "--peer only applies with --netns"),
        ([*PLUG[:4], "--instance-id", "vm-1", "--tap"], "--mac"),
        ([*PLUG, "--tap", "--mac", "ff:ff:ff:ff:ff:ff"], "multicast"),
        ([*PLUG, "--tap", "--dev", "a-very-long-device"], "1 to 15 characters"),
        ([*PLUG, "--tap", "--timeout", "0"], "positive"),
        ([*PLUG, "--tap", "--timeout", "soon"], "positive"),
        ([*PLUG, "--tap", "--timeout", "nan"], "positive"),
        ([*PLUG, "--tap", "--ovsdb", "/run/db.sock"], "OVSDB remote"),
        ([*PLUG, "--netns", "a/b"], "namespace"),
        ([*PLUG, "--tap", "--instance-id", "a b"], "instance id"),
        (["unplug"], "unplug needs --iface-id or --dev"),
        ([*PLUG, "--tap", "--vif-type", "bridge"], "needs --network-id (or --bridge)"),
        ([*PLUG, "--tap", "--network-id", "n1"], "only apply with --vif-type bridge"),
        ([*PLUG, "--tap", "--mtu", "1450"], "only apply with --vif-type bridge"),
        ([*PLUG, "--tap", "--vif-type", "bridge", "--mtu", "60"], "68 to 65535"),
        ([*PLUG, "--tap", "--vif-type", "linux"], "invalid choice"),
        (["unplug", "--iface-id", "net/att"], "name the device explicitly"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.parse_args(argv)
    assert caught.value.code == cli.USAGE
    assert message in capsys.readouterr().err


def test_main_plugs_and_reports_the_ofport(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Any, ...]] = []

    def plug(the_vif: vif.Vif, **kwargs: Any) -> vif.Plugged:
        calls.append((the_vif, kwargs))
        return vif.Plugged(the_vif.device, kwargs["bridge"], 7, created=True)

    monkeypatch.setattr(vif, "plug", plug)
    assert cli.main([*PLUG, "--netns", "vm1", "--host-netns", "hv1"]) == 0
    assert capsys.readouterr().out == "plugged tap3b9b7c1e-5d into br-int (ofport 7)\n"
    ((the_vif, kwargs),) = calls
    assert the_vif.netns == "vm1"
    assert kwargs["ovsdb"] == vif.DEFAULT_OVSDB
    assert kwargs["devices"].host_netns == "hv1"


def test_main_says_when_the_ofport_is_pending(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        vif, "plug", lambda v, **kw: vif.Plugged(v.device, "br-int", None, False)
    )
    assert cli.main([*PLUG, "--tap"]) == 0
    assert "(ofport pending)" in capsys.readouterr().out


@pytest.mark.parametrize(("removed", "said"), [(True, "unplugged"), (False, "was not")])
def test_main_unplugs(
    removed: bool,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(vif, "unplug", lambda dev, **kw: removed)
    assert cli.main(["unplug", "--dev", "vnet0"]) == 0
    assert said in capsys.readouterr().out


@pytest.mark.parametrize(
    "error",
    [
        vif.BridgeNotFound(bridge="br-int"),
        SwitchUnreachable(remote="unix:/x", reason="gone"),
        DeviceError(command="ip link add", reason="exists"),
    ],
)
def test_main_reports_refusals_on_one_line_and_exits_1(
    error: Exception,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(vif, "plug", refuse)
    assert cli.main([*PLUG, "--tap"]) == cli.FAILED
    assert capsys.readouterr().err == f"quantum-vif: {error}\n"


BOOT = ["boot", "--netns", "vm1", "--project-id", "demo"]
NET = "5b0e8a3e-6f3c-4bb7-8f0a-3a2b1c0d9e8f"


def test_boot_takes_nova_style_nics_in_order() -> None:
    args = cli.parse_args(
        [
            *BOOT, "--nic", f"net-id={NET}",
            "--nic", f"net-id={NET},v4-fixed-ip=10.0.0.5",
            "--nic", f"net-id={NET},v6-fixed-ip=2001:db8::5",
        ]
    )  # fmt: skip
    assert args.nic == [
        cli.NicRequest(NET),
        cli.NicRequest(NET, "10.0.0.5"),
        cli.NicRequest(NET, "2001:db8::5"),
    ]
    assert (args.netns, args.project_id, args.instance_id) == ("vm1", "demo", None)
    assert args.agent_config == cli.DEFAULT_AGENT_INI
    assert (args.wait, args.zone, args.json) == (60.0, "nova", False)
    assert args.security_groups is None


def test_boot_takes_security_groups_once_each() -> None:
    args = cli.parse_args(
        [*BOOT, "--nic", f"net-id={NET}", "--security-group", "web",
         "--security-group", NET]
    )  # fmt: skip
    assert args.security_groups == ["web", NET]


def test_the_default_agent_config_is_the_agents() -> None:
    from quantum.agent.ovs.main import DEFAULT_INI

    assert cli.DEFAULT_AGENT_INI == DEFAULT_INI


@pytest.mark.parametrize(
    ("nic", "message"),
    [
        ("net=abc", "expected net-id=ID"),
        ("v4-fixed-ip=10.0.0.5", "net-id is required"),
        (f"net-id={NET},v4-fixed-ip=10.0.0.500", "does not appear to be an IPv4"),
        (f"net-id={NET},v4-fixed-ip=2001:db8::5", "is not an IPv4 address"),
        (f"net-id={NET},v6-fixed-ip=10.0.0.5", "is not an IPv6 address"),
        (f"net-id={NET},net-id={NET}", "net-id given twice"),
        (f"net-id={NET},v4-fixed-ip=10.0.0.5,v6-fixed-ip=::5", "given twice"),
        ("net-id=a b", "must be non-empty, printable, without white space"),
    ],
)
def test_bad_nics_are_usage_errors(
    nic: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.parse_args([*BOOT, "--nic", nic])
    assert done.value.code == 2
    assert message in capsys.readouterr().err


def test_boot_needs_a_project_and_a_nic(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OS_PROJECT_ID", raising=False)
    with pytest.raises(SystemExit):
        cli.parse_args(["boot", "--netns", "vm1", "--nic", f"net-id={NET}"])
    assert "boot needs --project-id (or OS_PROJECT_ID)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.parse_args(BOOT)
    assert "--nic" in capsys.readouterr().err


def test_a_missing_agent_config_is_a_usage_error(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "agent.ini"
    argv = [*BOOT, "--nic", f"net-id={NET}", "--agent-config", str(missing)]
    assert cli.main(argv) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err
    argv = ["delete", "--instance-id", "i-1", "--agent-config", str(missing)]
    assert cli.main(argv) == 2


NET_ID = "5b0e8a3e-6f3c-4bb7-8f0a-3a2b1c0d9e8f"
BRIDGE = [*PLUG, "--netns", "vm1", "--vif-type", "bridge", "--network-id", NET_ID]


def test_the_bridge_type_names_the_networks_bridge() -> None:
    args = cli.parse_args([*BRIDGE, "--mtu", "1450"])
    assert (args.vif_type, args.bridge, args.mtu) == ("bridge", "brq5b0e8a3e-6f", 1450)
    assert args.dev == "tap3b9b7c1e-5d"
    named = cli.parse_args([*PLUG, "--tap", "--vif-type", "bridge", "--bridge", "br9"])
    assert named.bridge == "br9"
    unplug = cli.parse_args(["unplug", "--dev", "vnet0", "--vif-type", "bridge"])
    assert unplug.bridge is None  # NOTE: whichever bridge the device is on


def test_main_plugs_into_a_linux_bridge_without_ovsdb(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Any, ...]] = []

    def plug(the_vif: vif.Vif, **kwargs: Any) -> vif.Plugged:
        calls.append((the_vif, kwargs))
        return vif.Plugged(the_vif.device, kwargs["bridge"], None, created=True)

    monkeypatch.setattr(linuxbridge, "plug", plug)
    monkeypatch.setattr(vif, "plug", None)  # NOTE: the OVS path must not run
    assert cli.main([*BRIDGE, "--mtu", "1450", "--host-netns", "hv1"]) == 0
    assert capsys.readouterr().out == "plugged tap3b9b7c1e-5d into brq5b0e8a3e-6f\n"
    ((the_vif, kwargs),) = calls
    assert (the_vif.netns, the_vif.mac) == ("vm1", "fa:16:3e:00:01:01")
    assert (kwargs["bridge"], kwargs["mtu"]) == ("brq5b0e8a3e-6f", 1450)
    assert kwargs["devices"].host_netns == "hv1"


@pytest.mark.parametrize(
    ("removed", "deleted", "said"),
    [
        (True, True, "unplugged vnet0\ndeleted bridge brqx (no interface left)\n"),
        (True, False, "unplugged vnet0\n"),
        (False, False, "vnet0 was not plugged\n"),
    ],
)
def test_main_unplugs_from_a_linux_bridge(
    removed: bool,
    deleted: bool,
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        linuxbridge,
        "unplug",
        lambda dev, **kw: linuxbridge.Unplugged(dev, removed, "brqx", deleted),
    )
    monkeypatch.setattr(vif, "unplug", None)
    assert cli.main(["unplug", "--dev", "vnet0", "--vif-type", "bridge"]) == 0
    assert capsys.readouterr().out == said
