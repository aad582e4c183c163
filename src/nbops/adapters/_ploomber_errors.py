"""The error behind a failed Ploomber build, read from the text Ploomber hands ``on_failure``.

Ploomber's DAG passes its ``on_failure`` hook the formatted traceback of its
``DAGBuildError``: every failed task's chained exceptions (root cause first),
its own wrappers (``TaskBuildError: Error building task "x"``, the
multiprocessing ``RemoteTraceback`` of a function run in a subprocess) and a
footer (``Need help? https://ploomber.io/community``). For a failure outside a
notebook cell (a function, a shell script, a SQL task, a hook) the error worth
recording is the first exception line that is not one of those wrappers.
"""

from __future__ import annotations

import re

#: Exception names Ploomber wraps the real error in.
WRAPPERS = frozenset({"TaskBuildError", "DAGBuildError", "RemoteTraceback", "TaskRenderError",
                      "DAGRenderError", "RenderError", "DAGBuildEarlyStop"})
_EXCEPTION_LINE = re.compile(
    r"^(?P<ename>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|Failure))"
    r"(?::[ ]?(?P<evalue>.*))?$")


def root_error(text: str) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first real exception in Ploomber's failure text, or None.

    ``ename`` is the exception's class name without its module
    (``subprocess.CalledProcessError`` → ``CalledProcessError``), as a notebook's
    error output names it.
    """
    for line in text.splitlines():
        match = _EXCEPTION_LINE.match(line.rstrip())
        if match is None:
            continue
        ename = match.group("ename").rsplit(".", 1)[-1]
        if ename in WRAPPERS:
            continue
        return ename, (match.group("evalue") or "").strip()
    return None
