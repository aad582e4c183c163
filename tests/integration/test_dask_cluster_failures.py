"""A real Dask cluster's edge cases: a project file named by a parameter reaches the
worker, and every failure is honest (one sentence, the run recorded as failed).

A ``dask scheduler`` and one ``dask worker`` process (its own empty folder, the remote's
credentials only), SeaweedFS as the remote, one-notebook fixture projects:

* a file of the project named by a task's parameter travels to the worker by hash;
* a notebook that raises fails the build, and its failed cell reaches the run record
  (the partially executed notebook comes back through the remote);
* a worker whose environment lacks a package a notebook imports: one sentence naming
  the worker, the package and the fix;
* the scheduler killed while a task runs, or its only worker killed (and no other
  joining): one sentence naming it and the fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from ports import kill_server
from project_files import BIN, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOTEBOOK = '''# %% tags=["parameters"]
upstream = None
product = None
marker = ""

# %%
from pathlib import Path
if marker:
    Path(marker).write_text("started")

# %%
{body}

# %%
Path(product["data"]).write_text("done")
'''


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "NBOPS_", "AZURE_", "GOOGLE_")) and k != "PYTHONPATH"}
    return {**env, **extra}


@contextmanager
def _cluster(folder: Path, worker_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """``dask scheduler`` and one ``dask worker`` (its own empty folder) on 127.0.0.1."""
    folder.mkdir(parents=True)
    scheduler_file = folder / "scheduler.json"
    processes = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)], cwd=folder,
        env=_clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        (folder / "worker").mkdir()
        processes.append(subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
             "--no-dashboard", "--local-directory", str(folder / "worker")],
            cwd=folder / "worker", env=worker_env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=90)
            worker = next(iter(client.scheduler_info()["workers"]))
        yield {"address": address, "worker": worker, "scheduler": processes[0],
               "worker_process": processes[1]}
    finally:
        for process in reversed(processes):
            kill_server(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, seaweedfs: Any) -> Iterator[Any]:
    with _cluster(tmp_path_factory.mktemp("dask-failures") / "cluster",
                  _clean_env(**seaweedfs.env())) as running:
        yield running


def _project(folder: Path, address: str, body: str, params: dict[str, str] | None = None,
             **executor: Any) -> Path:
    folder.mkdir(parents=True)
    (folder / "step.py").write_text(NOTEBOOK.format(body=body))
    spec = {"executor": {"dotted_path": "nbops.engine.dask_executor.DaskExecutor",
                         "address": address, **executor},
            "on_render": "nbops.hooks.on_render", "on_finish": "nbops.hooks.on_finish",
            "on_failure": "nbops.hooks.on_failure",
            "tasks": [{"source": "step.py", "name": "step", "params": params or {},
                       "product": {"nb": "out/step.ipynb", "data": "out/step.txt"}}]}
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


def _build(project: Path, env: dict[str, str], wait: bool = True) -> Any:
    argv = [str(BIN / "ploomber"), "build", "--force"]
    if not wait:
        return subprocess.Popen(argv, cwd=project, env={**build_environment(), **env},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(argv, cwd=project, env={**build_environment(), **env},
                          capture_output=True, text=True, timeout=600)


def _manifest(project: Path) -> dict[str, Any]:
    runs = sorted(p for p in (project / "reports/runs").iterdir() if p.is_dir())
    return json.loads((runs[-1] / "manifest.json").read_text())


def _remote(seaweedfs: Any) -> dict[str, str]:
    return seaweedfs.env(NBOPS_REMOTE=f"s3://{seaweedfs.new_bucket()}/team")


def test_a_notebook_that_raises_on_a_worker_records_its_failed_cell(
        cluster: Any, seaweedfs: Any, tmp_path: Path) -> None:
    project = _project(tmp_path / "project", cluster["address"],
                       'raise ValueError("this notebook fails on purpose")')
    result = _build(project, _remote(seaweedfs))
    assert result.returncode != 0
    assert "this notebook fails on purpose" in result.stderr
    assert f"on Dask worker {cluster['worker']}" in result.stderr
    manifest = _manifest(project)
    assert manifest["status"] == "failed"
    failure = manifest["failure"]
    assert (failure["task"], failure["ename"]) == ("step", "ValueError")
    assert failure["cell_index"] is not None
    assert "this notebook fails on purpose" in failure["evalue"]
    executed = json.loads((project / "out/step.ipynb").read_text())  # came back from the worker
    assert any("this notebook fails on purpose" in json.dumps(c.get("outputs", []))
               for c in executed["cells"])
    assert not (project / "out/step.txt").exists()


def test_a_worker_without_a_package_fails_the_build_with_one_sentence(
        cluster: Any, seaweedfs: Any, tmp_path: Path) -> None:
    extra = tmp_path / "site"  # importable by the build, not by the worker
    extra.mkdir()
    (extra / "nbops_build_only_dep.py").write_text("VALUE = 1\n")
    project = _project(tmp_path / "project", cluster["address"],
                       "import nbops_build_only_dep")
    result = _build(project, {**_remote(seaweedfs), "PYTHONPATH": str(extra)})
    assert result.returncode != 0
    sentence = (f"Dask worker {cluster['worker']} lacks the Python package "
                "'nbops_build_only_dep' that task 'step' imports. Fix: install the project's "
                "environment on every worker")
    assert sentence in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    manifest = _manifest(project)
    assert manifest["status"] == "failed"
    assert sentence in manifest["failure"]["message"]


def _kill_mid_task(seaweedfs: Any, tmp_path: Path, victim: str, **executor: Any
                   ) -> tuple[Any, Path, Any, str]:
    """Build a one-task project whose task sleeps; once it runs, kill the cluster's
    ``victim`` process. Returns (the cluster, the project, the ended build, its stderr)."""
    marker = tmp_path / "started.txt"
    with _cluster(tmp_path / "cluster", _clean_env(**seaweedfs.env())) as running:
        project = _project(tmp_path / "project", running["address"],
                           "import time\ntime.sleep(120)", {"marker": str(marker)}, **executor)
        build = _build(project, _remote(seaweedfs), wait=False)
        deadline = time.monotonic() + 300
        while not marker.exists() and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the task never started"
        kill_server(running[victim])
        _, stderr = build.communicate(timeout=300)
    return running, project, build, stderr


def test_a_scheduler_that_goes_away_fails_the_build_with_one_sentence(
        seaweedfs: Any, tmp_path: Path) -> None:
    running, project, build, stderr = _kill_mid_task(seaweedfs, tmp_path, "scheduler")
    assert build.returncode != 0
    sentence = (f"The Dask scheduler at {running['address']} went away while task 'step' was "
                "running. Fix: restart it")
    assert sentence in stderr, stderr[-3000:]
    manifest = _manifest(project)
    assert manifest["status"] == "failed"
    assert sentence in manifest["failure"]["message"]


def test_a_cluster_left_without_workers_fails_the_build_with_one_sentence(
        seaweedfs: Any, tmp_path: Path) -> None:
    # the worker and its nanny: nobody restarts it; the executor waits `worker_wait` seconds
    # (30 unless set) for another to join
    running, project, build, stderr = _kill_mid_task(seaweedfs, tmp_path, "worker_process",
                                                     worker_wait=3)
    assert build.returncode != 0
    sentence = (f"Every worker of the Dask scheduler at {running['address']} is gone, and no "
                "other joined within 3 s. Fix: start workers")
    assert sentence in stderr, stderr[-3000:]
    assert _manifest(project)["status"] == "failed"


def test_a_project_file_named_by_a_parameter_reaches_the_worker(
        cluster: Any, seaweedfs: Any, tmp_path: Path) -> None:
    project = _project(tmp_path / "project", cluster["address"], "",
                       {"source": "data/input.txt"})
    (project / "step.py").write_text(
        '# %% tags=["parameters"]\nupstream = None\nproduct = None\nsource = ""\n\n'
        '# %%\nimport os\nfrom pathlib import Path\n'
        'Path(product["data"]).write_text(Path(source).read_text() + os.getcwd())\n')
    (project / "data").mkdir()
    (project / "data/input.txt").write_text("from the build machine|")
    result = _build(project, _remote(seaweedfs))
    assert result.returncode == 0, result.stderr[-3000:]
    read, cwd = (project / "out/step.txt").read_text().split("|")
    assert read == "from the build machine"
    assert not Path(cwd).is_relative_to(project)  # read in the worker's own folder
