# SPDX-License-Identifier: Apache-2.0
"""What text the store can keep: one rule for every door and every back-end.

PostgreSQL can neither store nor even compare a string holding NUL, and a lone UTF-16
surrogate (what a JSON ``"\\ud800"`` escape decodes to) has no UTF-8 form, so no
back-end can keep it. Tenant ids come from URLs, headers and bodies alike and are
stored in ``String(TENANT_MAX)`` columns, which PostgreSQL and MariaDB enforce.
"""

from __future__ import annotations

import re
from typing import Any

from quantum.core import exceptions as exc

NAME_MAX = 255
"""Longest name, tenant id or attachment id the store accepts (column width)."""

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
TENANT_MAX = NAME_MAX

DESCRIPTION_MAX = 255
"""Longest ``description`` of a network, subnet or port."""
TAG_MAX = 60
"""Longest tag of a network, subnet or port."""
TAGS_MAX = 50
"""Most tags one network, subnet or port may carry."""


def unstorable(text: str) -> str | None:
    """The first character of ``text`` that no back-end can store (``U+0000``), or
    None."""
    found = UNSTORABLE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def first_unstorable(value: Any) -> str | None:
    """The first character no back-end can store (``U+0000``) in any string of a
    decoded JSON value, object keys included; None when every string is storable.

    The doors (v2 bodies, agent API bodies) check a whole body with this once, so
    nothing below them needs to ask again.
    """
    # NOTE: a loop, not recursion: a body nested as deep as the decoder allows
    # must not exhaust the stack here.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            bad = unstorable(item)
            if bad is not None:
                return bad
    return None


def storable(*values: str) -> bool:
    """Whether every value could be stored, and so compared, on every back-end."""
    return not any(UNSTORABLE.search(v) for v in values)


def tenant_id(value: str) -> str:
    """A tenant id as the store can keep it. Raises InvalidInput (400)."""
    if len(value) > TENANT_MAX:
        raise exc.InvalidInput(
            reason=f"tenant_id is longer than {TENANT_MAX} characters"
        )
    bad = unstorable(value)
    if bad is not None:
        raise exc.InvalidInput(reason=f"tenant_id contains {bad}")
    return value
