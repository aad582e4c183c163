"""Gates and promotion through real ``ploomber build``s of the reference pipeline.

One project, built four times in order (module-scoped, each step depends on the
previous one): a weakened first model becomes champion v1; a model trained on
shuffled labels fails its gates loudly and changes nothing; a normal model beats
the re-scored champion and becomes v2; rollback and batch scoring by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
REGISTRY = Path(".nbops") / "registry" / "models.json"


def _manifest(project: Path) -> dict:
    runs = sorted(p for p in (project / "reports" / "runs").iterdir() if p.is_dir())
    return json.loads((runs[-1] / "manifest.json").read_text())


def _registry(project: Path) -> dict:
    return json.loads((project / REGISTRY).read_text())


def _nbops(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return subprocess.run([str(BIN / "nbops"), *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory, copy_project, run_build):
    root = copy_project(tmp_path_factory.mktemp("gates") / "project")
    # half the labels shuffled: a weaker model; the baseline suffers as much, so this
    # build also shows a gate overridden on the command line
    first = run_build(root, "--env--model--label_shuffle_fraction", "0.5",
                      "--env--gates--beats_baseline", "roc_auc >= baseline_roc_auc - 0.05")
    return {"root": root, "first": first}


def test_first_build_registers_v1_as_champion(project):
    root = project["root"]
    manifest = _manifest(root)
    assert manifest["status"] == "succeeded"
    assert manifest["gates"]["verdict"] == "passed"
    # this build trained the model, so a helper warmed up for gating while it ran
    assert manifest["gates"]["measured"]["measured_in"] == "helper process"
    overridden = {r["name"]: r["expression"] for r in manifest["gates"]["results"]}
    assert overridden["beats_baseline"] == "roc_auc >= baseline_roc_auc - 0.05"
    assert manifest["registry"]["decision"].startswith("promoted churn:1 to @champion")
    model = _registry(root)["models"]["churn"]
    assert model["aliases"] == {"champion": 1}
    version = model["versions"][0]
    assert version["run_id"] == manifest["run_id"]
    assert version["artifact"]["hash"] == manifest["tasks"]["train"]["products"]["model"]["hash"]
    assert version["training_data"]["hash"] == \
        manifest["tasks"]["features"]["products"]["train"]["hash"]
    assert version["metrics"]["roc_auc"] == pytest.approx(manifest["metrics"]["roc_auc"])
    assert version["feature_schema"]["target"] == "churn"
    page = (root / "reports" / "runs" / manifest["run_id"] / "index.html").read_text()
    assert "Quality gates" in page and "min_roc_auc" in page


def test_crippled_model_fails_gates_clearly_and_leaves_champion(project, run_build):
    root = project["root"]
    before = (root / REGISTRY).read_bytes()
    proc = run_build(root, "--env--model--label_shuffle_fraction", "1.0", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1
    # one verdict block (the build summary), not Ploomber's wrapper around the GateFailure
    assert "Exception when running on_finish" not in output, output[-4000:]
    assert output.count("gates: failed (") == 1, output[-4000:]
    assert "x min_roc_auc: roc_auc = 0.5" in output or "x min_roc_auc: roc_auc = 0.4" in output
    assert "needs >= 0.75" in output
    assert "x no_regression:" in output and "(champion 0." in output
    assert "champion unchanged (version 1)" in output
    assert "fix: improve the model" in output
    manifest = _manifest(root)
    assert manifest["status"] == "gated"
    assert manifest["gates"]["verdict"] == "failed"
    assert manifest["registry"]["version"] is None
    assert (root / REGISTRY).read_bytes() == before
    page = (root / "reports" / "runs" / manifest["run_id"] / "index.html").read_text()
    assert "s-failed" in page and "no_regression" in page


def test_better_model_promotes_against_rescored_champion(project, run_build):
    root = project["root"]
    run_build(root)  # env.yaml defaults: no shuffled labels
    manifest = _manifest(root)
    section = manifest["registry"]
    assert manifest["status"] == "succeeded" and section["promoted"], section["decision"]
    assert section["version"] == 2 and section["champion_before"]["version"] == 1
    assert section["deltas"]["roc_auc"] > 0
    champion_on_this_data = section["champion_before"]["metrics"]["roc_auc"]
    model = _registry(root)["models"]["churn"]
    assert model["aliases"] == {"champion": 2}
    assert [(m["from"], m["to"]) for m in model["history"]] == [(None, 1), (1, 2)]
    assert model["history"][1]["by"]["run_id"] == manifest["run_id"]
    # v1's registered number and its re-score agree here (same split), and both are recorded
    assert champion_on_this_data == pytest.approx(model["versions"][0]["metrics"]["roc_auc"])


def test_no_op_rebuild_reuses_the_trainers_scores_and_changes_nothing(project, run_build):
    root = project["root"]
    trainer = _manifest(root)
    before = (root / REGISTRY).read_bytes()
    run_build(root)  # nothing changed since the previous build
    manifest = _manifest(root)
    assert manifest["run_id"] != trainer["run_id"]
    assert manifest["tasks"]["train"]["produced_by"] == trainer["run_id"]
    assert manifest["status"] == "succeeded" and manifest["gates"]["verdict"] == "passed"
    assert manifest["gates"]["measured"]["reused_from"] == trainer["run_id"]
    assert manifest["registry"]["candidate_metrics"] == trainer["registry"]["candidate_metrics"]
    assert manifest["registry"]["decision"] == "churn:2 is already the champion (same model file)"
    assert (root / REGISTRY).read_bytes() == before
    page = (root / "reports" / "runs" / manifest["run_id"] / "index.html").read_text()
    assert f"Scores reused from run {trainer['run_id']}" in page


def test_rollback_and_listing(project):
    root = project["root"]
    proc = _nbops(root, "rollback", "churn", "--reason", "v2 misbehaves")
    assert proc.returncode == 0, proc.stderr
    assert "version 2 -> version 1" in proc.stdout
    listing = json.loads(_nbops(root, "models", "--json").stdout)
    assert listing["models"]["churn"]["aliases"] == {"champion": 1}
    assert listing["models"]["churn"]["history"][-1]["reason"] == "v2 misbehaves"


def test_predict_with_the_real_feature_schema(project, tmp_path):
    root = project["root"]
    test = pd.read_parquet(root / ".nbops" / "products" / "test.parquet")
    test.drop(columns=["churn"]).to_csv(tmp_path / "batch.csv", index=False)
    proc = _nbops(root, "predict", "churn:2", str(tmp_path / "batch.csv"), "-o",
                  str(tmp_path / "scores.csv"))
    assert proc.returncode == 0, proc.stderr
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == len(test) and scores["score"].between(0, 1).all()

    first_feature = _registry(root)["models"]["churn"]["versions"][1]["feature_schema"][
        "features"][0]["name"]
    test.drop(columns=[first_feature]).to_csv(tmp_path / "bad.csv", index=False)
    proc = _nbops(root, "predict", "churn", str(tmp_path / "bad.csv"), "-o",
                  str(tmp_path / "bad_scores.csv"))
    assert proc.returncode == 1
    assert f"missing column(s): '{first_feature}'" in proc.stderr
    assert "Traceback" not in proc.stderr
