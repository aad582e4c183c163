"""Follow a running sweep from another process: what ``nbops watch`` prints for a sweep.

Read from the sweep's record (``reports/sweeps/<name>/sweep.json``, rewritten
atomically as each trial starts and ends) and its lock (held by the ``nbops
sweep`` process while it runs), never from the sweep's output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from nbops.contracts import SweepRecord, SweepTrial
from nbops.core import NbopsError, Project, is_locked
from nbops.sweeps import _sweep_record as records

#: Trial statuses that end a trial.
ENDED = ("succeeded", "failed", "gated", "interrupted")


@dataclass(frozen=True)
class SweepEvent:
    """A trial ``started`` or ``ended`` (``trial`` is its record), or the sweep's ``end``
    (``record``: the sweep as its process left it)."""

    kind: str
    at: float
    trial: SweepTrial | None = None
    record: SweepRecord | None = None


def _lock(project: Project, name: str) -> Any:
    return records.state_dir(project, name) / "lock"


def running_sweep(project: Project) -> str | None:
    """The sweep of this project whose process is running (the newest, if several)."""
    locks = sorted(records.state_dir(project, "x").parent.glob("*/lock"),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for lock in locks:
        if is_locked(lock) and records.exists(project, lock.parent.name):
            return lock.parent.name
    return None


def follow_sweep(project: Project, name: str, *, poll_s: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[SweepEvent]:
    """Yield each trial's start and end, then the sweep's end (its process let go of it)."""
    seen: dict[int, str] = {}
    while True:
        running = is_locked(_lock(project, name))
        try:
            record = records.read(project, name)
        except NbopsError:  # being replaced: the next look reads the new one
            sleep(poll_s)
            continue
        for trial in record["trials"]:
            number, status = trial["number"], trial["status"]
            if seen.get(number) == status or status == "pending":
                continue
            if seen.get(number) != "running":
                yield SweepEvent("started", time.time(), trial=trial)
            if status in ENDED:
                yield SweepEvent("ended", time.time(), trial=trial)
            seen[number] = status
        if not running:
            yield SweepEvent("end", time.time(), record=record)
            return
        sleep(poll_s)


def sweep_exit_code(record: SweepRecord) -> int:
    """0 when every planned trial ended (whatever its verdict, as ``nbops sweep``), else 1:
    the sweep was stopped before its budget was spent."""
    ended = [t for t in record["trials"] if t["status"] in ENDED]
    return 0 if len(ended) >= record["budget"] else 1
