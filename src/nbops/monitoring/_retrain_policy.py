"""Safe retraining: when to retrain, on what, and what the new model must beat.

The policy lives under ``monitoring.retrain_policy`` in ``env.monitor.yaml``::

    retrain_policy:
      triggers:
        performance_alert: true     # live ROC AUC alert (needs labels)
        drift_features: []          # an alert on drift in any of these features
        every_days: null            # the champion is older than this many days
      holdout_fraction: 0.3         # latest share of the recent labelled rows: the shared holdout
      metric: roc_auc
      min_margin: 0.001             # the candidate must beat the champion by MORE than this

* **Triggers**: retraining happens only for a reason the policy names; a
  batch whose live ROC AUC is fine and whose watched features did not drift
  is ``not needed``, whatever the other features do.
* **Data**: the champion's own training data plus the older part of the
  recent labelled rows; never the recent batch alone.
* **Decision**: the candidate and the champion are scored on the same recent
  holdout (rows neither was trained on); the candidate is promoted only if
  it beats the champion there by more than ``min_margin`` (> 0).

This module decides and prepares data; training and promotion are done by the
caller (a ``ploomber build`` through the quality gates, and the registry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from nbops.core import ConfigError, roc_auc
from nbops.monitoring._status import ALERT


@dataclass(frozen=True)
class RetrainPolicy:
    """Parsed ``monitoring.retrain_policy``."""

    performance_alert: bool = True
    drift_features: tuple[str, ...] = ()
    every_days: float | None = None
    holdout_fraction: float = 0.3
    metric: str = "roc_auc"
    min_margin: float = 0.001

    @classmethod
    def from_mapping(cls, raw: Any) -> RetrainPolicy:
        """Validate the settings (``None`` gives the defaults).

        Raises:
            ConfigError: naming the bad key and what it accepts.
        """
        if raw in (None, "", "null"):
            return cls()
        if not isinstance(raw, Mapping):
            raise ConfigError("monitoring.retrain_policy in env.monitor.yaml is not a mapping",
                              "see nbops' guide, Serving the champion: Safe retraining")
        triggers = raw.get("triggers") or {}
        if not isinstance(triggers, Mapping):
            raise ConfigError("monitoring.retrain_policy.triggers is not a mapping",
                              "give performance_alert, drift_features, every_days")
        unknown = set(raw) - {"triggers", "holdout_fraction", "metric", "min_margin"}
        unknown |= {f"triggers.{k}" for k in set(triggers) - {
            "performance_alert", "drift_features", "every_days"}}
        if unknown:
            raise ConfigError(f"unknown key(s) in monitoring.retrain_policy: "
                              f"{', '.join(sorted(map(str, unknown)))}",
                              "use triggers {performance_alert, drift_features, every_days}, "
                              "holdout_fraction, metric, min_margin")
        try:
            fraction = float(raw.get("holdout_fraction", 0.3))
            margin = float(raw.get("min_margin", 0.001))
            every = triggers.get("every_days")
            every_days = None if every in (None, "", "null") else float(every)
        except (TypeError, ValueError):
            raise ConfigError("monitoring.retrain_policy has a non-number where a number "
                              "belongs", "holdout_fraction, min_margin and "
                              "triggers.every_days are numbers") from None
        if not 0.05 <= fraction <= 0.9:
            raise ConfigError(f"monitoring.retrain_policy.holdout_fraction is {fraction}",
                              "use a share between 0.05 and 0.9")
        if margin < 0:
            raise ConfigError(f"monitoring.retrain_policy.min_margin is {margin}",
                              "use a margin of 0 or more (the candidate must beat it)")
        if raw.get("metric", "roc_auc") != "roc_auc":
            raise ConfigError("monitoring.retrain_policy.metric must be roc_auc",
                              "set metric: roc_auc")
        features = triggers.get("drift_features") or ()
        if isinstance(features, str):
            features = [features]
        return cls(
            performance_alert=bool(triggers.get("performance_alert", True)),
            drift_features=tuple(str(f) for f in features),
            every_days=every_days,
            holdout_fraction=fraction,
            min_margin=margin,
        )


def reasons_to_retrain(policy: RetrainPolicy, report: dict[str, Any],
                       champion_registered_at: str | None = None,
                       now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Why to retrain (empty: don't), and what was checked without reason to."""
    why: list[str] = []
    checked: list[str] = []
    performance = report.get("performance") or {}
    live = (performance.get("live") or {}).get("roc_auc")
    reference = (performance.get("reference") or {}).get("roc_auc")
    if policy.performance_alert:
        if performance.get("status") == ALERT and live is not None:
            why.append(f"live ROC AUC {live:.3f} is an alert (reference {reference:.3f})"
                       if reference is not None else f"live ROC AUC {live:.3f} is an alert")
        elif live is not None:
            checked.append(f"live ROC AUC {live:.3f} is {performance.get('status')}"
                           + (f" (reference {reference:.3f})" if reference is not None else ""))
        else:
            checked.append("no live ROC AUC (the batch has no labels)")
    features = report.get("features") or {}
    for name in policy.drift_features:
        status = (features.get(name) or {}).get("status")
        if status == ALERT:
            why.append(f"feature {name!r} drifted (alert)")
        else:
            checked.append(f"feature {name!r}: {status or 'not checked'}")
    if policy.every_days is not None and champion_registered_at:
        registered = pd.Timestamp(champion_registered_at)
        if registered.tzinfo is None:
            registered = registered.tz_localize(UTC)
        age = ((pd.Timestamp(now or datetime.now(UTC)) - registered).total_seconds() / 86400)
        if age >= policy.every_days:
            why.append(f"the champion is {age:.1f} days old (schedule: every "
                       f"{policy.every_days:g} days)")
        else:
            checked.append(f"champion {age:.1f} days old (< {policy.every_days:g})")
    return why, checked


@dataclass
class RetrainData:
    """The rows a retrain trains on and the shared holdout it is judged on."""

    training: pd.DataFrame
    holdout: pd.DataFrame
    champion_rows: int
    recent_rows: int
    notes: list[str] = field(default_factory=list)


def split_recent(champion_training: pd.DataFrame, recent: pd.DataFrame, target: str,
                 date_column: str | None, holdout_fraction: float,
                 seed: int = 0) -> RetrainData:
    """Champion's training data + the older recent rows; the newest recent rows held out.

    Recent rows without a label are dropped (they can train nothing).
    """
    labelled = recent[recent[target].notna()].copy()
    if date_column and date_column in labelled.columns:
        labelled = labelled.sort_values(date_column, kind="stable")
    else:
        labelled = labelled.sample(frac=1.0, random_state=seed)
    n_holdout = max(1, int(round(len(labelled) * holdout_fraction)))
    holdout = labelled.iloc[len(labelled) - n_holdout:]
    recent_train = labelled.iloc[:len(labelled) - n_holdout]
    columns = list(champion_training.columns)
    aligned = recent_train.reindex(columns=columns)
    for name in columns:  # keep the champion's dtypes where the recent rows allow it
        try:
            aligned[name] = aligned[name].astype(champion_training[name].dtype)
        except (TypeError, ValueError):
            pass
    aligned[target] = aligned[target].astype("int8")
    training = pd.concat([champion_training, aligned], ignore_index=True)
    return RetrainData(training=training, holdout=holdout.reset_index(drop=True),
                       champion_rows=len(champion_training), recent_rows=len(recent_train))


def holdout_auc(scores: np.ndarray, labels: pd.Series) -> float:
    """ROC AUC of ``scores`` on the holdout's 0/1 ``labels``."""
    y = pd.to_numeric(labels, errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(y)
    return float(roc_auc(y[known], np.asarray(scores, dtype=float)[known]))


def should_promote(candidate: float, champion: float, min_margin: float) -> bool:
    """Promote only a candidate that beats the champion by more than ``min_margin``."""
    return bool(candidate - champion > min_margin)
