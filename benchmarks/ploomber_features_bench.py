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

    python -m benchmarks.ploomber_features_bench [--repeats N] [--only FIXTURE]
                                                 [--speedups] [--baseline-src DIR]
                                                 [--scenario forced|no_op]
                                                 [--speedups-variant]

The start-up hooks (``.pth`` lines that ``nbops init --speedups`` writes into the
environment, and ``make install`` into this repository's ``.venv``) run in every
interpreter of the environment, with or without nbops' DAG hooks in the project. A
project without nbops has none, so the ``without`` variant always runs with them off
(``NBOPS_RUNTIME=plain``; the fixture projects use Ploomber's own executor, so the
switch changes nothing else). By default the nbops variants run with them off too: a
team's project after a plain ``nbops init``, the issue's goal. ``--speedups`` measures
the project after ``nbops init --speedups``: its builds run with them.

``--baseline-src DIR`` adds a third variant, alternated with the other two: the
project with nbops imported from ``DIR`` (another checkout's ``src``, put first on
``PYTHONPATH``), so a change's before and after are measured in the same run
(``git archive HEAD src | tar -x -C /tmp/base`` keeps the code before a change).
``--speedups-variant`` adds the nbops copy built with the start-up hooks on as one more
alternated variant (both modes in one run); ``--scenario`` runs one scenario only.
"""

from __future__ import annotations

import argparse
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


#: the environment's nbops start-up hooks do nothing (``nbops.runtime.lazy_grammar``)
_NO_STARTUP_HOOKS = {"NBOPS_RUNTIME": "plain"}


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


def _copies(root: Path, fixture: str, speedups: bool, baseline: Path | None = None,
            speedups_variant: bool = False) -> list[tuple[str, Path, dict[str, str]]]:
    """(variant name, project copy, extra environment) for each variant, warmed."""
    vanilla, with_nbops = root / "vanilla" / fixture, root / "nbops" / fixture
    hooks = {} if speedups else _NO_STARTUP_HOOKS
    variants: list[tuple[str, Path, dict[str, str]]] = [
        ("without", vanilla, _NO_STARTUP_HOOKS), ("with", with_nbops, hooks)]
    if baseline is not None:
        variants.append(("baseline", root / "baseline" / fixture,
                         {**hooks, "PYTHONPATH": str(baseline)}))
    if speedups_variant:
        variants.append(("with_speedups", root / "speedups" / fixture, {}))
    for _, folder, _ in variants:
        shutil.copytree(FIXTURES / fixture, folder)
        git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run([*git, *args], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    for _, folder, _ in variants[1:]:
        subprocess.run([str(BIN / "nbops"), "init"], cwd=folder, check=True,
                       stdout=subprocess.DEVNULL)
    env = {**os.environ, **_compiled_bytecode(root)}
    for _, folder, extra in variants:  # warm: kernels' first start, products, bytecode
        subprocess.run([str(BIN / "ploomber"), "build"], cwd=folder, check=True,
                       env={**env, **extra}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return variants


SCENARIOS = {"forced": ["build", "--force"], "no_op": ["build"]}


def bench_project(fixture: str, repeats: int, speedups: bool = False,
                  baseline: Path | None = None, scenarios: tuple[str, ...] = tuple(SCENARIOS),
                  speedups_variant: bool = False) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbops-features-bench-") as tmp:
        variants = _copies(Path(tmp), fixture, speedups, baseline, speedups_variant)
        ploomber = str(BIN / "ploomber")
        env, cpu = _compiled_bytecode(Path(tmp)), _TreeCPU()
        for scenario, args in ((name, SCENARIOS[name]) for name in scenarios):
            samples = measure([Variant(name, [ploomber, *args], cwd=folder,
                                       env={**env, **extra}, before=cpu.start, after=cpu.stop)
                               for name, folder, extra in variants], repeats)
            failed = {name: summary(found)["failed"] for name, found in samples.items()}
            if any(failed.values()):  # a failed build's time means nothing
                raise SystemExit(f"{fixture}: `ploomber {' '.join(args)}` failed "
                                 f"({failed}): no figure is reported")
            without, with_ = summary(samples["without"]), summary(samples["with"])
            ratio = with_["median_s"] / without["median_s"]
            cpu_with, cpu_without = _median_cpu(samples["with"]), _median_cpu(samples["without"])
            rows.append({
                "name": f"features.{fixture}.{scenario}{'.speedups' if speedups else ''}",
                "what": f"`ploomber {' '.join(args)}` of tests/fixtures/{fixture} with nbops "
                        f"(hooks only), median of {repeats}, "
                        f"{'after nbops init --speedups' if speedups else 'after nbops init'}",
                "seconds": with_["median_s"], "min_s": with_["min_s"], "max_s": with_["max_s"],
                "vanilla_s": without["median_s"], "ratio_to_baseline": round(ratio, 3),
                "delta_s": round(with_["median_s"] - without["median_s"], 3),
                "cpu_s": cpu_with, "vanilla_cpu_s": cpu_without,
                "cpu_ratio": round(cpu_with / cpu_without, 3),
                "target_ratio": GOAL_RATIO,
            })
            if baseline is not None:
                cpu_baseline = _median_cpu(samples["baseline"])
                rows[-1].update({"baseline_s": summary(samples["baseline"])["median_s"],
                                 "baseline_cpu_s": cpu_baseline,
                                 "baseline_cpu_ratio": round(cpu_baseline / cpu_without, 3)})
            if speedups_variant:
                cpu_fast = _median_cpu(samples["with_speedups"])
                rows[-1].update({"speedups_s": summary(samples["with_speedups"])["median_s"],
                                 "speedups_cpu_s": cpu_fast,
                                 "speedups_cpu_ratio": round(cpu_fast / cpu_without, 3)})
    return rows


def run(full: bool = True) -> list[dict[str, Any]]:
    """Forced and no-op builds of both fixture projects, with ÷ without nbops, after
    ``nbops init`` and (full run only) after ``nbops init --speedups``."""
    repeats = 3 if full else 1
    return [row for speedups in ((False, True) if full else (False,)) for fixture in PROJECTS
            for row in bench_project(fixture, repeats, speedups=speedups)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="builds per variant (3)")
    parser.add_argument("--only", choices=PROJECTS, action="append",
                        help="this fixture project only (repeatable)")
    parser.add_argument("--speedups", action="store_true",
                        help="the project after nbops init --speedups (start-up hooks on "
                             "in the nbops variants)")
    parser.add_argument("--baseline-src", type=Path, metavar="DIR",
                        help="a third variant: nbops imported from DIR (another src folder)")
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), action="append",
                        help="this scenario only (repeatable)")
    parser.add_argument("--speedups-variant", action="store_true",
                        help="one more variant: the nbops copy with the start-up hooks on")
    args = parser.parse_args()
    for fixture in args.only or PROJECTS:
        for row in bench_project(fixture, args.repeats, speedups=args.speedups,
                                 baseline=args.baseline_src,
                                 scenarios=tuple(args.scenario or SCENARIOS),
                                 speedups_variant=args.speedups_variant):
            print(json.dumps(row), flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
