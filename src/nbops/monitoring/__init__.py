"""Monitoring: data drift, prediction drift and live performance of the champion.

Build a :class:`ReferenceProfile` from the champion's training data once
(:func:`build_profile`), then :func:`check_batch` each new batch against it;
the :class:`MonitorReport` carries the ``ok``/``warn``/``alert`` verdict, the
top drifted features and every statistic behind them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.monitoring._after_run import MonitoringStep
    from nbops.monitoring._batch_check import check_batch
    from nbops.monitoring._batch_io import binary_labels, read_batch
    from nbops.monitoring._champion import Champion, monitor, unreadable_report
    from nbops.monitoring._drift_tests import DriftOutcome, DriftTest
    from nbops.monitoring._metrics import report_metrics
    from nbops.monitoring._plots import COLORS as PLOT_COLORS
    from nbops.monitoring._plots import (
        drift_overview,
        scores_and_performance,
        top_feature_distributions,
    )
    from nbops.monitoring._profile import ReferenceProfile, build_profile
    from nbops.monitoring._report import MonitorReport, write_report
    from nbops.monitoring._retrain import retrain_command, run_retrain
    from nbops.monitoring._retrain_policy import (
        RetrainPolicy,
        holdout_auc,
        reasons_to_retrain,
        should_promote,
        split_recent,
    )
    from nbops.monitoring._status import graded, severity
    from nbops.monitoring._thresholds import Thresholds

__all__ = [
    "Champion", "DriftOutcome", "DriftTest", "MonitorReport", "MonitoringStep", "PLOT_COLORS",
    "ReferenceProfile",
    "RetrainPolicy", "Thresholds", "binary_labels", "build_profile", "check_batch",
    "drift_overview", "graded", "holdout_auc", "monitor", "read_batch", "reasons_to_retrain",
    "report_metrics", "retrain_command", "run_retrain", "scores_and_performance", "severity",
    "should_promote", "split_recent", "top_feature_distributions", "unreadable_report",
    "write_report",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_after_run": ("MonitoringStep",),
        "_batch_check": ("check_batch",),
        "_batch_io": ("binary_labels", "read_batch"),
        "_champion": ("Champion", "monitor", "unreadable_report"),
        "_drift_tests": ("DriftOutcome", "DriftTest"),
        "_metrics": ("report_metrics",),
        "_plots": (
            "PLOT_COLORS=COLORS", "drift_overview", "scores_and_performance",
            "top_feature_distributions",
        ),
        "_profile": ("ReferenceProfile", "build_profile"),
        "_report": ("MonitorReport", "write_report"),
        "_retrain": ("retrain_command", "run_retrain"),
        "_retrain_policy": (
            "RetrainPolicy", "holdout_auc", "reasons_to_retrain", "should_promote", "split_recent",
        ),
        "_status": ("graded", "severity"),
        "_thresholds": ("Thresholds",),
    })
