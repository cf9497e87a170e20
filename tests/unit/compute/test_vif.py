# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from quantum.compute import vif


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("fa:16:3e:00:01:02", "fa:16:3e:00:01:02"),
        ("FA:16:3E:0A:0B:0C", "fa:16:3e:0a:0b:0c"),
        ("fa-16-3e-00-01-02", "fa:16:3e:00:01:02"),
        (" 02:00:00:00:00:01 ", "02:00:00:00:00:01"),
    ],
)
def test_macs_are_normalized(given: str, normal: str) -> None:
    assert vif.normalize_mac(given) == normal


@pytest.mark.parametrize(
    "bad",
    ["", "fa:16:3e:00:01", "fa:16:3e:00:01:02:03", "fa163e000102", "zz:16:3e:00:01:02"],
)
def test_malformed_macs(bad: str) -> None:
    with pytest.raises(ValueError, match="not a MAC"):
        vif.normalize_mac(bad)


@pytest.mark.parametrize(
    "bad", ["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01"]
)
def test_multicast_macs(bad: str) -> None:
    with pytest.raises(ValueError, match="multicast"):
        vif.normalize_mac(bad)


@pytest.mark.parametrize("good", ["3b9b7c1e-5d2e-4c6a-9f0e-000000000001", "att-1", "x"])
def test_ids(good: str) -> None:
    assert vif.check_id(good, "iface id") == good


@pytest.mark.parametrize("bad", ["", "a b", "a\tb", "a\x00b", "\n"])
def test_bad_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="iface id"):
        vif.check_id(bad, "iface id")


@pytest.mark.parametrize(
    "remote", ["unix:/var/run/openvswitch/db.sock", "tcp:127.0.0.1:6640", "ssl:h:1"]
)
def test_ovsdb_remotes(remote: str) -> None:
    assert vif.check_ovsdb(remote) == remote


@pytest.mark.parametrize("bad", ["/run/db.sock", "unix:", "http://x", "punix:/x"])
def test_bad_ovsdb_remotes(bad: str) -> None:
    with pytest.raises(ValueError, match="OVSDB remote"):
        vif.check_ovsdb(bad)


def test_device_name_keeps_eleven_characters_of_the_id() -> None:
    assert vif.device_name("3b9b7c1e-5d2e-4c6a-9f0e-000000000001") == "tap3b9b7c1e-5d"
    assert vif.device_name("att1") == "tapatt1"


def test_device_name_from_an_id_linux_would_refuse() -> None:
    with pytest.raises(ValueError, match="name the device explicitly"):
        vif.device_name("net/att:1")


def make(**changes: object) -> vif.Vif:
    fields: dict[str, object] = {
        "iface_id": "port-1",
        "mac": "fa:16:3e:00:00:01",
        "instance_id": "vm-1",
        "device": "tapport-1",
        "netns": "vm1",
    }
    fields.update(changes)
    return vif.Vif(**fields)  # type: ignore[arg-type]


def test_vif_external_ids_are_what_the_agent_reads() -> None:
    assert make().external_ids == {
        "iface-id": "port-1",
        "attached-mac": "fa:16:3e:00:00:01",
        "iface-status": "active",
        "vm-uuid": "vm-1",
    }


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iface_id": ""}, "iface id"),
        ({"instance_id": "a b"}, "instance id"),
        ({"mac": "FA:16:3E:00:00:01"}, "not normalized"),
        ({"device": "x" * 16}, "interface name"),
        ({"peer": "a/b"}, "interface name"),
        ({"netns": "a/b"}, "namespace"),
    ],
)
def test_vif_rejects_what_the_switch_or_linux_would(
    changes: dict[str, object], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        make(**changes)


def test_a_tap_vif_has_no_namespace() -> None:
    assert make(netns=None).netns is None


def test_error_messages() -> None:
    assert str(vif.BridgeNotFound(bridge="br-int")) == "bridge br-int does not exist"
    assert str(vif.DeviceTaken(device="tapa", other="a1", iface_id="a2")) == (
        "device tapa already carries iface id a1, not a2"
    )
