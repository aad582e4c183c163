"""The ``registry:`` and ``gates:`` sections of a build's env, parsed once per build.

A build reaches these sections three times, from callbacks Ploomber calls one after
the other (``on_render`` checks them and prepares the registry step, ``on_finish``
gates the model), and Ploomber hands each callback values, never an object nbops
made earlier. Within one callback nbops passes the parsed objects on
(:class:`~nbops.registry._config.RegistryConfig`, the list of
:class:`~nbops.registry._gates.Gate`); across callbacks these two functions remember
the last parse, keyed on the section's value itself (types included, so ``1`` and
``true`` are different keys), so an equal section is never parsed twice and a changed
one (a command-line override) always is. Parsing is a pure function of the value (and,
for gates, of the operator symbols installed, also in the key) and both results are
immutable, so the memo can never answer for other values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbops.registry._config import RegistryConfig, parse_registry_config
from nbops.registry._gates import Gate, gate_operators, parse_gates

_last_registry: tuple[Any, RegistryConfig] | None = None
_last_gates: tuple[Any, tuple[Gate, ...]] | None = None


def _key(value: Any) -> Any:
    """A hashable, type-exact image of a YAML value (mapping order kept: gates run in it)."""
    if isinstance(value, Mapping):
        return ("mapping", tuple((_key(k), _key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(_key(item) for item in value))
    return (type(value).__qualname__, repr(value))


def registry_config_of(raw: Any, project_name: str = "model") -> RegistryConfig:
    """:func:`~nbops.registry._config.parse_registry_config` of ``raw``, parsed once.

    Raises:
        ConfigError: as the parse does (a refused section is never remembered).
    """
    global _last_registry
    key = (_key(raw), project_name)
    if _last_registry is not None and _last_registry[0] == key:
        return _last_registry[1]
    config = parse_registry_config(raw, project_name)
    _last_registry = (key, config)
    return config


def gates_of(raw: Any) -> tuple[Gate, ...]:
    """:func:`~nbops.registry._gates.parse_gates` of ``raw``, parsed once.

    Raises:
        ConfigError: as the parse does (a refused section is never remembered).
    """
    global _last_gates
    key = (_key(raw), tuple(gate_operators()))  # a plug-in's operator changes the parse
    if _last_gates is not None and _last_gates[0] == key:
        return _last_gates[1]
    gates = tuple(parse_gates(raw))
    _last_gates = (key, gates)
    return gates
