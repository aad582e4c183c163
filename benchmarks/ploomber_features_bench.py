"""What nbops costs a Ploomber project that is not the reference pipeline.

Two fixture projects of ``tests/fixtures/`` (``ploomber_formats``: three notebooks,
one saved as HTML, a shell script, a folder product; ``ploomber_sql_grid``:
functions, SQL on SQLite, a grid, no notebook), each copied twice: one copy as
it is, one after ``nbops init`` (hooks only: no registry, Ploomber's own
executor). Variants run alternately (``benchmarks/harness.py``):

* ``forced``: ``ploomber build --force`` (every task executes), with ÷ without;
* ``no_op``: ``ploomber build`` with every task up to date, with ÷ without.

Each row has the wall-clock figures and the CPU (user + sys) of the whole build's
process tree, which a loaded machine inflates far less than wall time. Both variants
run with compiled bytecode (in a folder of the run, ``PYTHONPYCACHEPREFIX``), as an
installed nbops and Ploomber have: with ``PYTHONDONTWRITEBYTECODE`` set and nbops
installed from a checkout, every build would compile nbops' modules from source
again (≈0.1 s), a cost no pip-installed nbops has.

    python -m benchmarks.ploomber_features_bench
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import BIN, Variant, measure, summary

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
PROJECTS = ("ploomber_formats", "ploomber_sql_grid")
GOAL_RATIO = 1.05  # the goal for a project without a registry


def _compiled_bytecode(root: Path) -> dict[str, str]:
    """The environment of every build: bytecode written and read under ``root``."""
    return {"PYTHONPYCACHEPREFIX": str(root / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}


class _TreeCPU:
    """CPU seconds (user + sys) of the commands run between ``start`` and ``stop``: the
    harness runs one command at a time, so the reaped children are that command's tree."""

    def __init__(self) -> None:
        self._at = 0.0

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self._at = self._children()

    def stop(self) -> dict[str, Any]:
        return {"cpu_s": self._children() - self._at}


def _median_cpu(samples: list[Any]) -> float:
    return round(statistics.median(sample.detail["cpu_s"] for sample in samples), 3)


def _copies(root: Path, fixture: str) -> tuple[Path, Path]:
    vanilla, with_nbops = root / "vanilla" / fixture, root / "nbops" / fixture
    for folder in (vanilla, with_nbops):
        shutil.copytree(FIXTURES / fixture, folder)
        git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run([*git, *args], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(BIN / "nbops"), "init"], cwd=with_nbops, check=True,
                   stdout=subprocess.DEVNULL)
    env = {**os.environ, **_compiled_bytecode(root)}
    for folder in (vanilla, with_nbops):  # warm: kernels' first start, products, bytecode
        subprocess.run([str(BIN / "ploomber"), "build"], cwd=folder, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return vanilla, with_nbops


def bench_project(fixture: str, repeats: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbops-features-bench-") as tmp:
        vanilla, with_nbops = _copies(Path(tmp), fixture)
        ploomber = str(BIN / "ploomber")
        env, cpu = _compiled_bytecode(Path(tmp)), _TreeCPU()
        for scenario, args in (("forced", ["build", "--force"]), ("no_op", ["build"])):
            samples = measure([Variant(name, [ploomber, *args], cwd=folder, env=env,
                                       before=cpu.start, after=cpu.stop)
                               for name, folder in (("without", vanilla), ("with", with_nbops))],
                              repeats)
            without, with_ = summary(samples["without"]), summary(samples["with"])
            if without["failed"] or with_["failed"]:  # a failed build's time means nothing
                raise SystemExit(f"{fixture}: `ploomber {' '.join(args)}` failed "
                                 f"({without['failed']} without nbops, {with_['failed']} "
                                 "with it): no figure is reported")
            ratio = with_["median_s"] / without["median_s"]
            cpu_with, cpu_without = _median_cpu(samples["with"]), _median_cpu(samples["without"])
            rows.append({
                "name": f"features.{fixture}.{scenario}",
                "what": f"`ploomber {' '.join(args)}` of tests/fixtures/{fixture} with nbops "
                        f"(hooks only), median of {repeats}",
                "seconds": with_["median_s"], "min_s": with_["min_s"], "max_s": with_["max_s"],
                "vanilla_s": without["median_s"], "ratio_to_baseline": round(ratio, 3),
                "delta_s": round(with_["median_s"] - without["median_s"], 3),
                "cpu_s": cpu_with, "vanilla_cpu_s": cpu_without,
                "cpu_ratio": round(cpu_with / cpu_without, 3),
                "target_ratio": GOAL_RATIO,
            })
    return rows


def run(full: bool = True) -> list[dict[str, Any]]:
    """Forced and no-op builds of both fixture projects, with ÷ without nbops."""
    repeats = 3 if full else 1
    return [row for fixture in PROJECTS for row in bench_project(fixture, repeats)]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))  # noqa: T201
