"""Tasks run on a Dask LocalCluster with two worker processes.

Real ``ploomber build``s of fixture notebooks through
:class:`nbops.engine.dask_executor.DaskExecutor`: tasks run on the workers and
see the build's ``NBOPS_RUN_ID``, a task that fails on a worker fails the
build, and a worker that dies mid-task is retried or fails the build — never a
silent success.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURES = Path(__file__).parents[1] / "notebooks" / "engine_project"


def _project(
    root: Path, tasks: dict[str, dict[str, object]], executor: dict[str, object]
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, params in tasks.items():
        shutil.copy(FIXTURES / f"{name}.py", root / f"{name}.py")
        entry: dict[str, object] = {
            "source": f"{name}.py",
            "product": {"nb": f"out/{name}.ipynb", "facts": f"out/{name}.json"},
        }
        if params:
            entry["params"] = params
        entries.append(entry)
    spec = {
        "executor": {"dotted_path": "nbops.engine.dask_executor.DaskExecutor", **executor},
        "tasks": entries,
    }
    (root / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def _build(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    ploomber = Path(sys.executable).parent / "ploomber"
    result = subprocess.run(
        [str(ploomber), "build", *args], cwd=project, capture_output=True, text=True,
        env={**os.environ, "PLOOMBER_STATS_ENABLED": "false", "NBOPS_RUN_ID": run_id},
        timeout=400,
    )
    return result, run_id


CLUSTER = """
import sys
from distributed import LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                       host="127.0.0.1", dashboard_address=None)
print(cluster.scheduler_address, flush=True)
sys.stdin.read()  # until the test closes our stdin
cluster.close()
"""


@pytest.fixture(scope="module")
def scheduler():
    """A LocalCluster (two worker processes, 127.0.0.1) in its own process, shared by the module.

    Its own process: the scheduler unpickles tasks, which imports Ploomber,
    whose deprecation warnings the test process turns into errors.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )
    address = process.stdout.readline().strip()
    assert address.startswith("tcp://127.0.0.1:"), address
    yield address
    process.stdin.close()
    process.wait(timeout=60)
    process.stdout.close()


def _worker_pids(address: str) -> set[int]:
    from distributed import Client

    with Client(address) as client:
        return set(client.run(os.getpid).values())


def test_tasks_run_on_the_workers_with_the_builds_run_id(tmp_path):
    # no address: the executor starts (and stops) its own LocalCluster
    project = _project(tmp_path, {"independent": {}, "leak": {}}, {"workers": 2})
    result, run_id = _build(project)
    assert result.returncode == 0, result.stderr
    leak = json.loads((project / "out/leak.json").read_text())
    independent = json.loads((project / "out/independent.json").read_text())
    assert leak["run_id"] == run_id
    assert len({leak["pid"], independent["pid"], os.getpid()}) == 3


@pytest.fixture(scope="module")
def mixed_build(scheduler, tmp_path_factory):
    """One build: a task that fails, one whose worker dies once, one independent."""
    before = _worker_pids(scheduler)
    project = _project(
        tmp_path_factory.mktemp("dask-mixed"), {"fail": {}, "kill_worker": {}, "independent": {}},
        {"address": scheduler},
    )
    result, run_id = _build(project, "--force")
    return {"result": result, "run_id": run_id, "project": project,
            "replaced_worker": _worker_pids(scheduler) != before}


def test_a_task_failing_on_a_worker_fails_the_build(mixed_build):
    result, project = mixed_build["result"], mixed_build["project"]
    assert result.returncode != 0
    assert "this notebook fails on purpose" in result.stderr
    assert not (project / "out/fail.json").exists()
    assert (project / "out/independent.json").exists()


def test_a_worker_dying_mid_task_is_retried(mixed_build):
    facts = json.loads((mixed_build["project"] / "out/kill_worker.json").read_text())
    assert facts == {"attempt": 2, "run_id": mixed_build["run_id"]}
    assert mixed_build["replaced_worker"]  # a worker really died and was replaced


def test_a_task_that_keeps_killing_its_worker_fails_the_build(tmp_path, scheduler):
    project = _project(
        tmp_path, {"kill_worker": {"every_time": True}},
        {"address": scheduler},  # the scheduler's own allowed-failures (3) then applies
    )
    result, _ = _build(project, "--force")
    assert result.returncode != 0
    assert "KilledWorker" in result.stderr
    assert not (project / "out/kill_worker.json").exists()
