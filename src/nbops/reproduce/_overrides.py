"""The ``--env--…`` overrides that give a reproduction the run's exact parameters.

The ledger records ``env`` as the project's ``env.yaml`` with the build's
command-line overrides applied (values as given, placeholders unexpanded).
The checkout at the run's commit (plus its captured diff) has the very same
``env.yaml``, so every recorded value that differs from it was a
command-line override, and is passed again the same way. Values redacted as
secrets cannot be passed again; they are reported instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.core import REDACTED, ConfigError

SEP = "--"


def flatten(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """``{"a": {"b": 1}}`` -> ``{("a", "b"): 1}`` (lists and scalars are leaves)."""
    flat: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path))
        else:
            flat[path] = value
    return flat


def as_cli_value(value: Any) -> str:
    """The string Ploomber turns back into ``value`` (it ``literal_eval``s rendered values)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return json.dumps(value)


@dataclass
class Overrides:
    """What to pass to ``ploomber build`` and what could not be passed.

    Attributes:
        values: ``{("data", "path"): "x.csv"}``: env keys to set and their values.
        secrets: env keys whose recorded value was redacted.
        unknown: recorded env keys the checkout's env.yaml does not have.
    """

    values: dict[tuple[str, ...], str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        """``["--env--data--path", "x.csv", ...]`` in key order."""
        args: list[str] = []
        for keys in sorted(self.values):
            args += [f"--env--{SEP.join(keys)}", self.values[keys]]
        return args

    def describe(self) -> list[str]:
        """One ``key=value`` string per override."""
        return [f"{'.'.join(k)}={v}" for k, v in sorted(self.values.items())]


def read_env_file(path: Path) -> dict[str, Any]:
    """The raw ``env.yaml`` at ``path`` (empty when there is none).

    Raises:
        ConfigError: the file is not a YAML mapping.
    """
    import yaml  # type: ignore[import-untyped]

    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{path} at the run's commit is not valid YAML ({exc})",
            "fix env.yaml in a new commit; the recorded one cannot be reproduced",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} at the run's commit is not a mapping", "env.yaml must map names to values"
        )
    return data


def compute_overrides(
    recorded_env: Mapping[str, Any],
    checkout_env: Mapping[str, Any],
    redirect: Mapping[str, str] | None = None,
) -> Overrides:
    """Overrides that turn the checkout's env.yaml into the recorded env.

    Args:
        recorded_env: the manifest's ``env`` section.
        checkout_env: the raw env.yaml of the checkout.
        redirect: recorded string values to replace (an input file restored elsewhere).
    """
    recorded = flatten(recorded_env)
    current = flatten(checkout_env)
    redirect = redirect or {}
    result = Overrides()
    for keys, value in recorded.items():
        if isinstance(value, str) and value in redirect:
            value = redirect[value]
        if keys in current and current[keys] == value:
            continue
        name = ".".join(keys)
        if value == REDACTED:
            result.secrets.append(name)
        elif keys not in current:
            result.unknown.append(name)
        else:
            result.values[keys] = as_cli_value(value)
    return result
