"""Make Ploomber re-run tasks whose inputs changed where Ploomber cannot see it.

Ploomber decides at render time which tasks are up to date from their source,
parameters and upstream timestamps. A query's result (``nbops.sources``) can change
while all three stay the same; after the build's snapshot shows it did, the hook
calls :func:`rerun` for the tasks that read it, so they and everything downstream of
them run in this build. Their product metadata is deleted first, so a build
interrupted before they ran still re-runs them next time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def rerun(dag: Any, names: Iterable[str]) -> list[str]:
    """Mark ``names`` and their downstream tasks to be executed; return every task marked.

    Call it after the DAG rendered (in ``on_render``), before the executor starts.
    """
    from ploomber.constants import TaskStatus

    done = {TaskStatus.Executed, TaskStatus.Skipped}
    wanted = {name for name in names if name in dag}
    marked: list[str] = []
    for name in dag:  # topological order: upstream tasks are decided first
        task = dag[name]
        upstream = list(task.upstream.values())
        if name not in wanted and not any(up.name in marked for up in upstream):
            continue
        if name in wanted:
            task.product.metadata.delete()
        ready = all(up.exec_status in done for up in upstream)
        # Ploomber's own statuses: an executor starts WaitingExecution tasks, and a task
        # that finishes moves its WaitingUpstream children on
        task._exec_status = TaskStatus.WaitingExecution if ready else TaskStatus.WaitingUpstream
        marked.append(name)
    return marked
