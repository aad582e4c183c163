"""The monitoring manifest section: typed and schema-checked.

Written by :class:`~nbops.monitoring._after_run.MonitoringStep` through
:meth:`nbops.runs.RunContext.update` (validated against
``nbops/monitoring/schemas/monitoring.section.schema.json``); read by the reports.
"""

from __future__ import annotations

from typing import TypedDict

from nbops.runs import Section


class MonitoringSection(TypedDict):
    """``manifest["monitoring"]``: a monitoring build's verdict and what was done about it."""

    schema_version: int
    task: str
    verdict: str
    summary: str
    banner: str | None
    top_features: list[str]
    problems: list[str]
    rows: int
    batch: dict[str, object]
    champion: dict[str, object]
    thresholds: dict[str, float]
    features: dict[str, dict[str, object]]
    prediction: dict[str, object] | None
    performance: dict[str, object] | None
    report: dict[str, object]
    action: dict[str, object]


MONITORING: Section[MonitoringSection] = Section("monitoring", "nbops.monitoring.schemas")
