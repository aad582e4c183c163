"""Speed of the run ledger.

Targets (issue 3):

* ``nbops runs`` lists 10,000 runs in under 1 s (the run index is read, not
  10,000 manifests);
* snapshotting an unchanged 1 GB artifact costs no copy (stat-keyed hash
  cache + content-addressed store) — and the first snapshot of new content
  costs one hash and one copy (a reflink where the filesystem supports it);
* the ledger adds at most 5% and under 0.5 s to a build: every manifest
  records ``overhead.open_s`` / ``overhead.close_s`` measured inside the
  hooks, and :func:`build_overhead` builds a project once to read them.

Run: ``python -m benchmarks.ledger_bench [--quick]`` (or through ``python -m
benchmarks``). ``run()`` returns one row per figure; with ``full`` (the
default) it also builds a copy of the reference pipeline twice (fresh, then up
to date) to read the hook overhead of real builds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import best_of

LIST_RUNS = 10_000
LIST_TARGET_S = 1.0
BIG_BYTES = 1 << 30
OVERHEAD_TARGET_RATIO = 0.05
OVERHEAD_TARGET_S = 0.5
HASH = "blake3:" + "0" * 64
ROOT = Path(__file__).resolve().parents[1]


def _fake_ledger(root: Path, count: int) -> None:
    """``count`` runs with valid manifests and an index, written without fsync (setup only)."""
    from nbops.core import Project, new_run_id
    from nbops.runs import summarize

    (root / "pipeline.yaml").write_text("tasks: []\n")
    project = Project(root)
    project.runs_dir.mkdir(parents=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    task = {"status": "executed", "duration_s": 1.0, "upstream": [],
            "source": {"path": "a.py", "hash": HASH}, "products": {}, "notebook": None,
            "produced_by": None, "metrics": {"auc": 0.9}, "artifacts": [], "error": None}
    lines = []
    for i in range(count):
        run_id = new_run_id(start + timedelta(minutes=i))
        manifest = {
            "schema_version": 1, "run_id": run_id, "project": "bench", "status": "succeeded",
            "started_at": "2026-01-01T00:00:00.000000Z",
            "finished_at": "2026-01-01T00:01:00.000000Z", "duration_s": 60.0,
            "command": ["ploomber", "build"], "host": "h", "pid": 1, "params": {}, "env": {},
            "tasks": {f"t{j}": dict(task, produced_by=run_id) for j in range(5)},
            "metrics": {"auc": 0.9 + i * 1e-6, "f1": 0.5},
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


def bench_listing(count: int = LIST_RUNS, repeats: int = 3) -> list[dict[str, Any]]:
    """``list_runs`` in-process and ``nbops runs --json`` as a command, on ``count`` runs."""
    from nbops.core import Project
    from nbops.runs import list_runs

    with tempfile.TemporaryDirectory(prefix="nbops-ledger-bench-") as tmp:
        root = Path(tmp)
        _fake_ledger(root, count)
        project = Project(root)
        assert len(list_runs(project)) == count
        library_s = best_of(repeats, lambda: list_runs(project))
        cpu_started = time.process_time()
        list_runs(project)
        library_cpu_s = time.process_time() - cpu_started
        nbops = str(Path(sys.executable).parent / "nbops")
        env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false"}

        def cli() -> None:
            subprocess.run([nbops, "runs", "--json"], cwd=root, env=env, check=True,
                           stdout=subprocess.DEVNULL)

        cli_s = best_of(repeats, cli)
        where = [nbops, "runs", "--where", "metrics.auc > 0.9 and metrics.f1 == 0.5",
                 "--sort", "-metrics.auc", "--limit", "10"]
        query_s, query_cpu_s = _best_cpu(repeats, where, root, env)
        startup_s = best_of(repeats, lambda: subprocess.run(
            [nbops, "--help"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL))
    return [
        {"name": "ledger.list_runs", "what": f"nbops.runs.list_runs over {count:,} runs",
         "seconds": round(library_s, 4), "cpu_seconds": round(library_cpu_s, 4),
         "target_seconds": LIST_TARGET_S, "ratio_to_target": round(library_s / LIST_TARGET_S, 3),
         "load_average_1m": round(os.getloadavg()[0], 2)},
        {"name": "ledger.cli_runs", "what": f"`nbops runs --json` over {count:,} runs "
         "(whole process, including the CLI's own start-up)",
         "seconds": round(cli_s, 3), "target_seconds": LIST_TARGET_S,
         "ratio_to_target": round(cli_s / LIST_TARGET_S, 3)},
        {"name": "ledger.cli_runs_where", "what": f"`nbops runs --where … --sort "
         f"-metrics.auc --limit 10` over {count:,} runs (whole process; issue 29)",
         "seconds": round(query_s, 3), "cpu_seconds": round(query_cpu_s, 3),
         "target_seconds": LIST_TARGET_S, "ratio_to_target": round(query_s / LIST_TARGET_S, 3)},
        {"name": "ledger.cli_startup", "what": "`nbops --help` (CLI start-up alone, all "
         "feature command modules imported)", "seconds": round(startup_s, 3)},
    ]


def _best_cpu(repeats: int, argv: list[str], cwd: Path,
              env: dict[str, str]) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds of the process) of ``repeats`` runs of ``argv``:
    CPU time is what a busy shared machine does not inflate."""
    import resource

    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def bench_snapshot(size: int = BIG_BYTES) -> list[dict[str, Any]]:
    """First and repeated snapshot of a ``size``-byte artifact."""
    from nbops.core import ContentStore, HashCache

    with tempfile.TemporaryDirectory(prefix="nbops-ledger-bench-", dir=ROOT / ".nbops"
                                     if (ROOT / ".nbops").is_dir() else None) as tmp:
        root = Path(tmp)
        big = root / "model.bin"
        with open(big, "wb") as handle:
            block = os.urandom(1 << 20)
            for _ in range(size >> 20):
                handle.write(block)
        past = time.time() - 60
        os.utime(big, (past, past))
        store = ContentStore(root / "store")

        def snapshot() -> tuple[bool, int]:
            cache = HashCache(root / "hashes.json")
            digest, _ = cache.hash(big)
            result = store.put_file(big, digest)
            cache.save()
            return result.added, result.size if result.added else 0

        started = time.perf_counter()
        added_first, bytes_first = snapshot()
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        added_again, bytes_again = snapshot()
        again_s = time.perf_counter() - started
        assert added_first and not added_again
    gib = size / (1 << 30)
    return [
        {"name": "ledger.snapshot_new", "what": f"first snapshot of a new {gib:g} GiB artifact "
         "(blake3 hash + copy into the store)", "seconds": round(first_s, 3),
         "bytes_added": bytes_first},
        {"name": "ledger.snapshot_unchanged", "what": f"snapshot of the same unchanged {gib:g} "
         "GiB artifact (hash cache hit, already stored: no read, no copy)",
         "seconds": round(again_s, 4), "bytes_added": bytes_again},
    ]


def build_overhead(project_dir: Path = ROOT, builds: int = 1) -> list[dict[str, Any]]:
    """Build a copy of ``project_dir`` and read the overhead the hooks recorded.

    The copy is committed to a fresh git repository so the provenance calls
    are real. Also times importing the hooks' modules in a process that already imported
    Ploomber (what a build pays once to load them).
    """
    from nbops.contracts import read_manifest

    rows = []
    with tempfile.TemporaryDirectory(prefix="nbops-ledger-bench-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(project_dir, copy, ignore=shutil.ignore_patterns(
            ".nbops", "reports", ".git", ".venv", "tests", "benchmarks", "__pycache__"))
        env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false"}
        git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run([*git, *args], cwd=copy, check=True, stdout=subprocess.DEVNULL)
        ploomber = str(Path(sys.executable).parent / "ploomber")
        for label in ["fresh build", "up-to-date build"][:max(1, builds)]:
            started = time.perf_counter()
            subprocess.run([ploomber, "build"], cwd=copy, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            run_dir = sorted((copy / "reports" / "runs").glob("2*"))[-1]
            manifest = read_manifest(run_dir / "manifest.json")
            overhead = manifest["overhead"]["open_s"] + manifest["overhead"]["close_s"]
            rows.append({
                "name": f"ledger.overhead.{label.replace(' ', '_').replace('-', '_')}",
                "what": f"ledger time inside the hooks, {label} of {project_dir.name}",
                "seconds": round(overhead, 3), "build_seconds": round(wall, 2),
                "ratio_to_build": round(overhead / max(wall - overhead, 1e-9), 4),
                "target_ratio": OVERHEAD_TARGET_RATIO, "target_seconds": OVERHEAD_TARGET_S,
            })
    code = ("import time, ploomber; t = time.perf_counter(); "
            "import nbops.hooks; from nbops.runs import close_run; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PLOOMBER_STATS_ENABLED": "false"})
    rows.append({"name": "ledger.import_hooks", "what": "importing nbops' hook modules once "
                 "Ploomber is loaded", "seconds": round(float(out.stdout.strip()), 4)})
    return rows


def run(full: bool = True) -> list[dict[str, Any]]:
    """All ledger figures; ``full`` adds two real builds of the reference pipeline.

    Under ``--quick`` (``full=False``) the snapshot uses 256 MiB instead of 1 GiB.
    """
    rows = bench_listing() + bench_snapshot(BIG_BYTES if full else BIG_BYTES // 4)
    if full:
        rows += build_overhead(builds=2)
    return rows


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))  # noqa: T201 - a benchmark script reports on stdout
