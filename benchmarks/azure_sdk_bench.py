"""What the ``azure`` extra costs every build: papermill imports the Azure SDK at start-up.

* ``azure_sdk.build_without``: ``ploomber build`` of a one-notebook project (the baseline);
* ``azure_sdk.build_with``: the same build with the extra importable (``PYTHONPATH`` =
  ``.cache/azure-extra``, where ``.ci/install-azurite`` puts it), ``ratio_to_baseline``
  against the first. Interleaved, median of N each; ``cpu_s`` is the build's CPU time (user
  + system of the whole process tree), which a busy machine disturbs far less than wall time.

This is why ``make lock`` leaves the extra out of the repository's environment (see the
Makefile). Run: ``python -m benchmarks.azure_sdk_bench [--quick]``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXTRA = ROOT / ".cache" / "azure-extra"

PIPELINE = """
executor:
  dotted_path: ploomber.executors.Serial
  build_in_subprocess: false
on_render: nbops.hooks.on_render
on_finish: nbops.hooks.on_finish
on_failure: nbops.hooks.on_failure
tasks:
  - source: notebooks/step.py
    name: step
    product:
      nb: .nbops/products/step.ipynb
      data: .nbops/products/step.txt
"""

NOTEBOOK = """# %% tags=["parameters"]
upstream = None
product = None

# %%
with open(product["data"], "w") as out:
    out.write("ok")
"""


def _project(folder: Path) -> Path:
    root = folder / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(PIPELINE)
    (root / "notebooks" / "step.py").write_text(NOTEBOOK)
    return root


def _build(root: Path, with_sdk: bool) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    if with_sdk:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(EXTRA), env.get("PYTHONPATH")) if p)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "ploomber"), "build", "--force"], cwd=root, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per variant."""
    if not (EXTRA / "adlfs").is_dir():
        raise RuntimeError(f"{EXTRA} is missing: run `bash .ci/install-azurite`")
    repeats = 7 if full else 3
    samples: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="nbops-azure-bench-") as tmp:
        root = _project(Path(tmp))
        _build(root, False)  # warm-up: bytecode, the first run's folders
        for _ in range(repeats):
            for with_sdk in (False, True):
                samples[with_sdk].append(_build(root, with_sdk))
    rows = []
    base_wall = statistics.median(w for w, _ in samples[False])
    base_cpu = statistics.median(c for _, c in samples[False])
    for with_sdk, name in ((False, "azure_sdk.build_without"), (True, "azure_sdk.build_with")):
        walls = [w for w, _ in samples[with_sdk]]
        cpu = statistics.median(c for _, c in samples[with_sdk])
        rows.append({
            "name": name, "seconds": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3), "max_s": round(max(walls), 3),
            "ratio_to_baseline": round(statistics.median(walls) / base_wall, 3),
            "cpu_s": round(cpu, 3), "cpu_ratio": round(cpu / base_cpu, 3),
            "what": f"ploomber build --force of one notebook, median of {repeats}, "
                    + ("the azure extra importable" if with_sdk else "no Azure SDK"),
        })
    return rows


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))
