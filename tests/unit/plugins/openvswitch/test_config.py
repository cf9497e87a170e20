# SPDX-License-Identifier: Apache-2.0
"""ovs_quantum_plugin.ini: where it is found, what it yields, how errors read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quantum.core.exceptions import ConfigError
from quantum.core.networks import NetworkType
from quantum.core.settings import Settings
from quantum.plugins.openvswitch import config
from quantum.plugins.openvswitch.segments import IdRange

REPO = Path(__file__).resolve().parents[4]
DOC = REPO / "docs" / "configuration.md"


def _ini(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[OVS]\n" + body)
    return path


def test_the_shipped_ini_is_valid_and_found_beside_the_shipped_quantum_conf() -> None:
    settings = Settings(config_file=str(REPO / "etc" / "quantum.conf"))
    path = config.ini_path(settings)
    assert path == REPO / "etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini"
    loaded = config.load(settings)
    assert loaded.tenant_network_type is NetworkType.LOCAL
    assert loaded.vlan_ranges == {"physnet1": (IdRange(1000, 2999),)}
    assert loaded.tunnel_ranges == (IdRange(1, 1000),)


def test_standard_places_beside_quantum_conf(tmp_path: Path) -> None:
    settings = Settings(config_file=str(tmp_path / "quantum.conf"))
    assert config.ini_path(settings) in (None, config.SYSTEM_INI)
    short = _ini(tmp_path / "plugins/openvswitch/ovs_quantum_plugin.ini", "")
    assert config.ini_path(settings) == short
    long = _ini(tmp_path / "quantum/plugins/openvswitch/ovs_quantum_plugin.ini", "")
    assert config.ini_path(settings) == long


def test_core_plugin_config_is_relative_to_quantum_conf(tmp_path: Path) -> None:
    ini = _ini(
        tmp_path / "ovs.ini",
        "tenant_network_type = vlan\n"
        "network_vlan_ranges = physnet1:10:19, physnet2:5:5,physnet1:20:29\n",
    )
    settings = Settings(
        config_file=str(tmp_path / "quantum.conf"), core_plugin_config="ovs.ini"
    )
    assert config.ini_path(settings) == ini
    loaded = config.load(settings)
    assert loaded.tenant_network_type is NetworkType.VLAN
    assert loaded.vlan_ranges == {
        "physnet1": (IdRange(10, 29),),
        "physnet2": (IdRange(5, 5),),
    }


def test_a_missing_core_plugin_config_names_the_option(tmp_path: Path) -> None:
    settings = Settings(
        config_file=str(tmp_path / "quantum.conf"), core_plugin_config="nope.ini"
    )
    with pytest.raises(ConfigError, match=r"core_plugin_config = nope\.ini in \["):
        config.load(settings)


def test_no_ini_is_an_error_naming_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(config_file=str(tmp_path / "quantum.conf"))
    # NOTE: whatever this machine has installed under /etc must not count.
    monkeypatch.setattr(config, "SYSTEM_INI", tmp_path / "absent.ini")
    with pytest.raises(ConfigError) as raised:
        config.load(settings)
    says = str(raised.value)
    assert "core_plugin = openvswitch needs ovs_quantum_plugin.ini" in says
    assert f"{tmp_path}/plugins/openvswitch/ovs_quantum_plugin.ini" in says
    assert f"{tmp_path}/absent.ini" in says
    # control: the same settings with the file beside quantum.conf load
    _ini(tmp_path / "plugins/openvswitch/ovs_quantum_plugin.ini", "")
    assert config.load(settings).tenant_network_type is NetworkType.LOCAL


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            "tenant_network_type = flat\n",
            "tenant_network_type in [OVS] of {path}: 'flat' is not one of "
            "local, vlan, gre, vxlan",
        ),
        (
            "network_vlan_ranges = physnet1:1:9999\n",
            "network_vlan_ranges in [OVS] of {path}: 'physnet1:1:9999' is not "
            "'physnet:min:max' ('1:9999' is outside 1..4094)",
        ),
        (
            "tunnel_id_ranges = 1-100\n",
            "tunnel_id_ranges in [OVS] of {path}: '1-100' is not 'min:max'",
        ),
        (
            "tenant_network_type = gre\n",
            "[OVS] of {path}: tenant_network_type = gre needs at least one 'min:max' "
            "in tunnel_id_ranges",
        ),
        (
            "tenant_network_type = vxlan\ntunnel_id_ranges = 1:20000000\n",
            "[OVS] of {path}: tenant_network_type = vxlan: tunnel_id_ranges must "
            "stay inside 1..16777215",
        ),
    ],
)
def test_errors_name_the_option_and_the_file(
    tmp_path: Path, body: str, says: str
) -> None:
    path = _ini(tmp_path / "ovs.ini", body)
    with pytest.raises(ConfigError) as raised:
        config.read(path)
    assert says.format(path=path) in str(raised.value)


def test_every_option_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `\[OVS\] (\w+)` \| ([^|]+) \|", DOC.read_text(), re.M))
    assert set(rows) == {opt.dest for opt in config.OPTIONS}
    for opt in config.OPTIONS:
        shown = rows[opt.dest].strip()
        if opt.default in (None, "", []):
            assert shown.startswith("*("), opt.dest
        else:
            assert shown == f"`{opt.default}`", opt.dest
