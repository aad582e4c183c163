"""Speed and scale of notebook execution (issue 8).

Scenarios, each comparing variants alternately in one invocation:

* ``chain10`` / ``fanout10``: ten trivial notebooks in a chain / side by side,
  vanilla Ploomber + Papermill against the nbops executor; forced builds and
  no-op rebuilds, giving the per-notebook overhead
  ``(forced wall − no-op wall − cell time) / 10``;
* ``reference``: the reference pipeline's fresh build — plain Python scripts
  in sequence (the floor), vanilla Ploomber + Papermill, the nbops executor
  alone, and nbops as shipped (executor + run ledger, reports, gates);
* ``reference_rebuild``: no-op rebuild and one-notebook-changed rebuild;
* ``reference_rows``: nbops at 100,000 and 1,000,000 rows (time, peak memory).

Run through ``python -m benchmarks`` (all modules) or ``python -m benchmarks.engine_bench``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from benchmarks.harness import BIN, Sample, Variant, measure, summary

ROOT = Path(__file__).resolve().parents[1]
NBOPS_EXECUTOR = {"dotted_path": "nbops.engine.executor.NbopsExecutor", "workers": 2}
OVERHEAD_TARGET_S = 0.25
SCRIPTS_RATIO_TARGET = 1.3
NOOP_EXTRA_TARGET_S = 0.3


# -- projects ---------------------------------------------------------------
def trivial_project(root: Path, shape: str, n: int = 10) -> Path:
    """``n`` two-cell notebooks, chained (``chain``) or independent (``fanout``)."""
    root.mkdir(parents=True, exist_ok=True)
    tasks = []
    for i in range(n):
        upstream = f"[\"t{i - 1}\"]" if shape == "chain" and i else "None"
        (root / f"t{i}.py").write_text(
            "# %% tags=[\"parameters\"]\n"
            f"upstream = {upstream}\nproduct = None\n\n"
            f"# %%\nvalue = {i}\n"
            + ("print(upstream)\n" if upstream != "None" else "")
        )
        tasks.append({"source": f"t{i}.py", "product": f"out/t{i}.ipynb"})
    _write_spec(root / "pipeline.vanilla.yaml", {"tasks": tasks})
    _write_spec(root / "pipeline.parallel.yaml", {"executor": "parallel", "tasks": tasks})
    _write_spec(root / "pipeline.nbops.yaml", {"executor": NBOPS_EXECUTOR, "tasks": tasks})
    return root


def reference_project(root: Path) -> Path:
    """A copy of the reference pipeline with one spec file per variant."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "env.yaml", root / "env.yaml")
    shutil.copy(ROOT / "model_card.yaml", root / "model_card.yaml")
    shipped = yaml.safe_load((ROOT / "pipeline.yaml").read_text())
    shutil.copy(ROOT / "pipeline.yaml", root / "pipeline.yaml")
    bare = {k: v for k, v in shipped.items()
            if k not in {"executor", "on_render", "on_finish", "on_failure"}}
    _write_spec(root / "pipeline.vanilla.yaml", bare)
    _write_spec(root / "pipeline.engine.yaml", {"executor": shipped.get("executor",
                                                                      NBOPS_EXECUTOR), **bare})
    return root


def reference_scripts(project: Path) -> list[Path]:
    """The reference notebooks as plain scripts, parameters injected as Ploomber would."""
    code = (
        "import json\n"
        "from ploomber.spec import DAGSpec\n"
        "dag = DAGSpec('pipeline.vanilla.yaml').to_dag()\n"
        "dag.render(force=True, show_progress=False)\n"
        "out = []\n"
        "for name in dag:\n"
        "    nb = json.loads(dag[name].source.nb_str_rendered)\n"
        "    cells = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']\n"
        "    lines = [line for c in cells for line in c.splitlines()\n"
        "             if not line.lstrip().startswith(('%', '!'))]\n"
        "    out.append([name, '\\n'.join(lines) + '\\n'])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True,
        env={**os.environ, "PLOOMBER_STATS_ENABLED": "false"},
    )
    scripts_dir = project / "scripts"
    scripts_dir.mkdir(exist_ok=True)
    paths = []
    for i, (name, source) in enumerate(json.loads(result.stdout.strip().splitlines()[-1])):
        path = scripts_dir / f"{i:02d}_{name}.py"
        path.write_text(source)
        paths.append(path)
    runner = scripts_dir / "run_all.sh"
    runner.write_text("set -e\n" + "".join(f"{sys.executable} {p}\n" for p in paths))
    return paths


# -- scenarios --------------------------------------------------------------
def bench_trivial(shape: str, repeats: int) -> list[dict[str, Any]]:
    """Ten trivial notebooks: forced builds and no-op rebuilds, vanilla vs nbops."""
    with tempfile.TemporaryDirectory(prefix=f"nbops-bench-{shape}-") as tmp:
        variants_names = ["vanilla", "nbops"] + (["parallel"] if shape == "fanout" else [])
        projects = {n: trivial_project(Path(tmp) / n, shape) for n in variants_names}
        forced = measure([_ploomber(n, projects[n], f"pipeline.{n}.yaml", "--force",
                                    after=_cell_time(projects[n]))
                          for n in variants_names], repeats)
        noop = measure([_ploomber(n, projects[n], f"pipeline.{n}.yaml")
                        for n in variants_names], repeats)
    rows = []
    base = summary(forced["vanilla"])
    for name in variants_names:
        f, z = summary(forced[name]), summary(noop[name])
        cell_s = _median([s.detail.get("cell_s", 0.0) for s in forced[name]])
        per_nb = (f["median_s"] - z["median_s"] - cell_s) / 10
        row = _row(f"engine.{shape}10.{name}", f"10 trivial notebooks ({shape}), forced build, "
                   f"{name}", forced[name], base_median=base["median_s"])
        row["per_notebook_overhead_s"] = round(per_nb, 3)
        row["cell_time_s"] = round(cell_s, 3)
        if name == "nbops":
            row["target_seconds"] = OVERHEAD_TARGET_S
            row["ratio_to_target"] = round(per_nb / OVERHEAD_TARGET_S, 3)
        rows.append(row)
        rows.append(_row(f"engine.{shape}10.noop.{name}",
                         f"10 trivial notebooks ({shape}), no-op rebuild, {name}", noop[name],
                         base_median=summary(noop["vanilla"])["median_s"]))
    return rows


def bench_reference(repeats: int) -> list[dict[str, Any]]:
    """Fresh builds of the reference pipeline: scripts floor, vanilla, engine, nbops."""
    with tempfile.TemporaryDirectory(prefix="nbops-bench-ref-") as tmp:
        projects = {n: reference_project(Path(tmp) / n)
                    for n in ("scripts", "vanilla", "engine", "nbops")}
        reference_scripts(projects["scripts"])
        fresh = measure([
            Variant("scripts", ["bash", "scripts/run_all.sh"], cwd=projects["scripts"],
                    env={"MPLBACKEND": "Agg"}, before=_clean(projects["scripts"])),
            _ploomber("vanilla", projects["vanilla"], "pipeline.vanilla.yaml", "--force"),
            _ploomber("engine", projects["engine"], "pipeline.engine.yaml", "--force"),
            _ploomber("nbops", projects["nbops"], "pipeline.yaml", "--force"),
        ], repeats)
        floor = summary(fresh["scripts"])["median_s"]
        rows = [_row(f"engine.reference.fresh.{n}", f"reference pipeline fresh build, {what}",
                     fresh[n], base_median=floor)
                for n, what in [("scripts", "plain Python scripts in sequence (floor)"),
                                ("vanilla", "vanilla Ploomber + Papermill"),
                                ("engine", "nbops executor, no ledger hooks"),
                                ("nbops", "nbops as shipped (executor + ledger, reports, gates)")]]
        for row in rows[2:]:
            row["target_ratio"] = SCRIPTS_RATIO_TARGET
        rows += bench_rebuilds(projects, repeats)
    return rows


def bench_rebuilds(projects: dict[str, Path], repeats: int) -> list[dict[str, Any]]:
    """No-op and one-notebook-changed rebuilds of already built reference projects.

    No-op rebuilds take 3 s and their target is a difference of 0.3 s, about the
    spread of one sample on a shared machine, so they get ``2 * repeats + 1`` samples.
    """
    noop = measure([
        _ploomber("vanilla", projects["vanilla"], "pipeline.vanilla.yaml"),
        _ploomber("engine", projects["engine"], "pipeline.engine.yaml"),
        _ploomber("nbops", projects["nbops"], "pipeline.yaml"),
    ], 2 * repeats + 1)
    base = summary(noop["vanilla"])["median_s"]
    rows = [_row(f"engine.reference.noop.{n}", f"reference pipeline no-op rebuild, {n}",
                 noop[n], base_median=base) for n in ("vanilla", "engine", "nbops")]
    for row in rows[1:]:
        row["extra_over_vanilla_s"] = round(row["median_s"] - base, 3)
        row["target_extra_s"] = NOOP_EXTRA_TARGET_S
    changed = measure([
        _ploomber(n, projects[n], spec, before=_touch_last(projects[n]))
        for n, spec in (("vanilla", "pipeline.vanilla.yaml"), ("engine", "pipeline.engine.yaml"),
                        ("nbops", "pipeline.yaml"))
    ], repeats)
    base = summary(changed["vanilla"])["median_s"]
    rows += [_row(f"engine.reference.one_changed.{n}",
                  f"reference pipeline, last notebook edited, rebuild, {n}", changed[n],
                  base_median=base) for n in ("vanilla", "engine", "nbops")]
    return rows


def bench_rows(rows_list: list[int]) -> list[dict[str, Any]]:
    """nbops fresh builds of the reference pipeline at larger data sizes (one each)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="nbops-bench-rows-") as tmp:
        for rows in rows_list:
            project = reference_project(Path(tmp) / f"r{rows}")
            samples = measure([_ploomber(f"nbops@{rows:,}", project, "pipeline.yaml", "--force",
                                         "--env--data--rows", str(rows))], 1)
            row = _row(f"engine.reference.rows_{rows}", f"reference pipeline, nbops, "
                       f"{rows:,} rows", samples[f"nbops@{rows:,}"])
            out.append(row)
    return out


# -- helpers ----------------------------------------------------------------
def _ploomber(name: str, cwd: Path, spec: str, *args: str,
              before: Callable[[], None] | None = None,
              after: Callable[[], dict[str, Any]] | None = None) -> Variant:
    return Variant(name, [str(BIN / "ploomber"), "build", "-e", spec, *args], cwd=cwd,
                   before=before, after=after)


def _cell_time(project: Path) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        total = 0.0
        for path in (project / "out").glob("*.ipynb"):
            nb = json.loads(path.read_text())
            total += sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
                         for c in nb["cells"])
        return {"cell_s": total}
    return read


def _clean(project: Path) -> Callable[[], None]:
    def clean() -> None:
        shutil.rmtree(project / ".nbops" / "products", ignore_errors=True)
        (project / ".nbops" / "products").mkdir(parents=True, exist_ok=True)
    return clean


def _touch_last(project: Path) -> Callable[[], None]:
    """Edit the last notebook so that exactly one task is outdated."""
    def touch() -> None:
        path = project / "notebooks" / "evaluate.py"
        path.write_text(path.read_text() + "\n# edited by the benchmark\n")
    return touch


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else 0.0


def _row(name: str, what: str, samples: list[Sample],
         base_median: float | None = None) -> dict[str, Any]:
    s = summary(samples)
    row: dict[str, Any] = {"name": name, "what": what, "seconds": s["median_s"], **s}
    if base_median:
        row["ratio_to_baseline"] = round(s["median_s"] / base_median, 3)
    return row


def _write_spec(path: Path, spec: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def run(full: bool = True, repeats: int = 3) -> list[dict[str, Any]]:
    """All engine scenarios; ``full=False`` runs each once and skips 1,000,000 rows."""
    reps = repeats if full else 1
    rows = bench_trivial("chain", reps) + bench_trivial("fanout", reps)
    rows += bench_reference(max(1, reps - 1) if full else 1)
    rows += bench_rows([100_000, 1_000_000] if full else [100_000])
    return rows


if __name__ == "__main__":
    for row in run(full="--quick" not in sys.argv):
        print(json.dumps(row))  # noqa: T201 - a command-line report
