"""A project's own DAG hooks keep working under nbops, failures included.

Function tasks (no kernel), so each build takes a second or two: a project whose
``on_finish`` raises fails its build as under plain Ploomber, and nbops records the run
as failed with the hook's error; a failing task runs the project's ``on_failure``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from project_files import BIN, build_environment

pytestmark = pytest.mark.integration

HOOKS = '''
from pathlib import Path


def make(product, fail):
    if fail:
        raise RuntimeError("the task broke")
    Path(str(product)).write_text("made\\n")


def finished(dag):
    raise RuntimeError("the project's on_finish broke")


def alert(traceback, channel):
    Path("alerted.txt").write_text(f"{channel}: {sorted(traceback)}\\n")
'''


def _project(tmp_path: Path, fail: bool) -> Path:
    root = tmp_path / ("fails" if fail else "finishes")
    root.mkdir()
    (root / "hooks.py").write_text(HOOKS)
    (root / "pipeline.yaml").write_text(
        "on_finish: hooks.finished\n"
        "on_failure:\n  dotted_path: hooks.alert\n  channel: data-team\n"
        f"tasks:\n  - source: hooks.make\n    product: out.txt\n    params: {{fail: {fail}}}\n")
    init = subprocess.run([str(BIN / "nbops"), "init"], cwd=root, capture_output=True,
                          text=True, env=build_environment(), timeout=120)
    assert init.returncode == 0, init.stderr
    return root


def _build(root: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = {**build_environment(), "PYTHONPATH": str(root)}
    build = subprocess.run([str(BIN / "ploomber"), "build"], cwd=root, capture_output=True,
                           text=True, env=env, timeout=300)
    (manifest,) = (root / "reports/runs").glob("*/manifest.json")
    return build, json.loads(manifest.read_text())


def test_a_raising_project_on_finish_fails_the_build_and_the_run(tmp_path) -> None:
    build, manifest = _build(_project(tmp_path, fail=False))
    assert build.returncode != 0
    assert "the project's on_finish broke" in build.stdout + build.stderr
    assert manifest["status"] == "failed"
    assert "the project's on_finish broke" in json.dumps(manifest)


def test_a_failing_task_runs_the_projects_on_failure_and_is_recorded(tmp_path) -> None:
    root = _project(tmp_path, fail=True)
    build, manifest = _build(root)
    assert build.returncode != 0
    assert (root / "alerted.txt").read_text() == "data-team: ['build']\n"
    assert manifest["status"] == "failed"
