"""The retraining policy: triggers, the data it trains on, the margin it must beat."""

from __future__ import annotations

import pandas as pd
import pytest

from nbops.core._errors import ConfigError
from nbops.monitoring._retrain_policy import (
    RetrainPolicy,
    reasons_to_retrain,
    should_promote,
    split_recent,
)


def _report(live: float | None, status: str = "ok", drift: dict | None = None) -> dict:
    performance = None if live is None else {
        "status": status, "live": {"roc_auc": live}, "reference": {"roc_auc": 0.888}}
    return {"performance": performance,
            "features": {name: {"status": s} for name, s in (drift or {}).items()}}


def test_fine_live_performance_is_no_reason_to_retrain_even_with_other_drift() -> None:
    policy = RetrainPolicy.from_mapping({"triggers": {"drift_features": ["age"]}})
    why, checked = reasons_to_retrain(policy, _report(0.890, "ok", {"tenure": "alert"}))
    assert why == []
    assert "live ROC AUC 0.890 is ok (reference 0.888)" in checked


def test_each_trigger_names_its_reason() -> None:
    policy = RetrainPolicy.from_mapping(
        {"triggers": {"drift_features": ["age"], "every_days": 30}})
    why, _ = reasons_to_retrain(policy, _report(0.70, "alert", {"age": "alert"}),
                                champion_registered_at="2020-01-01T00:00:00Z")
    assert why[0] == "live ROC AUC 0.700 is an alert (reference 0.888)"
    assert why[1] == "feature 'age' drifted (alert)"
    assert why[2].startswith("the champion is ") and "every 30 days" in why[2]


def test_training_data_is_the_champions_plus_older_recent_rows_newest_held_out() -> None:
    champion = pd.DataFrame({"when": pd.to_datetime(["2024-01-01"] * 4), "x": [1.0, 2, 3, 4],
                             "y": pd.Series([0, 1, 0, 1], dtype="int8")})
    recent = pd.DataFrame({"when": pd.to_datetime([f"2025-01-{d:02d}" for d in (5, 1, 3, 2,
                                                                             4, 6)]),
                           "x": [5.0, 6, 7, 8, 9, 10], "y": [1.0, 0, None, 1, 0, 1],
                           "extra": list("abcdef")})
    data = split_recent(champion, recent, "y", "when", holdout_fraction=0.4)
    assert data.champion_rows == 4 and data.recent_rows == 3 and len(data.holdout) == 2
    assert list(data.holdout["x"]) == [5.0, 10.0]  # the two newest labelled rows
    assert list(data.training.columns) == ["when", "x", "y"]
    assert list(data.training["x"]) == [1.0, 2, 3, 4, 6, 8, 9]  # unlabelled 7 dropped
    assert data.training["y"].dtype == "int8"


@pytest.mark.parametrize(("candidate", "champion", "margin", "promote"), [
    (0.8906, 0.8900, 0.001, False),  # +0.0006 is within the margin: kept
    (0.8920, 0.8900, 0.001, True),
    (0.8900, 0.8900, 0.0, False),    # a tie never replaces the champion
])
def test_only_a_candidate_beating_the_margin_is_promoted(
    candidate: float, champion: float, margin: float, promote: bool
) -> None:
    assert should_promote(candidate, champion, margin) is promote


def test_bad_policies_are_one_sentence_config_errors() -> None:
    with pytest.raises(ConfigError, match="holdout_fraction"):
        RetrainPolicy.from_mapping({"holdout_fraction": 1.5})
    with pytest.raises(ConfigError, match="unknown key"):
        RetrainPolicy.from_mapping({"triggers": {"drift": ["age"]}})
    with pytest.raises(ConfigError, match="min_margin"):
        RetrainPolicy.from_mapping({"min_margin": -0.1})
