"""The run index as the panel reads it: parsed again only when the ledger changed.

The panel polls; reading and validating the index of 1,000 runs on every poll
would cost more than the whole answer may. Every manifest write appends a line to
``index.jsonl`` and every new run adds a folder, so the index file's size and time
and the runs folder's time say when :func:`nbops.runs.list_runs` must be asked again.
"""

from __future__ import annotations

import os
import threading

from nbops.contracts import RunSummary
from nbops.core import Project


def _key(project: Project) -> tuple[tuple[int, int], ...]:
    stamps = []
    for path in (project.index_path, project.runs_dir):
        try:
            st = os.stat(path)
        except OSError:
            stamps.append((-1, -1))
        else:
            stamps.append((st.st_size, st.st_mtime_ns))
    return tuple(stamps)


class RunIndexCache:
    """The last :func:`nbops.runs.list_runs` of one project, and the stamps it was read at."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._key: tuple[tuple[int, int], ...] | None = None
        self._summaries: list[RunSummary] = []
        self._lock = threading.Lock()

    def summaries(self) -> list[RunSummary]:
        """Every run's summary, oldest first (read again if the ledger changed)."""
        from nbops.runs import list_runs

        with self._lock:
            key = _key(self.project)
            if key != self._key:
                self._summaries = list_runs(self.project)
                self._key = _key(self.project)  # list_runs may heal or compact the index
            return self._summaries
