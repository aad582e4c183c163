"""Monitoring results as ledger metrics, so the report site can draw their trends.

Naming convention (numbers only; written by the monitoring notebook with
``nbops.log_metrics``, see docs/contracts.md "Monitoring"):

=================================  ===============================================
``monitor_verdict``                0 ok, 1 warn, 2 alert
``monitor_rows``                   rows in the batch
``monitor_problems``               bad-batch problems found
``drift_psi.<feature>``            PSI against the champion's training data
``drift_ks.<feature>``             KS statistic (numeric features)
``drift_missing.<feature>``        missing rate in the batch
``drift_unseen.<feature>``         share of rows with unseen categories (categorical)
``prediction_psi`` / ``prediction_ks``   drift of the champion's scores
``live_roc_auc`` (``live_pr_auc``, ``live_brier``, ``live_positive_rate``)
``reference_roc_auc``              the champion's reference ROC AUC
``live_roc_auc_drop``              reference minus live
``monitor_threshold.<name>``       every threshold used, e.g. ``psi_warn``, ``psi_alert``
``monitor_threshold.live_roc_auc_warn`` / ``..._alert``   reference minus the AUC floors
=================================  ===============================================

A chart of ``drift_psi.*`` draws ``monitor_threshold.psi_warn`` and
``monitor_threshold.psi_alert``; a chart of ``live_roc_auc`` draws
``monitor_threshold.live_roc_auc_warn`` and ``..._alert``. (A feature is only
flagged when its change is also statistically significant and its PSI minus
sampling noise reaches the floor, so a point may sit just above a line and
still be ``ok`` on a small batch.)
"""

from __future__ import annotations

import math
from typing import Any

from nbops.contracts import MonitorReportRecord
from nbops.monitoring._status import severity

THRESHOLD_PREFIX = "monitor_threshold."


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def report_metrics(report: MonitorReportRecord) -> dict[str, float]:
    """The ledger metrics of one monitoring report document (``MonitorReport.to_dict``)."""
    out: dict[str, float] = {
        "monitor_verdict": float(severity(report["verdict"])),
        "monitor_rows": float(report["rows"]),
        "monitor_problems": float(len(report["problems"])),
    }
    for name, drift in report["features"].items():
        out[f"drift_psi.{name}"] = drift["psi"]
        out[f"drift_missing.{name}"] = drift["missing_current"]
        if drift["kind"] == "numeric" and drift["ks"] is not None:
            out[f"drift_ks.{name}"] = drift["ks"]
        if drift["kind"] == "categorical":
            out[f"drift_unseen.{name}"] = drift["unseen_share"]
        for test, value in drift.get("tests", {}).items():  # the added drift tests
            out[f"drift_{test}.{name}"] = value
    prediction = report.get("prediction")
    if prediction:
        out["prediction_psi"] = prediction["psi"]
        if prediction["ks"] is not None:
            out["prediction_ks"] = prediction["ks"]
    performance = report.get("performance")
    if performance:
        for name, value in performance["live"].items():
            out[f"live_{name}"] = value
        if "roc_auc" in performance["reference"]:
            out["reference_roc_auc"] = performance["reference"]["roc_auc"]
        if performance["roc_auc_drop"] is not None:
            out["live_roc_auc_drop"] = performance["roc_auc_drop"]
    out.update(threshold_metrics(report))
    return {name: float(value) for name, value in out.items() if _finite(value)}


def threshold_metrics(report: MonitorReportRecord) -> dict[str, float]:
    """``monitor_threshold.*``: the thresholds, plus the live ROC AUC lines when known."""
    thresholds = report["thresholds"]
    out = {f"{THRESHOLD_PREFIX}{name}": float(value) for name, value in thresholds.items()}
    performance = report["performance"]
    reference = performance["reference"].get("roc_auc") if performance else None
    if reference is not None and _finite(reference):
        out[f"{THRESHOLD_PREFIX}live_roc_auc_warn"] = reference - thresholds["auc_drop_warn"]
        out[f"{THRESHOLD_PREFIX}live_roc_auc_alert"] = reference - thresholds["auc_drop_alert"]
    return out
