"""Data and models for the registry tests (imported by conftest and tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from nbops.registry._promotion import Candidate

FEATURE_SCHEMA = {
    "schema_version": 1,
    "target": "churned",
    "features": [
        {"name": "tenure", "dtype": "float64"},
        {"name": "charges", "dtype": "float64"},
        {"name": "plan", "dtype": "str", "categories": ["basic", "plus", "pro"]},
    ],
}


def make_data(n: int, seed: int) -> pd.DataFrame:
    """Rows where churn depends on tenure, charges and plan."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 60, n)
    charges = rng.normal(70, 20, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    logit = -0.08 * tenure + 0.03 * (charges - 70) + np.where(plan == "basic", 0.8, -0.4)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return pd.DataFrame(
        {"customer_id": [f"c{i:05d}" for i in range(n)], "tenure": tenure, "charges": charges,
         "plan": plan, "churned": churned}
    )


def fit_model(train: pd.DataFrame, shuffle: float, seed: int, c: float = 1.0) -> Pipeline:
    """A preprocessing + logistic regression pipeline; ``shuffle`` destroys label signal."""
    y = train["churned"].to_numpy().copy()
    rng = np.random.default_rng(seed)
    k = int(len(y) * shuffle)
    if k:
        idx = rng.choice(len(y), k, replace=False)
        y[idx] = rng.permutation(y[idx])
    pre = ColumnTransformer(
        [("num", SimpleImputer(), ["tenure", "charges"]),
         ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(C=c, max_iter=500))])
    model.fit(train[["tenure", "charges", "plan"]], y)
    return model


GATES = {"min_roc_auc": "roc_auc >= 0.75", "no_regression": "roc_auc >= champion - 0.01",
         "beats_baseline": "roc_auc > baseline_roc_auc"}


MakeRun = Callable[..., Candidate]


def run_writer(project: Path, datasets: tuple[pd.DataFrame, pd.DataFrame]) -> MakeRun:
    """A function writing one run's products (model, train/test, schema) into ``project``."""
    counter = iter(range(1, 1000))

    def _make(shuffle: float = 0.0, seed: int = 0, c: float = 1.0,
              test: pd.DataFrame | None = None,
              schema: dict | None = None, metrics: dict | None = None) -> Candidate:
        n = next(counter)
        folder = project / ".nbops" / "products" / f"run{n}"
        folder.mkdir(parents=True)
        train, default_test = datasets
        test = default_test if test is None else test
        model = fit_model(train, shuffle, seed, c)
        import skops.io as sio

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


def register_two_versions(root: Path, datasets: tuple[pd.DataFrame, pd.DataFrame]) -> Path:
    """A project at ``root`` whose model ``churn`` has two versions, the better one champion."""
    from nbops.registry._config import parse_registry_config
    from nbops.registry._promotion import gate_and_promote

    config = parse_registry_config({"model": "churn"})
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make = run_writer(root, datasets)
    gate_and_promote(root, make(shuffle=0.5, seed=1), config, {"min": "roc_auc >= 0.5"})
    gate_and_promote(root, make(), config, GATES)
    return root
