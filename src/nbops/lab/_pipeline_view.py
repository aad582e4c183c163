"""``GET /nbops/api/pipeline``: each task's state, its last run, and the build under way.

A task's state, in this order of precedence:

* ``running``: a build is under way (from the lab or a terminal) and will run it;
* ``failed``: its notebook failed the last time it ran;
* ``out of date``: ``ploomber build`` would execute it, with the reasons
  (``code``, ``params``, ``upstream``, ``no product``);
* ``up to date``.

Runs are read from the run index only (one line per run), so a ledger with
thousands of runs answers as fast as one with ten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbops.contracts import RunSummary
from nbops.core import Project

if TYPE_CHECKING:
    from nbops.lab._answers import BuildProgress, LastRun, PipelineView, TaskView

UNFINISHED = ("running", "closing")


def _last_runs(summaries: list[RunSummary], names: list[str]) -> dict[str, LastRun]:
    """Each task's latest run in which it ran (executed or failed), newest first search."""
    last: dict[str, LastRun] = {}
    for summary in reversed(summaries):
        tasks = summary.get("tasks")
        if tasks is None:  # index lines from before tasks were recorded: not searched
            continue
        for name in names:
            entry = tasks.get(name)
            if name in last or entry is None or entry["status"] not in ("executed", "failed"):
                continue
            last[name] = {"run_id": summary["run_id"], "started_at": summary["started_at"],
                          "status": entry["status"], "duration_s": entry["duration_s"],
                          "run_status": summary["status"]}
        if len(last) == len(names):
            break
    return last


def _state(task: Any, last: LastRun | None, busy: set[str]) -> str:
    if task.name in busy:
        return "running"
    if last is not None and last["status"] == "failed" and task.outdated:
        return "failed"
    return "out of date" if task.outdated else "up to date"


def pipeline_view(project: Project, states: list[Any], summaries: list[RunSummary],
                  build: BuildProgress | None) -> PipelineView:
    """The panel's pipeline: tasks with states, the latest run, the build under way.

    Args:
        states: :func:`nbops.adapters.task_states` of the project.
        summaries: the run index, oldest first.
        build: the progress of the lab's latest build, if one is running.
    """
    names = [state.name for state in states]
    last = _last_runs(summaries, names)
    busy: set[str] = set()
    if build is not None and build["running"]:
        busy = {name for name, word in build["tasks"].items() if word in ("running", "waiting")}
    outside = next((s for s in reversed(summaries) if s["status"] in UNFINISHED), None)
    if outside is not None and not busy:  # a build from a terminal: every outdated task
        busy = {state.name for state in states if state.outdated}
    tasks: list[TaskView] = [{
        "name": state.name, "state": _state(state, last.get(state.name), busy),
        "reasons": state.reasons, "upstream": state.upstream, "source": state.source,
        "kind": state.kind, "last_run": last.get(state.name),
    } for state in states]
    latest = summaries[-1] if summaries else None
    return {
        "project": project.name,
        "tasks": tasks,
        "runs": len(summaries),
        "latest_run": None if latest is None else {
            "run_id": latest.get("run_id"), "status": latest.get("status"),
            "started_at": latest.get("started_at"), "duration_s": latest.get("duration_s")},
        "build": build,
        "running_elsewhere": None if outside is None or build is not None and build["running"]
        else {"run_id": outside["run_id"], "pid": outside.get("pid")},
    }
