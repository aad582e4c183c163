"""Monitoring's formats: ``monitor.json`` and the ``monitoring`` section's inner parts.

``MonitorReportRecord`` mirrors ``nbops/core/schemas/monitor_report.schema.json`` (written
by the monitoring notebook through :func:`nbops.monitoring.write_report`); the other parts
are the fields of ``manifest["monitoring"]`` (``monitoring.section.schema.json``), which
nbops.monitoring writes and the reports, ``nbops monitor`` and the lab read.
``tests/nbops/contracts`` keeps their keys equal to the schemas' properties. (No
``from __future__ import annotations``: ``NotRequired`` must be seen at run time.)
"""

from typing import Literal, NotRequired, TypedDict

from nbops.contracts._json import JSONObject

RetrainStatus = Literal["not_needed", "not_configured", "started", "skipped"]


class MonitoredChampion(TypedDict, total=False):
    """The model a batch was compared with (empty when the batch could not be read)."""

    model: str
    version: int | None


class BatchProblemRecord(TypedDict):
    """Why (part of) a batch could not be monitored."""

    kind: str  # empty | missing_column | all_null | wrong_type | unreadable | scoring
    column: str | None
    message: str


class DriftRecord(TypedDict):
    """Drift of one feature, or of the champion's scores (``FeatureDrift.to_dict``)."""

    name: str
    kind: str
    rows: int
    psi: float
    psi_noise: float
    psi_pvalue: float
    ks: float | None
    ks_pvalue: float | None
    missing_reference: float
    missing_current: float
    missing_pvalue: float
    unseen_share: float
    unseen_values: list[str]
    status: str  # ok | warn | alert
    reasons: list[str]
    tests: NotRequired[dict[str, float]]


class PerformanceRecord(TypedDict):
    """Live performance on a labelled batch (``PerformanceCheck.to_dict``)."""

    rows: int
    positives: int
    live: dict[str, float]
    reference: dict[str, float]
    roc_auc_drop: float | None
    pvalue: float | None
    status: str  # ok | warn | alert
    reasons: list[str]


class MonitorReportRecord(TypedDict):
    """``monitor.json``: one batch's verdict and every check behind it."""

    schema_version: int
    verdict: str  # ok | warn | alert
    summary: str
    top_features: list[str]
    rows: int
    batch: JSONObject
    champion: MonitoredChampion
    thresholds: dict[str, float]
    alpha_each: float
    tests: int
    problems: list[BatchProblemRecord]
    features: dict[str, DriftRecord]
    prediction: DriftRecord | None
    performance: PerformanceRecord | None


class FeatureDriftSummary(TypedDict):
    """``monitoring.features[name]``: the drift figures a run page shows per feature."""

    kind: str
    status: str  # ok | warn | alert
    psi: float
    ks: float | None
    missing_current: float
    unseen_share: float
    tests: NotRequired[dict[str, float]]


class PredictionDriftSummary(TypedDict):
    """``monitoring.prediction``: drift of the champion's scores."""

    status: str  # ok | warn | alert
    psi: float
    ks: float | None


class PerformanceSummary(TypedDict):
    """``monitoring.performance``: live performance against the champion's reference."""

    status: str  # ok | warn | alert
    live: dict[str, float]
    reference: dict[str, float]
    roc_auc_drop: float | None
    reasons: list[str]


class RetrainAction(TypedDict):
    """``monitoring.action.retrain``: whether a retrain was asked for, and what happened."""

    requested: bool
    status: RetrainStatus
    reason: NotRequired[str]
    pid: NotRequired[int]
    command: NotRequired[list[str]]
    log: NotRequired[str]


class MonitoringAction(TypedDict):
    """``monitoring.action``: whether the build failed on the verdict, and the retrain."""

    fail_on: str | None
    failed_build: bool
    retrain: RetrainAction


class MonitoringReportFile(TypedDict):
    """``monitoring.report``: the stored ``monitor.json`` (the task's product record)."""

    path: str
    hash: str | None
    size: NotRequired[int | None]
    metadata_hash: NotRequired[str | None]
