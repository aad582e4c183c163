"""``nbops.monitoring._batch_check``: how the family-wise alpha is split, and what reaches the
live-performance check (scores as the caller gives them, the reference's counts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from monitoring_world import champion_score, make_frame

from nbops.monitoring import ReferenceProfile
from nbops.monitoring._batch_check import check_batch, count_tests
from nbops.monitoring._drift import (
    TESTS_PER_CATEGORICAL,
    TESTS_PER_NUMERIC,
    TESTS_PER_PREDICTION,
)
from nbops.monitoring._drift_tests import DriftOutcome
from nbops.monitoring._performance import check_performance
from nbops.monitoring._thresholds import Thresholds


@dataclass(frozen=True)
class _Added:
    """A stand-in added drift test running ``significance_tests`` tests per feature."""

    name: str
    kinds: tuple[str, ...]
    significance_tests: int
    warn: float = 0.1
    alert: float = 0.2

    def measure(self, reference: Any, column: Any, alpha_each: float, warn: float,
                alert: float) -> DriftOutcome:
        return DriftOutcome(0.0)


def _core(profile: ReferenceProfile) -> tuple[int, int]:
    numeric = sum(ref.kind == "numeric" for ref in profile.features.values())
    return numeric, len(profile.features) - numeric


def test_the_core_tests_alone(profile: ReferenceProfile) -> None:
    numeric, other = _core(profile)
    assert numeric and other
    core = numeric * TESTS_PER_NUMERIC + other * TESTS_PER_CATEGORICAL
    assert count_tests(profile, False, False) == core
    assert count_tests(profile, True, False) == core + TESTS_PER_PREDICTION
    assert count_tests(profile, True, True) == core + TESTS_PER_PREDICTION + 1


@pytest.mark.parametrize("kinds", [("numeric",), ("categorical",), ("prediction",),
                                   ("numeric", "categorical", "prediction")])
def test_added_drift_tests_take_their_share_of_alpha(profile: ReferenceProfile,
                                                     kinds: tuple[str, ...]) -> None:
    numeric, other = _core(profile)
    added = (_Added("wide", kinds, 2), _Added("narrow", ("numeric",), 0))
    per = {kind: 2 if kind in kinds else 0 for kind in ("numeric", "categorical", "prediction")}
    expected = (numeric * (TESTS_PER_NUMERIC + per["numeric"])
                + other * (TESTS_PER_CATEGORICAL + per["categorical"])
                + TESTS_PER_PREDICTION + per["prediction"] + 1)
    assert count_tests(profile, True, True, added) == expected  # type: ignore[arg-type]


def _labelled_batch() -> tuple[pd.DataFrame, np.ndarray]:
    batch = make_frame(600, seed=7, flip=0.6)
    return batch, champion_score(batch)


def test_the_reference_counts_widen_the_auc_drop_test(profile: ReferenceProfile) -> None:
    batch, scores = _labelled_batch()
    report = check_batch(profile, batch, scores=scores)
    assert profile.metrics_counts is not None and report.performance is not None
    labels = batch["churned"].to_numpy()
    thresholds = Thresholds()
    expected = check_performance(labels, scores, profile.metrics, profile.metrics_counts,
                                 report.alpha_each, thresholds.auc_drop_warn,
                                 thresholds.auc_drop_alert)
    without = check_performance(labels, scores, profile.metrics, None, report.alpha_each,
                                thresholds.auc_drop_warn, thresholds.auc_drop_alert)
    assert expected.pvalue != without.pvalue  # the counts matter for this batch
    assert report.performance.pvalue == expected.pvalue
    assert report.performance.roc_auc_drop == expected.roc_auc_drop
    assert report.rows == 600 and report.to_dict()["rows"] == 600


def test_scores_given_as_a_list_with_gaps_are_read_as_floats(profile: ReferenceProfile) -> None:
    batch, scores = _labelled_batch()
    gappy: list[float | None] = [float(s) for s in scores]
    gappy[::10] = [None] * len(gappy[::10])
    report = check_batch(profile, batch, scores=gappy)  # type: ignore[arg-type]
    as_floats = np.array([np.nan if s is None else s for s in gappy])
    expected = check_batch(profile, batch, scores=as_floats)
    assert report.performance is not None and expected.performance is not None
    assert report.performance.rows == expected.performance.rows == 600 - 60
    assert report.performance.pvalue == expected.performance.pvalue
    assert report.prediction is not None and expected.prediction is not None
    assert report.prediction.to_dict() == expected.prediction.to_dict()


def test_added_drift_tests_run_on_every_feature_of_their_kinds(
        profile: ReferenceProfile, monitoring_batch_check: Any) -> None:
    batch, _ = _labelled_batch()
    report = check_batch(profile, batch)
    numeric = [f for f in report.features if f.kind == "numeric"]
    others = [f for f in report.features if f.kind != "numeric"]
    assert numeric and others
    assert all(set(f.tests) == {"wide"} for f in numeric)
    assert all(f.tests == {} for f in others)


@pytest.fixture
def monitoring_batch_check(monkeypatch: pytest.MonkeyPatch) -> Any:
    from nbops.monitoring import _batch_check

    added = (_Added("wide", ("numeric",), 1),)
    monkeypatch.setattr(_batch_check, "drift_tests", lambda: added)
    return _batch_check
