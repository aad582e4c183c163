"""The reference churn pipeline, built for real (real kernels) in a temporary copy.

One build on a small embedded sample is shared by the assertions below (the session's
reference build, which other modules copy too: tests/conftest.py, copy_built); the
telco dataset gets its own build (it is the acceptance check: ROC AUC >= 0.80
and the blank-string handling shown in the validate notebook).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from churn import evaluate, models
from nbops.validation import read_data_schema, read_feature_schema

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# docs/reference-pipeline.md: data/ in the repository, or shared/ beside it (this workplace);
# else the repository's own 911-row sample of it (all 11 blank TotalCharges rows kept), so
# a clean clone runs this test too.
TELCO = next(p for p in (REPO / "data" / "telco-customer-churn.csv",
                         REPO.parent / "shared" / "datasets" / "telco-customer-churn.csv",
                         REPO / "tests" / "data" / "telco_sample.csv") if p.exists())
PRODUCTS = {
    "ingest": ["ingest.ipynb", "raw.parquet"],
    "validate": ["validate.ipynb", "clean.parquet", "data_schema.json"],
    "features": ["features.ipynb", "train.parquet", "test.parquet", "feature_schema.json"],
    "train": ["train.ipynb", "model.skops", "baseline.skops"],
    "evaluate": ["evaluate.ipynb", "metrics.json", "predictions.parquet", "card_evaluation.json"],
}


def _outputs(notebook: Path) -> list[dict]:
    nb = nbformat.read(notebook, as_version=4)
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _text(notebook: Path) -> str:
    parts = []
    for output in _outputs(notebook):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


@pytest.fixture(scope="module")
def built(tmp_path_factory, copy_built) -> Path:
    """The products of the session's reference build (2,400 rows; tests/conftest.py)."""
    project = copy_built(tmp_path_factory.mktemp("reference") / "project")
    return project / ".nbops" / "products"


def test_every_step_writes_its_products(built: Path) -> None:
    for files in PRODUCTS.values():
        for name in files:
            assert (built / name).stat().st_size > 0, name


def test_model_scores_raw_feature_frames_and_beats_chance(built: Path) -> None:
    feature_schema = read_feature_schema(built / "feature_schema.json")
    assert feature_schema.target == "churn"
    assert "customer_id" not in feature_schema.names
    assert "signup_date" not in feature_schema.names
    assert {"tenure_months", "contract"} <= set(feature_schema.names)
    test = pd.read_parquet(built / "test.parquet")
    model = models.load(built / "model.skops")
    proba = model.predict_proba(test[feature_schema.names])[:, 1]
    metrics = json.loads((built / "metrics.json").read_text())
    assert evaluate.metrics(test["churn"], proba)["roc_auc"] == pytest.approx(
        metrics["model"]["roc_auc"]
    )
    assert metrics["model"]["roc_auc"] > 0.75
    assert evaluate.read_metrics(built / "metrics.json")["n_test"] == len(test)


def test_time_split_trains_on_earlier_months(built: Path) -> None:
    train = pd.read_parquet(built / "train.parquet")
    test = pd.read_parquet(built / "test.parquet")
    assert train["signup_date"].max() < test["signup_date"].min()
    assert "time-based on 'signup_date'" in _text(built / "features.ipynb")


def test_validate_uses_the_declared_schema_and_shows_changes(built: Path) -> None:
    schema = read_data_schema(built / "data_schema.json")
    assert schema.source == "declared for the embedded churn generator"
    assert schema.column("customer_id").unique
    text = _text(built / "validate.ipynb")
    assert "WARNING: id-like column(s) kept out of the features: customer_id" in text


def test_evaluate_states_a_verdict_and_draws_the_plots(built: Path) -> None:
    outputs = _outputs(built / "evaluate.ipynb")
    text = _text(built / "evaluate.ipynb")
    assert re.search(r"The model (beats|does NOT beat) the baseline: roc_auc", text)
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 4  # ROC, PR, calibration, confusion matrix
    predictions = pd.read_parquet(built / "predictions.parquet")
    assert {"customer_id", "churn", "score", "baseline_score", "predicted"} <= set(predictions)


def test_evaluate_logs_its_metrics_for_the_ledger(built: Path) -> None:
    source = (Path(__file__).resolve().parents[2] / "notebooks" / "evaluate.py").read_text()
    assert "nbops.log_metrics(" in source
    nb = nbformat.read(built / "evaluate.ipynb", as_version=4)
    records = [
        o["data"]["application/vnd.nbops.record+json"]
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if "application/vnd.nbops.record+json" in o.get("data", {})
    ]
    logged = {r["name"] for r in records if r["kind"] == "metric"}
    assert {"roc_auc", "pr_auc", "f1", "brier", "baseline_roc_auc"} <= logged


def test_telco_dataset_reaches_roc_auc_080_and_shows_blank_strings(
    tmp_path_factory, copy_project, run_build
) -> None:
    project = copy_project(tmp_path_factory.mktemp("telco"))
    run_build(project, "--env--data--path", str(TELCO), "--env--data--target", "Churn", rows=None)
    products = project / ".nbops" / "products"
    metrics = json.loads((products / "metrics.json").read_text())
    assert metrics["model"]["roc_auc"] >= 0.80
    text = _text(products / "validate.ipynb")
    assert "column 'TotalCharges': 11 blank string(s) treated as missing values" in text
    assert "target 'Churn': mapped 'Yes' to 1 and 'No' to 0" in text
    clean = pd.read_parquet(products / "clean.parquet")
    assert clean["TotalCharges"].dtype.kind == "f"
    assert clean["TotalCharges"].isna().sum() == 11
    assert "customerID" not in read_feature_schema(products / "feature_schema.json").names
    assert "stratified" in _text(products / "features.ipynb")
