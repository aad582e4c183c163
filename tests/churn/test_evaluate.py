"""Metrics, the verdict, metrics.json and the plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from churn import evaluate


def test_metrics_on_a_known_case() -> None:
    y = np.array([0, 0, 1, 1])
    proba = np.array([0.1, 0.6, 0.4, 0.9])
    scores = evaluate.metrics(y, proba)
    assert scores["roc_auc"] == pytest.approx(0.75)
    assert scores["f1"] == pytest.approx(0.5)
    assert scores["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert 0 < scores["pr_auc"] <= 1


def test_verdict_says_clearly_who_wins() -> None:
    better = evaluate.verdict({"roc_auc": 0.85}, {"roc_auc": 0.80})
    worse = evaluate.verdict({"roc_auc": 0.79}, {"roc_auc": 0.80})
    assert better == "The model beats the baseline: roc_auc 0.850 vs 0.800 (+0.050)."
    assert worse.startswith("The model does NOT beat the baseline: roc_auc 0.790 vs 0.800 (-0.010)")


def test_metrics_file_is_schema_checked(tmp_path: Path) -> None:
    scores = {"roc_auc": 0.8, "pr_auc": 0.6, "f1": 0.5, "brier": 0.15}
    path = evaluate.write_metrics(tmp_path / "m.json", scores, scores, "tie", 0.5, 100)
    data = evaluate.read_metrics(path)
    assert data["schema_version"] == 1 and data["beats_baseline"] is False
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        evaluate.write_metrics(tmp_path / "bad.json", {"roc_auc": 0.8}, scores, "x", 0.5, 1)
    assert not (tmp_path / "bad.json").exists()


def test_plots_draw_every_curve() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    proba = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1)
    curves = {"model": proba, "baseline": rng.random(200)}
    assert len(evaluate.plot_roc(y, curves).axes[0].lines) == 3
    assert len(evaluate.plot_pr(y, curves).axes[0].lines) == 3
    assert len(evaluate.plot_calibration(y, curves).axes[0].lines) == 3
    confusion = evaluate.plot_confusion(y, proba)
    counts = sorted(int(t.get_text()) for t in confusion.axes[0].texts)
    assert sum(counts) == 200
