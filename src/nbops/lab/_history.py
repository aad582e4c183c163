"""One notebook's past: its runs, their parameters cell, and two runs diffed cell by cell.

The list comes from the run index (one line per run, each with its tasks'
outcomes), never from every manifest; a single run's manifest is read (with its
seal checked, :func:`nbops.runs.load_manifest`) only when one run is opened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.contracts import RunSummary, TaskOutcome, UserValues
from nbops.core import LedgerError, Project

if TYPE_CHECKING:
    from nbops.lab._answers import ParametersCell, TaskRun

#: a task's outcomes that mean its notebook ran in that run
RAN = ("executed", "failed")


def _task_outcome(project: Project, summary: RunSummary, task: str) -> TaskOutcome | None:
    tasks = summary.get("tasks")
    if tasks is None:  # an index line written before the index recorded tasks
        from nbops.runs import load_manifest

        try:
            manifest = load_manifest(project, summary["run_id"])
        except LedgerError:
            return None
        tasks = {name: {"status": entry["status"], "duration_s": entry["duration_s"]}
                 for name, entry in manifest["tasks"].items()}
    return tasks.get(task)


def task_runs(project: Project, summaries: list[RunSummary], task: str,
              limit: int = 50) -> list[TaskRun]:
    """The newest ``limit`` runs in which ``task``'s notebook ran, newest first."""
    found: list[TaskRun] = []
    for summary in reversed(summaries):
        outcome = _task_outcome(project, summary, task)
        if outcome is None or outcome["status"] not in RAN:
            continue
        found.append({
            "run_id": summary["run_id"], "started_at": summary["started_at"],
            "run_status": summary["status"], "status": outcome["status"],
            "duration_s": outcome["duration_s"], "params": summary.get("params", {}),
            "metrics": summary["metrics"],
        })
        if len(found) >= limit:
            break
    return found


def _executed_notebook(project: Project, run_id: str, task: str) -> tuple[Path, UserValues]:
    """The run's stored copy of ``task``'s executed notebook, and the task's parameters."""
    from nbops.runs import load_manifest, resolve_run

    run_id = resolve_run(project, run_id)
    manifest = load_manifest(project, run_id)
    entry = manifest["tasks"].get(task)
    if entry is None:
        raise LedgerError(f"run {run_id} has no task {task!r}",
                          "pick a run of this notebook from the panel's list")
    if not entry["notebook"]:
        raise LedgerError(f"run {run_id} kept no executed notebook of {task} "
                          f"(the task was {entry['status']})",
                          "pick a run in which the notebook ran")
    path = project.run_dir(run_id) / entry["notebook"]["path"]
    return path, manifest["params"].get(task, {})


def executed_notebook_path(project: Project, run_id: str, task: str) -> str:
    """Where ``task``'s executed notebook of ``run_id`` is, relative to the project."""
    path, _ = _executed_notebook(project, run_id, task)
    return project.relative(path)


def parameters_cell(project: Project, run_id: str, task: str) -> ParametersCell:
    """The injected-parameters cell ``task`` ran with in ``run_id`` (secrets redacted).

    That cell, as Papermill wrote it into the executed notebook, holds what the step
    received: its parameters, ``upstream`` and ``product``. The panel puts it in
    place of the one Ploomber injects now, to re-run the step as that run did.
    """
    from nbops.adapters import is_injected_parameters

    path, params = _executed_notebook(project, run_id, task)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if is_injected_parameters(cell):
            source = cell["source"]
            return {"run_id": run_id, "task": task, "params": params,
                    "source": source if isinstance(source, str) else "".join(source)}
    raise LedgerError(f"the notebook of {task} in run {run_id} has no injected parameters "
                      "cell", "pick another run")


def diff_page(project: Project, task: str, run_a: str, run_b: str) -> str:
    """``task``'s notebook of ``run_b`` against ``run_a``'s, cell by cell (an HTML page)."""
    from nbops.reports import notebook_diff_page

    a_path, a_params = _executed_notebook(project, run_a, task)
    b_path, b_params = _executed_notebook(project, run_b, task)
    return notebook_diff_page(task, a_path, b_path, run_a, run_b, a_params, b_params)
