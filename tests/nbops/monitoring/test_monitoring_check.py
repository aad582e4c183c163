"""check_batch: clean batches stay ok, drift is caught and named, bad batches are named."""

import json

import numpy as np
import pandas as pd
import pytest
from monitoring_world import champion_score, make_frame

from nbops.monitoring import Thresholds, check_batch
from nbops.monitoring._batch_check import count_tests


def _check(profile, frame, **kwargs):
    return check_batch(profile, frame, scores=champion_score(frame), **kwargs)


def test_clean_batches_are_ok(profile) -> None:
    verdicts = [_check(profile, make_frame(5_000, seed=100 + i)).verdict for i in range(5)]
    assert verdicts == ["ok"] * 5


def test_a_shift_alerts_and_names_the_feature(profile) -> None:
    report = _check(profile, make_frame(10_000, seed=7, shift=0.3))
    assert report.verdict == "alert"
    assert report.top_features[0] == "charges"
    charges = {f.name: f for f in report.features}["charges"]
    assert charges.status == "alert" and charges.ks_pvalue < report.alpha_each
    assert "charges" in report.summary and "PSI" in report.summary
    # the champion scores depend on charges: prediction drift too
    assert report.prediction is not None and report.prediction.status == "alert"


def test_folklore_thresholds_keep_a_small_shift_quiet(profile) -> None:
    lenient = Thresholds(psi_warn=0.1, psi_alert=0.25)
    report = _check(profile, make_frame(10_000, seed=7, shift=0.3), thresholds=lenient)
    assert report.verdict == "ok"


def test_unseen_categories_and_missing_rates(profile) -> None:
    frame = make_frame(5_000, seed=8, missing_tenure=0.2)
    frame["region"] = frame["region"].where(np.arange(len(frame)) % 20 != 0, "mars")
    report = _check(profile, frame)
    by_name = {f.name: f for f in report.features}
    assert by_name["region"].status == "alert"
    assert by_name["region"].unseen_values == ["mars"]
    assert by_name["region"].unseen_share == pytest.approx(0.05)
    assert by_name["tenure"].status == "alert"
    assert by_name["tenure"].missing_current == pytest.approx(0.2, abs=0.02)
    assert set(report.top_features) >= {"region", "tenure"}


def test_concept_drift_is_caught_by_live_performance(profile) -> None:
    clean = _check(profile, make_frame(10_000, seed=9))
    assert clean.performance is not None and clean.performance.status == "ok"
    drifted = _check(profile, make_frame(10_000, seed=9, flip=0.3))
    assert drifted.performance.status == "alert"
    assert drifted.performance.roc_auc_drop > 0.05
    assert drifted.verdict == "alert" and "live ROC AUC" in drifted.summary
    assert drifted.top_features == []  # the features did not move


def test_without_scores_or_labels_only_features_are_checked(profile) -> None:
    frame = make_frame(2_000, seed=10).drop(columns=["churned"])
    report = check_batch(profile, frame)
    assert report.prediction is None and report.performance is None
    assert report.tests == count_tests(profile, scored=False, labelled=False)
    assert report.tests == 3 * 3 + 2 * 2


def test_single_class_labels_are_reported_not_tested(profile) -> None:
    frame = make_frame(500, seed=11)
    frame["churned"] = 0
    report = _check(profile, frame)
    assert report.performance.status == "ok"
    assert "single class" in report.performance.reasons[0]


@pytest.mark.parametrize(
    ("mutate", "kind", "column"),
    [
        (lambda f: f.iloc[:0], "empty", None),
        (lambda f: f.drop(columns=["charges"]), "missing_column", "charges"),
        (lambda f: f.assign(tenure=np.nan), "all_null", "tenure"),
        (lambda f: f.assign(charges=["oops"] + [1.0] * (len(f) - 1)), "wrong_type", "charges"),
        (lambda f: f.assign(plan=np.linspace(0, 1, len(f))), "wrong_type", "plan"),
    ],
)
def test_bad_batches_alert_with_a_named_problem(profile, mutate, kind, column) -> None:
    frame = mutate(make_frame(300, seed=12))
    report = check_batch(profile, frame)  # never raises
    assert report.verdict == "alert"
    assert [(p.kind, p.column) for p in report.problems] == [(kind, column)]
    message = report.problems[0].message
    assert message in report.summary
    if column:
        assert f"'{column}'" in message
        # the other features are still checked
        assert {f.name for f in report.features} == {"tenure", "charges", "calls", "plan",
                                                     "region"} - {column}
    json.dumps(report.to_dict(), allow_nan=False)


def test_report_is_json_ready_and_ordered(profile) -> None:
    report = _check(profile, make_frame(3_000, seed=13, shift=0.5))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["schema_version"] == 1
    assert data["verdict"] == "alert" and data["top_features"][0] == "charges"
    assert list(data["features"]) == ["tenure", "charges", "calls", "plan", "region"]
    assert data["thresholds"]["alpha"] == Thresholds().alpha


def test_big_batches_are_checked_in_parallel_with_the_same_result(profile, monkeypatch) -> None:
    frame = make_frame(20_000, seed=14, shift=0.2)
    serial = _check(profile, frame).to_dict()
    monkeypatch.setattr("nbops.monitoring._batch_check.PARALLEL_CELLS", 1)
    parallel = _check(profile, frame).to_dict()
    assert parallel == serial


def test_numeric_strings_are_not_a_type_problem(profile) -> None:
    frame = make_frame(300, seed=15)
    frame["charges"] = frame["charges"].map(lambda v: f"{v:.4f}").astype(object)
    assert check_batch(profile, frame).problems == []
    pd.testing.assert_series_equal(frame["tenure"], frame["tenure"])
