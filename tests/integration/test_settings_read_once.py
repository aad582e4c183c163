"""Issue 27, per build: a ``ploomber build`` reads env.yaml once and parses ``registry:``
and ``gates:`` once, counted in the build's own process (tests/settings_reads.py).

Before: 2 reads (Ploomber's env loader, checked first, then ``on_render``), 3 with a
champion to re-score (its trusted types), ``registry:`` parsed 4 times, ``gates:`` twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from project_files import SMALL_ROWS, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COUNTER = Path(__file__).resolve().parents[1] / "settings_reads.py"


def _counted_build(root: Path, *args: str, rows: int = SMALL_ROWS) -> dict:
    out = root.parent / "counts.json"
    env = {**build_environment(), "NBOPS_RUNTIME": "plain"}  # measured here, not in a helper
    proc = subprocess.run([sys.executable, str(COUNTER), str(root), str(out),
                           "--env--data--rows", str(rows), *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(out.read_text())
    assert counts["exit"] == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return counts


def test_a_build_reads_env_yaml_once_and_parses_each_section_once(tmp_path, copy_built):
    # the session's reference build (champion churn:1; tests/conftest.py: copy_built), built
    # again with another max_iter (another model, so the champion is re-scored; only train
    # and evaluate run again, every task is rendered) and a gate changed on the command
    # line: the override is in the one parse the gating uses
    root = copy_built(tmp_path / "project")
    past = time.time() - 60  # as a project's env.yaml is when a build starts
    os.utime(root / "env.yaml", (past, past))
    counts = _counted_build(root, "--env--model--max_iter", "101",
                            "--env--gates--min_roc_auc", "roc_auc >= 0.01")
    assert counts["env.yaml reads"] == 1, counts["env_reads"]
    assert counts["registry: parses"] == 1, counts["registry_parses"]
    assert counts["gates: parses"] == 1, counts["gates_parses"]
    runs = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    manifest = json.loads((runs[-1] / "manifest.json").read_text())
    assert manifest["gates"]["verdict"] == "passed"
    assert manifest["gates"]["measured"]["champion"]["metrics"] is not None
    assert [name for name, task in manifest["tasks"].items() if task["status"] == "executed"
            ] == ["train", "evaluate"]
    expressions = {r["name"]: r["expression"] for r in manifest["gates"]["results"]}
    assert expressions["min_roc_auc"] == "roc_auc >= 0.01"


# Per command (issue 27): ``nbops reproduce`` and ``nbops sweep`` read env.yaml once in
# their own process (their builds are processes of their own, counted above). Both read
# once already before the commands passed settings down (unlike predict, promote and
# monitor: tests/nbops/registry/test_settings_once_per_command.py); these keep it so.

FIXTURES = Path(__file__).resolve().parents[1] / "notebooks"


def _committed_copy(name: str, dest: Path) -> Path:
    import shutil

    shutil.copytree(FIXTURES / name, dest)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fixture"]):
        subprocess.run([*git, *args], cwd=dest, check=True)
    return dest


def _counted_command(root: Path, monkeypatch, *argv: str) -> tuple[int, list[str]]:
    from settings_reads import counted_command

    for name in [n for n in os.environ if n.startswith("NBOPS_") and n != "NBOPS_REMOTE_KEY"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(root)
    code, reads = counted_command(*argv)
    return code, reads.env_reads


def test_nbops_reproduce_reads_env_yaml_once(tmp_path, monkeypatch):
    repo = _committed_copy("reproduce_project", tmp_path / "project")
    env = {**build_environment(), "PYTHONPATH": str(repo / "src")}
    done = subprocess.run([str(Path(sys.executable).with_name("ploomber")), "build",
                           "--env--noise", "0"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    monkeypatch.setenv("PYTHONPATH", str(repo / "src"))
    code, reads = _counted_command(repo, monkeypatch, "reproduce", "latest", "--json")
    assert code == 0
    # the one read: env.yaml at the run's commit, in the reproduction's checkout (the
    # recorded --env--noise 0 is passed again from it)
    assert reads == ["nbops.reproduce._runner:reproduce_run"], reads


def test_nbops_sweep_reads_env_yaml_once(tmp_path, monkeypatch):
    root = _committed_copy("sweep_project", tmp_path / "project")
    code, reads = _counted_command(root, monkeypatch, "sweep", "--grid", "alpha=0.1,0.3",
                                   "--objective", "score", "--name", "counted")
    assert code == 0
    # the one read: the build's env file with the sweep's overrides (Ploomber's rules,
    # so the adapter's), handed to the plan and to every trial's overrides
    assert reads == ["nbops.adapters._ploomber_adapter:resolved_env"], reads
    record = json.loads((root / "reports" / "sweeps" / "counted" / "sweep.json").read_text())
    assert [t["status"] for t in record["trials"]] == ["succeeded", "succeeded"], record
    # the sweep's trial servers ended with it, not at this process's exit
    from nbops.sweeps import _launchers

    assert _launchers._ALL == [] and getattr(_launchers._SERVERS, "server", None) is None
