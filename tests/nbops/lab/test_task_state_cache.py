"""The panel's task states are rendered again when a file they depend on changed, and an
answer rendered while a build was writing those files is never kept (it may be stale)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import nbops.adapters
from nbops.adapters import TaskState
from nbops.lab._task_states import TaskStateCache


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    (tmp_path / "env.yaml").write_text("seed: 1\n")
    (tmp_path / "step.py").write_text("x = 1\n")
    (tmp_path / "out.csv").write_text("a\n")
    old = time.time() - 60
    for name in ("pipeline.yaml", "env.yaml", "step.py", "out.csv"):
        os.utime(tmp_path / name, (old, old))
    return tmp_path


def _renders(monkeypatch: pytest.MonkeyPatch, during: Any = None) -> list[int]:
    calls: list[int] = []

    def fake_task_states(root: Path, pipeline: str = "pipeline.yaml") -> list[TaskState]:
        calls.append(1)
        if during is not None:
            during()
        return [TaskState(name="step", outdated=False, reasons=[], upstream=[],
                          source="step.py", kind="NotebookRunner",
                          products={"data": "out.csv"})]

    monkeypatch.setattr(nbops.adapters, "task_states", fake_task_states)
    return calls


def test_rendered_once_until_a_watched_file_changes(project: Path, monkeypatch) -> None:
    calls = _renders(monkeypatch)
    cache = TaskStateCache(project)
    first = cache.states()
    assert cache.states() is first and len(calls) == 1
    (project / "step.py").write_text("x = 2\n")  # an edited step
    time.sleep(0.2)  # older than the next render by more than the file clock's margin
    assert cache.states() is not first and len(calls) == 2
    cache.states()
    assert len(calls) == 2
    (project / ".out.csv.metadata").write_text("{}")  # a task finished: its metadata appeared
    cache.states()
    assert len(calls) == 3


def test_an_answer_rendered_while_a_file_changed_is_not_kept(project: Path, monkeypatch) -> None:
    calls = _renders(monkeypatch, during=lambda: (project / "out.csv").write_text("b\n"))
    cache = TaskStateCache(project)
    cache.states()
    cache.states()
    assert len(calls) == 2  # the product was written during the first render: rendered again
