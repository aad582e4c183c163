"""Monitoring: data drift, prediction drift and live performance of the champion.

Build a :class:`ReferenceProfile` from the champion's training data once
(:func:`build_profile`), then :func:`check_batch` each new batch against it;
the :class:`MonitorReport` carries the ``ok``/``warn``/``alert`` verdict, the
top drifted features and every statistic behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbops.monitoring.check import check_batch
    from nbops.monitoring.profile import ReferenceProfile, build_profile
    from nbops.monitoring.report import MonitorReport
    from nbops.monitoring.thresholds import Thresholds

__all__ = ["MonitorReport", "ReferenceProfile", "Thresholds", "build_profile", "check_batch"]

# Loaded on first use: the post-close step (``after_run``) lives in this package
# and runs after every build, where importing numpy and scipy for nothing cost 1.6 s.
_HOMES = {"check_batch": "check", "ReferenceProfile": "profile", "build_profile": "profile",
          "MonitorReport": "report", "Thresholds": "thresholds"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
