# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from pathlib import Path

import pytest

from quantum.core.exceptions import ConfigError
from quantum.core.settings import Settings, load_settings


def test_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert (settings.bind_port, settings.core_plugin, settings.api_workers) == (
        9696,
        "sql",
        2,
    )


@pytest.mark.parametrize(
    ("lines", "workers"),
    [
        ("", 2),
        ("core_plugin = fake\n", 0),  # NOTE: a store per process: one process
        ("core_plugin = fake\napi_workers = 3\n", 3),
        ("api_workers = 0\n", 0),
    ],
)
def test_api_workers_default_two_but_one_process_for_the_fake_plugin(
    tmp_path: Path, lines: str, workers: int
) -> None:
    conf = tmp_path / "quantum.conf"
    conf.write_text("[DEFAULT]\n" + lines)
    assert load_settings(conf).api_workers == workers


def test_values_from_the_file_and_derived_paths(tmp_path: Path) -> None:
    conf = tmp_path / "quantum.conf"
    conf.write_text(
        "[DEFAULT]\nbind_port = 1234\nstate_path = /srv/q\ncore_plugin = fake\n"
    )
    settings = load_settings(conf)
    assert settings.bind_port == 1234
    assert settings.core_plugin == "fake"
    assert settings.database_url == "sqlite:////srv/q/quantum.sqlite"
    assert settings.paste_config_path == tmp_path / "api-paste.ini"


def test_explicit_sql_connection_wins() -> None:
    settings = Settings(sql_connection="postgresql://h/q")
    assert settings.database_url == "postgresql://h/q"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.conf")


@pytest.mark.parametrize("line", ["bind_port = http", "api_workers = -1"])
def test_invalid_values_are_config_errors(tmp_path: Path, line: str) -> None:
    conf = tmp_path / "quantum.conf"
    conf.write_text(f"[DEFAULT]\n{line}\n")
    with pytest.raises(ConfigError):
        load_settings(conf)
