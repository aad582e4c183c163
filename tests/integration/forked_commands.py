"""Run ``ploomber`` and ``nbops`` command lines forked from a warm zygote (crash_zygote.py).

A ``ploomber build`` process spends about 3 CPU seconds importing Ploomber, papermill,
pandas and nbops before it does anything; a module that runs twenty commands pays
that twenty times. :class:`ForkedCommands` starts the zygote once (one import) and
forks a child per command: the child runs the real console-script entry point with
the command's argv, working directory and environment, so the command behaves as
the installed script does, and its stdout and stderr come back separately as a
``subprocess.CompletedProcess`` (a negative return code for a signal, as
``subprocess.run`` gives).

Tests that assert how a fresh interpreter starts (the ``.pth`` start-up hooks run
before Ploomber is imported) keep running the real script with ``subprocess``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from project_files import BIN, SMALL_ROWS, build_environment

ZYGOTE = Path(__file__).with_name("crash_zygote.py")


class ForkedCommands:
    """One zygote; :meth:`run` forks a child per command line."""

    def __init__(self, env: dict[str, str], warm: Sequence[str] = ()) -> None:
        """Start the zygote in ``env``; it imports ``warm`` (module names) as well."""
        self.proc = subprocess.Popen([sys.executable, str(ZYGOTE), *warm],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.pending = b""  # read from the zygote, not yet a whole line
        self.outputs = Path(tempfile.mkdtemp(prefix="nbops-forked-"))
        self.count = 0
        self.cpu_s = 0.0  # CPU seconds the commands used, their children included
        ready = self._line(600)
        assert json.loads(ready) == {"ready": True}, ready

    def _line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise TimeoutError(f"no answer from the command zygote within {timeout} s")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            assert chunk, "the command zygote exited"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def run(self, argv: Sequence[str | os.PathLike[str]], cwd: Path, env: dict[str, str],
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` (its first item the ``ploomber`` or ``nbops`` script) in ``cwd``."""
        assert self.proc.stdin is not None
        args = [str(a) for a in argv]
        tool = Path(args[0]).name
        assert tool in ("ploomber", "nbops"), args
        self.count += 1
        out, err = (self.outputs / f"{self.count}.{name}" for name in ("out", "err"))
        request = {"tool": tool, "argv": args, "cwd": str(cwd), "env": env,
                   "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        pid = json.loads(self._line(60))["pid"]
        try:
            answer = json.loads(self._line(timeout))
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            raise
        self.cpu_s += answer["cpu_s"]
        code = answer["exit"] if "exit" in answer else -answer["signal"]
        texts = [path.read_text() if path.exists() else "" for path in (out, err)]
        for path in (out, err):
            path.unlink(missing_ok=True)
        return subprocess.CompletedProcess(args, code, texts[0], texts[1])

    def build(self, project: Path, *args: str, check: bool = True,
              rows: int | None = SMALL_ROWS) -> subprocess.CompletedProcess[str]:
        """``ploomber build *args`` in ``project``, as :func:`run_build_process` runs it."""
        argv = [str(BIN / "ploomber"), "build", *args]
        if rows is not None and not any(a.startswith("--env--data--rows") for a in args):
            argv += ["--env--data--rows", str(rows)]
        done = self.run(argv, project, build_environment())
        if check and done.returncode != 0:
            raise AssertionError(f"`{' '.join(argv[1:])}` failed with exit code "
                                 f"{done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
        return done

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=120)
        self.proc.stdout.close()
        os.rmdir(self.outputs)


@contextmanager
def forked_commands(env: dict[str, str] | None = None,
                    warm: Sequence[str] = ()) -> Iterator[ForkedCommands]:
    """A :class:`ForkedCommands` for the ``with`` block (a module fixture's lifetime),
    the zygote started in ``env`` (by default, a test build's environment)."""
    runner = ForkedCommands(build_environment() if env is None else env, warm)
    try:
        yield runner
    finally:
        runner.close()
