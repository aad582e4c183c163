"""A build ended by ``DAGBuildEarlyStop`` ends as it does without nbops: exit status 0.

A task (or task hook) raises :class:`ploomber.exceptions.DAGBuildEarlyStop` to
end a build gracefully ("nothing new to process today"). Ploomber's
``DAG._build`` then returns quietly only when the DAG has no ``on_failure``
hook; with one (nbops' ``on_failure``) it reaches a variable it never set and
the build ends in an ``UnboundLocalError`` (exit status 1).

:func:`see_early_stop` (called by ``on_render``) puts the DAG's executor behind
an :class:`EarlyStopWatch` for the build: when the executor raises the early
stop, the watch calls nbops back (the run is closed and recorded), clears the
DAG's ``on_failure`` for this build only (put back by :func:`restore_on_failure`
at the next render) and lets the early stop go on, so Ploomber returns as it
would without nbops. The DAG's own executor is back in place when the build ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_SAVED = "_nbops_on_failure"


class EarlyStopWatch:
    """Calls ``on_stop(dag, reason)`` when the wrapped executor stops the build early."""

    def __init__(self, executor: Any, on_stop: Callable[[Any, str], None]) -> None:
        self.executor = executor
        self.on_stop = on_stop

    def __call__(self, dag: Any, show_progress: bool) -> Any:
        from ploomber.exceptions import DAGBuildEarlyStop

        try:
            return self.executor(dag=dag, show_progress=show_progress)
        except DAGBuildEarlyStop as exc:
            reason = _reason(str(exc))
            try:
                self.on_stop(dag, reason)
            finally:
                setattr(dag, _SAVED, dag.on_failure)
                dag.on_failure = None  # Ploomber returns quietly only without on_failure
            raise
        finally:
            dag.executor = self.executor

    def __getattr__(self, name: str) -> Any:
        if name == "executor":
            raise AttributeError(name)
        return getattr(self.executor, name)


def _reason(text: str) -> str:
    """The message the task gave its ``DAGBuildEarlyStop`` (Ploomber quotes it in its own)."""
    marker = "DAGBuildEarlyStop: "
    for line in text.splitlines():
        if marker in line:
            return line.split(marker, 1)[1].strip()
    return "a task stopped the build"


def see_early_stop(dag: Any, on_stop: Callable[[Any, str], None]) -> None:
    """Have ``on_stop`` called when this build of ``dag`` is stopped early (see the module)."""
    restore_on_failure(dag)
    if not isinstance(dag.executor, EarlyStopWatch):
        dag.executor = EarlyStopWatch(dag.executor, on_stop)


def restore_on_failure(dag: Any) -> None:
    """Put back the ``on_failure`` hook an early-stopped earlier build of ``dag`` cleared."""
    saved = dag.__dict__.pop(_SAVED, None)
    if saved is not None and dag.on_failure is None:
        dag.on_failure = saved
