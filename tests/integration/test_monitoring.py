"""Monitoring end to end: a real champion, real monitoring builds, the CLI, retraining.

One module-scoped project: a copy of the session's training build (2,400 rows) that the
registry's post-close step gated and promoted to champion (tests/conftest.py: copy_built),
then monitoring builds (`ploomber build -e pipeline.monitor.yaml`) on clean and drifted
generator months, `nbops monitor` on files, and retraining on alert through the gates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from forked_commands import ForkedCommands, forked_commands

from churn import generator
from nbops.core._project import Project
from nbops.registry._api import get_version
from nbops.runs import list_runs, load_manifest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NBOPS = str(Path(sys.executable).with_name("nbops"))


@pytest.fixture(scope="module")
def project(tmp_path_factory, copy_built) -> Path:
    """The session's built reference project (2,400 rows, monitoring pipeline), copied."""
    root = copy_built(tmp_path_factory.mktemp("monitoring") / "project")
    assert get_version("churn@champion", root)["version"] == 1
    return root


def _latest_manifest(root: Path) -> dict:
    """The newest monitoring run (a retraining build may have started after it)."""
    project = Project(root)
    for summary in reversed(list_runs(project)):
        manifest = load_manifest(project, summary["run_id"])
        if "monitor" in manifest["tasks"]:
            return manifest
    raise AssertionError("no monitoring run in the ledger")


@pytest.fixture(scope="module")
def commands() -> Iterator[ForkedCommands]:
    """The module's builds and nbops commands, forked from one warm zygote
    (forked_commands.py: Ploomber, pandas and nbops imported once, not once per command)."""
    with forked_commands() as runner:
        yield runner


def _nbops(commands: ForkedCommands, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    return commands.run([NBOPS, *args], root, env, timeout=900)


def test_clean_month_is_ok_and_recorded_with_metrics(project, commands) -> None:
    commands.build(project, "-e", "pipeline.monitor.yaml", rows=None)
    manifest = _latest_manifest(project)
    section = manifest["monitoring"]
    assert section["verdict"] == "ok", section["summary"]
    assert manifest["status"] == "succeeded"
    assert section["banner"] is None
    assert section["champion"] == {"model": "churn", "version": 1}
    assert section["thresholds"]["psi_alert"] == 0.02
    metrics = manifest["metrics"]
    assert metrics["monitor_verdict"] == 0
    assert "drift_psi.age" in metrics and "live_roc_auc" in metrics
    assert metrics["monitor_threshold.psi_alert"] == 0.02
    assert metrics["monitor_threshold.live_roc_auc_alert"] == pytest.approx(
        metrics["reference_roc_auc"] - 0.02
    )


def test_drifted_month_alerts_names_the_feature_and_can_fail_the_build(
    project, commands
) -> None:
    before = get_version("churn@champion", project)
    proc = commands.build(
        project, "-e", "pipeline.monitor.yaml", "--env--batch--shift", "age=0.5",
        "--env--monitoring--fail_on", "alert", rows=None, check=False,
    )
    assert proc.returncode != 0
    assert "monitoring verdict is alert" in proc.stdout + proc.stderr
    manifest = _latest_manifest(project)
    section = manifest["monitoring"]
    assert section["verdict"] == "alert"
    assert section["top_features"][0] == "age"
    assert section["banner"].startswith("MONITORING ALERT")
    assert section["action"]["failed_build"] is True
    assert manifest["status"] == "alert"  # the verdict is the run's outcome, not "succeeded"
    assert manifest["metrics"]["monitor_verdict"] == 2
    assert get_version("churn@champion", project) == before  # monitoring never touches it


def test_cli_json_verdict_and_fail_on(project, commands) -> None:
    month = generator.generate_month(13, 3000, seed=7,
                                     drift=generator.DriftSpec(13, concept=0.8))
    month.to_parquet(project / "concept.parquet")
    proc = _nbops(commands, project, "monitor", "concept.parquet", "--json", "--fail-on", "alert")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "alert"
    assert report["performance"]["status"] == "alert"
    assert set(report["features"]) >= {"age", "contract"}
    clean = generator.generate_month(14, 3000, seed=7).drop(columns=["churn"])
    clean.to_csv(project / "clean.csv", index=False)
    proc = _nbops(commands, project, "monitor", "clean.csv", "--fail-on", "alert")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok:")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda f: f.iloc[:0], "no rows"),
        (lambda f: f.drop(columns=["age"]), "Column 'age'"),
        (lambda f: f.assign(region=None), "Column 'region' is null"),
        (lambda f: f.assign(monthly_charges="cheap"), "Column 'monthly_charges' should be numeric"),
    ],
)
def test_bad_batches_give_a_named_verdict_not_a_traceback(project, commands, make,
                                                          expected) -> None:
    frame = make(generator.generate_month(15, 500, seed=7))
    path = project / "bad.csv"
    frame.to_csv(path, index=False)
    registry = (project / ".nbops" / "registry" / "models.json").read_bytes()
    proc = _nbops(commands, project, "monitor", str(path), "--fail-on", "alert")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("alert:") and expected in proc.stdout
    assert (project / ".nbops" / "registry" / "models.json").read_bytes() == registry


def _wait_for(pid: int, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError(f"retraining build {pid} still running after {timeout} s")


def _retrain_outcome(project: Path, data_path_part: str) -> dict:
    runs = list_runs(Project(project))
    retrain_run = load_manifest(Project(project), runs[-1]["run_id"])
    assert "train" in retrain_run["tasks"], "the last run is not a training build"
    assert data_path_part in str(retrain_run["params"]["ingest"]["data_path"])
    assert "gates" in retrain_run  # it went through the quality gates
    return retrain_run


def test_pipeline_alert_starts_retraining_through_the_gates(project, commands) -> None:
    commands.build(project, "-e", "pipeline.monitor.yaml", "--env--batch--concept", "1.0",
              "--env--batch--month", "17", "--env--monitoring--retrain", "true", rows=None)
    section = _latest_manifest(project)["monitoring"]
    assert section["verdict"] == "alert"
    retrain = section["action"]["retrain"]
    assert retrain["status"] == "started", retrain
    _wait_for(retrain["pid"])
    run = _retrain_outcome(project, ".nbops/store/objects/")  # the stored, immutable batch
    log = (project / retrain["log"]).read_text()
    assert "Loading pipeline" in log
    if run["gates"]["verdict"] != "passed":  # a gated retrain says so in its log
        assert "gates: failed (" in log
    champion = get_version("churn@champion", project)
    if run["gates"]["verdict"] == "passed" and run["registry"]["promoted"]:
        assert champion["version"] == run["registry"]["version"]
    else:
        assert champion["version"] == 1


def test_cli_retrain_follows_the_policy_and_promotes_only_a_winner(project, commands) -> None:
    before = get_version("churn@champion", project)
    drifted = generator.generate_month(16, 3000, seed=7,
                                       drift=generator.DriftSpec(16, concept=1.0))
    drifted.to_parquet(project / "new_world.parquet")
    proc = _nbops(commands, project, "monitor", "new_world.parquet", "--retrain", "--json")
    report = json.loads(proc.stdout)
    assert report["verdict"] == "alert"
    outcome = report["retrain"]
    assert any("live ROC AUC" in why for why in outcome["why"]), outcome
    # the champion's own training data plus the older recent rows, never the batch alone
    assert outcome["training_rows"] == outcome["champion_rows"] + outcome["recent_rows"]
    assert outcome["champion_rows"] > 0 and outcome["holdout_rows"] == 900
    run = _retrain_outcome(project, ".nbops/retrain/")
    assert (run.get("registry") or {"model": "churn"})["model"] == "churn"  # keeps the name
    after = get_version("churn@champion", project)
    if outcome["status"] in ("promoted", "not_promoted"):
        won = outcome["candidate"]["roc_auc"] - outcome["champion"]["roc_auc"] > 0.001
        assert outcome["promoted"] == won
        assert after["version"] == (outcome["candidate"]["version"] if won
                                    else before["version"])
    else:  # the candidate failed a quality gate: nothing registered, champion kept
        assert outcome["status"] == "failed" and after == before, outcome["output_tail"]
        assert "gates: failed (" in outcome["output_tail"], outcome["output_tail"]
    assert proc.returncode == (1 if outcome["status"] == "failed" else 0), proc.stderr


def test_cli_retrain_is_not_needed_when_live_performance_is_fine(project, commands) -> None:
    steady = generator.generate_month(12, 2000, seed=7)
    steady.to_parquet(project / "steady.parquet")
    proc = _nbops(commands, project, "monitor", "steady.parquet", "--retrain", "--json")
    outcome = json.loads(proc.stdout)["retrain"]
    assert outcome["status"] == "not_needed", outcome
    assert "live ROC AUC" in outcome["reason"]


def test_a_retrain_judges_its_own_run_even_when_a_newer_build_finished_first(
        project, commands, monkeypatch) -> None:
    """Another build that starts while the retraining build runs (here: a training build
    registering a model of its own) is the newest run when the retrain reads its outcome;
    the retrain still scores the candidate its own build registered."""
    from click.testing import CliRunner

    import nbops.monitoring as monitoring
    from nbops.cli.main import cli

    real_run_retrain = monitoring.run_retrain

    def retrain_while_another_build_runs(root, argv, *args, **kwargs):
        done = real_run_retrain(root, argv, *args, **kwargs)
        # a newer, untagged run on the same data that surely registers a model of its own
        # (one more boosting round; its data tasks are the retrain's, reused)
        commands.build(project, *argv[2:], "--env--model--max_iter", "101", rows=None)
        return done

    monkeypatch.setattr(monitoring, "run_retrain", retrain_while_another_build_runs)
    # a steady month and a schedule that is due: the retrain passes its gates and registers
    settings = project / "env.monitor.yaml"
    original = settings.read_text()
    settings.write_text(original.replace("every_days: null", "every_days: 0"))
    generator.generate_month(12, 2000, seed=11).to_parquet(project / "steady_again.parquet")
    monkeypatch.chdir(project)
    try:
        result = CliRunner().invoke(cli, ["monitor", "steady_again.parquet", "--retrain",
                                          "--json"])
    finally:
        settings.write_text(original)
    outcome = json.loads(result.stdout[:result.stdout.rindex("}") + 1])["retrain"]
    summaries = list_runs(Project(project))
    manifests = [load_manifest(Project(project), s["run_id"]) for s in summaries]
    mine = [m for m in manifests if (m.get("tags") or {}).get("purpose") == "retrain"][-1]
    assert ".nbops/retrain/" in str(mine["params"]["ingest"]["data_path"])
    registered = (mine.get("registry") or {}).get("version")
    assert registered is not None, outcome.get("output_tail")  # the retrain registered
    newest = manifests[-1]
    assert newest["run_id"] != mine["run_id"]
    assert (newest.get("registry") or {}).get("version") not in (None, registered), newest
    assert outcome["status"] in ("promoted", "not_promoted"), outcome
    assert outcome["candidate"]["version"] == registered, (outcome, mine["run_id"])
