"""Issue 27, per command: ``nbops predict``, ``promote`` and ``monitor`` read env.yaml once,
where the command starts, and hand the settings down; no feature function on their way
(registry, monitoring) opens env.yaml by path.

Counted with tests/settings_reads.py. Before: ``predict`` read it inside the registry (the
trusted types), ``promote`` inside the registry (the card requirement), ``monitor`` three
times (the model's name, the ``monitoring:`` section, the champion's trusted types) and a
fourth when a retrain scored its candidate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from registry_helpers import GATES, make_data, register_two_versions, run_writer

from settings_reads import SettingsReads, counted_command

#: Packages that take the settings from their caller instead of reading the file.
FEATURES = ("nbops.registry", "nbops.monitoring", "nbops.reproduce", "nbops.sweeps",
            "nbops.adapters")
ENV = ("registry:\n  model: churn\n  require_card: false\n"
       "monitoring:\n  fail_on: never\n")


@pytest.fixture(scope="module")
def template(tmp_path_factory, datasets):
    return register_two_versions(tmp_path_factory.mktemp("template"), datasets)


@pytest.fixture
def project(template, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(template, root)
    (root / "env.yaml").write_text(ENV)
    past = time.time() - 60  # as a project's env.yaml is when a command starts
    os.utime(root / "env.yaml", (past, past))
    monkeypatch.chdir(root)
    return root


def _run(capsys, *argv: str) -> tuple[int, SettingsReads, str]:
    code, reads = counted_command(*argv)
    out, err = capsys.readouterr()
    return code, reads, out + err


def _read_once_by_the_command(reads: SettingsReads) -> None:
    assert len(reads.env_reads) == 1, reads.env_reads
    assert not reads.env_reads[0].startswith(FEATURES), reads.env_reads


def test_predict_reads_env_yaml_once(project, capsys):
    make_data(300, seed=5).to_csv(project / "batch.csv", index=False)
    code, reads, output = _run(capsys, "predict", "churn@champion", "batch.csv", "-o",
                               "scores.csv")
    assert code == 0, output
    _read_once_by_the_command(reads)
    # the settings handed down are the ones applied: a type the project no longer trusts
    (project / "env.yaml").write_text(ENV.replace("require_card: false",
                                                  "trusted_modules: [sklearn]"))
    code, reads, output = _run(capsys, "predict", "churn@champion", "batch.csv", "-o",
                               "again.csv")
    assert code == 1 and "trusted_modules" in output, output
    assert not (project / "again.csv").exists()


def test_promote_reads_env_yaml_once(project, capsys):
    code, reads, output = _run(capsys, "promote", "churn", "1", "--reason", "counted")
    assert code == 0 and "churn@champion -> version 1" in output, output
    _read_once_by_the_command(reads)
    # the card requirement comes from the settings read once: an incomplete card refuses
    (project / "env.yaml").write_text(ENV.replace("require_card: false", "require_card: true"))
    code, reads, output = _run(capsys, "promote", "churn", "2", "--reason", "counted")
    assert code == 1 and "not promoted" in output, output
    _read_once_by_the_command(reads)


def test_monitor_reads_env_yaml_once(project, capsys):
    make_data(600, seed=6).to_csv(project / "batch.csv", index=False)
    code, reads, output = _run(capsys, "monitor", "batch.csv", "--json")
    assert code == 0, output
    _read_once_by_the_command(reads)
    # its monitoring: section is the one applied (fail_on from the same read)
    (project / "env.yaml").write_text(ENV.replace("fail_on: never", "fail_on: warn"))
    drifted = make_data(600, seed=7).assign(charges=lambda f: f["charges"] + 60)
    drifted.to_csv(project / "drifted.csv", index=False)
    code, reads, output = _run(capsys, "monitor", "drifted.csv")
    assert code == 1 and "--fail-on warn" in output, output
    _read_once_by_the_command(reads)
    # env.monitor.yaml (the monitoring pipeline's env file) comes first when it has the
    # section: it is read once too, and env.yaml still once, by the command
    (project / "env.monitor.yaml").write_text("monitoring:\n  fail_on: never\n")
    code, reads, output = _run(capsys, "monitor", "drifted.csv")
    assert code == 0, output
    assert reads.env_reads == ["nbops.app._monitor:check_champion",
                               "nbops.app._monitor:monitoring_settings"], reads.env_reads


def test_a_retrain_scores_its_candidate_with_the_commands_settings(
        project, datasets, capsys, monkeypatch):
    """The retrain's candidate is loaded with the trusted types of the command's one read."""
    import nbops.app._retrain as retrain
    import nbops.monitoring as monitoring
    from nbops.registry._config import parse_registry_config
    from nbops.registry._promotion import gate_and_promote

    (project / "env.yaml").write_text(
        ENV + "  retrain_policy:\n    triggers: {performance_alert: false, every_days: 0}\n")
    make = run_writer(project / "candidate", datasets)  # products outside the template's
    registered: list[int] = []

    def build_registering_a_candidate(root, argv, tags=None):
        config = parse_registry_config({"model": "churn", "promotion": "manual"})
        outcome = gate_and_promote(Path(root), make(seed=9, c=0.3), config, GATES)
        registered.append(int(outcome.registry["version"]))
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(monitoring, "run_retrain", build_registering_a_candidate)
    monkeypatch.setattr(retrain, "own_run", lambda project, retrain_id: {
        "run_id": "20260101T000000000099Z-abcdef", "registry": {"version": registered[-1]}})
    make_data(900, seed=8).to_csv(project / "batch.csv", index=False)
    code, reads, output = _run(capsys, "monitor", "batch.csv", "--retrain")
    assert code == 0, output
    assert "retraining: promoted" in output or "retraining: not_promoted" in output, output
    assert f"candidate churn:{registered[-1]} ROC AUC" in output, output
    _read_once_by_the_command(reads)
