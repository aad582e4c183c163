"""Drift decisions at their edges: the warn and alert floors, the Bonferroni split of
``alpha``, a feature where only KS (or only PSI) is significant, unseen categories and
missing-rate changes. Small seeded samples; every case runs in milliseconds.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nbops.monitoring import Thresholds, build_profile
from nbops.monitoring._batch_check import check_batch, count_tests
from nbops.monitoring._drift import (
    TESTS_PER_CATEGORICAL,
    TESTS_PER_NUMERIC,
    TESTS_PER_PREDICTION,
    categorical_drift,
    missing_rate_pvalue,
    numeric_drift,
)
from nbops.monitoring._profile import CategoricalReference, numeric_reference
from nbops.monitoring._status import ALERT, OK, WARN, graded, severity, worst

RNG = np.random.default_rng(0)
REFERENCE = numeric_reference("x", RNG.normal(size=5000), 10)
#: a location shift: KS is far more significant than PSI
SHIFTED = RNG.normal(0.15, 1, 2000)
#: a wider spread around the same centre: PSI is far more significant than KS
WIDER = RNG.normal(0, 1.25, 2000)
LOUD = Thresholds(psi_warn=0.0, psi_alert=0.0)  # any significant change alerts


def _between(low: float, high: float) -> float:
    return math.sqrt(low * high)


def test_graded_at_and_around_the_floors() -> None:
    assert graded(True, 0.02, 0.005, 0.02) == ALERT
    assert graded(True, 0.005, 0.005, 0.02) == WARN
    assert graded(True, math.nextafter(0.005, 0), 0.005, 0.02) == OK
    assert graded(True, math.nextafter(0.02, 0), 0.005, 0.02) == WARN
    assert graded(False, 1.0, 0.005, 0.02) == OK
    assert graded(True, 0.0, 0.0, 0.0) == ALERT


def test_worst_and_severity_order_the_levels() -> None:
    assert [severity(s) for s in (OK, WARN, ALERT)] == [0, 1, 2]
    assert worst() == OK
    assert worst(OK, WARN, OK) == WARN and worst(WARN, ALERT, OK) == ALERT
    assert worst(OK) == OK


def test_numeric_psi_floors_are_reached_at_equality() -> None:
    base = numeric_drift(REFERENCE, SHIFTED, 1e-3, LOUD)
    excess = base.psi - base.psi_noise
    assert excess > 0 and base.status == ALERT

    def status(warn: float, alert: float) -> str:
        thresholds = Thresholds(psi_warn=warn, psi_alert=alert)
        return numeric_drift(REFERENCE, SHIFTED, 1e-3, thresholds).status

    assert status(excess, 1.0) == WARN
    assert status(0.0, excess) == ALERT
    assert status(math.nextafter(excess, 2), 1.0) == OK
    assert status(0.0, math.nextafter(excess, 2)) == WARN
    warned = numeric_drift(REFERENCE, SHIFTED, 1e-3, Thresholds(psi_warn=excess, psi_alert=1))
    assert warned.reasons == [f"PSI {base.psi:.3f}, KS {base.ks:.3f}"]


@pytest.mark.parametrize(("batch", "only"), [(SHIFTED, "ks"), (WIDER, "psi")],
                         ids=["only-ks", "only-psi"])
def test_one_significant_test_is_enough(batch: np.ndarray, only: str) -> None:
    probe = numeric_drift(REFERENCE, batch, 1e-300, LOUD)
    psi_p, ks_p = probe.psi_pvalue, probe.ks_pvalue
    assert probe.status == OK  # significant at no level this strict
    small, large = sorted((psi_p, ks_p))
    assert (ks_p < psi_p) is (only == "ks") and large / small > 100
    # alpha between the two p-values: exactly one test is significant
    drift = numeric_drift(REFERENCE, batch, _between(small, large), LOUD)
    assert drift.status == ALERT
    # both p-values above alpha: nothing is significant, however large the effect
    assert numeric_drift(REFERENCE, batch, small, LOUD).status == OK


def test_the_family_wise_alpha_is_split_over_every_test_of_the_batch() -> None:
    frame = pd.DataFrame({"x": REFERENCE.sorted_values})
    profile = build_profile(frame, {"features": [{"name": "x", "dtype": "float64"}]})
    assert count_tests(profile, scored=False, labelled=False) == TESTS_PER_NUMERIC
    shifted = pd.DataFrame({"x": RNG.normal(0.1, 1, 2000)})
    probe = numeric_drift(profile.features["x"], shifted["x"].to_numpy(), 1e-300, LOUD)
    p = min(probe.psi_pvalue, probe.ks_pvalue)
    # alpha / 3 < p < alpha: significant only if alpha were not split
    alpha = p * 2
    report = check_batch(profile, shifted, dataclasses.replace(LOUD, alpha=alpha))
    assert report.tests == 3 and report.alpha_each == alpha / 3
    assert report.features[0].status == OK and report.verdict == OK
    unsplit = check_batch(profile, shifted, dataclasses.replace(LOUD, alpha=p * 4))
    assert unsplit.features[0].status == ALERT and unsplit.verdict == ALERT


@pytest.fixture(scope="module")
def small_profile():
    """A small profile of the monitoring world (numeric and categorical features, scores)."""
    from monitoring_world import SCHEMA, champion_score, make_frame

    from nbops.monitoring._performance import roc_auc

    reference = make_frame(2000, seed=1)
    labels = reference["churned"].to_numpy()
    scores = champion_score(reference)
    positives = int(labels.sum())
    return build_profile(reference, SCHEMA, scores=scores,
                         metrics={"roc_auc": roc_auc(labels, scores)},
                         metrics_counts=(positives, labels.size - positives))


def test_count_tests_adds_every_kind_of_check(small_profile) -> None:
    profile = small_profile
    kinds = [ref.kind for ref in profile.features.values()]
    features = (TESTS_PER_NUMERIC * kinds.count("numeric")
                + TESTS_PER_CATEGORICAL * kinds.count("categorical"))
    assert (TESTS_PER_NUMERIC, TESTS_PER_CATEGORICAL, TESTS_PER_PREDICTION) == (3, 2, 2)
    assert count_tests(profile, scored=False, labelled=False) == features
    assert count_tests(profile, scored=True, labelled=False) == features + 2
    assert count_tests(profile, scored=True, labelled=True) == features + 3
    assert count_tests(profile, scored=False, labelled=True) == features + 1
    bare = dataclasses.replace(profile, features={}, scores=None)
    assert count_tests(bare, scored=True, labelled=False) == 1  # never divide by zero


def test_check_batch_records_the_split_it_used(small_profile) -> None:
    from monitoring_world import champion_score, make_frame

    profile = small_profile
    batch = make_frame(500, seed=5)
    thresholds = Thresholds(alpha=0.02)
    report = check_batch(profile, batch, thresholds, scores=champion_score(batch))
    assert report.tests == count_tests(profile, scored=True, labelled=True)
    assert report.alpha_each == 0.02 / report.tests
    assert report.performance is not None and report.prediction is not None
    assert report.prediction.kind == "prediction" and report.batch == {}
    assert report.performance.status == OK
    # labels that no longer follow the scores: live performance alerts and decides the verdict
    flipped = batch.assign(churned=1 - batch["churned"])
    scores = champion_score(batch)
    scores[:50] = np.nan  # unscored rows are left out of the performance check
    broken = check_batch(profile, flipped, thresholds, scores=scores,
                         batch_info={"path": "b.parquet"})
    assert broken.performance is not None and broken.performance.status == ALERT
    assert broken.verdict == ALERT and broken.batch == {"path": "b.parquet"}
    assert all(f.status != ALERT for f in broken.features)  # the features did not move
    quiet = check_batch(profile, flipped, dataclasses.replace(thresholds, auc_drop_warn=1.0,
                                                              auc_drop_alert=1.0),
                        scores=champion_score(batch))
    assert quiet.performance is not None and quiet.performance.status == OK
    unlabelled = check_batch(profile, batch.drop(columns="churned"), thresholds,
                             scores=champion_score(batch))
    assert unlabelled.tests == report.tests - 1 and unlabelled.performance is None


def _missing_reference() -> object:
    values = RNG.normal(size=4000)
    values[:400] = np.nan  # 10 % missing
    return numeric_reference("m", values, 10)


def test_missing_rate_floors_are_reached_at_equality() -> None:
    reference = _missing_reference()
    batch = RNG.normal(size=1000)
    batch[:300] = np.nan  # 30 % missing, same shape otherwise
    strict = Thresholds(psi_warn=1.0, psi_alert=1.0)
    base = numeric_drift(reference, batch, 1e-3, strict)
    change = abs(base.missing_current - base.missing_reference)
    assert base.missing_pvalue < 1e-3 and math.isclose(change, 0.2)

    def status(warn: float, alert: float) -> str:
        thresholds = dataclasses.replace(strict, missing_warn=warn, missing_alert=alert)
        return numeric_drift(reference, batch, 1e-3, thresholds).status

    assert status(change, 1.0) == WARN
    assert status(0.0, change) == ALERT
    assert status(math.nextafter(change, 1), 1.0) == OK
    assert base.reasons == ["missing rate 10.0% → 30.0%"]
    # the same change is not significant at a strict enough level
    quiet = numeric_drift(reference, batch, base.missing_pvalue / 2,
                          dataclasses.replace(strict, missing_warn=0.0, missing_alert=0.0))
    assert quiet.status == OK


def test_prediction_drift_ignores_missing_scores() -> None:
    batch = RNG.normal(size=1000)
    batch[:500] = np.nan
    loud = Thresholds(psi_warn=1.0, psi_alert=1.0, missing_warn=0.0, missing_alert=0.0)
    assert numeric_drift(REFERENCE, batch, 0.5, loud).status == ALERT
    assert numeric_drift(REFERENCE, batch, 0.5, loud, kind="prediction").status == OK


def test_missing_rate_pvalue_is_the_two_proportion_z_test() -> None:
    table = np.array([[100, 900], [150, 850]])
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert missing_rate_pvalue(0.10, 1000, 0.15, 1000) == pytest.approx(expected, rel=1e-9)
    assert missing_rate_pvalue(0.15, 1000, 0.10, 1000) == pytest.approx(expected, rel=1e-9)
    assert missing_rate_pvalue(0.1, 0, 0.5, 10) == 1.0
    assert missing_rate_pvalue(0.1, 10, 0.5, 0) == 1.0
    assert missing_rate_pvalue(0.0, 100, 0.0, 100) == 1.0  # nothing missing anywhere
    assert missing_rate_pvalue(1.0, 100, 1.0, 100) == 1.0  # everything missing


CATEGORIES = ("a", "b", "c")


def _categorical(missing: float = 0.0) -> CategoricalReference:
    return CategoricalReference(name="plan", categories=CATEGORIES,
                                counts=np.array([500, 300, 200]), missing_rate=missing,
                                rows=1000)


def test_unseen_category_floors_and_their_significance() -> None:
    column = pd.Series(["a"] * 495 + ["b"] * 300 + ["c"] * 200 + ["zz"] * 5)  # 0.5 % unseen
    share = 5 / 1000
    quiet_psi = Thresholds(psi_warn=1.0, psi_alert=1.0)

    def status(warn: float, alert: float) -> str:
        thresholds = dataclasses.replace(quiet_psi, unseen_warn=warn, unseen_alert=alert)
        return categorical_drift(_categorical(), column, 0.01, thresholds).status

    assert status(share, 1.0) == WARN
    assert status(0.0, share) == ALERT
    assert status(math.nextafter(share, 1), 1.0) == OK
    drift = categorical_drift(_categorical(), column, 0.01, quiet_psi)
    assert drift.unseen_share == share and drift.unseen_values == ["zz"]
    assert drift.reasons == ["0.5% rows with unseen categories (zz)"]
    # no unseen rows is no evidence, even with floors at zero
    clean = pd.Series(["a"] * 500 + ["b"] * 300 + ["c"] * 200)
    zero = dataclasses.replace(quiet_psi, unseen_warn=0.0, unseen_alert=0.0)
    assert categorical_drift(_categorical(), clean, 0.01, zero).status == OK


def test_categorical_psi_floor_and_significance() -> None:
    column = pd.Series(["a"] * 300 + ["b"] * 300 + ["c"] * 400)
    probe = categorical_drift(_categorical(), column, 1e-300, LOUD)
    assert probe.status == OK and probe.psi_pvalue < 1e-6
    excess = probe.psi - probe.psi_noise
    at_warn = Thresholds(psi_warn=excess, psi_alert=1.0)
    assert categorical_drift(_categorical(), column, 0.01, at_warn).status == WARN
    at_alert = Thresholds(psi_warn=0.0, psi_alert=excess)
    drift = categorical_drift(_categorical(), column, 0.01, at_alert)
    assert drift.status == ALERT and drift.reasons == [f"PSI {probe.psi:.3f}"]
    above = Thresholds(psi_warn=math.nextafter(excess, 2), psi_alert=1.0)
    assert categorical_drift(_categorical(), column, 0.01, above).status == OK
    # significance is judged on the PSI p-value against alpha_each
    assert categorical_drift(_categorical(), column, probe.psi_pvalue, LOUD).status == OK


def test_categorical_missing_and_unseen_rates_are_counted_per_row() -> None:
    column = pd.Series(["a"] * 400 + [None] * 100 + ["b"] * 300 + ["zz", "yy"] * 100)
    drift = categorical_drift(_categorical(missing=0.1), column, 0.01, Thresholds())
    assert drift.rows == 1000
    assert drift.missing_current == 0.1 and drift.missing_reference == 0.1
    assert drift.unseen_share == 0.2 and drift.unseen_values == ["yy", "zz"]
    assert drift.status == ALERT


def test_feature_drift_to_dict_is_every_field() -> None:
    drift = categorical_drift(_categorical(missing=0.1),
                              pd.Series(["a"] * 400 + [None] * 100 + ["zz"] * 500), 0.01,
                              Thresholds())
    assert drift.to_dict() == dataclasses.asdict(drift)
    numeric = numeric_drift(REFERENCE, SHIFTED, 0.01, Thresholds())
    assert numeric.to_dict() == dataclasses.asdict(numeric)
    assert numeric.to_dict()["reasons"] is not numeric.reasons  # a copy, safe to change


def test_kinds_and_empty_batches() -> None:
    assert numeric_drift(REFERENCE, SHIFTED, 0.01, Thresholds()).kind == "numeric"
    empty = numeric_drift(REFERENCE, np.array([]), 0.01, Thresholds())
    assert (empty.rows, empty.missing_current, empty.status) == (0, 0.0, OK)
    column = pd.Series(["a", "b"])
    assert categorical_drift(_categorical(), column, 0.01, Thresholds()).kind == "categorical"
    none = categorical_drift(_categorical(), pd.Series([], dtype=object), 0.01, Thresholds())
    assert (none.rows, none.missing_current, none.unseen_share) == (0, 0.0, 0.0)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.5, 1.5])
def test_alpha_must_lie_strictly_between_zero_and_one(alpha: float) -> None:
    from nbops.core._errors import ConfigError

    with pytest.raises(ConfigError, match="monitoring.alpha"):
        Thresholds(alpha=alpha)
    assert Thresholds(alpha=0.999).alpha == 0.999


def test_bad_columns_and_prediction_drift_each_decide_the_verdict(small_profile) -> None:
    from monitoring_world import champion_score, make_frame

    batch = make_frame(2000, seed=8)
    broken = check_batch(small_profile, batch.drop(columns=["plan"]), Thresholds())
    assert broken.problems and broken.verdict == ALERT
    assert all(f.status == OK for f in broken.features)
    shifted = champion_score(batch) * 0.5  # same features, the model now scores differently
    report = check_batch(small_profile, batch.drop(columns="churned"), Thresholds(),
                         scores=shifted)
    assert report.prediction is not None and report.prediction.status == ALERT
    assert all(f.status == OK for f in report.features) and report.verdict == ALERT
