# SPDX-License-Identifier: Apache-2.0
"""The agents' ini files, one reader for every kind, on oslo.config.

An agent declares its options once, as a frozen dataclass whose fields carry the
defaults (docs/configuration.md lists each); ``read_options`` parses one section of
the file with oslo.config's parser, types each value the file sets by its field's
annotation with oslo.config's types (or a kind's own converter), and refuses an
option the agent does not know. Every mistake is one ``AgentConfigError`` naming
the option and the file, which ``main`` prints on one line and exits 2.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from oslo_config import cfg, types


class AgentConfigError(ValueError):
    pass


Converter = Callable[[str, str], object]
"""``(value, where) -> typed value``; a ValueError is named after the option."""

_TYPES: Mapping[object, Callable[[str], object]] = {
    str: types.String(),
    int: types.Integer(),
    float: types.Float(),
    bool: types.Boolean(),
}


def _typed(annotation: object) -> Callable[[str], object] | None:
    if annotation in _TYPES:
        return _TYPES[annotation]
    members = typing.get_args(annotation)
    if type(None) in members and len(members) == 2:  # NOTE: X | None: blank is None
        inner = _TYPES.get(next(m for m in members if m is not type(None)))
        if inner is not None:
            return lambda value: inner(value) if value.strip() else None
    return None


T = TypeVar("T")


def read_options(
    path: Path,
    section: str,
    options: type[T],
    converters: Mapping[str, Converter] | None = None,
) -> T:
    """``section`` of ``path`` as an ``options`` value; absent options keep their
    defaults. ``converters`` types the fields whose annotation is not a plain
    ``str``/``int``/``float``/``bool`` (or one of them ``| None``)."""
    converters = converters or {}
    where = f"[{section}] of {path}"
    sections: dict[str, dict[str, Any]] = {}
    try:
        cfg.ConfigParser(str(path), sections).parse()
    except OSError:
        raise AgentConfigError(f"cannot read {path}") from None
    except cfg.ParseError as error:
        raise AgentConfigError(f"{path}: {error}") from None
    hints = typing.get_type_hints(options)
    known = {f.name for f in dataclasses.fields(options)}  # type: ignore[arg-type]
    values: dict[str, object] = {}
    for name, raw in sections.get(section, {}).items():
        if name not in known:
            raise AgentConfigError(f"{where}: unknown option {name}")
        value = raw[-1]  # NOTE: a key given twice: the last one counts, as oslo's
        try:
            if name in converters:
                values[name] = converters[name](value, where)
            elif (convert := _typed(hints[name])) is not None:
                values[name] = convert(value.strip())
            else:  # pragma: no cover - a kind forgot its converter
                raise TypeError(f"{options.__name__}.{name} needs a converter")
        except AgentConfigError:
            raise  # NOTE: names the option and the file already
        except ValueError as error:
            raise AgentConfigError(f"{name} in {where}: {error}") from error
    return options(**values)


def split_list(value: str) -> list[str]:
    """A comma-separated ini value; blanks dropped."""
    return [item for item in types.List()(value) if item]
