"""The sweep's trial server: import Ploomber and nbops once, fork one process per trial.

A trial's build spends 2-3 s importing Ploomber (papermill, pandas, matplotlib)
before it does anything; in a sweep of small trials that is most of the cost.
``python -m nbops.sweeps.trial_server`` imports what every trial imports once,
then serves requests read from stdin, one JSON object per line::

    {"request": REQUEST.json, "cwd": DIR, "log": FILE, "env": {...}}

forks a child for each, which runs :func:`nbops.sweeps.trial_build.main` with the
log as its stdout and stderr, and answers one JSON object per line on stdout:
``{"exit": CODE}`` or ``{"signal": NUMBER}``. Stdin closing ends the server.

Why not :mod:`multiprocessing`'s ``forkserver``: it re-runs the calling program's
main script in every child (a script that calls :func:`nbops.sweeps.runner.run_sweep`
without an ``if __name__ == "__main__"`` guard starts its sweep again in each trial).
The kernel fork server (:mod:`nbops.engine.forkserver`) is the same pattern for kernels.

Fork safety: the server never starts a thread; it checks that before each fork
and answers ``{"error": ...}`` instead (the launcher then runs the trial as a
plain child process).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import sys
import threading
from typing import Any

#: What every trial imports.
PRELOAD = ("nbops.sweeps.trial_build", "ploomber_cli.cli", "ploomber.spec", "ploomber.executors",
           "nbops.hooks", "nbops.engine.executor", "nbops.registry.pipeline_step",
           "nbops.reports.render", "nbops.monitoring.after_run", "nbops.runs.lifecycle")


def _child(request: dict[str, Any], out: int) -> None:
    """Run one trial in this forked process, then exit without returning."""
    code = 1
    try:
        os.close(out)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
        from nbops.sweeps import trial_build

        try:
            trial_build.main([str(request["request"])])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            code = 130
        atexit._run_exitfuncs()  # what a normal interpreter exit would run
    except BaseException:  # noqa: BLE001 - the trial's log is where this must show
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(lines: Any, out: int) -> None:
    """Answer each request line with how its forked trial ended."""
    for line in lines:
        if not line.strip():
            continue
        request = json.loads(line)
        if threading.active_count() != 1:
            answer: dict[str, Any] = {"error": "the trial server started a thread; not forking"}
        else:
            pid = os.fork()
            if pid == 0:
                _child(request, out)
            _, status = os.waitpid(pid, 0)
            answer = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                      else {"exit": os.WEXITSTATUS(status)})
        os.write(out, (json.dumps(answer) + "\n").encode())


def main() -> None:
    """Entry point: ``python -m nbops.sweeps.trial_server``."""
    # Ctrl-C reaches the whole process group: the trial decides what it means; the
    # server only ends when the sweep closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.dup(1)  # answers; the trials' own output goes to their logs
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    for module in PRELOAD:
        importlib.import_module(module)
    os.write(out, b'{"ready": true}\n')
    serve(sys.stdin, out)
    # Nothing to clean up (every trial has ended): skip the interpreter's slow
    # tear-down of everything preloaded, which the sweep would wait for.
    os._exit(0)


if __name__ == "__main__":
    main()
