"""A trial's DAG loaded ahead, by the trial server while the trial before runs.

Real Ploomber DAGs of the sweep tests' two-step project. The trial uses the DAG loaded
ahead only when it is for its own request and none of the files it was read from has
changed; otherwise it loads its own, as it always did.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Ploomber's own import-time deprecation warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    from nbops.adapters import render_tasks
    from nbops.sweeps import _trial_build as trial_build

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[2] / "notebooks" / "sweep_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    return root


def _request(root: Path, name: str, alpha: str) -> tuple[str, dict]:
    request = {"root": str(root), "pipeline": "pipeline.yaml",
               "overrides": {"alpha": alpha, "depth": "2"}, "tags": {},
               "report": str(root / f"{name}.reuse.json")}
    path = root / f"{name}.request.json"
    path.write_text(json.dumps(request))
    return str(path), request


def _params(tasks: list) -> dict:
    return {info.name: info.params for info in tasks}


@pytest.fixture(autouse=True)
def _nothing_ahead():
    trial_build._AHEAD.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ploomber's render warnings about its own internals
        yield
    trial_build._AHEAD.clear()


def test_the_trial_renders_the_dag_loaded_for_its_request(project: Path) -> None:
    path, request = _request(project, "trial-2", "0.3")
    trial_build.load_ahead(path)
    tasks, ahead = trial_build._tasks(path, request)
    assert ahead
    assert tasks == render_tasks(project, "pipeline.yaml", request["overrides"])
    assert _params(tasks)["fit"]["alpha"] == 0.3
    assert trial_build._AHEAD == []  # used once


def test_a_dag_loaded_for_another_request_is_not_used(project: Path) -> None:
    mine, request = _request(project, "trial-3", "0.3")
    other, _ = _request(project, "trial-2", "0.1")
    trial_build.load_ahead(other)
    tasks, ahead = trial_build._tasks(mine, request)
    assert not ahead and _params(tasks)["fit"]["alpha"] == 0.3


@pytest.mark.parametrize("edit", ["env.yaml", "notebooks/fit.py", "pipeline.yaml"])
def test_a_file_changed_since_the_dag_was_loaded_makes_the_trial_load_its_own(
        project: Path, edit: str) -> None:
    path, request = _request(project, "trial-2", "0.3")
    trial_build.load_ahead(path)
    changed = project / edit
    if edit == "env.yaml":
        changed.write_text(changed.read_text().replace("rows: 100", "rows: 150"))
    else:
        changed.write_text(changed.read_text() + "\n# edited while the trial before ran\n")
    tasks, ahead = trial_build._tasks(path, request)
    assert not ahead
    assert tasks == render_tasks(project, "pipeline.yaml", request["overrides"])
    if edit == "env.yaml":
        assert _params(tasks)["prepare"]["rows"] == 150  # the edit, not the DAG loaded ahead


def test_a_file_changed_while_it_was_read_leaves_nothing_loaded_ahead(
        project: Path, monkeypatch) -> None:
    path, _ = _request(project, "trial-2", "0.3")
    load = trial_build.load_dag

    def load_then_edit(*args, **kwargs):
        dag = load(*args, **kwargs)
        env = project / "env.yaml"
        env.write_text(env.read_text().replace("rows: 100", "rows: 150"))
        return dag

    monkeypatch.setattr(trial_build, "load_dag", load_then_edit)
    trial_build.load_ahead(path)
    assert trial_build._AHEAD == []
