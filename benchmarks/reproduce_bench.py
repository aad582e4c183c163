"""Cost of ``nbops reproduce`` and of deterministic model files.

Figures (ratios, never timed assertions):

* ``reproduce.overhead``: wall time of ``nbops reproduce`` on a run of the
  reference pipeline divided by the wall time of the build it re-executes:
  everything beyond the build itself (worktree, diff, environment comparison,
  task comparison, record and report) should be small next to the build;
* ``reproduce.repack_skops``: re-packing a trained model's skops archive
  deterministically, against the time ``skops.io.dump`` took to write it.

Run: ``python -m benchmarks.reproduce_bench`` (builds the reference pipeline
twice on a small sample: minutes).
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
SMALL = ["--env--data--rows", "2400"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _project(dest: Path) -> Path:
    for name in ("pipeline.yaml", "env.yaml", "requirements.lock"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=ignore)
    shutil.copytree(ROOT / "src" / "churn", dest / "src" / "churn", ignore=ignore)
    (dest / ".gitignore").write_text(".nbops/*\nreports/*\n__pycache__/\n")
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "-c", "user.email=b@example.com", "-c", "user.name=bench", "add", ".")
    _git(dest, "-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-qm", "b")
    return dest


def bench_reproduce() -> list[dict[str, Any]]:
    """Build the reference pipeline once, reproduce it, compare wall times."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="nbops-reproduce-bench-") as tmp:
        repo = _project(Path(tmp))
        started = time.perf_counter()
        subprocess.run(
            [str(bin_dir / "ploomber"), "build", *SMALL],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        done = subprocess.run(
            [str(bin_dir / "nbops"), "reproduce", "latest", "--json"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
        )
        reproduce_s = time.perf_counter() - started
        record = json.loads(done.stdout)
    inner = record["build"]["duration_s"]
    return [
        {
            "name": "reproduce.overhead",
            "what": "`nbops reproduce` of a reference-pipeline run, beyond its own rebuild",
            "verdict": record["verdict"],
            "build_seconds": round(build_s, 2),
            "reproduce_seconds": round(reproduce_s, 2),
            "rebuild_seconds": inner,
            "overhead_seconds": round(reproduce_s - inner, 2),
            "ratio_to_build": round((reproduce_s - inner) / build_s, 3),
        }
    ]


def bench_repack(rows: int = 20_000) -> list[dict[str, Any]]:
    """``repack_skops`` on a fitted reference model, relative to ``skops.io.dump``."""
    import skops.io

    from churn import generator, models
    from churn.deterministic import repack_skops

    frame = generator.generate(rows, seed=7)
    numeric = [c for c in generator.NUMERIC_STD if c in frame.columns]
    categorical = [c for c in generator.CATEGORIES if c in frame.columns]
    model = models.make_model(numeric, categorical, seed=0, max_iter=50)
    model.fit(frame[numeric + categorical], frame[generator.TARGET])
    with tempfile.TemporaryDirectory(prefix="nbops-repack-bench-") as tmp:
        path = Path(tmp) / "model.skops"
        started = time.perf_counter()
        skops.io.dump(model, path)
        dump_s = time.perf_counter() - started
        started = time.perf_counter()
        repack_skops(path)
        repack_s = time.perf_counter() - started
        size = path.stat().st_size
    return [
        {
            "name": "reproduce.repack_skops",
            "what": "deterministic re-pack of a fitted HistGradientBoosting pipeline's skops file",
            "seconds": round(repack_s, 4),
            "dump_seconds": round(dump_s, 4),
            "ratio_to_dump": round(repack_s / dump_s, 3),
            "bytes": size,
        }
    ]


def run(full: bool = True) -> list[dict[str, Any]]:
    """All reproduce figures (``full=False`` skips the two pipeline builds)."""
    return bench_repack() + (bench_reproduce() if full else [])


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))  # noqa: T201 - a benchmark script reports on stdout
