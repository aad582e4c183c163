"""The team remote against plain fsspec, on a real S3 server (SeaweedFS on 127.0.0.1).

* ``remote.push_big`` vs ``remote.fsspec_put``: ``nbops push`` of a run whose product is
  a 1 GiB file (256 MiB with ``--quick``), to a fresh bucket, against ``fs.put_file`` of
  the same file to the same server (target ≤ 1.25×);
* ``remote.pull_big`` vs ``remote.fsspec_get``: ``nbops pull`` of that run into a fresh
  clone (every byte re-hashed) against ``fs.get_file`` (target ≤ 1.25×);
* ``remote.push_unchanged``: the second push of the same run (target: 0 object bytes);
* ``remote.runs_10000``: ``nbops runs --remote`` (the whole command, a new process) with
  10,000 runs in the remote's index (target < 2 s; ``cpu_s`` is the command's own CPU
  time, user + system, which is what wall time approaches on an idle machine).

Run: ``python -m benchmarks.remote_bench [--quick]``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RUNS = 10_000

PIPELINE = """
executor:
  dotted_path: ploomber.executors.Serial
  build_in_subprocess: false
on_render: nbops.hooks.on_render
on_finish: nbops.hooks.on_finish
on_failure: nbops.hooks.on_failure
tasks:
  - source: notebooks/big.py
    name: big
    product:
      nb: .nbops/products/big.ipynb
      data: .nbops/products/big.bin
    params:
      size_mb: {size_mb}
"""

NOTEBOOK = """# %% tags=["parameters"]
upstream = None
product = None
size_mb = 1

# %%
import os
with open(product["data"], "wb") as out:
    for _ in range(int(size_mb)):
        out.write(os.urandom(1 << 20))
"""


def _env(server: Any, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return {**base, "PLOOMBER_STATS_ENABLED": "false", **server.env(**extra)}


def _project(folder: Path, size_mb: int) -> Path:
    root = folder / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(PIPELINE.format(size_mb=size_mb))
    (root / "notebooks" / "big.py").write_text(NOTEBOOK)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", "commit",
                    "-qm", "bench"], cwd=root, check=True)
    done = subprocess.run([str(BIN / "ploomber"), "build"], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PLOOMBER_STATS_ENABLED": "false"})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return root


def _row(name: str, seconds: float, what: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "seconds": round(seconds, 3), "what": what, **extra}


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per figure."""
    sys.path.insert(0, str(ROOT / "tests"))
    from seaweed_server import running_seaweedfs

    size_mb = 1024 if full else 256
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nbops-remote-bench-") as tmp:
        folder = Path(tmp)
        with running_seaweedfs(folder / "seaweedfs") as server:
            saved = dict(os.environ)
            os.environ.update(server.env())
            try:
                rows += _transfer(server, folder, size_mb)
                rows += _listing(server, folder)
            finally:
                os.environ.clear()
                os.environ.update(saved)
    return rows


def _transfer(server: Any, folder: Path, size_mb: int) -> list[dict[str, Any]]:
    from nbops.core import Project
    from nbops.remote import open_remote
    from nbops.sync import pull_runs, push_runs

    root = _project(folder, size_mb)
    big = root / ".nbops" / "products" / "big.bin"
    bucket = server.new_bucket()
    url = f"s3://{bucket}/team"
    fs = open_remote(url).fs

    start = time.perf_counter()
    fs.put_file(str(big), f"{bucket}/plain/big.bin")
    plain_put = time.perf_counter() - start

    start = time.perf_counter()
    first = push_runs(Project(root), url=url)
    push_s = time.perf_counter() - start

    start = time.perf_counter()
    second = push_runs(Project(root), url=url)
    again_s = time.perf_counter() - start

    target = folder / "got.bin"
    start = time.perf_counter()
    fs.get_file(f"{bucket}/plain/big.bin", str(target))
    plain_get = time.perf_counter() - start
    target.unlink()

    clone = folder / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    start = time.perf_counter()
    pulled = pull_runs(Project(clone), url=url)
    pull_s = time.perf_counter() - start
    assert pulled.pulled == first.pushed
    shutil.rmtree(clone)
    label = f"{size_mb} MiB"
    return [
        _row("remote.fsspec_put", plain_put, f"baseline: fs.put_file of the {label} file"),
        _row("remote.push_big", push_s, f"nbops push of a run with a {label} product",
             ratio_to_baseline=round(push_s / plain_put, 3), target_ratio=1.25,
             bytes_uploaded=first.bytes_uploaded),
        _row("remote.push_unchanged", again_s, "second push of the same run",
             bytes_uploaded=second.bytes_uploaded, target_bytes=0),
        _row("remote.fsspec_get", plain_get, f"baseline: fs.get_file of the {label} file"),
        _row("remote.pull_big", pull_s, "nbops pull of that run into a fresh clone (re-hashed)",
             ratio_to_baseline=round(pull_s / plain_get, 3), target_ratio=1.25,
             bytes_downloaded=pulled.bytes_downloaded),
    ]


def _listing(server: Any, folder: Path) -> list[dict[str, Any]]:
    from nbops.remote import INDEX_KEY, open_remote

    bucket = server.new_bucket()
    url = f"s3://{bucket}/team"
    entry = {"schema_version": 1, "status": "succeeded", "started_at": "2026-01-01T00:00:00Z",
             "finished_at": "2026-01-01T00:01:00Z", "duration_s": 60.0, "executed": 5,
             "skipped": 0, "failed": 0, "pid": 1, "host": "ci",
             "metrics": {"roc_auc": 0.81, "pr_auc": 0.55, "f1": 0.5, "brier": 0.12},
             "manifest_hash": "blake3:" + "0" * 64, "contents_hash": "blake3:" + "1" * 64,
             "pushed_at": "2026-01-01T00:02:00Z", "pushed_from": "ci"}
    runs = {f"2026010{1 + n // 100000}T{n:06d}000000Z-abcdef": {
        **entry, "run_id": f"2026010{1 + n // 100000}T{n:06d}000000Z-abcdef"}
        for n in range(RUNS)}
    data = json.dumps({"schema_version": 1, "runs": runs}).encode("utf-8")
    open_remote(url).put_bytes(INDEX_KEY, data)
    project = folder / "listing"
    project.mkdir()
    (project / "pipeline.yaml").write_text("tasks: []\n")
    times, cpu = [], []
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "nbops"), "runs", "--remote"], cwd=project,
                              env=_env(server, NBOPS_REMOTE=url), capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("\n") == RUNS + 1
    times.sort()
    cpu.sort()
    return [_row("remote.runs_10000", times[1], f"nbops runs --remote, {RUNS} runs "
                 f"({len(data) // 1024} KiB index)", min_s=round(times[0], 3),
                 max_s=round(times[-1], 3), target_seconds=2.0,
                 cpu_s=round(cpu[1], 3))]


if __name__ == "__main__":
    for item in run(full="--quick" not in sys.argv):
        print(json.dumps(item))
