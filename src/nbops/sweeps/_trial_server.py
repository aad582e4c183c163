"""The sweep's trial server: import Ploomber and nbops once, fork one process per trial.

A trial's build spends 2-3 s importing Ploomber (papermill, pandas, matplotlib)
before it does anything; in a sweep of small trials that is most of the cost.
``python -m nbops.sweeps._trial_server`` imports what every trial imports once,
then serves requests read from stdin, one JSON object per line::

    {"request": REQUEST.json, "cwd": DIR, "log": FILE, "env": {...}}

forks a child for each, which runs :func:`nbops.sweeps._trial_build.main` with the
log as its stdout and stderr, and answers one JSON object per line on stdout:
``{"exit": CODE}`` or ``{"signal": NUMBER}``. Stdin closing ends the server.

Why not :mod:`multiprocessing`'s ``forkserver``: it re-runs the calling program's
main script in every child (a script that calls :func:`nbops.sweeps._runner.run_sweep`
without an ``if __name__ == "__main__"`` guard starts its sweep again in each trial).
The kernel fork server (:mod:`nbops.engine._forkserver`) is the same pattern for kernels.

Kernels ahead of the trial: when the pipeline forks its kernels from a fork server
(:class:`nbops.engine.executor.NbopsExecutor`), the trial server starts the *next*
trial's kernel fork server while the current trial runs, so that its imports (the
executor's ``preload``: pandas, scikit-learn ...) are done before that trial asks for
its first kernel. The forked trial adopts it
(:func:`nbops.engine._fork_provisioner.hand_over`) and holds the only ends of its
pipes: when the trial ends, however it ends, the kernel fork server kills the trial's
kernels and exits, and this server reaps it.

Fork safety: the server never starts a thread; it checks that before each fork
and answers ``{"error": ...}`` instead (the launcher then runs the trial as a
plain child process).
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from nbops.engine import StartedServer, hand_over, start_server

logger = logging.getLogger("nbops")

#: What every trial imports: modules, and public names (``package:name``) whose
#: first use imports the private module behind them.
PRELOAD = ("nbops.sweeps._trial_build", "ploomber_cli.cli", "ploomber.spec", "ploomber.executors",
           "nbops.hooks", "nbops.engine.executor", "nbops.registry:RegistryStep",
           "nbops.reports:ReportsStep", "nbops.monitoring:MonitoringStep", "nbops.runs:close_run")

#: What every trial imports later on (``ploomber build``'s command, the close: pages,
#: diffs, gates, push), imported by :func:`warm_up` while the first trial runs; the
#: same ``package:name`` form as :data:`PRELOAD`.
PRELOAD_LATER = ("ploomber.cli.build", "nbops.reports:write_sweep_page", "nbops.sync:PushStep",
                 "nbops.runs:verify_run", "nbops.core:check_parameters",
                 "nbops.reproduce:REPRODUCTION_ENV", "pygments.lexers.python")


def _preload(entries: Any) -> None:
    for entry in entries:
        module, _, name = entry.partition(":")
        loaded = importlib.import_module(module)
        if name:
            getattr(loaded, name)


def warm_up(request: dict[str, Any]) -> None:
    """Do once, in this process, what every forked trial would otherwise do cold.

    Called while the first trial builds (it costs that trial some CPU, once); every
    later trial is forked with the result:

    * :data:`PRELOAD_LATER` and the libraries that gating a model needs
      (:data:`nbops.registry.MEASURING_IMPORTS`): a trial whose process already holds
      them measures its model in-process, so the registry's post-close step starts no
      measuring helper (whose imports cost 2-2.5 s of CPU next to the kernels, every
      trial);
    * the compiled templates of the report pages and of the notebook pages
      (:func:`nbops.reports.warm_up_renderers`);
    * one render of the trial's DAG (Ploomber's, jupytext's and Jinja's lazy
      imports and caches), nothing executed, no run opened.

    ``os.environ`` is left as it was (kernel fork servers are started from it).

    None of it is needed for a trial to be right: a failure only means colder trials.
    """
    environ = dict(os.environ)
    with warnings.catch_warnings():  # the trial shows its own warnings, in its log
        warnings.simplefilter("ignore")
        for entry in PRELOAD_LATER:
            _attempt(_preload, [entry])
        _attempt(_warm_measuring)
        _attempt(_warm_pages)
        _attempt(_warm_dag, request)
    # what imports set for themselves (scikit-learn: KMP_* for OpenMP) must not reach
    # the kernel fork servers started from this environment (trials get the sweep's own)
    os.environ.clear()
    os.environ.update(environ)


def _attempt(step: Any, *args: Any) -> None:
    try:
        step(*args)
    except Exception as exc:  # a cold trial is still a right one
        logger.warning("nbops: the trial server's warm-up failed (%s: %s); the later trials "
                       "run as the first did, only slower", type(exc).__name__, exc)


def _warm_measuring() -> None:
    from nbops.registry import MEASURING_IMPORTS

    for module in MEASURING_IMPORTS:
        _attempt(importlib.import_module, module)


def _warm_pages() -> None:
    from nbops.reports import warm_up_renderers

    warm_up_renderers()


def _warm_dag(request: dict[str, Any]) -> None:
    """Render the trial's DAG in this process, as the trial itself is about to."""
    from nbops.adapters import render_tasks

    build = json.loads(Path(str(request["request"])).read_text(encoding="utf-8"))
    render_tasks(Path(str(build["root"])), str(build["pipeline"]),
                 {str(k): str(v) for k, v in dict(build["overrides"]).items()})


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
        from nbops.sweeps import _trial_build as trial_build

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


#: A kernel fork server started ahead: the process (reaped here) and what a trial adopts.
Ahead = tuple[subprocess.Popen[bytes], StartedServer]


def kernel_preimports(request: dict[str, Any]) -> tuple[str, ...] | None:
    """What the trial's kernel fork server pre-imports; None if its build forks no kernels."""
    from nbops.core import ConfigError, load_mapping
    from nbops.engine.executor import fork_preimports

    try:
        build = json.loads(Path(str(request["request"])).read_text(encoding="utf-8"))
        pipeline = Path(str(build["root"])) / str(build["pipeline"])
        return fork_preimports(load_mapping(pipeline, "pipeline"))
    except (OSError, ValueError, KeyError, ConfigError):
        return None  # the trial itself reports what is wrong with it


def _start_ahead(preimport: tuple[str, ...] | None, request: dict[str, Any]) -> Ahead | None:
    """A kernel fork server for a trial of ``request``'s sweep; its output goes to the
    sweep's ``kernels.log`` (the trial it will serve is not known yet)."""
    if preimport is None:
        return None
    try:
        return start_server(preimport=preimport,
                            log=str(Path(str(request["log"])).parent / "kernels.log"))
    except OSError:
        return None  # the trial's build starts its own


def _end(ahead: Ahead | None, used: bool) -> None:
    """Reap a kernel fork server: it exits once no process holds its stdin."""
    if ahead is None:
        return
    process, started = ahead
    if not used:
        started.close()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve(lines: Any, out: int) -> None:
    """Answer each request line with how its forked trial ended."""
    ahead: Ahead | None = None
    warmed = False
    for line in lines:
        if not line.strip():
            continue
        request = json.loads(line)
        preimport = kernel_preimports(request)
        if ahead is not None and ahead[1].preimport != preimport:
            _end(ahead, used=False)  # the pipeline's preload changed between trials
            ahead = None
        if threading.active_count() != 1:
            answer: dict[str, Any] = {"error": "the trial server started a thread; not forking"}
        else:
            current = ahead if ahead is not None else _start_ahead(preimport, request)
            pid = os.fork()
            if pid == 0:
                if current is not None:
                    hand_over(current[1])
                _child(request, out)
            if current is not None:
                current[1].close()  # the trial now holds the only ends of its pipes
            ahead = _start_ahead(preimport, request)  # imports while this trial runs
            if not warmed:
                warmed = True
                warm_up(request)  # while the first trial runs; the next ones inherit it
            _, status = os.waitpid(pid, 0)
            _end(current, used=True)
            answer = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                      else {"exit": os.WEXITSTATUS(status)})
        os.write(out, (json.dumps(answer) + "\n").encode())
    _end(ahead, used=False)


def main() -> None:
    """Entry point: ``python -m nbops.sweeps._trial_server``."""
    # Ctrl-C reaches the whole process group: the trial decides what it means; the
    # server only ends when the sweep closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.dup(1)  # answers; the trials' own output goes to their logs
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    _preload(PRELOAD)
    os.write(out, b'{"ready": true}\n')
    serve(sys.stdin, out)
    # Nothing to clean up (every trial has ended): skip the interpreter's slow
    # tear-down of everything preloaded, which the sweep would wait for.
    os._exit(0)


if __name__ == "__main__":
    main()
