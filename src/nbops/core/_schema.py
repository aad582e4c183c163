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
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema", "$id", "$defs", "$ref", "title", "description",
        "type", "properties", "required", "additionalProperties", "items",
        "enum", "const", "pattern", "minimum", "maximum", "minLength", "maxLength",
        "minItems", "maxItems", "anyOf",
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


CORE_SCHEMAS = "nbops.core.schemas"


@cache
def load_schema(name: str, package: str = CORE_SCHEMAS) -> dict[str, Any]:
    """Load the schema ``<name>.schema.json`` shipped in ``package`` (default: core's)."""
    text = resources.files(package).joinpath(f"{name}.schema.json").read_text()
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


# A compiled check appends to ``errors``; ``where`` is the JSON path, or None on
# the fast first pass (paths are only built when something is wrong).
Check = Callable[[Any, str | None, list[str]], None]


def _noop(value: Any, where: str | None, errors: list[str]) -> None:
    return None


def _compile(schema: dict[str, Any], root: dict[str, Any], refs: dict[str, Check]) -> Check:
    """Turn a schema into a chain of small checks, built once per schema."""
    checks: list[Check] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref not in refs:
            target: Any = root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            refs[ref] = _noop  # placeholder while compiling (recursive schemas)
            refs[ref] = _compile(target, root, refs)

        def follow(v: Any, w: str | None, e: list[str], ref: str = ref) -> None:
            refs[ref](v, w, e)
        checks.append(follow)
    kinds = schema.get("type")
    kind_list = [] if kinds is None else (kinds if isinstance(kinds, list) else [kinds])
    simple = tuple(_TYPES[k] for k in kind_list if k not in ("integer", "number", "boolean"))
    plain = tuple(t for group in simple for t in group)
    checks.extend(_value_checks(schema))
    body = _container_checks(schema, root, refs)

    def check(value: Any, where: str | None, errors: list[str]) -> None:
        if kind_list and not (isinstance(value, plain) and not isinstance(value, bool)
                              or any(_is_type(value, k) for k in kind_list)):
            errors.append(f"{where}: expected {' or '.join(kind_list)}, "
                          f"got {type(value).__name__}")
            return
        for item in checks:
            item(value, where, errors)
        if body is not None:
            body(value, where, errors)

    return check


def _value_checks(schema: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "enum" in schema:
        allowed = schema["enum"]

        def enum(v: Any, w: str | None, e: list[str]) -> None:
            if v not in allowed or isinstance(v, bool) != any(isinstance(a, bool) and a == v
                                                               for a in allowed):
                e.append(f"{w}: {v!r} is not one of {allowed}")
        checks.append(enum)
    if "const" in schema:
        const = schema["const"]

        def same(v: Any, w: str | None, e: list[str]) -> None:
            if v != const or isinstance(v, bool) != isinstance(const, bool):
                e.append(f"{w}: expected {const!r}, got {v!r}")
        checks.append(same)
    if "pattern" in schema or "minLength" in schema or "maxLength" in schema:
        regex = _regex(schema["pattern"]) if "pattern" in schema else None
        min_length = schema.get("minLength", 0)
        max_length = schema.get("maxLength")

        def text(v: Any, w: str | None, e: list[str]) -> None:
            if isinstance(v, str):
                if regex is not None and not regex.search(v):
                    e.append(f"{w}: {v!r} does not match {regex.pattern}")
                if len(v) < min_length:
                    e.append(f"{w}: shorter than {min_length} characters")
                if max_length is not None and len(v) > max_length:
                    e.append(f"{w}: longer than {max_length} characters")
        checks.append(text)
    if "minimum" in schema or "maximum" in schema:
        low, high = schema.get("minimum"), schema.get("maximum")

        def bounds(v: Any, w: str | None, e: list[str]) -> None:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if low is not None and v < low:
                    e.append(f"{w}: {v} is below {low}")
                if high is not None and v > high:
                    e.append(f"{w}: {v} is above {high}")
        checks.append(bounds)
    if "minItems" in schema or "maxItems" in schema:
        fewest, most = schema.get("minItems", 0), schema.get("maxItems")

        def length(v: Any, w: str | None, e: list[str]) -> None:
            if isinstance(v, list):
                if len(v) < fewest:
                    e.append(f"{w}: fewer than {fewest} items")
                if most is not None and len(v) > most:
                    e.append(f"{w}: more than {most} items")
        checks.append(length)
    return checks


def _container_checks(schema: dict[str, Any], root: dict[str, Any],
                      refs: dict[str, Check]) -> Check | None:
    parts: list[Check] = []
    if "required" in schema or "properties" in schema or "additionalProperties" in schema:
        required = tuple(schema.get("required", ()))
        props = {k: _compile(v, root, refs) for k, v in schema.get("properties", {}).items()}
        extra_schema = schema.get("additionalProperties", True)
        extra = _compile(extra_schema, root, refs) if isinstance(extra_schema, dict) else None
        closed = extra_schema is False

        def obj(v: Any, w: str | None, e: list[str]) -> None:
            if not isinstance(v, dict):
                return
            for key in required:
                if key not in v:
                    e.append(f"{w}: missing required key {key!r}")
            for key, item in v.items():
                sub = props.get(key)
                if sub is not None:
                    sub(item, None if w is None else f"{w}.{key}", e)
                elif closed:
                    e.append(f"{w}: unexpected key {key!r}")
                elif extra is not None:
                    extra(item, None if w is None else f"{w}.{key}", e)
        parts.append(obj)
    if "items" in schema:
        each = _compile(schema["items"], root, refs)

        def array(v: Any, w: str | None, e: list[str]) -> None:
            if isinstance(v, list):
                for index, item in enumerate(v):
                    each(item, None if w is None else f"{w}[{index}]", e)
        parts.append(array)
    if "anyOf" in schema:
        options = [_compile(option, root, refs) for option in schema["anyOf"]]

        def any_of(v: Any, w: str | None, e: list[str]) -> None:
            for option in options:
                trial: list[str] = []
                option(v, w, trial)
                if not trial:
                    return
            e.append(f"{w}: matches none of the allowed shapes")
        parts.append(any_of)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]

    def chain(v: Any, w: str | None, e: list[str]) -> None:
        for part in parts:
            part(v, w, e)
    return chain


@cache
def _validator(name: str, package: str) -> Check:
    schema = load_schema(name, package)
    return _compile(schema, schema, {})


def schema_errors(document: Any, name: str, package: str = CORE_SCHEMAS) -> list[str]:
    """Every way ``document`` violates the schema ``name`` of ``package`` (empty if valid).

    Features keep the schemas of their manifest sections in their own package
    (e.g. ``nbops.registry.schemas``); the core's are the default.
    """
    check = _validator(name, package)
    errors: list[str] = []
    check(document, None, errors)
    if errors:  # second pass, with JSON paths in the messages
        errors = []
        check(document, "$", errors)
    return errors
