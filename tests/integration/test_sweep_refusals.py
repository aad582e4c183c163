"""`nbops sweep` refuses, in one sentence and before any trial runs, a value its project's
env.yaml declares out of range and a value that is not one plain value."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ledger_helpers import BIN, env

pytestmark = [pytest.mark.integration]

FIXTURE = Path(__file__).resolve().parents[1] / "notebooks" / "sweep_project"
DECLARED = """
parameters:
  rows: {type: int, min: 50, max: 1000}
  alpha: {type: float, min: 0.01, max: 1}
  depth: {type: int, min: 1, max: 3}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep-refusals") / "project"
    shutil.copytree(FIXTURE, root)
    with open(root / "env.yaml", "a") as handle:
        handle.write(DECLARED)
    return root


@pytest.mark.parametrize("args, message", [
    (["--grid", "depth=1,9"], "Sweep value 9 for 'depth' is outside what env.yaml declares"),
    (["--param", "alpha=float:0.1:5", "--sampler", "random", "--trials", "2"],
     "Sweep value 5.0 for 'alpha' is outside"),
    (["--grid", "depth=2", "--env--rows", "5"], "Sweep value 5 for 'rows' is outside"),
    (["--grid", "depth={{7*7}}"], "looks like a template"),
    (["--grid", "depth=[a"], "is not a plain value"),
    (["--grid", "alpha=`echo 1`"], "is not a plain value"),
])
def test_a_refused_value_is_one_sentence_and_nothing_runs(
    project: Path, args: list[str], message: str
) -> None:
    done = subprocess.run([str(BIN / "nbops"), "sweep", *args, "--objective", "score"],
                          cwd=project, env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (project / "reports" / "runs").exists()
    assert not (project / "reports" / "sweeps").exists()
