"""Named crash points: fault injection for crash-safety tests.

Storage engines test crash safety by failing each write in turn (SQLite's crash
tests, LMDB's commit order). nbops does the same: every durable step of a
writing command calls :func:`crash_point` with a stable dotted name, for example
``crash_point("close.manifest_written")``. Normally that costs one environment
lookup and does nothing. Two variables turn it on for a test's child process:

``NBOPS_CRASH_POINTS_LOG=FILE``
    append each point's name to ``FILE`` as it is reached (one per line), so a
    test can enumerate the points a command passes through;
``NBOPS_CRASH_AT=NAME`` (optionally ``NAME#K`` for its K-th occurrence, 1-based)
    kill this process at that point with ``NBOPS_CRASH_SIGNAL`` (``KILL``, the
    default, or ``INT`` for a Ctrl-C, which raises ``KeyboardInterrupt``).

``NBOPS_BARRIER_AT=NAME[#K]`` with ``NBOPS_BARRIER_DIR=FOLDER`` and
``NBOPS_BARRIER_PARTIES=N``
    hold this process at that point until N processes have reached it (each
    leaves a file named by its pid in FOLDER; at most 120 s), so a race test can
    prove its writers overlap instead of hoping they do.

Point names are part of the crash-safety contract documented in docs/contracts.md.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CRASH_AT_ENV = "NBOPS_CRASH_AT"
CRASH_SIGNAL_ENV = "NBOPS_CRASH_SIGNAL"
POINTS_LOG_ENV = "NBOPS_CRASH_POINTS_LOG"
BARRIER_AT_ENV = "NBOPS_BARRIER_AT"
BARRIER_DIR_ENV = "NBOPS_BARRIER_DIR"
BARRIER_PARTIES_ENV = "NBOPS_BARRIER_PARTIES"

_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Mark a durable step; kill the process here if a test asked for it."""
    log = os.environ.get(POINTS_LOG_ENV)
    target = os.environ.get(CRASH_AT_ENV)
    barrier = os.environ.get(BARRIER_AT_ENV)
    if log is None and target is None and barrier is None:
        return
    count = _seen[name] = _seen.get(name, 0) + 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    if barrier is not None and _is(barrier, name, count):
        _wait_for_the_others()
    if target is None or not _is(target, name, count):
        return
    which = os.environ.get(CRASH_SIGNAL_ENV, "KILL").upper()
    if which == "INT":
        # As a terminal's Ctrl-C: the default handler raises KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.kill(os.getpid(), signal.SIGINT)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _is(wanted: str, name: str, count: int) -> bool:
    """Whether ``NAME`` or ``NAME#K`` names this occurrence of point ``name``."""
    point, _, occurrence = wanted.partition("#")
    return point == name and (not occurrence or int(occurrence) == count)


def _wait_for_the_others() -> None:
    folder = Path(os.environ[BARRIER_DIR_ENV])
    parties = int(os.environ.get(BARRIER_PARTIES_ENV, "2"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.iterdir())) < parties and time.monotonic() < deadline:
        time.sleep(0.01)
