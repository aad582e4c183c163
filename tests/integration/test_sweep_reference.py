"""A 2-trial grid on the reference churn pipeline, then its best trial through the gates.

Two trials are enough: the first is started with the trial server, the second is forked
from it once warmed up (every later trial would be forked the same way)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from project_files import BIN, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, copy_project) -> tuple[Path, dict, str]:
    project = copy_project(tmp_path_factory.mktemp("sweep-reference"))
    done = subprocess.run(
        [str(BIN / "nbops"), "sweep", "--grid", "model.learning_rate=0.05,0.2",
         "--grid", "model.max_depth=3", "--name", "ref", "--register", "best",
         "--env--data--rows", "2400"],
        cwd=project, env=build_environment(), capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads((project / "reports" / "sweeps" / "ref" / "sweep.json").read_text())
    return project, record, done.stdout


def test_two_runs_upstream_once_best_reported(swept: tuple[Path, dict, str]) -> None:
    project, record, stdout = swept
    trials = record["trials"]
    assert [t["status"] for t in trials] == ["succeeded"] * 2
    executed = [task for t in trials for task in t["executed"]]
    for upstream in ("ingest", "validate", "features"):
        assert executed.count(upstream) == 1, executed
    assert executed.count("train") == 2
    best = max(trials, key=lambda t: t["value"])
    assert record["best"] == {"number": best["number"], "run_id": best["run_id"],
                              "value": best["value"]}
    assert f"best trial {best['number']}: roc_auc {best['value']:.4f}" in stdout
    for trial in trials:
        manifest = json.loads(
            (project / "reports" / "runs" / trial["run_id"] / "manifest.json").read_text())
        assert manifest["registry"]["version"] is None  # trials register nothing
        assert manifest["gates"]["verdict"] == "passed"
        assert manifest["metrics"]["roc_auc"] == trial["value"]


def test_the_best_trial_goes_through_the_gates(swept: tuple[Path, dict, str]) -> None:
    project, record, stdout = swept
    registered = record["registered"]
    assert registered["trial"] == record["best"]["number"]
    manifest = json.loads(
        (project / "reports" / "runs" / registered["run_id"] / "manifest.json").read_text())
    assert manifest["gates"]["verdict"] == "passed"
    assert all(task["status"] == "skipped" for task in manifest["tasks"].values())
    assert manifest["registry"]["mode"] == "manual"
    models = json.loads((project / ".nbops" / "registry" / "models.json").read_text())
    churn = models["models"]["churn"]
    # the first model to pass becomes @challenger under manual promotion, never champion
    assert churn["aliases"] == {"challenger": registered["version"]}
    assert churn["versions"][0]["run_id"] == record["best"]["run_id"]
    assert "registering best trial" in stdout


def test_every_trial_is_a_complete_sealed_run_and_the_site_lists_them_all(
        swept: tuple[Path, dict, str]) -> None:
    """Trials forked by a warmed-up trial server (measured in-process, site index left to
    the sweep) are still ordinary runs: sealed, verifiable, every page and diff written."""
    from nbops.reports._paths import page_stem, task_page

    project, record, _ = swept
    runs = project / "reports" / "runs"
    site = (project / "reports" / "index.html").read_text()
    for number, trial in enumerate(record["trials"], 1):
        run = runs / trial["run_id"]
        verified = subprocess.run([str(BIN / "nbops"), "verify", trial["run_id"]], cwd=project,
                                  env=build_environment(), capture_output=True, text=True)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["status"] == "succeeded" and (run / "seal.json").is_file()
        measured = manifest["gates"]["measured"]
        assert measured["candidate"]["roc_auc"] > 0.5
        # the first trial was forked before the server's warm-up: it started a helper
        assert measured["measured_in"] == ("helper process" if number == 1 else "build process")
        assert (run / "index.html").is_file()
        for task in ("ingest", "validate", "features", "train", "evaluate"):
            assert task_page(run, task).is_file(), (number, task)
        if number > 1:  # diffed against the trial before
            for task in ("train", "evaluate"):
                assert (run / "diff" / f"{page_stem(task)}.html").is_file(), (number, task)
        assert trial["run_id"] in site
    assert record["registered"]["run_id"] in site
