"""Training/serving skew: the raw telco file is served and monitored as it was trained.

The telco table holds blank strings in TotalCharges and Yes/No labels; the
validate step cleans them before training. The registered input preparation
applies the same cleaning, so the raw file scores and monitors without a type
alert and with a live ROC AUC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_world import Server, start_server, train_version

from churn import data
from nbops.core._input_preparation import of_version
from nbops.registry import ONNX_TOLERANCE
from nbops.registry import _operations as operations
from nbops.registry._api import get_version, load_model

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "telco_sample.csv"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("telco") / "project"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    (root / "env.yaml").write_text(  # the churn model's converters live in the churn package
        "registry:\n  model: telco\n  trusted_types: "
        "[churn.features._as_float, churn.features._as_text]\n")
    train_version(root, pd.read_csv(SAMPLE), "Churn", name="telco", max_iter=30)
    operations.promote(root, "telco", 1, reason="test", actor=operations.Actor())
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    server = start_server(project, "telco@champion", "--no-log")
    yield server
    server.stop()


def test_the_registered_version_carries_its_input_preparation(project: Path) -> None:
    record = get_version("telco@champion", project)
    spec = record["input_preparation"]
    assert "TotalCharges" in spec["numeric"] and "Contract" in spec["categorical"]
    assert spec["target"]["name"] == "Churn" and "yes" in spec["target"]["positive"]
    assert record["input_preparation_hash"].startswith("blake3:")
    assert of_version(record) == spec


def test_monitoring_the_raw_file_gives_no_type_alert_and_a_live_auc(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nbops.cli.main import main

    monkeypatch.chdir(project)
    monkeypatch.delenv("NBOPS_PROJECT_ROOT", raising=False)
    main(["monitor", str(SAMPLE), "--champion", "telco@champion", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert not [p for p in report["problems"] if p["kind"] == "wrong_type"], report["problems"]
    assert report["verdict"] != "alert", report["summary"]
    assert report["performance"]["live"]["roc_auc"] > 0.7
    assert report["prediction"] is not None


def test_serving_the_raw_file_scores_like_the_cleaned_training_data(
    project: Path, server: Server
) -> None:
    raw_text = SAMPLE.read_text()
    answer = httpx.post(f"{server.url}/predict", content=raw_text.encode(),
                        headers={"content-type": "text/csv"}, timeout=60)
    assert answer.status_code == 200, answer.text
    clean, _ = data.clean(pd.read_csv(SAMPLE), "Churn")
    record = get_version("telco@champion", project)
    names = [f["name"] for f in record["feature_schema"]["features"]]
    expected = load_model("telco@champion", project).predict_proba(clean[names])[:, 1]
    # the service answers with the model's ONNX form: within its tolerance of the model
    assert httpx.get(f"{server.url}/healthz").json()["scorer"] == "onnx"
    np.testing.assert_allclose(answer.json()["scores"], expected, rtol=0, atol=ONNX_TOLERANCE)
    blank = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    row = blank[blank["TotalCharges"].str.strip() == ""].iloc[0].to_dict()
    single = httpx.post(f"{server.url}/predict", json=row)
    assert single.status_code == 200, single.text
    position = int(np.flatnonzero(clean["customerID"].to_numpy() == row["customerID"])[0])
    assert single.json()["scores"] == [answer.json()["scores"][position]]


def test_nbops_predict_scores_the_raw_file_too(project: Path, tmp_path: Path) -> None:
    from nbops.cli.main import main

    main(["predict", "telco@champion", str(SAMPLE), "-o", str(tmp_path / "scored.csv"),
          "--project", str(project)])
    scored = pd.read_csv(tmp_path / "scored.csv")
    clean, _ = data.clean(pd.read_csv(SAMPLE), "Churn")
    record = get_version("telco@champion", project)
    names = [f["name"] for f in record["feature_schema"]["features"]]
    expected = load_model("telco@champion", project).predict_proba(clean[names])[:, 1]
    np.testing.assert_allclose(scored["score"], expected, rtol=0, atol=1e-12)
    assert scored["Churn"].iloc[0] in ("Yes", "No")  # the input columns are kept as they were
