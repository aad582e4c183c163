"""Validate nbops' JSON files against the JSON Schemas shipped in ``nbops/core/schemas``.

The schemas are standard JSON Schema (draft 2020-12) so that any tool can use
them. nbops checks them with this small validator rather than ``jsonschema``
because importing ``jsonschema`` costs seconds in this environment (its
optional format checkers build a parser at import time), and ``nbops runs``
must answer in well under a second. The validator implements exactly the
keywords the shipped schemas use (:data:`SUPPORTED_KEYWORDS`); a test checks
that every shipped schema sticks to them and that verdicts agree with
``jsonschema`` on valid and invalid documents.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema", "$id", "$defs", "$ref", "title", "description",
        "type", "properties", "required", "additionalProperties", "items",
        "enum", "const", "pattern", "minimum", "maximum", "minLength", "anyOf",
    }
)

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load the shipped schema ``<name>.schema.json``."""
    text = resources.files("nbops.core.schemas").joinpath(f"{name}.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str,
           errors: list[str]) -> None:
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        _check(value, target, root, where, errors)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            errors.append(f"{where}: expected {' or '.join(kinds)}, got {type(value).__name__}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    if isinstance(value, str):
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: shorter than {schema['minLength']} characters")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} is above {schema['maximum']}")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(f"{where}: missing required key {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{where}.{key}", errors)
            elif extra is False:
                errors.append(f"{where}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                _check(item, extra, root, f"{where}.{key}", errors)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], root, f"{where}[{index}]", errors)
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            trial: list[str] = []
            _check(value, option, root, where, trial)
            if not trial:
                break
        else:
            errors.append(f"{where}: matches none of the allowed shapes")


def schema_errors(document: Any, name: str) -> list[str]:
    """Every way ``document`` violates the shipped schema ``name`` (empty if valid)."""
    schema = load_schema(name)
    errors: list[str] = []
    _check(document, schema, schema, "$", errors)
    return errors
