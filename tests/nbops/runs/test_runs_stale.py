"""Stale runs (the build died) become ``interrupted``; live ones are left alone."""

from __future__ import annotations

import subprocess
import sys

from nbops.core._locks import ProjectLock
from nbops.runs import list_runs, load_manifest


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_running_run_of_a_dead_process_is_marked_interrupted(project, add_run) -> None:
    run_id = add_run(status="running", pid=_dead_pid())["run_id"]
    assert list_runs(project)[-1]["status"] == "interrupted"
    manifest = load_manifest(project, run_id)
    assert manifest["status"] == "interrupted"
    assert "interrupted" in manifest and manifest["finished_at"] is None


def test_running_run_without_the_lock_is_interrupted_even_if_pid_is_alive(project,
                                                                          add_run) -> None:
    add_run(status="running")  # our own pid: alive, but nobody holds the lock
    assert list_runs(project)[-1]["status"] == "interrupted"


def test_live_run_holding_the_lock_stays_running(project, add_run) -> None:
    run = add_run(status="running")
    lock = ProjectLock(project.lock_path)
    lock.acquire(timeout=0, run_id=run["run_id"])
    try:
        assert list_runs(project)[-1]["status"] == "running"
    finally:
        lock.release()
    assert list_runs(project)[-1]["status"] == "interrupted"
