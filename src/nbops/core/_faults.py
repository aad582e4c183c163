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

Point names are part of the crash-safety contract documented in ARCHITECTURE.md.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_ENV = "NBOPS_CRASH_AT"
CRASH_SIGNAL_ENV = "NBOPS_CRASH_SIGNAL"
POINTS_LOG_ENV = "NBOPS_CRASH_POINTS_LOG"

_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Mark a durable step; kill the process here if a test asked for it."""
    log = os.environ.get(POINTS_LOG_ENV)
    target = os.environ.get(CRASH_AT_ENV)
    if log is None and target is None:
        return
    count = _seen[name] = _seen.get(name, 0) + 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")
    if target is None:
        return
    wanted, _, occurrence = target.partition("#")
    if wanted != name or (occurrence and int(occurrence) != count):
        return
    which = os.environ.get(CRASH_SIGNAL_ENV, "KILL").upper()
    if which == "INT":
        # As a terminal's Ctrl-C: the default handler raises KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.kill(os.getpid(), signal.SIGINT)
        return
    os.kill(os.getpid(), signal.SIGKILL)
