"""A warm helper process: imports what a later step needs while the build runs, then
answers requests, one JSON line each way.

The client starts ``python -m MODULE`` (a module whose ``__main__`` calls :func:`serve`
with its imports and its handler), sends a request with :meth:`HelperProcess.ask` and
reads the answer back; lines a library prints are skipped. A separate process rather
than a thread: imports racing the build's own threads can trip Python's
import-deadlock detection, and nothing here may make a task fail. If the helper is gone
or answers nonsense, :class:`HelperGone` tells the caller to do the work in-process;
when the client's process ends, the helper sees its stdin close and exits.

The registry's measuring helper (:mod:`nbops.registry._measure_helper`) is one.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from nbops.contracts import JSONObject

_ANSWER = "nbops-answer "


class HelperGone(Exception):
    """The helper process died or answered something unreadable."""


class HelperProcess:
    """Client side: a started helper process (``python -m module`` in ``cwd``)."""

    def __init__(self, module: str, cwd: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=cwd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )

    def ask(self, request: Mapping[str, object], what: str = "the helper") -> JSONObject:
        """The helper's answer to ``request``.

        Raises:
            HelperGone: ``what`` did not answer (named in the message).
        """
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            return _read_answer(stdout)
        except (OSError, ValueError) as exc:
            raise HelperGone(f"{what} did not answer ({exc})") from exc

    def close(self) -> None:
        """End the helper (it exits when its stdin closes); kill it if it lingers."""
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _read_answer(stdout: IO[str]) -> JSONObject:
    """The helper's answer line; other lines (a library printing) are skipped."""
    for line in stdout:
        if line.startswith(_ANSWER):
            answer = json.loads(line[len(_ANSWER):])
            if isinstance(answer, dict):
                return answer
            break
    raise ValueError("no answer before the helper's output ended")


def serve(warm_imports: Iterable[str], handle: Callable[[str], JSONObject]) -> int:
    """Helper side: import ``warm_imports``, then answer each request line on stdin with
    ``handle(line)`` until stdin closes."""
    for module in warm_imports:
        importlib.import_module(module)
    for line in sys.stdin:
        if line.strip():
            answer = handle(line)
            sys.stdout.write(_ANSWER + json.dumps(answer) + "\n")
            sys.stdout.flush()
    return 0
