"""Speed of the JupyterLab panel's data (issue 30).

Targets and figures:

* ``GET /nbops/api/pipeline`` on a project with 1,000 runs answers in under 300 ms
  (the run index is read, never 1,000 manifests; the DAG is rendered once and
  re-rendered only when a file it depends on changed). Baseline: the same request
  on the same project with 10 runs (``ratio_to_baseline`` ≈ 1 means the ledger's
  size does not matter). Also the first request of a server (it renders the DAG)
  and one notebook's runs (``/tasks/train/runs``).
* With ``full``: from "build" (``POST /nbops/api/builds`` of the reference pipeline)
  to the first task's progress the panel can show, and to the first task done.
  The browser test (tests/browser/test_lab_panel.py) prints the same interval as
  the panel measures it (button pressed to progress drawn).

Each figure is a real ``nbops lab`` on 127.0.0.1, asked over HTTP with its token.
Run: ``python -m benchmarks.lab_bench [--quick]``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
RUNS = 1_000
BASELINE_RUNS = 10
TOKEN = "nbops-bench-token"
TASKS = ("ingest", "validate", "features", "train", "evaluate")
HASH = "blake3:" + "0" * 64


def _project(folder: Path) -> Path:
    for name in ("pipeline.yaml", "env.yaml", "model_card.yaml"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "notebooks", folder / "notebooks")
    return folder


def _fake_runs(root: Path, count: int) -> None:
    """``count`` runs of the reference pipeline's tasks: manifests and their index lines."""
    from nbops.core import Project, new_run_id
    from nbops.runs import summarize

    project = Project(root)
    project.runs_dir.mkdir(parents=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lines = []
    for i in range(count):
        run_id = new_run_id(start + timedelta(minutes=i))
        tasks = {name: {"status": "executed", "duration_s": 1.0 + j, "upstream": [],
                        "source": {"path": f"notebooks/{name}.py", "hash": HASH},
                        "products": {}, "notebook": None, "produced_by": run_id,
                        "metrics": {}, "artifacts": [], "error": None}
                 for j, name in enumerate(TASKS)}
        manifest = {
            "schema_version": 1, "run_id": run_id, "project": "bench", "status": "succeeded",
            "started_at": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "finished_at": "2026-01-01T00:01:00.000000Z", "duration_s": 60.0,
            "command": ["ploomber", "build"], "host": "h", "pid": 1,
            "params": {name: {"seed": i} for name in TASKS}, "env": {"seed": i},
            "tasks": tasks, "metrics": {"roc_auc": 0.8 + i * 1e-5},
            "provenance": {"git": {"commit": None, "branch": None, "dirty": None,
                                   "diff_hash": None}, "python": "3.11", "platform": "x",
                           "packages": {}, "lock_hash": None, "sources": {}, "inputs": {},
                           "seeds": {}},
            "failure": None,
        }
        folder = project.run_dir(run_id)
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps(manifest))
        lines.append(json.dumps(summarize(manifest), separators=(",", ":")))
    project.index_path.write_text("\n".join(lines) + "\n")


def _get(url: str, method: str = "GET", body: Any = None) -> Any:
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@contextmanager
def _lab(project: Path) -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from ports import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env.update(PLOOMBER_STATS_ENABLED="false", JUPYTER_RUNTIME_DIR=str(project / ".rt"))
    log = (project / "lab.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("nbops")), "lab", "--port",
                             str(port), "--token", TOKEN], cwd=project, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(url + "/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((project / "lab.log").read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _timed(url: str, repeats: int) -> tuple[float, float, list[float]]:
    """(first request, median of the next ``repeats``, all of them) in seconds."""
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        _get(url)
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:]), times[1:]


def bench_panel_data(runs: int, baseline_runs: int, repeats: int) -> list[dict[str, Any]]:
    figures: dict[int, dict[str, Any]] = {}
    for count in (baseline_runs, runs):
        with tempfile.TemporaryDirectory(prefix="nbops-lab-bench-") as tmp:
            project = _project(Path(tmp))
            _fake_runs(project, count)
            with _lab(project) as url:
                first, median, all_times = _timed(url + "/nbops/api/pipeline", repeats)
                _, runs_median, _ = _timed(url + "/nbops/api/tasks/train/runs", repeats)
                assert _get(url + "/nbops/api/pipeline")["runs"] == count
            figures[count] = {"first": first, "median": median, "min": min(all_times),
                              "max": max(all_times), "runs_median": runs_median}
    big, small = figures[runs], figures[baseline_runs]
    return [
        {"name": "lab.pipeline_1000_runs", "seconds": big["median"], "min_s": big["min"],
         "max_s": big["max"], "ratio_to_baseline": big["median"] / small["median"],
         "target_seconds": TARGET_S, "ratio_to_target": big["median"] / TARGET_S,
         "what": f"GET /nbops/api/pipeline on the reference project with {runs} runs, median "
                 f"of {repeats} (baseline: {baseline_runs} runs)"},
        {"name": "lab.pipeline_first_request", "seconds": big["first"],
         "what": "the server's first GET /nbops/api/pipeline (renders the DAG, imports Ploomber)"},
        {"name": "lab.task_runs_1000_runs", "seconds": big["runs_median"],
         "ratio_to_baseline": big["runs_median"] / small["runs_median"],
         "what": f"GET /nbops/api/tasks/train/runs (newest 50 of {runs}), median of {repeats}"},
    ]


def bench_build_progress() -> list[dict[str, Any]]:
    """POST a build of the reference pipeline; time to the first progress and first task done."""
    with tempfile.TemporaryDirectory(prefix="nbops-lab-bench-build-") as tmp:
        project = _project(Path(tmp))
        with _lab(project) as url:
            _get(url + "/nbops/api/pipeline")  # the panel is open: its DAG is rendered
            pressed = time.perf_counter()
            started = _get(url + "/nbops/api/builds", "POST",
                           {"task": None, "env": {"data.rows": "2400"}})
            shown = time.perf_counter() - pressed
            moved = shown if any(w != "waiting" for w in started["tasks"].values()) else None
            done = None
            while True:
                progress = _get(url + f"/nbops/api/builds/{started['id']}")
                words = progress["tasks"].values()
                if moved is None and any(w != "waiting" for w in words):
                    moved = time.perf_counter() - pressed
                if done is None and any(w == "done" for w in words):
                    done = time.perf_counter() - pressed
                if not progress["running"]:
                    break
                time.sleep(0.2)
            total = time.perf_counter() - pressed
    return [
        {"name": "lab.build_to_first_progress", "seconds": moved,
         "what": "POST /nbops/api/builds of the reference pipeline until a task shows as running "
                 "(the answer to the POST itself carries it)"},
        {"name": "lab.build_to_first_task_done", "seconds": done,
         "what": "the same build until its first task (ingest) shows as done", "build_s": total,
         "outcome": progress.get("verdict", {}).get("outcome")},
    ]


def run(full: bool = True) -> list[dict[str, Any]]:
    repeats = 15 if full else 5
    rows = bench_panel_data(RUNS, BASELINE_RUNS, repeats)
    if full:
        rows += bench_build_progress()
    return rows


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))
