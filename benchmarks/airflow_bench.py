"""The per-task cost of the Airflow path: ``nbops task run`` against the same notebook run locally.

What an exported DAG's Airflow task runs on a worker (docs/airflow.md), timed without
Airflow's own scheduling: ``nbops task run train --run R --force`` in a fresh checkout of
the reference project with an empty content store (so its inputs really travel: fetched
by hash from SeaweedFS, re-hashed), executed with Ploomber/Papermill, its products pushed
back. The baseline is the same notebook run locally, with its inputs already in place:
``ploomber task train --force`` (the same process start, DAG load and render, the same
Papermill run).

* ``airflow.local_task``: ``ploomber task train --force``, median wall time;
* ``airflow.task_run``: ``nbops task run train``, median wall time, ``ratio_to_baseline``
  against the first, split into ``fetch_s`` (inputs downloaded and put in place),
  ``execute_s`` (the task's own run), ``push_s`` (products and notebook uploaded) and
  ``rest_s`` (process start, DAG load and render, the remote's run state read and written).

Run: ``python -m benchmarks.airflow_bench [--quick]`` (``--quick``: one repetition).
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROWS = 2400
PARAMS = json.dumps({"data.rows": ROWS})


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "NBOPS_", "AZURE_", "GOOGLE_"))}
    return {**env, "PLOOMBER_STATS_ENABLED": "false",
            "PLOOMBER_VERSION_CHECK_DISABLED": "true", **extra}


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("pipeline.yaml", "env.yaml", "model_card.yaml"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "notebooks", folder / "notebooks",
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    return folder


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed: {done.stderr[-2000:]}")
    return seconds, done.stdout


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per figure."""
    sys.path.insert(0, str(ROOT / "tests"))
    from seaweed_server import running_seaweedfs

    repeats = 3 if full else 1
    with tempfile.TemporaryDirectory(prefix="nbops-airflow-bench-") as tmp:
        folder = Path(tmp)
        with running_seaweedfs(folder / "seaweedfs") as server:
            remote = _env(**server.env(NBOPS_REMOTE=f"s3://{server.new_bucket()}/team"))
            local = _project(folder / "local")
            _run([str(BIN / "ploomber"), "build", "--env--data--rows", str(ROWS)], local, _env())
            local_s = [_run([str(BIN / "ploomber"), "task", "train", "--force",
                             "--env--data--rows", str(ROWS)], local, _env())[0]
                       for _ in range(repeats)]

            opener = _project(folder / "opener")
            _, out = _run([str(BIN / "nbops"), "run", "open", "--params", PARAMS, "--json"],
                          opener, remote)
            run_id = json.loads(out)["run_id"]
            for name in ("ingest", "validate", "features"):
                _run([str(BIN / "nbops"), "task", "run", name, "--run", run_id, "--params",
                      PARAMS], opener, remote)
            rows = []
            for attempt in range(repeats):
                worker = _project(folder / f"worker-{attempt}")  # nothing of the inputs here
                seconds, out = _run([str(BIN / "nbops"), "task", "run", "train", "--run", run_id,
                                     "--params", PARAMS, "--force", "--json"], worker, remote)
                result = json.loads(out)
                rows.append({"total_s": seconds, "execute_s": result["duration_s"],
                             **result["timings"]})
    local_median = statistics.median(local_s)
    total = statistics.median(r["total_s"] for r in rows)
    split = {key: round(statistics.median(r[key] for r in rows), 3)
             for key in ("fetch_s", "execute_s", "push_s")}
    split["rest_s"] = round(total - sum(split.values()), 3)
    what = f"the reference pipeline's train notebook ({ROWS} rows), median of {repeats}"
    return [
        {"name": "airflow.local_task", "seconds": round(local_median, 3),
         "min_s": round(min(local_s), 3), "max_s": round(max(local_s), 3),
         "what": f"ploomber task train --force, inputs in place: {what}"},
        {"name": "airflow.task_run", "seconds": round(total, 3),
         "min_s": round(min(r["total_s"] for r in rows), 3),
         "max_s": round(max(r["total_s"] for r in rows), 3),
         "ratio_to_baseline": round(total / local_median, 2),
         "what": f"nbops task run train on a fresh checkout, SeaweedFS remote: {what}", **split},
    ]


if __name__ == "__main__":
    for item in run(full="--quick" not in sys.argv):
        print(json.dumps(item))
