"""What the server extension knows about its project: one object, built once per server.

The project is the one holding ``pipeline.yaml`` at or above JupyterLab's root
folder (as ``nbops`` commands find it). Each method is what one endpoint answers;
the handlers (:mod:`nbops.lab._handlers`) only parse requests and call them.
Paths in answers are relative to JupyterLab's root folder, so the panel can open
them as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.core import ConfigError, Project

if TYPE_CHECKING:
    from nbops.lab._answers import (
        BuildProgress,
        ModelView,
        NotebookPath,
        ParametersCell,
        PipelineView,
        Promoted,
        RolledBack,
        TaskRuns,
    )
    from nbops.lab._builds import BuildBoard
    from nbops.lab._run_index_cache import RunIndexCache
    from nbops.lab._task_states import TaskStateCache


@dataclass(frozen=True)
class _Loaded:
    """The project the lab found, with its caches (made on the first request)."""

    project: Project
    cache: TaskStateCache
    board: BuildBoard
    runs: RunIndexCache


class LabContext:
    """The lab's view of one project: its task-state cache and its lab builds."""

    def __init__(self, lab_root: Path) -> None:
        self.lab_root = Path(lab_root).resolve()
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def _load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                from nbops.core import locate_pipeline
                from nbops.lab._builds import BuildBoard
                from nbops.lab._run_index_cache import RunIndexCache
                from nbops.lab._task_states import TaskStateCache

                located = locate_pipeline(self.lab_root)
                if located is None:
                    raise ConfigError(
                        f"no pipeline.yaml at or above {self.lab_root}",
                        "start JupyterLab in an nbops project (`nbops new NAME` makes one)")
                project = Project(located.root)
                self._loaded = _Loaded(project, TaskStateCache(located.root),
                                       BuildBoard(located.root), RunIndexCache(project))
            return self._loaded

    def _setup(self) -> tuple[Project, TaskStateCache, BuildBoard]:
        loaded = self._load()
        return loaded.project, loaded.cache, loaded.board

    def _lab_path(self, relative_to_project: str) -> str:
        project, _, _ = self._setup()
        path = (project.root / relative_to_project).resolve()
        try:
            return path.relative_to(self.lab_root).as_posix()
        except ValueError:
            return str(path)

    def pipeline(self) -> PipelineView:
        from nbops.lab._pipeline_view import pipeline_view

        project, cache, board = self._setup()
        latest = board.latest()
        build = None if latest is None else board.progress(latest.id)
        view = pipeline_view(project, cache.states(), self._load().runs.summaries(), build)
        for task in view["tasks"]:
            task["path"] = self._lab_path(task["source"]) if task["source"] else None
        return view

    def task_runs(self, task: str, limit: int) -> TaskRuns:
        from nbops.lab._history import task_runs

        loaded = self._load()
        runs = task_runs(loaded.project, loaded.runs.summaries(), task, limit)
        return {"task": task, "runs": runs}

    def executed_notebook(self, run: str, task: str) -> NotebookPath:
        from nbops.lab._history import executed_notebook_path

        project, _, _ = self._setup()
        return {"path": self._lab_path(executed_notebook_path(project, run, task))}

    def parameters_cell(self, run: str, task: str) -> ParametersCell:
        from nbops.lab._history import parameters_cell

        project, _, _ = self._setup()
        return parameters_cell(project, run, task)

    def diff(self, task: str, run_a: str, run_b: str) -> str:
        from nbops.lab._history import diff_page

        project, _, _ = self._setup()
        return diff_page(project, task, run_a, run_b)

    def model(self) -> ModelView:
        from nbops.lab._model_panel import model_view

        project, _, _ = self._setup()
        return model_view(project.root)

    def promote(self, model: str, version: int, alias: str, reason: str) -> Promoted:
        from nbops.lab._model_panel import promote

        project, _, _ = self._setup()
        return promote(project.root, model, version, alias, reason)

    def rollback(self, model: str, alias: str, reason: str) -> RolledBack:
        from nbops.lab._model_panel import rollback

        project, _, _ = self._setup()
        return rollback(project.root, model, alias, reason)

    def start_build(self, task: str | None, overrides: Mapping[str, object],
                    force: bool) -> BuildProgress:
        _, cache, board = self._setup()
        job = board.start(task, overrides, force, current=cache.states)
        return board.progress(job.id)

    def build_progress(self, build: str) -> BuildProgress:
        _, _, board = self._setup()
        return board.progress(build)
