"""What a sweep costs against doing the same trials by hand.

Figures (ratios in one run, never timed assertions):

* ``sweep.vs_forced_builds``: a 12-trial sweep over model parameters of the
  reference pipeline (``nbops sweep``, one worker) against the same 12 settings
  built by hand with ``ploomber build --force`` (what a user without sweeps would
  run to be sure each trial is complete); target ≤ 0.4×, with the upstream steps
  (ingest, validate, features) executed once;
* ``sweep.two_workers``: the same sweep with ``--workers 2`` (each worker in its
  own slot) against one worker: the speed-up on this machine.

Half of the forced builds run before the sweeps and half after, so that on a shared
machine a drifting load weighs on both sides alike.

Run: ``python -m benchmarks.sweep_bench`` (≈36 reference builds on a small sample:
several minutes on an idle 2-core machine); ``--quick`` runs 4 trials.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROWS = "4000"
GRID = ["--grid", "model.learning_rate=0.05,0.1,0.2", "--grid", "model.max_depth=2,3",
        "--grid", "model.max_iter=50,100"]
QUICK_GRID = ["--grid", "model.learning_rate=0.05,0.1", "--grid", "model.max_depth=2,3"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    return env


def _project(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pipeline.yaml", "env.yaml", "requirements.lock"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=ignore)
    (dest / ".gitignore").write_text(".nbops/*\nreports/*\n__pycache__/\n")
    git = ["git", "-c", "user.email=b@example.com", "-c", "user.name=bench"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*git, "add", "."], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-qm", "b"], cwd=dest, check=True)
    return dest


def _settings(grid: list[str]) -> list[dict[str, str]]:
    """Every combination of the grid's values, as the sweep enumerates them."""
    import itertools

    keys = [grid[i + 1].split("=")[0] for i in range(0, len(grid), 2)]
    values = [grid[i + 1].split("=")[1].split(",") for i in range(0, len(grid), 2)]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def _forced_builds(repo: Path, settings: list[dict[str, str]]) -> float:
    started = time.perf_counter()
    for setting in settings:
        args = [arg for key, value in setting.items()
                for arg in ("--env--" + key.replace(".", "--"), value)]
        done = subprocess.run([str(BIN / "ploomber"), "build", "--force", "--env--data--rows",
                               ROWS, "--env--registry--promotion", "never", *args], cwd=repo,
                              env=_env(), capture_output=True, text=True)
        # a weak setting fails a quality gate (exit 1): still a whole build, as in a sweep
        if done.returncode != 0 and "QUALITY GATES FAILED" not in done.stdout + done.stderr:
            raise RuntimeError(f"forced build {setting} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def _sweep(repo: Path, grid: list[str], name: str, workers: int) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    subprocess.run([str(BIN / "nbops"), "sweep", *grid, "--name", name, "--workers",
                    str(workers), "--env--data--rows", ROWS], cwd=repo, env=_env(), check=True,
                   capture_output=True)
    seconds = time.perf_counter() - started
    record = json.loads((repo / "reports" / "sweeps" / name / "sweep.json").read_text())
    return seconds, record


def _upstream_executions(record: dict[str, Any]) -> int:
    return sum(task in trial["executed"] for trial in record["trials"]
               for task in ("ingest", "validate", "features"))


def run(full: bool = True) -> list[dict[str, Any]]:
    """Both sweep figures, each in fresh copies of the reference project."""
    grid = GRID if full else QUICK_GRID
    trials = len(_settings(grid))
    settings = _settings(grid)
    half = len(settings) // 2
    with tempfile.TemporaryDirectory(prefix="nbops-sweep-bench-") as tmp:
        forced = _project(Path(tmp) / "forced")
        # half the forced builds before the sweeps, half after: on a shared machine whose
        # load drifts, the baseline then spans the same stretch of time as the sweeps
        forced_s = _forced_builds(forced, settings[:half])
        one_s, one = _sweep(_project(Path(tmp) / "one"), grid, "one", 1)
        two_s, two = _sweep(_project(Path(tmp) / "two"), grid, "two", 2)
        forced_s += _forced_builds(forced, settings[half:])
    return [
        {"name": "sweep.vs_forced_builds",
         "what": f"{trials}-trial model-parameter sweep vs {trials} forced builds",
         "seconds": round(one_s, 1), "forced_builds_seconds": round(forced_s, 1),
         "ratio_to_baseline": round(one_s / forced_s, 3), "target_ratio": 0.4,
         "upstream_task_executions": _upstream_executions(one),
         "trials_succeeded": sum(t["status"] == "succeeded" for t in one["trials"])},
        {"name": "sweep.two_workers",
         "what": "the same sweep with --workers 2 vs 1 (slots)",
         "seconds": round(two_s, 1), "one_worker_seconds": round(one_s, 1),
         "ratio_to_baseline": round(two_s / one_s, 3),
         "speed_up": round(one_s / two_s, 2),
         "upstream_task_executions": _upstream_executions(two),
         "trials_succeeded": sum(t["status"] == "succeeded" for t in two["trials"])},
    ]


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))  # noqa: T201 - a benchmark script reports on stdout
