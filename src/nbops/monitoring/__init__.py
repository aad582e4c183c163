"""Monitoring: data drift, prediction drift and live performance of the champion.

Build a :class:`ReferenceProfile` from the champion's training data once
(:func:`build_profile`), then :func:`check_batch` each new batch against it;
the :class:`MonitorReport` carries the ``ok``/``warn``/``alert`` verdict, the
top drifted features and every statistic behind them.
"""

from __future__ import annotations

from nbops.monitoring.check import check_batch
from nbops.monitoring.profile import ReferenceProfile, build_profile
from nbops.monitoring.report import MonitorReport
from nbops.monitoring.thresholds import Thresholds

__all__ = ["MonitorReport", "ReferenceProfile", "Thresholds", "build_profile", "check_batch"]
