"""Fixtures: a tiny project with real skops models, data files and feature schemas."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from registry_helpers import FEATURE_SCHEMA, fit_model, make_data
from sklearn.metrics import roc_auc_score

from nbops.registry.promotion import Candidate


@pytest.fixture(scope="session")
def datasets() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_data(1500, seed=1), make_data(800, seed=2)


MakeRun = Callable[..., Candidate]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    return tmp_path


@pytest.fixture
def make_run(project: Path, datasets: tuple[pd.DataFrame, pd.DataFrame]) -> MakeRun:
    """Write one run's products (model, train/test, schema) and return its Candidate."""
    counter = iter(range(1, 1000))

    def _make(shuffle: float = 0.0, seed: int = 0, c: float = 1.0, test: pd.DataFrame | None = None,
              schema: dict | None = None, metrics: dict | None = None) -> Candidate:
        n = next(counter)
        folder = project / ".nbops" / "products" / f"run{n}"
        folder.mkdir(parents=True)
        train, default_test = datasets
        test = default_test if test is None else test
        model = fit_model(train, shuffle, seed, c)
        sio.dump(model, folder / "model.skops")
        train.to_parquet(folder / "train.parquet")
        test.to_parquet(folder / "test.parquet")
        (folder / "feature_schema.json").write_text(json.dumps(schema or FEATURE_SCHEMA))
        logged = metrics
        if logged is None:
            proba = model.predict_proba(test[["tenure", "charges", "plan"]])[:, 1]
            logged = {"roc_auc": float(roc_auc_score(test["churned"], proba)),
                      "baseline_roc_auc": 0.5}
        return Candidate(
            run_id=f"20260101T0000000000{n:02d}Z-abcdef",
            model_file=folder / "model.skops", train_data=folder / "train.parquet",
            test_data=folder / "test.parquet", feature_schema=folder / "feature_schema.json",
            metrics=logged, task_metrics={"evaluate": logged}, git_commit="abc123",
        )

    return _make
