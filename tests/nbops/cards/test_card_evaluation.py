"""The card's numbers, through the library function the evaluate step calls.

Each figure is checked against scikit-learn computed independently here:
bootstrap metrics with the resample's weights, slices on the slice's rows,
and permutation importance on a synthetic set where one column decides the label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)

from nbops.cards import evaluate_for_card, read_evaluation, write_evaluation
from nbops.cards._bootstrap import SortedScores, bootstrap_intervals, weighted_metrics
from nbops.core import DataError


def _scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # rounded, so that many scores tie (ROC AUC and average precision must handle ties)
    proba = np.round(np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1), 2)
    return y, proba


def test_weighted_metrics_equal_scikit_learn_with_sample_weights() -> None:
    y, proba = _scores(400, 1)
    weights = np.random.default_rng(2).integers(0, 4, size=(3, y.size)).astype(float)
    got = weighted_metrics(SortedScores.of(y, proba, 0.5), weights)
    for row, w in enumerate(weights):
        assert got["roc_auc"][row] == pytest.approx(roc_auc_score(y, proba, sample_weight=w))
        assert got["pr_auc"][row] == pytest.approx(
            average_precision_score(y, proba, sample_weight=w))
        assert got["f1"][row] == pytest.approx(f1_score(y, proba >= 0.5, sample_weight=w))
        assert got["brier"][row] == pytest.approx(brier_score_loss(y, proba, sample_weight=w))


def test_intervals_contain_the_point_estimate_and_narrow_with_more_rows() -> None:
    widths = []
    for n in (300, 3000):
        y, proba = _scores(n, 3)
        intervals = bootstrap_intervals(y, proba, threshold=0.5, resamples=300, seed=0)
        assert intervals["roc_auc"]["value"] == pytest.approx(roc_auc_score(y, proba))
        for name, m in intervals.items():
            assert m["low"] <= m["value"] <= m["high"], name
        widths.append(intervals["roc_auc"]["high"] - intervals["roc_auc"]["low"])
    assert widths[1] < widths[0] / 2  # ~ 1/sqrt(10) of the width


def test_the_same_seed_gives_the_same_intervals_in_any_block_size(monkeypatch) -> None:
    y, proba = _scores(500, 4)
    first = bootstrap_intervals(y, proba, threshold=0.5, resamples=50, seed=9)
    monkeypatch.setattr("nbops.cards._bootstrap._BLOCK_CELLS", 500 * 7)  # 7 resamples a block
    again = bootstrap_intervals(y, proba, threshold=0.5, resamples=50, seed=9)
    for metric, values in first.items():
        assert again[metric] == pytest.approx(values, rel=1e-12), metric


def test_on_many_distinct_scores_the_bootstrap_counts_per_quantile_and_stays_close(
        monkeypatch) -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 20_000)
    proba = np.clip(0.3 * y + 0.7 * rng.random(y.size), 0, 1)  # ~20,000 distinct scores
    exact = bootstrap_intervals(y, proba, threshold=0.5, resamples=40, seed=3)
    monkeypatch.setattr("nbops.cards._bootstrap.MAX_GROUPS", 2000)
    coarse = bootstrap_intervals(y, proba, threshold=0.5, resamples=40, seed=3)
    assert SortedScores.of(y, proba, 0.5, 2000).groups <= 2001  # + the threshold's split
    for name in ("roc_auc", "pr_auc"):  # ties inside a quantile: 1/2000 of the pairs at most
        assert coarse[name]["value"] == exact[name]["value"]  # point estimates stay exact
        assert coarse[name]["low"] == pytest.approx(exact[name]["low"], abs=1e-3)
        assert coarse[name]["high"] == pytest.approx(exact[name]["high"], abs=1e-3)
    for name in ("f1", "brier"):  # split at the threshold / summed over rows: unchanged
        assert coarse[name]["low"] == pytest.approx(exact[name]["low"], rel=1e-9)
        assert coarse[name]["high"] == pytest.approx(exact[name]["high"], rel=1e-9)


@pytest.fixture(scope="module")
def planted() -> tuple[object, pd.DataFrame, np.ndarray]:
    """A model trained where ``key`` decides the label and the other columns are noise."""
    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame({"noise_a": rng.normal(size=n), "noise_b": rng.normal(size=n),
                          "key": rng.normal(size=n),
                          "group": rng.choice(["x", "y", "z"], size=n)})
    frame["label"] = (frame["key"] > 0).astype(int)
    features = ["noise_a", "noise_b", "key"]
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    model.fit(frame[features].iloc[:800], frame["label"].iloc[:800])
    test = frame.iloc[800:].reset_index(drop=True)
    return model, test, model.predict_proba(test[features])[:, 1]


def test_permutation_importance_ranks_the_planted_column_first(planted) -> None:
    model, test, proba = planted
    card = evaluate_for_card(model, test, target="label", features=["noise_a", "noise_b", "key"],
                             proba=proba, slices=["group"], resamples=50, seed=1)
    ranked = card["importance"]["features"]
    assert ranked[0]["feature"] == "key"
    assert ranked[0]["mean"] > 0.3 > max(abs(f["mean"]) for f in ranked[1:])
    assert all(f["std"] >= 0 for f in ranked)


def test_slices_equal_scikit_learn_on_each_slice(planted) -> None:
    model, test, proba = planted
    card = evaluate_for_card(model, test, target="label", features=["noise_a", "noise_b", "key"],
                             proba=proba, slices=["group"], resamples=20)
    [group] = card["slices"]
    for s in group["slices"]:
        rows = (test["group"] == s["value"]).to_numpy()
        assert s["rows"] == rows.sum()
        assert s["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(test["label"][rows],
                                                                      proba[rows]))
    values = {s["value"]: s["metrics"]["roc_auc"] for s in group["slices"]}
    summary = group["summary"]["roc_auc"]
    assert summary["worst_value"] == min(values.values())
    assert summary["gap"] == pytest.approx(max(values.values()) - min(values.values()))
    assert card["gate_metrics"]["worst_slice_roc_auc"] == min(values.values())


def test_calibration_bins_count_every_row_and_brier_matches(planted) -> None:
    model, test, proba = planted
    card = evaluate_for_card(model, test, target="label", features=["noise_a", "noise_b", "key"],
                             proba=proba, resamples=20)
    bins = card["calibration"]["bins"]
    assert sum(b["rows"] for b in bins) == len(test)
    assert card["calibration"]["brier"] == pytest.approx(brier_score_loss(test["label"], proba))


def test_the_evaluation_file_is_checked_on_write_and_read(planted, tmp_path) -> None:
    model, test, proba = planted
    card = evaluate_for_card(model, test, target="label", features=["noise_a", "noise_b", "key"],
                             proba=proba, resamples=20)
    path = write_evaluation(tmp_path / "card_evaluation.json", card)
    assert read_evaluation(path.read_bytes()) == card
    with pytest.raises(DataError, match="invalid"):
        read_evaluation(b'{"schema_version": 1}')
    with pytest.raises(DataError, match="card_evaluation.json has schema_version 2, newer than"):
        read_evaluation(b'{"schema_version": 2}')


def test_a_slice_column_the_data_lacks_is_one_sentence_on_the_card(planted) -> None:
    model, test, proba = planted
    card = evaluate_for_card(model, test, target="label", features=["noise_a", "noise_b", "key"],
                             proba=proba, slices=["contrat", "group"], resamples=20)
    assert [c["column"] for c in card["slices"]] == ["group"]
    assert card["slices_missing"].startswith(
        "card.slices in env.yaml names 'contrat', which the test data does not have (it has "
        "noise_a, noise_b, key, group, label)")
