"""`nbops init --registry` on a project whose model, data and metrics are named its own way,
then the build-time promises: a gate on a metric never logged fails the build naming the
gate; a registry whose model no task produces fails it before any task runs.

One project (tests/fixtures/registry_project, one notebook training a scikit-learn
model, logging ``accuracy`` and ``f1``), built once, then rebuilt once with a gate.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from project_files import BIN, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registry_project"
FALSE_WORDS = ("roc_auc >=", ".nbops/products", "model.skops", "train.parquet", "churn")


def _run(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=project, capture_output=True,
                          text=True, env=build_environment(), timeout=600)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("registry") / "proj"
    shutil.copytree(FIXTURE, root)
    before = _run(root, "nbops", "init", "--registry")
    assert before.returncode == 0, before.stderr
    env_before = (root / "env.yaml").read_text()
    build = _run(root, "ploomber", "build")
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    after = _run(root, "nbops", "init", "--registry")
    assert after.returncode == 0, after.stderr
    env_after = (root / "env.yaml").read_text()
    env = yaml.safe_load(env_after)
    env["gates"] = {"min_recall": "recall >= 0.5"}  # recall is never logged
    (root / "env.yaml").write_text(yaml.safe_dump(env))
    gated = _run(root, "ploomber", "build")  # its task reused: the gate reads its metrics
    return {"root": root, "before": before, "env_before": env_before, "after": after,
            "env_after": env_after, "gated": gated}


def test_before_a_build_nothing_false_is_in_force(project) -> None:
    text: str = project["env_before"]
    assert yaml.safe_load(text) == {"rows": 200}  # the proposals are all comments
    for word in FALSE_WORDS:
        assert word not in text, word
    assert "#   model_file: output/classifier.skops" in text
    assert "primary_metric: FILL_IN" in text
    assert "to do: registry.primary_metric" in project["before"].stdout


def test_after_a_build_the_logged_metrics_are_proposed(project) -> None:
    text: str = project["env_after"]
    env = yaml.safe_load(text)
    assert env["registry"] == {
        "model": "proj", "model_file": "output/classifier.skops",
        "train_data": "output/train_rows.parquet", "test_data": "output/test_rows.parquet",
        "feature_schema": "output/feature_schema.json", "primary_metric": "f1",
        "promotion": "auto", "require_card": True}
    assert env["gates"] == {}  # thresholds are the team's to choose …
    assert "#   min_accuracy: accuracy >= FILL_IN" in text  # … among what was logged
    for word in FALSE_WORDS:
        assert word not in text, word
    assert text.count("# nbops model registry:") == 1  # the first proposal was replaced


def test_a_gate_on_a_metric_never_logged_fails_the_build_naming_it(project) -> None:
    gated: subprocess.CompletedProcess[str] = project["gated"]
    assert gated.returncode != 0
    out = gated.stdout + gated.stderr
    assert "min_recall" in out and "'recall' was not logged" in out
    runs = sorted((project["root"] / "reports/runs").glob("*/manifest.json"))
    manifest = json.loads(runs[-1].read_text())
    assert manifest["status"] == "gated" and manifest["gates"]["verdict"] == "failed"


def test_a_registry_whose_model_no_task_produces_fails_before_any_task(project,
                                                                       tmp_path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(project["root"], root, ignore=shutil.ignore_patterns("reports", ".nbops",
                                                                         "output"))
    env = yaml.safe_load((root / "env.yaml").read_text())
    env["registry"]["model_file"] = "output/model.skops"
    (root / "env.yaml").write_text(yaml.safe_dump(env))
    build = _run(root, "ploomber", "build")
    assert build.returncode != 0
    out = build.stdout + build.stderr
    assert ("registry.model_file is output/model.skops, which no task of this pipeline "
            "produces (model-like products: output/classifier.skops)") in out
    assert not (root / "output").exists()  # nothing ran
