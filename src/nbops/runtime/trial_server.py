"""The sweep's trial server: import Ploomber and nbops once, fork one process per trial.

A trial's build spends 2-3 s importing Ploomber (papermill, pandas, matplotlib)
before it does anything; in a sweep of small trials that is most of the cost.
``python -m nbops.runtime.trial_server`` imports what every trial imports once,
then serves requests read from stdin, one JSON object per line::

    {"request": REQUEST.json, "cwd": DIR, "log": FILE, "env": {...}, "upcoming": NEXT.json}

forks a child for each, which runs :func:`nbops.sweeps._trial_build.main` with the
log as its stdout and stderr (``upcoming``, optional, names the next trial's request,
whose DAG this server loads while the trial runs: :func:`_trial_build.load_ahead`), and
answers one JSON object per line on stdout:
``{"exit": CODE}`` or ``{"signal": NUMBER}``. Stdin closing ends the server.

Why not :mod:`multiprocessing`'s ``forkserver``: it re-runs the calling program's
main script in every child (a script that calls :func:`nbops.sweeps._runner.run_sweep`
without an ``if __name__ == "__main__"`` guard starts its sweep again in each trial).
The kernel fork server (:mod:`nbops.runtime._forkserver`) is the same pattern for kernels.

Kernels without their imports: when the pipeline forks its kernels from a fork server
(:class:`nbops.engine.executor.NbopsExecutor`), each trial adopts a kernel fork server
(:func:`nbops.runtime._fork_provisioner.hand_over`) that already holds the executor's
``preload`` modules (pandas, scikit-learn ...), forked in milliseconds from a zygote
(:class:`nbops.engine.Zygote`) that this server keeps: importing them again for each
trial cost about 1.8 s of CPU per trial, next to that trial's own kernels. Told the
sweep's pipeline (``--pipeline``), the server starts the zygote before its own imports,
so both import side by side while the sweep plans, and the first trial's server is
forked from it too. Otherwise the first trial's is started afresh as the trial is
forked, and the zygote during that trial. The trial holds the only ends of its
server's pipes: when the trial ends, however it ends, its kernel fork server kills the
trial's kernels and exits, and this server waits for that before answering.

Fork safety: the server never starts a thread; it checks that before each fork
and answers ``{"error": ...}`` instead (the launcher then runs the trial as a
plain child process).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nbops.runtime import ForkServerError, StartedServer, Zygote, hand_over, start_server

if TYPE_CHECKING:
    from nbops.contracts import JSONObject

logger = logging.getLogger("nbops")


class _TrialRequired(TypedDict):
    request: str  # the trial's build request file (nbops.sweeps' write_request)
    cwd: str
    log: str
    env: dict[str, str]


class TrialRequest(_TrialRequired, total=False):
    """One request line (the module docstring); ``upcoming`` names the next trial's."""

    upcoming: str | None

#: What every trial imports: modules, and public names (``package:name``) whose
#: first use imports the private module behind them.
PRELOAD = ("nbops.sweeps:build_trial", "ploomber_cli.cli", "ploomber.spec", "ploomber.executors",
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


def warm_up(request: TrialRequest) -> None:
    """Do once, in this process, what every forked trial would otherwise do cold.

    Called while the first trial with trials after it builds (it costs that trial some
    CPU, once; :func:`worth_warming_up`); every later trial is forked with the result:

    * :data:`PRELOAD_LATER` and the libraries that gating a model needs
      (:data:`nbops.registry.MEASURING_IMPORTS`): a trial whose process already holds
      them measures its model in-process, so the registry's post-close step starts no
      measuring helper (whose imports cost 2-2.5 s of CPU next to the kernels, every
      trial);
    * the compiled templates of the report pages and of the notebook pages
      (:func:`nbops.reports.warm_up_renderers`);
    * one render of the trial's DAG (Ploomber's, jupytext's and Jinja's lazy
      imports and caches), nothing executed, no run opened.

    The measuring libraries only when the trials measure a model (:func:`_plan`): in a
    sweep of a pipeline without a ``registry:`` section they were 3.5-4 s of CPU that no
    trial used.

    ``os.environ`` is left as it was (kernel fork servers are started from it).

    None of it is needed for a trial to be right: a failure only means colder trials.
    """
    with _quietly_keeping_environ():
        for entry in PRELOAD_LATER:
            _attempt(_preload, [entry])
        if _plan(request).get("measures_model", True):
            _attempt(_warm_measuring)
        _attempt(_warm_pages)
        _attempt(_warm_dag, request)


def _plan(request: TrialRequest) -> JSONObject:
    """The trial's build request (:func:`nbops.sweeps._runner.write_request`), or ``{}``
    if it cannot be read (the trial itself then says what is wrong with it)."""
    try:
        plan = json.loads(Path(str(request["request"])).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return {}
    return plan if isinstance(plan, dict) else {}


def worth_warming_up(request: TrialRequest) -> bool:
    """Whether a warm-up now would serve anyone: only trials forked after this one use it,
    so none when the sweep has no trial left after this one (the last trial of a sweep, or
    the only one a resumed sweep still had to run). A request that does not say warms up."""
    later = _plan(request).get("later_trials", 1)
    return not isinstance(later, int | float | str) or int(later) > 0


@contextlib.contextmanager
def _quietly_keeping_environ() -> Iterator[None]:
    """Warnings unshown (a trial shows its own, in its log) and ``os.environ`` put back:
    what imports set for themselves (scikit-learn: KMP_* for OpenMP) must not reach the
    kernel fork servers started from this environment (trials get the sweep's own)."""
    environ = dict(os.environ)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.environ.clear()
        os.environ.update(environ)


def _load_ahead(request_file: str) -> None:
    """Load the next trial's DAG while this one runs (:func:`_trial_build.load_ahead`)."""
    from nbops.sweeps import load_trial_ahead

    try:
        with _quietly_keeping_environ():
            load_trial_ahead(request_file)
    except Exception as exc:  # the trial loads its DAG itself, and reports what is wrong
        logger.debug("nbops: the next trial's DAG was not loaded ahead: %s", exc)


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


def _warm_dag(request: TrialRequest) -> None:
    """Render the trial's DAG in this process, as the trial itself is about to."""
    from nbops.adapters import render_tasks

    build = json.loads(Path(str(request["request"])).read_text(encoding="utf-8"))
    render_tasks(Path(str(build["root"])), str(build["pipeline"]),
                 {str(k): str(v) for k, v in dict(build["overrides"]).items()})


def _child(request: TrialRequest, out: int) -> None:
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
        from nbops.sweeps import build_trial

        try:
            build_trial([str(request["request"])])
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


#: A trial's kernel fork server: what the trial adopts, and how to wait for it to end.
Current = tuple[StartedServer, Callable[[], object]]


def kernel_preimports(request: TrialRequest) -> tuple[str, ...] | None:
    """What the trial's kernel fork server pre-imports; None if its build forks no kernels."""
    try:
        build = json.loads(Path(str(request["request"])).read_text(encoding="utf-8"))
        return pipeline_preimports(Path(str(build["root"])) / str(build["pipeline"]))
    except (OSError, ValueError, KeyError):
        return None  # the trial itself reports what is wrong with it


def pipeline_preimports(pipeline: Path) -> tuple[str, ...] | None:
    """What the kernel fork server of ``pipeline``'s builds pre-imports (None: it forks no
    kernels, or the file cannot be read; a build says why)."""
    from nbops.core import ConfigError, load_mapping
    from nbops.runtime import fork_preimports

    try:
        return fork_preimports(load_mapping(pipeline, "pipeline"))
    except (OSError, ValueError, ConfigError):
        return None


def zygote_for(pipeline: Path) -> Zygote | None:
    """A kernel server zygote for ``pipeline``'s builds, started now (None if they fork no
    kernels): its imports then overlap the trial server's own and the sweep's planning."""
    preimport = pipeline_preimports(pipeline)
    return None if preimport is None else _start_zygote(preimport, None)


def _kernels_log(request: TrialRequest) -> str:
    """The sweep's ``kernels.log``: kernel servers' output (no one trial's)."""
    return str(Path(str(request["log"])).parent / "kernels.log")


def _start_afresh(preimport: tuple[str, ...], request: TrialRequest) -> Current | None:
    """A kernel fork server started as a new interpreter (it imports while the trial starts)."""
    try:
        process, started = start_server(preimport=preimport, log=_kernels_log(request))
    except OSError:
        return None  # the trial's build starts its own
    return started, lambda: _reap(process)


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Wait for a kernel fork server to end: it exits once no process holds its stdin."""
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start_zygote(preimport: tuple[str, ...], request: TrialRequest | None) -> Zygote | None:
    """A zygote; its own output (a module it could not import) goes to the sweep's
    ``kernels.log`` when a request names it, else to this server's stderr."""
    try:
        return Zygote(preimport=preimport, log=None if request is None else _kernels_log(request))
    except OSError as exc:
        logger.warning("nbops: each trial starts its kernel fork server afresh (slower): %s",
                       exc)
        return None


def _kernel_server(zygote: Zygote | None, preimport: tuple[str, ...] | None,
                   request: TrialRequest) -> tuple[Current | None, Zygote | None]:
    """The trial's kernel fork server, and the zygote to keep for the next trials."""
    if preimport is None:
        return None, zygote
    if zygote is not None:
        try:
            started = zygote.spawn(log=_kernels_log(request))
        except ForkServerError as exc:
            # e.g. a preload module starts a thread: each trial's own server says so
            # in the trial's log, and its kernels start the ordinary way
            logger.debug("the kernel server zygote cannot serve this sweep: %s", exc)
            zygote.close()
            zygote = None
        else:
            return (started, lambda: zygote.end_server(started.pid)), zygote
    return _start_afresh(preimport, request), zygote


def serve(lines: Any, out: int, zygote: Zygote | None = None) -> None:
    """Answer each request line with how its forked trial ended.

    ``zygote``: one started with this server (:func:`zygote_for`); without it, the first
    trial's kernel fork server is started afresh and a zygote during that trial.
    """
    # the preload the zygote was started (or failed) for
    zygote_for: tuple[str, ...] | None = None if zygote is None else zygote.preimport
    warmed = False
    for line in lines:
        if not line.strip():
            continue
        request: TrialRequest = json.loads(line)  # written by nbops.sweeps' launcher
        preimport = kernel_preimports(request)
        if zygote_for != preimport:  # the pipeline's preload changed between trials
            if zygote is not None:
                zygote.close()
            zygote, zygote_for = None, None
        if threading.active_count() != 1:
            answer: dict[str, int | str] = {
                "error": "the trial server started a thread; not forking"}
        else:
            current, zygote = _kernel_server(zygote, preimport, request)
            pid = os.fork()
            if pid == 0:
                if zygote is not None:
                    os.close(zygote.fileno)  # the zygote ends with this server, not the trial
                if current is not None:
                    hand_over(current[0])
                _child(request, out)
            if current is not None:
                current[0].close()  # the trial now holds the only ends of its pipes
            if zygote_for is None and preimport is not None:
                # forks the next trials' servers; imports while this trial runs
                zygote, zygote_for = _start_zygote(preimport, request), preimport
            if not warmed and worth_warming_up(request):
                warmed = True
                warm_up(request)  # while this trial runs; the next ones inherit it
            if request.get("upcoming"):
                _load_ahead(str(request["upcoming"]))  # the next trial's DAG, meanwhile
            _, status = os.waitpid(pid, 0)
            if current is not None:
                current[1]()  # its kernels are gone before the sweep hears the trial ended
            answer = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                      else {"exit": os.WEXITSTATUS(status)})
        os.write(out, (json.dumps(answer) + "\n").encode())
    if zygote is not None:
        zygote.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m nbops.runtime.trial_server [--pipeline FILE]``.

    ``--pipeline``: the sweep's pipeline file, whose kernel server zygote then starts
    before this server's own imports (both take about 2 s of CPU; side by side on two
    cores, and while the sweep plans).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nbops.runtime.trial_server")
    parser.add_argument("--pipeline", type=Path)
    args = parser.parse_args(argv)
    # Ctrl-C reaches the whole process group: the trial decides what it means; the
    # server only ends when the sweep closes its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.dup(1)  # answers; the trials' own output goes to their logs
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    zygote = None if args.pipeline is None else zygote_for(args.pipeline)
    _preload(PRELOAD)
    os.write(out, b'{"ready": true}\n')
    serve(sys.stdin, out, zygote)
    # Nothing to clean up (every trial has ended): skip the interpreter's slow
    # tear-down of everything preloaded, which the sweep would wait for.
    os._exit(0)


if __name__ == "__main__":
    main()
