"""The post-close step protocol: what a feature implements to act once a build closes.

A step is a small object with a ``name`` and two methods (compare Papermill's
engines or kedro's hook specs)::

    class MyStep:
        name = "my_feature"

        def prepare(self, ctx: OpenContext) -> None:   # at on_render, while notebooks run
            ...
        def run(self, ctx: RunContext) -> None:        # once the run is closing
            ctx.update(MY_SECTION, {...})              # a typed, validated manifest section

State a step needs between the two calls (a helper process, a cache) lives on
the step object: :data:`nbops.hooks.POST_CLOSE_STEPS` lists *factories*, and
each build makes fresh steps. A step that raises
:class:`~nbops.core._errors.NbopsError` fails the build after the remaining
steps ran; ``ctx.set_outcome("gated")`` changes the verdict the run closes with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from nbops.adapters import TaskInfo
from nbops.core import Project
from nbops.runs._context import JsonObject, RunContext


@dataclass(frozen=True)
class OpenContext:
    """What a step's ``prepare`` sees: the run that just opened and the build's plan.

    Attributes:
        project: the project's paths.
        run_id: the run's id.
        env: the build's resolved ``env.yaml`` values (secrets redacted).
        tasks: the DAG's tasks (``will_run`` says which will execute).
    """

    project: Project
    run_id: str
    env: JsonObject
    tasks: list[TaskInfo] = field(default_factory=list)


@runtime_checkable
class PostCloseStep(Protocol):
    """One feature's work after a build's notebooks finished."""

    @property
    def name(self) -> str:
        """A short stable name (used in logs and crash-point names)."""
        ...

    def prepare(self, ctx: OpenContext) -> None:
        """Get ready while the notebooks run; failures only cost speed."""
        ...

    def run(self, ctx: RunContext) -> None:
        """Do the step's work on the closing run; raise NbopsError to fail the build."""
        ...

    def close(self) -> None:
        """Release what ``prepare`` started (always called, even when ``run`` was not)."""
        ...


StepFactory = Callable[[], PostCloseStep]
