"""The registry's manifest sections, ``gates`` and ``registry``: typed and schema-checked.

Written by :class:`~nbops.registry._pipeline_step.RegistryStep` through
:meth:`nbops.runs.RunContext.update`, which validates each against
``nbops/registry/schemas/<name>.section.schema.json``; read by the reports.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from nbops.runs import Section

SCHEMAS = "nbops.registry.schemas"


class _GatesRequired(TypedDict):
    verdict: Literal["passed", "failed", "error"]
    results: list[dict[str, object]]


class GatesSection(_GatesRequired, total=False):
    """``manifest["gates"]``: the quality-gate verdict and each gate's result."""

    error: str
    evaluated_on: dict[str, object]
    data: dict[str, object]
    measured: dict[str, object]


class RegistrySection(TypedDict):
    """``manifest["registry"]``: what the registry did with the run's model, and why."""

    model: str
    version: int | None
    new_version: bool
    promoted: bool
    alias: str
    mode: str
    primary_metric: str
    candidate_metrics: dict[str, float]
    champion_before: dict[str, object] | None
    champion_after: int | None
    deltas: dict[str, float]
    champion_note: str | None
    decision: str
    experiment_note: NotRequired[str]
    registration_error: NotRequired[dict[str, str]]  # {kind, message}: passed, not registered


GATES: Section[GatesSection] = Section("gates", SCHEMAS)
REGISTRY: Section[RegistrySection] = Section("registry", SCHEMAS)
