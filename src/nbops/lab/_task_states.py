"""The pipeline's tasks with Ploomber's view of them, recomputed only when a file changed.

Rendering the DAG costs a few hundred milliseconds (and imports Ploomber once per
server); the panel polls it. :class:`TaskStateCache` keeps the last answer with
the size and modification time of every file it depends on: ``pipeline.yaml``, the
env file, each task's source, each product and its Ploomber metadata file. A
change to any of them (an edited notebook, a finished task) renders again, and an
answer is not kept when one of them was written while it was being rendered.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Stamp = tuple[tuple[str, int, int], ...]
#: coarse file-system clocks: a file this close before a render counts as written during it
MTIME_MARGIN_NS = 100_000_000


def _stamp(paths: list[Path]) -> Stamp:
    stamps = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            stamps.append((str(path), -1, -1))
        else:
            stamps.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def _watched(root: Path, pipeline: str, states: list[Any]) -> list[Path]:
    from nbops.adapters import loaded_from, metadata_path

    files = list(loaded_from(root, pipeline))
    for state in states:
        if state.source:
            files.append(root / state.source)
        for product in state.products.values():
            files.append(root / product)
            files.append(metadata_path(root / product))
    return files


@dataclass
class TaskStateCache:
    """The last :func:`nbops.adapters.task_states` of one project, and what it depended on."""

    root: Path
    pipeline: str = "pipeline.yaml"
    _states: list[Any] = field(default_factory=list)
    _stamp: Stamp | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def states(self) -> list[Any]:
        """The tasks as ``ploomber build`` would see them now (rendered again if stale).

        Raises:
            NbopsError: the pipeline or its env file does not load (its one sentence).
        """
        with self._lock:  # one render at a time: Ploomber renders in the project folder
            if self._stamp is not None and _stamp(
                _watched(self.root, self.pipeline, self._states)
            ) == self._stamp:
                return self._states
            from nbops.adapters import task_states

            started = time.time_ns()
            states = task_states(self.root, self.pipeline)
            stamp = _stamp(_watched(self.root, self.pipeline, states))
            self._states = states
            # a file written while Ploomber rendered (a build finishing a task) may or may not
            # be in this answer: kept only when every file is older than the render
            settled = all(mtime < started - MTIME_MARGIN_NS for _, _, mtime in stamp)
            self._stamp = stamp if settled else None
            return states
