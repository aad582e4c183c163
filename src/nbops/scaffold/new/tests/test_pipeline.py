"""{{ name }}'s pipeline builds, records a run, passes its gates and registers a model."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_build_records_a_gated_and_registered_run():
    subprocess.run([str(BIN / "ploomber"), "build"], cwd=ROOT, check=True)
    latest = json.loads(subprocess.run(
        [str(BIN / "nbops"), "show", "latest", "--json"], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout)
    assert latest["status"] == "succeeded"
    assert latest["gates"]["verdict"] == "passed"
    assert latest["metrics"]["roc_auc"] > 0.9
