"""``nbops apply RUN``: write a past run's parameters back into ``env.yaml``.

The run recorded ``env`` as the build resolved it (``env.yaml`` plus its
``--env--`` overrides). :func:`plan_apply` edits today's file with ruamel.yaml's
round-trip loader, so comments, key order and quoting stay as they are, and
changes only scalar values that exist in both and differ; it returns the new
text and a unified diff for the CLI to show before anything is written.
Left alone, each with its reason: values the ledger redacted (secrets), values
today's file computes with a placeholder (``{{here}}`` …), and keys the run had
that today's file does not (they are listed, not added).
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.core import ConfigError, atomic_write_text, flatten

REDACTED = "***redacted***"


@dataclass
class ApplyPlan:
    """What applying a run's parameters would change in ``path``."""

    path: Path
    run_id: str
    before: str
    after: str
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def diff(self) -> str:
        """The change as a unified diff of the file's text."""
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            f"{self.path.name} (now)", f"{self.path.name} (run {self.run_id})"))

    def write(self) -> None:
        """Replace the file with the new text (atomic)."""
        atomic_write_text(self.path, self.after)


def _leaves(data: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each value of ``data`` by its key's levels (an empty mapping holds none)."""
    for key, value in flatten(data).items():
        if not isinstance(value, Mapping):
            yield key.parts, value


def plan_apply(path: Path, recorded_env: Mapping[str, Any], run_id: str) -> ApplyPlan:
    """The edit that makes ``path`` hold run ``run_id``'s parameters (nothing written).

    Raises:
        ConfigError: the file is missing or not a YAML mapping.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    if not path.is_file():
        raise ConfigError(f"{path} does not exist, so there is nothing to apply the run to",
                          "run nbops apply from the project holding env.yaml")
    before = path.read_text(encoding="utf-8")
    yaml = YAML()  # round trip: comments, order and quotes are kept
    yaml.preserve_quotes = True
    yaml.representer.add_representer(  # null stays written as null, not as nothing
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    try:
        document = yaml.load(before)
    except YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc})", "fix it first") from None
    if not isinstance(document, Mapping):
        raise ConfigError(f"{path} is not a mapping of names to values", "fix it first")
    plan = ApplyPlan(path, run_id, before, before)
    for keys, value in _leaves(recorded_env):
        name = ".".join(keys)
        node: Any = document
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(node, MutableMapping) or keys[-1] not in node:
            plan.skipped[name] = "not in today's file (not added)"
            continue
        current = node[keys[-1]]
        if isinstance(current, Mapping) or isinstance(value, list) or isinstance(current, list):
            if current != value:
                plan.skipped[name] = "a list or mapping (edit it by hand)"
            continue
        if value == REDACTED:
            plan.skipped[name] = "a secret the ledger never recorded"
            continue
        if isinstance(current, str) and "{{" in current:
            if str(current) != str(value):
                plan.skipped[name] = f"computed by a placeholder ({current})"
            continue
        if _plain(current) == value and type(_plain(current)) is type(value):
            continue
        plan.changed[name] = (None if current is None else _plain(current), value)
        node[keys[-1]] = value
    if plan.changed:
        out = io.StringIO()
        yaml.dump(document, out)
        plan.after = out.getvalue()
    return plan


def _plain(value: Any) -> Any:
    """A ruamel scalar as the plain Python value it stands for."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value
