"""The ``--env--…`` overrides that give a reproduction the run's exact parameters.

The ledger records ``env`` as the project's ``env.yaml`` with the build's
command-line overrides applied (values as given, placeholders unexpanded).
The checkout at the run's commit (plus its captured diff) has the very same
``env.yaml``, so every recorded value that differs from it was a
command-line override, and is passed again the same way. Values redacted as
secrets cannot be passed again; they are reported instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nbops.core import REDACTED, SettingKey, env_options, flatten, option_value


@dataclass
class Overrides:
    """What to pass to ``ploomber build`` and what could not be passed.

    Attributes:
        values: ``{SettingKey(("data", "path")): "x.csv"}``: env keys to set, their values.
        secrets: env keys whose recorded value was redacted.
        unknown: recorded env keys the checkout's env.yaml does not have.
    """

    values: dict[SettingKey, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def ordered(self) -> dict[SettingKey, str]:
        """The keys to set and their values, in key order (the build's, as :meth:`argv`)."""
        return dict(sorted(self.values.items()))

    def argv(self) -> list[str]:
        """``["--env--data--path", "x.csv", ...]`` in key order."""
        return env_options(self.ordered())

    def describe(self) -> list[str]:
        """One ``key=value`` string per override."""
        return [f"{k.dotted}={v}" for k, v in sorted(self.values.items())]


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
        name = keys.dotted
        if value == REDACTED:
            result.secrets.append(name)
        elif keys not in current:
            result.unknown.append(name)
        else:
            result.values[keys] = option_value(value)
    return result
