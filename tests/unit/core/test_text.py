# SPDX-License-Identifier: Apache-2.0
"""quantum/core/text.py: the one rule for text the store can keep."""

from __future__ import annotations

import pytest

from quantum.core import exceptions as exc
from quantum.core import text


@pytest.mark.parametrize(
    ("value", "found"),
    [("a\x00b", "U+0000"), ("\ud800", "U+D800"), ("x\udfff", "U+DFFF")],
)
def test_nul_and_lone_surrogates_cannot_be_stored(value: str, found: str) -> None:
    assert text.unstorable(value) == found
    assert not text.storable("ok", value)


@pytest.mark.parametrize("value", ["", "é", "\U0001f600", "\ufffd", "\t\n", "\x01"])
def test_everything_else_can(value: str) -> None:
    assert text.unstorable(value) is None
    assert text.storable(value, "ok")


def test_a_tenant_id_is_at_most_255_storable_characters() -> None:
    assert text.tenant_id("t" * 255) == "t" * 255
    assert text.tenant_id("") == ""
    with pytest.raises(exc.InvalidInput, match="longer than 255"):
        text.tenant_id("t" * 256)
    with pytest.raises(exc.InvalidInput, match="U\\+0000"):
        text.tenant_id("a\x00")
