"""Declared parameter checks: types and ranges of env.yaml values, checked before anything runs.

A project declares what its parameters may be in ``env.yaml`` under
``parameters:``, mirroring the nesting of the values it describes::

    parameters:
      data:
        rows: {type: int, min: 10}
        format: {type: str, choices: [csv, parquet], nullable: true}
      model:
        max_iter: {type: int, min: 1}
        learning_rate: {type: float, min: 0.0001, max: 1}

A leaf is a mapping with ``type`` (``int``, ``float``, ``bool``, ``str``) and
optionally ``min``, ``max`` (inclusive), ``choices`` and ``nullable`` (default
false). The ``on_render`` hook checks the resolved values (env.yaml plus
``--env--`` overrides, which arrive as text: ``"5"`` is an int, ``"abc"`` is
not) against the declaration, so ``--env--model--max_iter abc`` stops the build
with one sentence before the first task runs, instead of failing three tasks
later. Values without a declaration are not checked; a declaration whose value
is missing from env.yaml is a mistake in the declaration and is named too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nbops.core._errors import ConfigError
from nbops.core._settings import SettingKey

SECTION = "parameters"
TYPES = ("int", "float", "bool", "str")
_RULES = {"type", "min", "max", "choices", "nullable"}
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
_MISSING = object()


def check_parameters(env: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``env``'s values against its ``parameters:`` declaration.

    Returns:
        ``{dotted.name: value}`` of every checked value, converted to its type.

    Raises:
        ConfigError: a declaration is malformed, or a value has the wrong type or
            lies outside its range (naming the parameter, the value and the rule).
    """
    spec = env.get(SECTION)
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{SECTION}: in env.yaml is a {type(spec).__name__}, not a mapping",
                          "declare each parameter as NAME: {type: int, min: 1} under "
                          f"{SECTION}:")
    checked: dict[str, Any] = {}
    for name, rule in _leaves(spec, ()):
        value = SettingKey(name).get(env, _MISSING)
        if value is _MISSING:
            raise ConfigError(f"{SECTION}: declares {'.'.join(name)}, which env.yaml does not set",
                              f"add {'.'.join(name)} to env.yaml or remove its declaration")
        checked[".".join(name)] = check_value(".".join(name), value, rule)
    return checked


def _leaves(spec: Mapping[str, Any], prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for key, rule in spec.items():
        name = (*prefix, str(key))
        if isinstance(rule, Mapping) and "type" in rule:
            found.append((name, _validated_rule(".".join(name), rule)))
        elif isinstance(rule, Mapping):
            found.extend(_leaves(rule, name))
        else:
            raise ConfigError(f"{SECTION}: declares {'.'.join(name)} as {rule!r}",
                              "declare it as {type: int|float|bool|str, min: .., max: .., "
                              "choices: [..], nullable: true}")
    return found


def _validated_rule(name: str, rule: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(set(rule) - _RULES)
    if unknown:
        raise ConfigError(f"{SECTION}: {name} has unknown rule(s) {', '.join(map(str, unknown))}",
                          f"use only {', '.join(sorted(_RULES))}")
    if rule["type"] not in TYPES:
        raise ConfigError(f"{SECTION}: {name} has type {rule['type']!r}",
                          f"use one of {', '.join(TYPES)}")
    for bound in ("min", "max"):
        if bound in rule and (isinstance(rule[bound], bool)
                              or not isinstance(rule[bound], int | float)):
            raise ConfigError(f"{SECTION}: {name} has {bound}: {rule[bound]!r}",
                              f"give {bound} as a number")
    if "choices" in rule and not isinstance(rule["choices"], list):
        raise ConfigError(f"{SECTION}: {name} has choices: {rule['choices']!r}",
                          "give choices as a list")
    return rule


def check_value(name: str, value: Any, rule: Mapping[str, Any]) -> Any:
    """``value`` converted to ``rule``'s type, or ConfigError naming what is wrong."""
    override = f"{SettingKey.parse(name).option} VALUE"
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
        if rule.get("nullable", False):
            return None
        raise ConfigError(f"parameter {name} is empty (null)",
                          f"set {name} in env.yaml or pass {override}")
    kind = rule["type"]
    converted = _convert(value, kind)
    if converted is _MISSING:
        raise ConfigError(f"parameter {name} is {value!r}, which is not {_article(kind)}",
                          f"pass {_article(kind)} with {override}")
    if "choices" in rule and converted not in rule["choices"]:
        choices = ", ".join(map(str, rule["choices"]))
        raise ConfigError(f"parameter {name} is {value!r}, not one of {choices}",
                          f"pass one of {choices} with {override}")
    low, high = rule.get("min"), rule.get("max")
    if kind in ("int", "float") and ((low is not None and converted < low)
                                     or (high is not None and converted > high)):
        allowed = (f"between {low} and {high}" if low is not None and high is not None
                   else f"at least {low}" if low is not None else f"at most {high}")
        raise ConfigError(f"parameter {name} is {value!r}, but it must be {allowed}",
                          f"pass a value {allowed} with {override}")
    return converted


def _article(kind: str) -> str:
    return {"int": "an integer", "float": "a number", "bool": "true or false",
            "str": "text"}[kind]


def _convert(value: Any, kind: str) -> Any:
    text = value.strip() if isinstance(value, str) else None
    if kind == "str":
        return value if isinstance(value, str) else _MISSING
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        return _MISSING
    if isinstance(value, bool):
        return _MISSING
    if kind == "int":
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(text) if text is not None else _MISSING
        except ValueError:
            return _MISSING
    number: Any = value if isinstance(value, int | float) else _MISSING
    if text is not None:
        try:
            number = float(text)
        except ValueError:
            return _MISSING
    if number is _MISSING or not math.isfinite(number):
        return _MISSING
    return float(number)
