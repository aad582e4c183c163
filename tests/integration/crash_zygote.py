"""A zygote for the crash-point harness: import Ploomber and nbops once, fork per command.

A no-op ``ploomber build`` spends most of its CPU importing Ploomber (papermill,
pandas, matplotlib); the close it exercises costs a fraction of that. Killing
a build at each of ~40 named points under two signals would pay that import
~80 times, so this process imports everything once and ``fork()``s a child per
command, as a fork server does. The child runs the real command line (the
``ploomber`` or ``nbops`` entry point, with its argv, cwd and environment),
runs the interpreter's exit handlers as a normal exit would, and exits; the
parent reports how it ended.

Protocol: one JSON request per stdin line, ``{"tool": "ploomber"|"nbops",
"argv": [...], "cwd": DIR, "env": {...}, "log": FILE}`` (the command's stdout and
stderr, together) or, instead of ``log``, ``"stdout": FILE, "stderr": FILE``; one
JSON line ``{"pid": PID}`` when the child is forked, then one JSON answer,
``{"exit": CODE}`` or ``{"signal": NUMBER}``, with ``cpu_s``, the CPU seconds the
command used (a cost figure that does not depend on the machine's load). The child
reads its stdin from /dev/null, as a command run with no input does.

Other modules that run many commands use it through ``forked_commands.py``.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import traceback

WARM = (
    "ploomber_cli.cli", "ploomber.spec", "ploomber.executors", "nbops.cli.main",
    "nbops.hooks", "nbops.engine.executor", "nbops.registry._pipeline_step",
    "nbops.registry._promotion", "nbops.registry._measurements", "nbops.monitoring._after_run",
    "nbops.reports._render", "nbops.reports._run_page", "nbops.reports._site_page",
    "nbops.runs._lifecycle", "nbops.runs._verify", "nbops.runs._gc", "nbops.runs._checkout",
    "jinja2", "jupytext", "nbformat", "parso",
)


def _child(request: dict[str, object]) -> None:
    """Run one command in this (forked) process, then exit without returning."""
    code = 1
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        out = str(request.get("stdout", request.get("log")))
        err = str(request.get("stderr", request.get("log")))
        os.dup2(os.open(out, flags, 0o644), 1)
        os.dup2(os.open(err, flags, 0o644), 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(os.devnull)  # noqa: SIM115 (the child's whole life)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
        argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
        sys.argv = argv
        try:
            if request["tool"] == "ploomber":
                from ploomber_cli.cli import cmd_router

                result = cmd_router()
            else:
                from nbops.cli.main import main

                result = main(argv[1:])
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            traceback.print_exc()
            code = 130
        except BaseException:
            traceback.print_exc()
            code = 1
        try:
            atexit._run_exitfuncs()
        except BaseException:
            traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    import importlib

    for module in (*WARM, *sys.argv[1:]):  # any more modules to import: its arguments
        importlib.import_module(module)
    import nbformat
    import parso

    parso.load_grammar()  # Ploomber parses each notebook's upstream with it: 2 s the first time
    nbformat.validator.get_validator(version=4, version_minor=4)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
        _, status, usage = os.wait4(pid, 0)
        if os.WIFSIGNALED(status):
            answer: dict[str, float] = {"signal": os.WTERMSIG(status)}
        else:
            answer = {"exit": os.WEXITSTATUS(status)}
        answer["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    os._exit(0)  # no interpreter finalization over everything imported: seconds on a busy machine


if __name__ == "__main__":
    main()
