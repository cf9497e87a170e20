# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from quantum.core.exceptions import ConfigError
from quantum.core.settings import Settings
from quantum.plugins.fake import FakePlugin
from quantum.plugins.interface import CorePlugin
from quantum.plugins.loader import available_aliases, load_plugin


@pytest.mark.parametrize(
    "name",
    ["fake", "quantum.plugins.fake:FakePlugin", "quantum.plugins.fake.FakePlugin"],
)
def test_alias_and_dotted_paths_load(name: str) -> None:
    assert isinstance(load_plugin(Settings(core_plugin=name)), FakePlugin)


@pytest.mark.parametrize("name", ["nope", "no.such.module:Plugin", "quantum.core:Nope"])
def test_bad_value_names_the_option_and_the_choices(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_plugin(Settings(core_plugin=name))
    message = str(raised.value)
    assert f"core_plugin = {name!r}" in message
    assert "fake, openvswitch, sql" in message


def test_something_that_is_not_a_plugin_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not implement the plugin contract"):
        load_plugin(Settings(core_plugin="quantum.core.status:OpStatus"))


def test_builtin_aliases_are_listed() -> None:
    assert {"fake", "openvswitch", "sql"} <= set(available_aliases())


def test_every_builtin_plugin_satisfies_the_contract(tmp_path: object) -> None:
    from quantum.plugins.openvswitch.plugin import OpenVSwitchPlugin
    from quantum.plugins.sql import SqlPlugin

    assert isinstance(FakePlugin(), CorePlugin)
    members = [m for m in vars(CorePlugin) if not m.startswith("_")]
    for cls in (FakePlugin, SqlPlugin, OpenVSwitchPlugin):
        missing = [m for m in members if not hasattr(cls, m)]
        assert missing == [], cls
