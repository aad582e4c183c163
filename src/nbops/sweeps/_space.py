"""The search space of a sweep: which ``env.yaml`` keys vary, over which values.

Two forms on the command line, both naming a dotted ``env.yaml`` key:

``--grid model.max_depth=3,5``
    an explicit list of values (every sampler can use it);
``--param model.learning_rate=float:0.01:0.3[:log]``, ``int:2:8``, ``choice:a,b``
    a range to sample (random and TPE samplers).

Every key must exist in the project's resolved ``env.yaml`` and every value must
have the type of the key's default (an ``int`` key takes whole numbers, a
``float`` key any number, a ``bool`` key true/false) and lie within what
``env.yaml``'s ``parameters:`` section declares for it (both bounds of a range),
so a typo is one sentence before any trial runs.  A value that is not plain YAML
(``[a``, a leading backtick) or looks like a template (``{{7*7}}``, which
Ploomber would expand) is refused the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from nbops.contracts import JSONObject, SweepDimension
from nbops.core import ConfigError, SettingKey, check_parameters

#: The kinds of dimension a sweep knows.
KINDS = ("grid", "float", "int", "choice")


@dataclass(frozen=True)
class Dimension:
    """One varying key: a list of values (grid, choice) or a numeric range."""

    key: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False

    def to_dict(self) -> SweepDimension:
        """As recorded in the sweep record's ``space``."""
        if self.kind in ("grid", "choice"):
            return {"kind": self.kind, "values": list(self.values)}
        return {"kind": self.kind, "low": self.low, "high": self.high, "log": self.log}

    @classmethod
    def from_dict(cls, key: str, data: Mapping[str, Any]) -> Dimension:
        """Back from the sweep record."""
        if data["kind"] in ("grid", "choice"):
            return cls(key, data["kind"], tuple(data["values"]))
        return cls(key, data["kind"], low=data["low"], high=data["high"], log=data["log"])


def lookup(env: Mapping[str, Any], key: str) -> Any:
    """The default value of dotted ``key`` in ``env``.

    Raises:
        ConfigError: no such key, naming the keys that do exist at that level.
    """
    node: Any = env
    parts = SettingKey.parse(key).parts
    for depth, part in enumerate(parts):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(parts[:depth]) or "the top level"
            known = ", ".join(sorted(str(k) for k in node)) if isinstance(node, Mapping) else ""
            raise ConfigError(
                f"Sweep parameter {key!r} is not a key of env.yaml",
                f"use one of the keys under {where}: {known}" if known else
                f"{where} is a value, not a section: sweep over {where} itself")
        node = node[part]
    if isinstance(node, Mapping):
        raise ConfigError(f"Sweep parameter {key!r} is a section of env.yaml, not a value",
                          f"name one of its keys: {', '.join(sorted(map(str, node)))}")
    return node


def _plain(key: str, raw: str) -> Any:
    """``raw`` read as one YAML scalar; ConfigError for YAML syntax or a template."""
    fix = (f"give {key} plain values: numbers, true/false, null or text without brackets, "
           "braces or backticks")
    if "{{" in raw or "{%" in raw:
        raise ConfigError(f"Sweep value {raw!r} for {key!r} looks like a template, which "
                          "Ploomber would expand", fix)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        reason = str(getattr(exc, "problem", None) or type(exc).__name__)
        raise ConfigError(f"Sweep value {raw!r} for {key!r} is not a plain value ({reason})",
                          fix) from None
    if isinstance(value, list | dict):
        raise ConfigError(f"Sweep value {raw!r} for {key!r} is a YAML "
                          f"{'list' if isinstance(value, list) else 'mapping'}, not one value",
                          fix)
    return value


def coerce(key: str, raw: Any, default: Any) -> Any:
    """``raw`` (a YAML scalar or a string from the command line) as the type of ``default``.

    Raises:
        ConfigError: the value does not fit the key's type, or is not a plain value.
    """
    value = _plain(key, raw) if isinstance(raw, str) else raw
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif isinstance(default, float):
        if isinstance(value, str):  # YAML 1.1 reads 1e-3 (no dot) as text, not a number
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    elif default is None:
        if value is None or isinstance(value, str | int | float | bool):
            return value
    elif isinstance(default, str):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return raw if isinstance(raw, str) else str(value)
    else:
        return value
    kind = type(default).__name__
    article = "an" if kind[0] in "aeiou" else "a"
    raise ConfigError(f"Sweep value {raw!r} for {key!r} is not {article} {kind} like its "
                      f"env.yaml default {default!r}", f"give {key} {kind} values")


def _with_value(env: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``env`` (copied along ``key``'s path only) with ``key`` set to ``value``."""
    top = dict(env)
    node = top
    parts = SettingKey.parse(key).parts
    for part in parts[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    node[parts[-1]] = value
    return top


def within_declaration(key: str, values: tuple[Any, ...], env: Mapping[str, Any]) -> None:
    """Check ``values`` of ``key`` against ``env.yaml``'s ``parameters:`` declaration.

    Raises:
        ConfigError: a value a trial's build would refuse (outside the declared range or
            choices), before any trial runs.
    """
    if not isinstance(env.get("parameters"), Mapping):
        return
    for value in values:
        try:
            check_parameters(_with_value(env, key, value))
        except ConfigError as exc:
            if not exc.problem.startswith(f"parameter {key} "):
                raise  # the declaration itself (or another default) is wrong: said as it is
            raise ConfigError(f"Sweep value {value!r} for {key!r} is outside what env.yaml "
                              f"declares: {exc.problem}",
                              f"give {key} values its declaration under parameters: allows "
                              "(or change the declaration)") from None


def _split_assignment(text: str, flag: str) -> tuple[str, str]:
    key, sep, rest = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{flag} {text!r} is not KEY=VALUES",
                          f"write it as {flag} model.max_depth=3,5")
    return key.strip(), rest.strip()


def parse_grid(text: str, env: Mapping[str, Any]) -> Dimension:
    """``KEY=V1,V2,…`` → a grid dimension with values typed like the key's default."""
    key, rest = _split_assignment(text, "--grid")
    default = lookup(env, key)
    raw = [part.strip() for part in rest.split(",")] if rest else []
    if not [part for part in raw if part]:
        raise ConfigError(f"--grid {key} has no values",
                          f"list at least one, e.g. --grid {key}={default}")
    values = tuple(coerce(key, part, default) for part in raw if part)
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"--grid {key} lists a value twice", "list each value once")
    within_declaration(key, values, env)
    return Dimension(key, "grid", values)


def parse_param(text: str, env: Mapping[str, Any]) -> Dimension:
    """``KEY=float:LOW:HIGH[:log]``, ``KEY=int:LOW:HIGH`` or ``KEY=choice:A,B`` → a dimension."""
    key, rest = _split_assignment(text, "--param")
    default = lookup(env, key)
    kind, _, spec = rest.partition(":")
    if kind == "choice":
        values = tuple(coerce(key, part.strip(), default) for part in spec.split(",")
                       if part.strip())
        if not values:
            raise ConfigError(f"--param {key}=choice: lists no values",
                              f"write --param {key}=choice:A,B")
        within_declaration(key, values, env)
        return Dimension(key, "choice", values)
    if kind not in ("float", "int"):
        raise ConfigError(f"--param {text!r} has an unknown kind {kind!r}",
                          "use float:LOW:HIGH[:log], int:LOW:HIGH or choice:A,B")
    parts = spec.split(":")
    log = parts[-1] == "log"
    if log:
        parts = parts[:-1]
    if len(parts) != 2:
        raise ConfigError(f"--param {text!r} needs a low and a high bound",
                          f"write --param {key}={kind}:LOW:HIGH")
    low, high = (coerce(key, part, 0.0 if kind == "float" else 0) for part in parts)
    coerce(key, low, default)  # the key itself must take this kind of number
    if not low < high or (log and low <= 0):
        raise ConfigError(f"--param {key} has bounds {low}..{high}",
                          "give LOW < HIGH (and LOW > 0 for a log scale)")
    within_declaration(key, (low, high), env)  # every draw lies between them
    return Dimension(key, kind, low=low, high=high, log=log)


def parse_fixed(pairs: list[tuple[str, str]], env: Mapping[str, Any]) -> JSONObject:
    """``--env--KEY VALUE`` overrides shared by every trial, typed like their defaults."""
    fixed = {key: coerce(key, value, lookup(env, key)) for key, value in pairs}
    for key, value in fixed.items():
        within_declaration(key, (value,), env)
    return fixed


def grid_size(space: list[Dimension]) -> int:
    """How many trials an exhaustive grid over ``space`` has."""
    return math.prod(len(dim.values) for dim in space)
