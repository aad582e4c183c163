"""What the Dask executor sends a worker: plain data that pickles, never a Ploomber task.

The reference pipeline is loaded and rendered (no build, no cluster); each task's
:class:`NotebookJob` must survive a pickle round trip and hold no Ploomber object (during
a build a task holds its DAG, the run ledger and their locks: the ``cannot pickle
'_thread.lock'`` failure on a real scheduler, tests/integration/test_dask_cluster.py).
"""

from __future__ import annotations

import contextlib
import json
import pickle
import warnings
from pathlib import Path
from typing import Any

import pytest

from nbops.engine._dask_job import NotebookJob, TaskFailed, WorkerError

# the executor module imports Ploomber; a build has it imported already, so import it
# here once, without its dependencies' deprecation warnings (warnings are errors here)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from nbops.engine.dask_executor import _job, _worker_env


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    from nbops.adapters import load_dag, render_loaded
    from project_files import copy_project_files

    root = copy_project_files(tmp_path_factory.mktemp("dask-job") / "project").resolve()
    dag = load_dag(root)
    render_loaded(root, dag)
    return root, dag


def test_each_task_of_the_reference_pipeline_becomes_a_job_that_pickles(rendered: Any) -> None:
    root, dag = rendered
    with contextlib.chdir(root):
        jobs = [_job(dag[name], root, {"NBOPS_RUN_ID": "r1"}, None) for name in dag]
    assert [j.task for j in jobs] == ["ingest", "validate", "features", "train", "evaluate"]
    for job in jobs:
        wire = pickle.dumps(job)
        assert pickle.loads(wire) == job
        assert b"ploomber" not in wire  # plain data: no task, DAG, client or lock
        assert job.papermill["engine_name"] == "nbops"
        assert job.output == str(root / ".nbops/products" / f"{job.task}.ipynb")
        assert all(Path(p).is_relative_to(root) for p in job.products)
        cells = json.loads(job.notebook)["cells"]  # rendered: the parameters are injected
        assert any("injected-parameters" in c["metadata"].get("tags", []) for c in cells)
    train = next(j for j in jobs if j.task == "train")
    assert str(root / ".nbops/products/model.skops") in train.products
    assert str(root / ".nbops/products/train.parquet") in train.notebook  # its upstream


def test_a_job_carries_no_secret_named_variable() -> None:
    env = _worker_env({"NBOPS_RUN_ID": "r1", "NBOPS_REMOTE": "s3://b/team",
                       "NBOPS_SIGNING_KEY": "k", "AWS_SECRET_ACCESS_KEY": "s", "HOME": "/h"})
    assert env == {"NBOPS_RUN_ID": "r1", "NBOPS_REMOTE": "s3://b/team"}


def test_worker_failures_survive_the_trip_back() -> None:
    failed = pickle.loads(pickle.dumps(TaskFailed("cell 3 raised", {"out/a.ipynb": "h"},
                                                  "tcp://w:1", "skops")))
    assert (failed.message, failed.outputs, failed.worker, failed.missing, str(failed)) == (
        "cell 3 raised", {"out/a.ipynb": "h"}, "tcp://w:1", "skops", "cell 3 raised")
    assert str(pickle.loads(pickle.dumps(WorkerError("Dask worker x …")))) == "Dask worker x …"
    job = NotebookJob(task="t", notebook="{}", root="/p", output="/p/t.ipynb", products=(),
                      papermill={}, env={})
    assert pickle.loads(pickle.dumps(job)) == job


def _touch(product: Any) -> None:
    Path(str(product)).write_text("made")


def test_a_task_that_is_not_a_notebook_is_refused_before_any_cluster(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ploomber import DAG
        from ploomber.exceptions import DAGBuildError
        from ploomber.products import File
        from ploomber.tasks import PythonCallable

        from nbops.engine.dask_executor import DaskExecutor

    dag = DAG(executor=DaskExecutor(address="tcp://127.0.0.1:9"))  # nothing listens there
    PythonCallable(_touch, File(tmp_path / "out.txt"), dag, name="touch")
    dag.render()
    with pytest.raises(DAGBuildError, match=r"runs notebook tasks .* touch \(PythonCallable\)"):
        dag.executor(dag)
    assert not (tmp_path / "out.txt").exists()


class _FlakyPapermill:
    """Papermill whose first kernels die at start (their ports taken), as on a busy worker."""

    class PapermillExecutionError(Exception):
        pass

    def __init__(self, deaths: int, ran_cells: bool = False) -> None:
        self.deaths, self.ran_cells, self.calls = deaths, ran_cells, 0

    def execute_notebook(self, source: str, output: str, **_: object) -> None:
        self.calls += 1
        count = 1 if self.ran_cells else None
        Path(output).write_text(json.dumps({"cells": [
            {"cell_type": "code", "execution_count": count, "source": "", "outputs": []}]}))
        if self.calls <= self.deaths:
            raise RuntimeError("Kernel died before replying to kernel_info")


def test_a_kernel_that_died_before_any_cell_is_started_again(tmp_path) -> None:
    from nbops.engine._dask_job import KERNEL_START_ATTEMPTS, _execute

    flaky = _FlakyPapermill(deaths=KERNEL_START_ATTEMPTS - 1)
    assert _execute(flaky, tmp_path / "in.ipynb", tmp_path / "out.ipynb", {}, "t") is None
    assert flaky.calls == KERNEL_START_ATTEMPTS
    dead = _FlakyPapermill(deaths=KERNEL_START_ATTEMPTS)  # bounded: then the error stands
    with pytest.raises(RuntimeError, match="Kernel died"):
        _execute(dead, tmp_path / "in.ipynb", tmp_path / "out2.ipynb", {}, "t")
    assert dead.calls == KERNEL_START_ATTEMPTS


def test_a_kernel_that_died_after_running_cells_is_not_run_again(tmp_path) -> None:
    from nbops.engine._dask_job import _execute

    flaky = _FlakyPapermill(deaths=1, ran_cells=True)  # its cells' effects may be half done
    with pytest.raises(RuntimeError, match="Kernel died"):
        _execute(flaky, tmp_path / "in.ipynb", tmp_path / "out.ipynb", {}, "t")
    assert flaky.calls == 1


def test_the_secret_check_reads_no_file_over_the_scan_limit(tmp_path: Path, monkeypatch) -> None:
    """As on the Airflow path: a file larger than MAX_SECRET_SCAN is data, never read whole
    to look for a secret (it goes to the remote as it is); smaller ones holding one come
    back inline."""
    import nbops.core
    from nbops.engine._dask_job import _withhold_secrets

    secret = "s3cr3t-value-long-enough"
    (tmp_path / "small.ipynb").write_text(f'{{"password": "{secret}"}}')
    (tmp_path / "big.csv").write_text(f"{secret}," + "x" * 200)
    monkeypatch.setattr(nbops.core, "MAX_SECRET_SCAN", 100)
    outputs = {"small.ipynb": "blake3:aa", "big.csv": "blake3:bb"}
    inline = _withhold_secrets(outputs, tmp_path, {secret: "***redacted***"})
    assert list(inline) == ["small.ipynb"] and secret.encode() in inline["small.ipynb"]
    assert outputs == {"big.csv": "blake3:bb"}
