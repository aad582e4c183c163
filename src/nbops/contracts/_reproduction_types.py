"""The reproduction record: ``reports/runs/<run_id>/reproductions/<id>.json``.

``ReproductionRecord`` mirrors ``nbops/core/schemas/reproduction.schema.json``; nbops
reproduce writes it (``Reproduction.to_dict`` and the parts' ``to_dict``), the reports
feature renders it. ``tests/nbops/contracts`` keeps each type's keys equal to its schema's
properties. (No ``from __future__ import annotations``: ``NotRequired`` must be seen at run
time.)
"""

from typing import Literal, NotRequired, TypedDict

from nbops.contracts._json import JSONValue
from nbops.contracts._section_types import Diverged


class ReproductionCheck(TypedDict):
    """One comparison inside a task (``tasks[i].checks[j]``, ``Check.to_dict``)."""

    what: str
    equal: bool
    acceptable: bool
    recorded: JSONValue
    reproduced: JSONValue
    detail: str
    tolerance: float | None


class ToleranceRecord(TypedDict):
    """A task's declared tolerance (``Tolerance.to_dict``)."""

    default: float | None
    per_metric: dict[str, float]


class ReproducedTask(TypedDict):
    """How one task reproduced (``tasks[i]``, ``TaskResult.to_dict``)."""

    task: str
    outcome: str
    reason: str
    nondeterministic: bool
    tolerance: ToleranceRecord | None
    checks: list[ReproductionCheck]


class EnvironmentDifference(TypedDict):
    """A package, Python or platform that differs from the run's (``Difference.to_dict``)."""

    kind: str
    name: str
    recorded: str | None
    current: str | None


class LockComparison(TypedDict):
    """The run's dependency lock against today's (``LockStatus.to_dict``)."""

    path: str
    recorded_hash: str | None
    current_hash: str | None
    commit_hash: str | None
    matches: bool


class EnvironmentComparison(TypedDict):
    """``environment``: ``EnvironmentReport.to_dict``."""

    identical: bool
    differences: list[EnvironmentDifference]
    lock: LockComparison


class ReproducedCode(TypedDict):
    """``code``: the commit checked out and the uncommitted diff re-applied."""

    commit: str
    branch: NotRequired[str | None]
    diff_applied: bool
    diff_hash: str | None
    untracked: NotRequired[list[str]]


class ReproductionParameters(TypedDict):
    """``parameters``: the overrides replayed, the secrets and unknown names left out."""

    overrides: list[str]
    secrets: list[str]
    unknown: list[str]


class ReproductionInputs(TypedDict):
    """``inputs``: where each input of the run came from."""

    restored: dict[str, str]
    in_place: list[str]
    redirect: NotRequired[dict[str, str]]
    unverifiable: list[str]


class ReproductionBuild(TypedDict):
    """``build``: the scratch build's command and how it ended."""

    argv: list[str]
    exit_code: int
    duration_s: float
    status: str | None
    log_tail: str


class ReproductionRecord(TypedDict):
    """One reproduction record (``Reproduction.to_dict``)."""

    schema_version: Literal[1]
    id: str
    run_id: str
    started_at: str
    finished_at: str
    duration_s: float
    verdict: str
    first_diverged: Diverged | None
    tasks: list[ReproducedTask]
    environment: EnvironmentComparison
    code: ReproducedCode
    parameters: ReproductionParameters
    inputs: ReproductionInputs
    build: ReproductionBuild
    warnings: list[str]
    nbops_version: str
