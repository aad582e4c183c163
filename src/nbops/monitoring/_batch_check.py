"""Monitor one batch: validate it, measure drift and live performance, decide the verdict."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from nbops.contracts import JSONObject, MonitoredChampion
from nbops.monitoring._batch_checks import find_problems
from nbops.monitoring._drift import (
    TESTS_PER_CATEGORICAL,
    TESTS_PER_NUMERIC,
    TESTS_PER_PREDICTION,
    FeatureDrift,
    categorical_drift,
    numeric_drift,
)
from nbops.monitoring._drift_tests import DriftTest, drift_tests, tests_per_kind
from nbops.monitoring._performance import PerformanceCheck, check_performance
from nbops.monitoring._profile import NumericReference, ReferenceProfile, numeric_values
from nbops.monitoring._report import MonitorReport
from nbops.monitoring._status import ALERT, worst
from nbops.monitoring._thresholds import Thresholds

# Batches with at least this many cells spread features over threads: numpy's
# sort and searchsorted release the GIL, so columns are checked in parallel.
PARALLEL_CELLS = 2_000_000


def _feature_drifts(
    profile: ReferenceProfile,
    batch: pd.DataFrame,
    skip: set[str | None],
    alpha_each: float,
    thresholds: Thresholds,
    tests: tuple[DriftTest, ...] = (),
) -> list[FeatureDrift]:
    def one(name: str) -> FeatureDrift:
        reference = profile.features[name]
        if isinstance(reference, NumericReference):
            values = numeric_values(batch[name])
            return numeric_drift(reference, values, alpha_each, thresholds, tests=tests)
        return categorical_drift(reference, batch[name], alpha_each, thresholds, tests=tests)

    names = [name for name in profile.features if name not in skip]
    workers = min(len(names), os.cpu_count() or 1)
    if workers < 2 or len(batch) * len(names) < PARALLEL_CELLS:
        return [one(name) for name in names]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nbops-drift") as pool:
        return list(pool.map(one, names))


def count_tests(profile: ReferenceProfile, scored: bool, labelled: bool,
                drift_tests: tuple[DriftTest, ...] = ()) -> int:
    """How many statistical tests share the family-wise ``alpha`` for one batch."""
    tests = sum(
        (TESTS_PER_NUMERIC if ref.kind == "numeric" else TESTS_PER_CATEGORICAL)
        + tests_per_kind(drift_tests, ref.kind)
        for ref in profile.features.values()
    )
    if scored and profile.scores is not None:
        tests += TESTS_PER_PREDICTION + tests_per_kind(drift_tests, "prediction")
    if labelled:
        tests += 1
    return max(tests, 1)


def _labels(batch: pd.DataFrame, target: str | None) -> np.ndarray | None:
    """The batch's 0/1 labels (NaN where missing), or ``None`` when it has none."""
    if not target or target not in batch.columns or batch[target].isna().all():
        return None
    return numeric_values(batch[target])


def check_batch(
    profile: ReferenceProfile,
    batch: pd.DataFrame,
    thresholds: Thresholds | None = None,
    *,
    scores: np.ndarray | None = None,
    batch_info: JSONObject | None = None,
    champion: MonitoredChampion | None = None,
) -> MonitorReport:
    """Monitor ``batch`` against the reference ``profile``.

    Never raises on bad data: an empty batch, missing, all-null or mistyped
    columns become ``problems`` and an ``alert``; the usable columns are still
    checked.

    Args:
        profile: The champion's reference profile.
        batch: The new data (feature columns, optionally the target).
        thresholds: Thresholds; defaults when ``None``.
        scores: The champion's positive-class scores for ``batch`` (prediction
            drift, and live performance when the batch has labels).
        batch_info: Where the batch came from, recorded in the report.
        champion: Which model the profile belongs to, recorded in the report.
    """
    thresholds = thresholds or Thresholds()
    added = drift_tests()
    problems = find_problems(profile, batch)
    bad_columns = {p.column for p in problems}
    labels = _labels(batch, profile.target) if len(batch) else None
    scored = scores is not None and len(batch) > 0
    tests = count_tests(profile, scored, labels is not None and scored, added)
    alpha_each = thresholds.alpha / tests

    features: list[FeatureDrift] = []
    if len(batch):
        features = _feature_drifts(profile, batch, bad_columns, alpha_each, thresholds, added)

    prediction: FeatureDrift | None = None
    performance: PerformanceCheck | None = None
    if scored and scores is not None:
        score_values = np.asarray(scores, dtype=np.float64)
        if profile.scores is not None:
            prediction = numeric_drift(
                profile.scores, score_values, alpha_each, thresholds, kind="prediction",
                tests=added,
            )
        if labels is not None:
            known = ~np.isnan(labels) & ~np.isnan(score_values)
            performance = check_performance(
                labels[known],
                score_values[known],
                profile.metrics,
                profile.metrics_counts,
                alpha_each,
                thresholds.auc_drop_warn,
                thresholds.auc_drop_alert,
            )

    verdict = worst(
        *(f.status for f in features),
        prediction.status if prediction else "ok",
        performance.status if performance else "ok",
        ALERT if problems else "ok",
    )
    return MonitorReport(
        verdict=verdict,
        rows=len(batch),
        features=features,
        prediction=prediction,
        performance=performance,
        problems=problems,
        thresholds=thresholds.to_dict(),
        alpha_each=alpha_each,
        tests=tests,
        batch=dict(batch_info or {}),
        champion=champion.copy() if champion else MonitoredChampion(),
    )
