"""The reference pipeline on a real Dask cluster, with SeaweedFS as the team remote.

As a team would run it: ``dask scheduler`` in one process and two ``dask worker``
processes, each started in an empty folder of its own (one thread, 127.0.0.1, no
dashboard) with only the remote's credentials in its environment; the project
has ``NBOPS_REMOTE`` and ``address: tcp://…`` in its executor. Nothing is shared
through the file system on purpose: tasks and their inputs travel through the
scheduler and the remote. (Before tasks went to workers as plain data, the
first submit failed with ``cannot pickle '_thread.lock' object``.)

One cluster for the module: the reference build is compared with a local build
(same ROC AUC), verified, checked on the scheduler's side (every task finished on
a worker) and on the workers' (none holds the project); then a worker killed in
the middle of a task, and a worker started without the remote's credentials.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ports import kill_server
from project_files import BIN, SMALL_ROWS, build_environment, copy_project_files

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TASKS = {"ingest", "validate", "features", "train", "evaluate"}


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without any store credential or nbops setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "NBOPS_", "AZURE_", "GOOGLE_"))}
    return {**env, **extra}


def _start_worker(scheduler_file: Path, folder: Path, env: dict[str, str]) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
         "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
         "--local-directory", str(folder)],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def _client(address: str) -> Any:
    from distributed import Client

    return Client(address, timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, seaweedfs: Any) -> Any:
    """``dask scheduler`` + two ``dask worker`` processes, each in its own empty folder."""
    base = tmp_path_factory.mktemp("dask-cluster")
    credentials = seaweedfs.env()
    scheduler_file = base / "scheduler.json"
    (base / "scheduler").mkdir()
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        cwd=base / "scheduler", env=_clean_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    workers = [base / "worker-a", base / "worker-b"]
    processes = [scheduler]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:"), address
        processes += [_start_worker(scheduler_file, w, _clean_env(**credentials))
                      for w in workers]
        with _client(address) as client:
            client.wait_for_workers(2, timeout=90)
        yield {"address": address, "workers": workers, "file": scheduler_file, "base": base}
    finally:
        for process in reversed(processes):
            kill_server(process)


def _dask_project(folder: Path, address: str) -> Path:
    project = copy_project_files(folder)
    spec = (project / "pipeline.yaml").read_text()
    executor = yaml.safe_dump({"executor": {
        "dotted_path": "nbops.engine.dask_executor.DaskExecutor", "address": address}})
    spec, count = re.subn(r"^executor:\n(?:[ #].*\n|\n)*?(?=^\S)", executor + "\n", spec,
                          count=1, flags=re.M)
    assert count == 1
    (project / "pipeline.yaml").write_text(spec)
    return project


def _build(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ploomber"), "build", "--env--data--rows", str(SMALL_ROWS), *args],
        cwd=project, env={**build_environment(), **env}, capture_output=True, text=True,
        timeout=900)


def _roc_auc(project: Path) -> float:
    metrics = json.loads((project / ".nbops/products/metrics.json").read_text())
    return float(metrics["model"]["roc_auc"])


def _latest_manifest(project: Path) -> dict[str, Any]:
    runs = sorted(p for p in (project / "reports/runs").iterdir() if p.is_dir())
    return json.loads((runs[-1] / "manifest.json").read_text())


def _finished_on(address: str) -> dict[str, set[str]]:
    """Worker address → the nbops task keys it finished (from each worker's own log)."""
    def finished(dask_worker: Any) -> list[str]:
        return sorted({entry[0] for entry in dask_worker.state.log
                       if len(entry) > 2 and str(entry[0]).startswith("nbops-")
                       and entry[2] == "memory"})

    with _client(address) as client:
        return {w: set(keys) for w, keys in client.run(finished).items()}


@pytest.fixture(scope="module")
def builds(cluster: Any, seaweedfs: Any, tmp_path_factory: pytest.TempPathFactory,
           copy_built: Any) -> Any:
    """The reference pipeline built on the cluster (remote set), and built locally: the
    session's reference build (tests/conftest.py: copy_built, the same rows and env)."""
    local = copy_built(tmp_path_factory.mktemp("local") / "project")
    remote = seaweedfs.env(NBOPS_REMOTE=f"s3://{seaweedfs.new_bucket()}/team")
    project = _dask_project(tmp_path_factory.mktemp("on-dask") / "project", cluster["address"])
    result = _build(project, remote)
    return {"local": local, "project": project, "result": result, "remote": remote,
            "finished_on": _finished_on(cluster["address"]),
            # what the workers' folders hold right after the build (later tests kill one)
            "worker_files": {w: {p.name for p in w.rglob("*")} for w in cluster["workers"]}}


def test_the_reference_pipeline_builds_on_the_cluster_like_it_does_locally(builds: Any) -> None:
    result, project = builds["result"], builds["project"]
    assert result.returncode == 0, result.stderr[-6000:]
    manifest = _latest_manifest(project)
    assert manifest["status"] == "succeeded"
    assert {name for name, t in manifest["tasks"].items() if t["status"] == "executed"} == TASKS
    verify = subprocess.run([str(BIN / "nbops"), "verify", manifest["run_id"]], cwd=project,
                            env=build_environment(), capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "OK" in verify.stdout
    assert _roc_auc(project) == _roc_auc(builds["local"])
    # the executed notebooks show the project's paths, as a local build's do
    ingest = (project / ".nbops/products/ingest.ipynb").read_text()
    assert str(project) in ingest and "nbops-tasks" not in ingest


def test_the_scheduler_saw_every_task_finish_on_a_worker(builds: Any) -> None:
    assert builds["result"].returncode == 0
    finished = [re.sub(r"^nbops-(.*)-[0-9a-f]{8}$", r"\1", key)
                for keys in builds["finished_on"].values() for key in keys]
    assert TASKS <= set(finished), builds["finished_on"]


def test_no_worker_folder_holds_the_project_and_products_came_through_the_remote(
        builds: Any, seaweedfs: Any) -> None:
    assert builds["result"].returncode == 0
    for folder, names in builds["worker_files"].items():
        assert not names & {"pipeline.yaml", "env.yaml", "notebooks", "raw.parquet",
                            "model.skops", "metrics.json", "ingest.ipynb"}, (folder, names)

    from nbops.core._hashing import hash_file

    fs = seaweedfs.filesystem()
    prefix = builds["remote"]["NBOPS_REMOTE"].removeprefix("s3://")
    for name in ("raw.parquet", "model.skops", "metrics.json", "evaluate.ipynb"):
        digest = hash_file(builds["project"] / ".nbops/products" / name).split(":", 1)[1]
        assert fs.exists(f"{prefix}/objects/{digest[:2]}/{digest[2:]}"), name


def test_a_second_build_on_the_cluster_reuses_every_task(builds: Any) -> None:
    assert builds["result"].returncode == 0
    again = _build(builds["project"], builds["remote"])
    assert again.returncode == 0, again.stderr[-4000:]
    manifest = _latest_manifest(builds["project"])
    assert manifest["status"] == "succeeded"
    assert {t["status"] for t in manifest["tasks"].values()} == {"skipped"}


def test_a_worker_killed_mid_task_is_replaced_and_the_build_succeeds(
        builds: Any, cluster: Any) -> None:
    project = builds["project"]
    build = subprocess.Popen(
        [str(BIN / "ploomber"), "build", "--force", "--env--data--rows", str(SMALL_ROWS)],
        cwd=project, env={**build_environment(), **builds["remote"]}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = None
    with _client(cluster["address"]) as client:
        deadline = time.monotonic() + 600
        while killed is None and build.poll() is None and time.monotonic() < deadline:
            busy = {w: keys for w, keys in client.processing().items()
                    if any(str(k).startswith("nbops-train-") for k in keys)}
            if busy:
                worker = next(iter(busy))
                time.sleep(2)  # well inside the task: inputs fetched, kernel running
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)  # the worker process; its nanny starts a new one
                killed = worker
            time.sleep(0.2)
        stdout, stderr = build.communicate(timeout=900)
        story = client.run_on_scheduler(
            lambda dask_scheduler: [t[:3] for t in dask_scheduler.transition_log
                                    if str(t[0]).startswith("nbops-train-")])
    assert killed is not None, "the train task was never seen running"
    assert build.returncode == 0, stderr[-6000:]
    assert _latest_manifest(project)["status"] == "succeeded"
    assert sum(1 for key, start, finish in story if finish == "processing") >= 2, story
    assert _roc_auc(project) == _roc_auc(builds["local"])


def test_a_worker_without_the_remotes_credentials_fails_the_build_with_one_sentence(
        builds: Any, cluster: Any) -> None:
    stranger = cluster["base"] / "worker-without-credentials"
    process = _start_worker(cluster["file"], stranger, _clean_env())
    try:
        with _client(cluster["address"]) as client:
            client.wait_for_workers(3, timeout=90)
            address = next(w for w, d in client.run(os.getcwd).items() if d == str(stranger))
        result = _build(builds["project"], builds["remote"], "--force")
    finally:
        kill_server(process)
    assert result.returncode != 0
    # (it has none at all: said as such, not as credentials the remote refused)
    sentence = (f"Dask worker {address} cannot use the team remote: No credentials found for "
                f"remote {builds['remote']['NBOPS_REMOTE']}")
    assert sentence in result.stderr, result.stderr[-4000:]
    assert "AWS_ACCESS_KEY_ID" in result.stderr  # the fix
    assert "Traceback" not in result.stderr
    manifest = _latest_manifest(builds["project"])
    assert manifest["status"] == "failed"
    assert sentence in manifest["failure"]["message"]
    assert not any(t["status"] == "executed" for t in manifest["tasks"].values())
