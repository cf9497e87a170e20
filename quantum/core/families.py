# SPDX-License-Identifier: Apache-2.0
"""The families of the one error hierarchy (``quantum.core.exceptions`` holds
the rest and re-exports these).

Apart so that a short-lived command (``quantum-vif plug``) that raises or catches
only a family does not pay for making the ninety-odd dataclasses of every error the
service knows (about 19 ms at start-up).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, dataclass_transform


@dataclass_transform(kw_only_default=True, eq_default=False)
class QuantumError(Exception):
    """Base of every error Quantum raises on purpose.

    Every subclass is made a keyword-only dataclass as it is defined (the
    ``dataclass_transform`` tells mypy so): its fields are the annotated names, and
    ``template`` is formatted from them. A misspelled or missing field is a type error
    at the raise site (and a ``TypeError`` when run).
    """

    template: ClassVar[str] = "An unknown error occurred."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(eq=False, kw_only=True, repr=False)(cls)

    def __init__(self) -> None:
        self.__post_init__()

    def __post_init__(self) -> None:
        super().__init__(self.template.format(**self.values()))

    def values(self) -> dict[str, Any]:
        """The fields, by name."""
        names = getattr(self, "__dataclass_fields__", {})
        return {name: getattr(self, name) for name in names}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({shown})"

    @property
    def detail(self) -> str:
        return str(self)


def _rebuild(kind: type[QuantumError], values: dict[str, Any]) -> QuantumError:
    """Unpickling: the error made again from its fields."""
    return kind(**values)


class NotFound(QuantumError):
    """The addressed resource does not exist (or is not the caller's)."""


class Conflict(QuantumError):
    """The request contradicts the current state of a resource."""


class InUse(Conflict):
    """The resource cannot change or go while something uses it."""


class BadRequest(QuantumError):
    """The request itself is invalid, whatever the state."""


class ServiceUnavailable(QuantumError):
    """A dependency cannot be reached or used; retrying may succeed."""

    template = "The service is temporarily unavailable."


class DependencyUnavailable(ServiceUnavailable):
    """The database (or another dependency) cannot be reached or used."""

    template = "The service is temporarily unavailable: {reason}"

    reason: str


class ConfigError(QuantumError):
    """The configuration cannot be used; raised at start-up, never per request."""

    template = "{reason}"

    reason: str
