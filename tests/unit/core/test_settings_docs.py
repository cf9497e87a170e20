# SPDX-License-Identifier: Apache-2.0
"""docs/configuration.md documents every option with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from quantum.core.settings import OPTIONS, QUOTA_OPTIONS, Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_every_option_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC.read_text(), re.M))
    assert set(rows) == {opt.dest for opt in OPTIONS}
    for opt in OPTIONS:
        shown = rows[opt.dest].strip()
        if opt.default in (None, ""):
            assert shown.startswith("*("), opt.dest
        else:
            assert shown == f"`{_ini(opt.default)}`", opt.dest


def _ini(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_settings_defaults_match_the_declarations() -> None:
    defaults = Settings()
    for opt in OPTIONS:
        assert getattr(defaults, opt.dest) == opt.default, opt.dest


def test_every_quota_option_is_documented_with_its_default() -> None:
    rows = dict(
        re.findall(r"^\| `\[QUOTAS\] (\w+)` \| ([^|]+) \|", DOC.read_text(), re.M)
    )
    assert set(rows) == {opt.dest for opt in QUOTA_OPTIONS}
    for opt in QUOTA_OPTIONS:
        assert rows[opt.dest].strip() == f"`{opt.default}`", opt.dest
        assert getattr(Settings(), opt.dest) == opt.default
