# SPDX-License-Identifier: Apache-2.0
"""The published OpenAPI document of v1.1, as tests use it.

Loads ``etc/openapi/quantum-v1.1.yaml``, finds the documented operation for a request
path, and checks JSON values against its schemas. The schema checker covers the
OpenAPI 3.0 subset the document uses (``$ref``, ``type``, ``nullable``, ``enum``,
``required``, ``properties``, ``additionalProperties``, ``items``, ``minLength``,
``maxLength``, ``oneOf``); an unknown keyword fails loudly rather than passing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parents[2] / "etc" / "openapi" / "quantum-v1.1.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_KNOWN_KEYWORDS = {
    "$ref", "type", "nullable", "enum", "required", "properties",
    "additionalProperties", "items", "minLength", "maxLength", "oneOf", "description",
}  # fmt: skip


@cache
def document() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def base_path() -> str:
    return str(document()["servers"][0]["url"])


def resolve(node: Any) -> Any:
    """Follow ``$ref`` (local refs only) until a non-reference node."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        target: Any = document()
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec["operationId"])

    def response(self, status: int) -> dict[str, Any] | None:
        found = self.spec["responses"].get(str(status))
        return None if found is None else resolve(found)

    def json_schema(self, status: int) -> dict[str, Any] | None:
        response = self.response(status)
        if response is None:
            return None
        media = response.get("content", {}).get("application/json")
        return None if media is None else media.get("schema")


def operations() -> list[Operation]:
    found = []
    for template, item in document()["paths"].items():
        for method in METHODS:
            if method in item:
                found.append(Operation(method.upper(), template, item[method]))
    return found


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex + r"\Z")


def matching(method: str, path: str) -> list[Operation]:
    """Documented operations whose template matches ``path``, concrete ones first.

    OpenAPI prefers concrete paths, so ``/networks/detail`` is not taken for
    ``/networks/{network_id}`` by GET; with PUT or DELETE only the template matches.
    """
    found = [
        op
        for op in operations()
        if op.method == method and _pattern(op.template).match(path)
    ]
    return sorted(found, key=lambda op: op.template.count("{"))


def find(method: str, path: str) -> Operation | None:
    """The documented operation for ``path`` (server-relative, suffix stripped)."""
    found = matching(method, path)
    return found[0] if found else None


def schema_errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` fails ``schema`` (empty when it conforms)."""
    schema = resolve(schema)
    unknown = set(schema) - _KNOWN_KEYWORDS
    if unknown:
        raise ValueError(f"schema keyword(s) not supported by this checker: {unknown}")
    if value is None:
        return _null_errors(schema, where)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not schema_errors(value, s, where)]
        if len(matches) != 1:
            return [f"{where}: matches {len(matches)} of the oneOf alternatives"]
        return []
    errors = _type_errors(value, schema.get("type"), where)
    if errors:
        return errors
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        errors.extend(_length_errors(value, schema, where))
    if isinstance(value, dict):
        errors.extend(_object_errors(value, schema, where))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(schema_errors(item, schema["items"], f"{where}[{i}]"))
    return errors


def _null_errors(schema: dict[str, Any], where: str) -> list[str]:
    if schema.get("nullable") or None in schema.get("enum", ()):
        return []
    if "type" in schema or "properties" in schema or "oneOf" in schema:
        return [f"{where}: null is not allowed"]
    return []


def _length_errors(value: str, schema: dict[str, Any], where: str) -> list[str]:
    if len(value) < schema.get("minLength", 0):
        return [f"{where}: shorter than {schema['minLength']}"]
    if len(value) > schema.get("maxLength", len(value)):
        return [f"{where}: longer than {schema['maxLength']}"]
    return []


def _type_errors(value: Any, expected: str | None, where: str) -> list[str]:
    checks: dict[str, Any] = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if expected is None or checks[expected](value):
        return []
    return [f"{where}: expected {expected}, got {type(value).__name__}"]


def _object_errors(
    value: dict[str, Any], schema: dict[str, Any], where: str
) -> list[str]:
    required = schema.get("required", ())
    errors = [f"{where}: missing {key!r}" for key in required if key not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            errors.extend(schema_errors(item, properties[key], f"{where}.{key}"))
        elif extra is False:
            errors.append(f"{where}: unexpected key {key!r}")
        elif isinstance(extra, dict):
            errors.extend(schema_errors(item, extra, f"{where}.{key}"))
    return errors
