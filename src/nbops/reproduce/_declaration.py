"""Which tasks are allowed not to reproduce bit for bit, and by how much.

A task is declared non-deterministic in ``env.yaml`` (so the declaration is
versioned with the code and recorded in every manifest's ``env``)::

    reproduce:
      nondeterministic:
        train_sgd:
          tolerance: 0.01            # absolute, for every metric the task logs
        simulate:
          tolerance:                 # or per metric; unlisted metrics must be equal
            mean_wait: 0.5

A declared task's products and notebook may differ between runs; it then
reproduces *within tolerance* when every metric it logged is within its
tolerance of the recorded value (and diverges otherwise). Undeclared tasks
must reproduce bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbops.contracts import ToleranceRecord
from nbops.core import ConfigError

SECTION = "reproduce"
_FIX = (
    "write it as reproduce: {nondeterministic: {TASK: {tolerance: NUMBER or {METRIC: NUMBER}}}} "
    "in env.yaml"
)


@dataclass(frozen=True)
class Tolerance:
    """How far a non-deterministic task's metrics may move.

    Attributes:
        default: absolute tolerance for every metric (``None``: exact unless listed).
        per_metric: absolute tolerance per metric name.
    """

    default: float | None = None
    per_metric: Mapping[str, float] = field(default_factory=dict)

    def for_metric(self, name: str) -> float:
        """The absolute tolerance for metric ``name`` (0.0: must be equal)."""
        if name in self.per_metric:
            return self.per_metric[name]
        return self.default if self.default is not None else 0.0

    def describe(self) -> str:
        """Human form, e.g. ``±0.01`` or ``roc_auc ±0.01``."""
        parts = [f"{name} ±{value:g}" for name, value in sorted(self.per_metric.items())]
        if self.default is not None:
            parts.insert(0, f"±{self.default:g}" + (" otherwise" if parts else ""))
        return ", ".join(parts) if parts else "exact metrics"

    def to_dict(self) -> ToleranceRecord:
        """JSON form."""
        return {"default": self.default, "per_metric": dict(self.per_metric)}


def _number(value: Any, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(f"env.yaml {where} is {value!r}, not a non-negative number", _FIX)
    return float(value)


def parse_declaration(section: Any) -> dict[str, Tolerance]:
    """Parse the ``reproduce`` section of env.yaml into ``{task: Tolerance}``.

    Args:
        section: the value of ``reproduce`` (``None`` or absent: nothing declared).

    Raises:
        ConfigError: the section has another shape.
    """
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"env.yaml {SECTION} is {type(section).__name__}, not a mapping", _FIX)
    unknown = sorted(set(section) - {"nondeterministic"})
    if unknown:
        raise ConfigError(f"env.yaml {SECTION} has unknown key(s) {', '.join(unknown)}", _FIX)
    tasks = section.get("nondeterministic") or {}
    if not isinstance(tasks, Mapping):
        raise ConfigError(f"env.yaml {SECTION}.nondeterministic is not a mapping of tasks", _FIX)
    declared: dict[str, Tolerance] = {}
    for task, spec in tasks.items():
        where = f"{SECTION}.nondeterministic.{task}"
        if not isinstance(spec, Mapping) or set(spec) != {"tolerance"}:
            raise ConfigError(f"env.yaml {where} must hold exactly one key, tolerance", _FIX)
        raw = spec["tolerance"]
        if isinstance(raw, Mapping):
            per = {str(k): _number(v, f"{where}.tolerance.{k}") for k, v in raw.items()}
            declared[str(task)] = Tolerance(None, per)
        else:
            declared[str(task)] = Tolerance(_number(raw, f"{where}.tolerance"))
    return declared


def check_tasks(declared: Mapping[str, Tolerance], task_names: Iterable[str]) -> None:
    """Fail early when a declaration names a task the pipeline does not have.

    Raises:
        ConfigError: a declared task is not in the pipeline.
    """
    names = set(task_names)
    unknown = sorted(set(declared) - names)
    if unknown:
        raise ConfigError(
            f"env.yaml {SECTION}.nondeterministic names task(s) {', '.join(unknown)} "
            "that the pipeline does not have",
            f"use one of: {', '.join(sorted(names))}",
        )


def declaration_from_env(env: Mapping[str, Any]) -> dict[str, Tolerance]:
    """The declaration recorded in a manifest's ``env`` section."""
    return parse_declaration(env.get(SECTION))
