# SPDX-License-Identifier: Apache-2.0
"""How attribute values print: lists one item a line in tables (dicts as JSON, as
the Grizzly CLI showed ``fixed_ips``), the value itself for json and yaml."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cliff.columns import FormattableColumn


class Listed(FormattableColumn[Any]):
    def human_readable(self) -> str:
        return "\n".join(_item(i) for i in self._value)


class Mapped(FormattableColumn[Any]):
    def human_readable(self) -> str:
        return json.dumps(self._value, sort_keys=True)


def _item(value: Any) -> str:
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True)
    return str(value)


def cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return Listed(list(value))
    if isinstance(value, Mapping):
        return Mapped(dict(value))
    return value


def row(record: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    return tuple(cell(record.get(c, "")) for c in columns)


def all_columns(records: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every attribute any record has, in first-seen order."""
    found: dict[str, None] = {}
    for record in records:
        found.update(dict.fromkeys(record))
    return tuple(found)
