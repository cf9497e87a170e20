# SPDX-License-Identifier: Apache-2.0
"""The agents' one ini reader: typed by the options' annotations, strict about names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from quantum.agent.config import AgentConfigError, read_options, split_list


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    name: str = "n"
    count: int = 1
    ratio: float = 0.5
    enabled: bool = True
    address: str | None = None
    colours: tuple[str, ...] = ()


def _read(tmp_path: Path, body: str) -> Options:
    path = tmp_path / "agent.ini"
    path.write_text(body)
    return read_options(
        path, "AGENT", Options, {"colours": lambda v, _: tuple(split_list(v))}
    )


def test_values_are_typed_and_absent_ones_keep_their_defaults(tmp_path: Path) -> None:
    options = _read(
        tmp_path,
        "[DEFAULT]\ncount = 9\n[AGENT]\ncount = 3\nenabled = no\n"
        "address = 192.0.2.1\ncolours = red, ,blue\n",
    )
    assert options == Options(
        count=3, enabled=False, address="192.0.2.1", colours=("red", "blue")
    )


def test_a_blank_optional_value_is_none_and_the_last_of_two_counts(
    tmp_path: Path,
) -> None:
    options = _read(tmp_path, "[AGENT]\naddress =\nratio = 1\nratio = 2.5\n")
    assert options.address is None
    assert options.ratio == 2.5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[AGENT]\nsize = 1\n", "[AGENT] of {path}: unknown option size"),
        ("[AGENT]\ncount = many\n", "count in [AGENT] of {path}: invalid literal"),
        ("[AGENT]\nenabled = maybe\n", "enabled in [AGENT] of {path}: Unexpected"),
        ("[AGENT]\nthis line has no value\n", "{path}: at {path}:2, No ':' or '='"),
    ],
)
def test_a_mistake_names_the_option_and_the_file(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "agent.ini"
    with pytest.raises(AgentConfigError, match=re.escape(message.format(path=path))):
        _read(tmp_path, body)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(AgentConfigError, match="cannot read"):
        read_options(tmp_path / "none.ini", "AGENT", Options)
