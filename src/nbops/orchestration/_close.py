"""``nbops run close --run RUN_ID``: the last task of a scheduled run closes it.

It runs whatever became of the other tasks (Airflow's ``all_done``). On this worker's
checkout of the project it fetches every task's files by hash, takes the run over
from the remote (:func:`nbops.runs.adopt_run`) and ends it as ``ploomber build``'s
hooks end a local build (:func:`nbops.hooks.close_and_finish`: snapshot, records,
gates and registry, model card, pages, final status and seal), with each task's status,
duration and error as the scheduler's workers recorded them. The run is then pushed
(``runs/<id>/``, as ``nbops push`` does) and its open state removed from the remote,
so ``nbops pull`` brings it to any clone, where ``verify`` and ``reproduce`` work.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from nbops.core import ContentStore, NbopsError, Project, RemoteError
from nbops.orchestration._open import kept_objects
from nbops.orchestration._remote_state import forget, read_opened, read_result
from nbops.orchestration._settings import run_settings
from nbops.orchestration._task import materialize
from nbops.remote import download_objects, open_remote, require_url

logger = logging.getLogger("nbops")


@dataclasses.dataclass
class Closed:
    """How a scheduled run ended."""

    run_id: str
    status: str  # the run's final status
    failure: Exception | None  # a post-close step's failure (gates, registry)
    message: str | None  # the run's failure message (a task's error)


def close_remote_run(project: Project, run_id: str, params: Mapping[str, object]) -> Closed:
    """Close the open run ``run_id`` of ``project`` and push its record."""
    from nbops.hooks import close_and_finish, prepare_post_close_steps
    from nbops.runs import adopt_run
    from nbops.sync import push_runs

    url = require_url(project)
    remote = open_remote(url)
    opened = read_opened(remote, run_id)
    settings = run_settings(project, params, ["nbops", "run", "close"])
    settings.check_same_env(opened["env"], run_id)
    results = {name: read_result(remote, run_id, name)
               for name in opened["build"]["tasks_in_dag"]}
    outputs = {path: digest for result in results.values() if result is not None
               for path, digest in result["outputs"].items()}
    materialize(project, remote, outputs)
    store = ContentStore(project.store_dir)
    kept = kept_objects(opened)
    download_objects(remote, store, kept - set(remote.missing_objects(kept)))

    tasks = []
    for info in settings.render(settings.load_dag()):
        result = results.get(info.name)
        if result is None:
            tasks.append(dataclasses.replace(info, status="not_run"))
        else:
            tasks.append(dataclasses.replace(
                info, status=result["status"],
                produced_by=result["produced_by"] if result["status"] == "skipped" else None))
    durations = {name: float(r["duration_s"]) for name, r in results.items()
                 if r is not None and r["status"] != "skipped" and r["duration_s"] is not None}
    errors = [f"task {name!r} failed:\n{r['error']}" for name, r in results.items()
              if r is not None and r["status"] == "failed"]
    if not errors and any(r is None for r in results.values()):
        missing = [name for name, r in results.items() if r is None]
        errors = [f"the scheduler ran the close before task(s) {', '.join(missing)} "
                  "finished: they were not run"]

    run = adopt_run(project, opened)
    steps = [step for step in prepare_post_close_steps(project, run_id, settings.env, tasks)
             if step.name != "push"]  # pushed below, whatever the project's auto_push
    failure = close_and_finish(run, tasks, durations, "\n".join(errors) or None, steps)
    pushed = push_runs(project, [run_id], url=url)
    if run_id in pushed.refused:
        raise pushed.refused[run_id]
    if run_id not in pushed.pushed and run_id not in pushed.up_to_date:
        raise RemoteError(f"run {run_id} was closed here but not pushed "
                          f"({pushed.skipped.get(run_id, 'unknown reason')})",
                          f"run `nbops push {run_id}` from {project.root}")
    forget(remote, run_id)
    from nbops.runs import load_manifest

    manifest = load_manifest(project, run_id)
    failed = manifest.get("failure")
    message = failed.get("message") if failed else None
    if failure is not None and not isinstance(failure, NbopsError):
        raise failure
    return Closed(run_id, manifest["status"], failure, message)
