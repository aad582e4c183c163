"""What the live view costs a build: the running page, live.json and the site at the start,
a thread that looks at the tasks twice a second, a rewrite of both as each task starts and
ends, and the page's marks removed at the end.

* ``live_view.build_off``: ``ploomber build --force`` of a three-notebook chain with
  ``NBOPS_LIVE_VIEW=off`` (the baseline: pages and site written once, at the end);
* ``live_view.build_on``: the same build with the live view (the default),
  ``ratio_to_baseline`` against the first; ``cpu_s`` is the build's CPU time (user + system of
  the whole process tree, kernels included), which a busy machine disturbs far less than
  wall time; ``live_writes`` is how many times live.json was written.

Interleaved, median of N each. Run: ``python -m benchmarks.live_view_bench [--quick]``.
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

BIN = Path(sys.executable).parent

PIPELINE = """
executor:
  dotted_path: ploomber.executors.Serial
  build_in_subprocess: false
on_render: nbops.hooks.on_render
on_finish: nbops.hooks.on_finish
on_failure: nbops.hooks.on_failure
tasks:
""" + "".join(f"""
  - source: notebooks/step{n}.py
    name: step{n}
    product:
      nb: .nbops/products/step{n}.ipynb
      data: .nbops/products/step{n}.txt
""" for n in (1, 2, 3))

NOTEBOOK = """# %% tags=["parameters"]
upstream = {upstream}
product = None

# %%
import time

time.sleep(0.5)  # a notebook that takes a moment: the live thread looks meanwhile
with open(product["data"], "w") as out:
    out.write("ok")
"""


def _project(folder: Path) -> Path:
    root = folder / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(PIPELINE)
    for n in (1, 2, 3):
        upstream = "None" if n == 1 else f'["step{n - 1}"]'
        (root / "notebooks" / f"step{n}.py").write_text(NOTEBOOK.format(upstream=upstream))
    return root


def _build(root: Path, live: bool) -> tuple[float, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    if not live:
        env["NBOPS_LIVE_VIEW"] = "off"
    log = root / "points.log"
    log.unlink(missing_ok=True)
    env["NBOPS_CRASH_POINTS_LOG"] = str(log)  # counts the durable writes (no crash)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "ploomber"), "build", "--force"], cwd=root, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    writes = log.read_text().split().count("live.status_written") if log.is_file() else 0
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), writes


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per variant."""
    repeats = 7 if full else 3
    samples: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="nbops-live-bench-") as tmp:
        root = _project(Path(tmp))
        _build(root, False)  # warm-up: bytecode, the first run's folders
        for _ in range(repeats):
            for live in (False, True):
                samples[live].append(_build(root, live))
    base_wall = statistics.median(w for w, _, _ in samples[False])
    base_cpu = statistics.median(c for _, c, _ in samples[False])
    rows = []
    for live, name in ((False, "live_view.build_off"), (True, "live_view.build_on")):
        walls = [w for w, _, _ in samples[live]]
        cpu = statistics.median(c for _, c, _ in samples[live])
        rows.append({
            "name": name, "seconds": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3), "max_s": round(max(walls), 3),
            "ratio_to_baseline": round(statistics.median(walls) / base_wall, 3),
            "cpu_s": round(cpu, 3), "cpu_ratio": round(cpu / base_cpu, 3),
            "live_writes": statistics.median(n for _, _, n in samples[live]),
            "what": f"ploomber build --force of three chained notebooks, median of {repeats}, "
                    + ("live view on (default)" if live else "NBOPS_LIVE_VIEW=off"),
        })
    return rows


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))
