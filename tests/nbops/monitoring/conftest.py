"""Shared fixtures of the monitoring tests: one reference profile per session."""

from __future__ import annotations

import pandas as pd
import pytest
from monitoring_world import SCHEMA, champion_score, make_frame

from nbops.monitoring import ReferenceProfile, build_profile


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    return make_frame(20_000, seed=1)


@pytest.fixture(scope="session")
def profile(reference: pd.DataFrame) -> ReferenceProfile:
    test = make_frame(5_000, seed=2)
    from nbops.core._metrics import roc_auc

    labels = test["churned"].to_numpy()
    scores = champion_score(test)
    positives = int(labels.sum())
    return build_profile(
        reference,
        SCHEMA,
        scores=scores,
        metrics={"roc_auc": roc_auc(labels, scores)},
        metrics_counts=(positives, labels.size - positives),
    )
