"""The reference pipeline on a two-worker Dask cluster against the local executor.

A real cluster on 127.0.0.1, as the tests start it: ``dask scheduler`` and two ``dask
worker`` processes (one thread each, each in an empty folder, with only the remote's
credentials), SeaweedFS as the team remote.

* ``dask.local_build``: ``ploomber build --force`` of the reference pipeline with its own
  executor (``NbopsExecutor``: forked, pre-started kernels);
* ``dask.cluster_build``: the same build with ``DaskExecutor`` on the cluster,
  ``ratio_to_baseline`` against the first;
* ``dask.per_task``: the mean per task on the cluster, split (from the executor's
  ``task … timings`` log lines and the executed notebooks) into ``transfer_s`` (inputs
  stored and uploaded by the build, fetched by the worker, products pushed by the worker and
  received by the build), ``kernel_s`` (Papermill's run minus the cells' own time: kernel
  start, the notebook written, the kernel shut down) and ``cells_s``; ``dask_s`` is what is
  left of the task's wall time (scheduling, the build's post-run work); ``local_cells_s``
  is the cells' own time in the local build, whose kernels are forked with the
  ``preload`` modules imported (a worker's kernel imports them in its cells);
* ``dask.noop_task``: one ``client.submit`` of a function that does nothing, round trip
  (Dask's own per-task cost, the anchor).

Run: ``python -m benchmarks.dask_cluster_bench [--quick]`` (``--quick``: fewer rows).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXECUTOR = ("executor:\n  dotted_path: nbops.engine.dask_executor.DaskExecutor\n"
            "  address: {address}\n\n")


def _row(name: str, seconds: float, what: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "seconds": round(seconds, 3), "what": what, **extra}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "NBOPS_", "AZURE_", "GOOGLE_"))}
    return {**env, "PLOOMBER_STATS_ENABLED": "false",
            "PLOOMBER_VERSION_CHECK_DISABLED": "true", **extra}


def _project(folder: Path, address: str | None) -> Path:
    folder.mkdir(parents=True)
    for name in ("pipeline.yaml", "env.yaml"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "notebooks", folder / "notebooks",
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    if address:
        spec = (folder / "pipeline.yaml").read_text()
        spec = re.sub(r"^executor:\n(?:[ #].*\n|\n)*?(?=^\S)",
                      EXECUTOR.format(address=address), spec, count=1, flags=re.M)
        (folder / "pipeline.yaml").write_text(spec)
    return folder


def _build(project: Path, rows: int, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "ploomber"), "build", "--force", "--log", "info",
                           "--env--data--rows", str(rows)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return seconds, done.stdout + done.stderr


def _cells_s(notebook: Path) -> float:
    cells = json.loads(notebook.read_text())["cells"]
    return sum(float((c.get("metadata", {}).get("papermill") or {}).get("duration") or 0)
               for c in cells)


def _per_task(log: str, project: Path) -> dict[str, float]:
    timings = [json.loads(line.split(" timings: ", 1)[1]) for line in log.splitlines()
               if " timings: {" in line]
    if not timings:
        raise RuntimeError("the cluster build logged no task timings")
    split: dict[str, list[float]] = {"transfer_s": [], "kernel_s": [], "cells_s": [],
                                     "dask_s": [], "total_s": []}
    for t in timings:
        cells = _cells_s(project / ".nbops" / "products" / f"{t['task']}.ipynb")
        transfer = t["send_s"] + t["fetch_s"] + t["push_s"] + t["receive_s"]
        split["transfer_s"].append(transfer)
        split["cells_s"].append(cells)
        split["kernel_s"].append(t["execute_s"] - cells)
        split["dask_s"].append(t["total_s"] - transfer - t["execute_s"])
        split["total_s"].append(t["total_s"])
    return {k: round(statistics.mean(v), 3) for k, v in split.items()}


def _noop_round_trip(address: str) -> float:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=120)
        times = []
        for i in range(50):
            start = time.perf_counter()
            client.submit(int, i, pure=False).result()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per figure."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ports import kill_server
    from seaweed_server import running_seaweedfs

    rows_n = 20000 if full else 2400
    with tempfile.TemporaryDirectory(prefix="nbops-dask-bench-") as tmp:
        folder = Path(tmp)
        with running_seaweedfs(folder / "seaweedfs") as server:
            remote = server.env(NBOPS_REMOTE=f"s3://{server.new_bucket()}/team")
            scheduler_file = folder / "scheduler.json"
            processes = [subprocess.Popen(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                 "--no-dashboard", "--scheduler-file", str(scheduler_file)], cwd=folder,
                env=_clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)]
            try:
                while not scheduler_file.is_file():
                    time.sleep(0.2)
                address = json.loads(scheduler_file.read_text())["address"]
                for name in ("worker-a", "worker-b"):
                    (folder / name).mkdir()
                    processes.append(subprocess.Popen(
                        [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--host",
                         "127.0.0.1", "--no-dashboard", "--local-directory", str(folder / name)],
                        cwd=folder / name, env=_clean_env(**server.env()),
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        start_new_session=True))
                noop = _noop_round_trip(address)
                local = _project(folder / "local", None)
                on_dask = _project(folder / "on-dask", address)
                local_s, _ = _build(local, rows_n, _clean_env())
                dask_s, log = _build(on_dask, rows_n, _clean_env(**remote))
                split = _per_task(log, on_dask)
                split["local_cells_s"] = round(statistics.mean(
                    _cells_s(p) for p in (local / ".nbops" / "products").glob("*.ipynb")), 3)
            finally:
                for process in reversed(processes):
                    kill_server(process)
    what = f"ploomber build --force of the reference pipeline ({rows_n} rows, 5 notebooks)"
    return [
        _row("dask.local_build", local_s, f"{what}, NbopsExecutor"),
        _row("dask.cluster_build", dask_s, f"{what}, DaskExecutor: 2 workers, SeaweedFS remote",
             ratio_to_baseline=round(dask_s / local_s, 2)),
        _row("dask.per_task", split["total_s"], "mean per task on the cluster, split", **split),
        _row("dask.noop_task", noop, "client.submit(int).result() round trip, median of 50"),
    ]


if __name__ == "__main__":
    for item in run(full="--quick" not in sys.argv):
        print(json.dumps(item))
