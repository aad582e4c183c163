"""Parameters given at trigger time → Ploomber's ``--env--`` overrides: the one encoding.

A scheduler hands each nbops command the run's parameters as one JSON object of
dotted env keys (``{"model.max_depth": 5}``; ``None`` means "as in env.yaml").
:func:`override_argv` turns them into the command-line words ``ploomber build``
would take (``--env--model--max_depth 5``), which the ledger records and reads back
with :func:`nbops.adapters.resolved_env`; :func:`dotted_overrides` gives the same
values to :func:`nbops.adapters.load_dag`. The spelling itself is the settings
owner's (:class:`nbops.core.SettingKey`, :func:`nbops.core.env_options`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nbops.core import ConfigError, SettingKey, env_options, option_value

if TYPE_CHECKING:
    from nbops.contracts import JSONObject


def parse_params(text: str | None) -> JSONObject:
    """The ``--params`` JSON object; one sentence when it is not one."""
    if not text:
        return {}
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params is not JSON ({exc.msg} at character {exc.pos})",
                          "pass one JSON object of env keys, e.g. '{\"model.max_depth\": 5}'"
                          ) from None
    if not isinstance(params, dict) or not all(isinstance(k, str) and k for k in params):
        raise ConfigError("--params must be one JSON object whose keys are env keys",
                          "pass e.g. '{\"model.max_depth\": 5, \"seed\": 7}'")
    return params


def dotted_overrides(params: Mapping[str, Any]) -> dict[str, str]:
    """``{"model.max_depth": "5"}`` for every parameter given (not None)."""
    return {SettingKey.parse(key).dotted: option_value(value)
            for key, value in sorted(params.items()) if value is not None}


def override_argv(params: Mapping[str, Any]) -> list[str]:
    """``["--env--model--max_depth", "5", …]`` for every parameter given (not None)."""
    return env_options(dotted_overrides(params))


def check_known(env: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """Every parameter names a value of env.yaml (Ploomber would refuse the build)."""
    for key in params:
        node: Any = env
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise ConfigError(f"parameter {key!r} is not a value of env.yaml",
                                  "give env keys as they are nested in env.yaml, joined by "
                                  "dots (model.max_depth), or add the key to env.yaml")
            node = node[part]
        if isinstance(node, Mapping):
            raise ConfigError(f"parameter {key!r} names a section of env.yaml, not a value",
                              "give one of its keys (e.g. " + key + "." + next(iter(node), "KEY")
                              + ")")
