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


def test_a_build_reads_env_yaml_once_and_parses_each_section_once(tmp_path, copy_project):
    root = copy_project(tmp_path / "project")
    past = time.time() - 60  # as a project's env.yaml is when a build starts
    os.utime(root / "env.yaml", (past, past))
    first = _counted_build(root)
    assert first["env.yaml reads"] == 1, first["env_reads"]
    assert first["registry: parses"] == 1, first["registry_parses"]
    assert first["gates: parses"] == 1, first["gates_parses"]
    # again, with another max_iter (another model, so the champion is re-scored; only
    # train and evaluate run again) and a gate changed on the command line: the override
    # is in the one parse the gating uses
    second = _counted_build(root, "--env--model--max_iter", "101",
                            "--env--gates--min_roc_auc", "roc_auc >= 0.01")
    assert (second["env.yaml reads"], second["registry: parses"],
            second["gates: parses"]) == (1, 1, 1), second
    runs = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    manifest = json.loads((runs[-1] / "manifest.json").read_text())
    assert manifest["gates"]["verdict"] == "passed"
    assert manifest["gates"]["measured"]["champion"]["metrics"] is not None
    assert [name for name, task in manifest["tasks"].items() if task["status"] == "executed"
            ] == ["train", "evaluate"]
    expressions = {r["name"]: r["expression"] for r in manifest["gates"]["results"]}
    assert expressions["min_roc_auc"] == "roc_auc >= 0.01"
