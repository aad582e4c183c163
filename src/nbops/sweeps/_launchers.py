"""Where a trial's child process runs: here, or on a Dask cluster's worker.

A trial is one call of :func:`nbops.sweeps._trial_build.main` with its request
file, run in its slot with its output in a log file, in a process of its own.

:func:`run_here` has it forked by a trial server (:mod:`nbops.runtime.trial_server`)
that imported Ploomber and nbops once: a trial then costs its own work, not
Ploomber's 2-3 s import. Each thread of the sweep (one per ``--workers`` slot)
has its own server. :class:`DaskLauncher` runs ``python -m nbops.sweeps._trial_build
REQUEST`` as a task on a Dask cluster, a ``LocalCluster`` started for the sweep
(``--dask local``, bound to 127.0.0.1) or a scheduler's address. Dask workers
must see the project's folder at the same path (this machine, or a shared file
system): the slot, the store and the ledger are files.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, Protocol


class Launcher(Protocol):
    """Runs the trial described by ``request`` in ``cwd`` with its output in ``log_path``.

    ``upcoming``: the request of the trial that will follow in the same place, when
    known, for a launcher that prepares it meanwhile. Returns the exit code and where it
    ran (``"here"``, or the Dask worker's address).
    """

    def __call__(self, request: Path, cwd: Path, log_path: Path,
                 upcoming: Path | None = None) -> tuple[int, str]: ...


def _trial_command(request: Path) -> list[str]:
    return [sys.executable, "-m", "nbops.sweeps._trial_build", str(request)]


def _run(argv: list[str], cwd: Path, log_path: Path) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        return subprocess.run(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode


class TrialServer:
    """A running :mod:`nbops.runtime.trial_server`: one trial at a time, forked."""

    def __init__(self, pipeline: Path | None = None) -> None:
        argv = [sys.executable, "-m", "nbops.runtime.trial_server"]
        if pipeline is not None:  # its kernel server zygote starts at once
            argv += ["--pipeline", str(pipeline)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self._ready: bool | None = None

    @property
    def ready(self) -> bool:
        """Whether the server finished its imports and serves (waits for it the first time)."""
        if self._ready is None:
            self._ready = json.loads(self._stdout.readline() or "{}").get("ready") is True
        return self._ready

    @property
    def _stdout(self) -> IO[str]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def run(self, request: Path, cwd: Path, log_path: Path,
            upcoming: Path | None = None) -> int | None:
        """The trial's exit code (a signal as 128 + N), or None if the server could not fork."""
        assert self.proc.stdin is not None
        line = json.dumps({"request": str(request), "cwd": str(cwd), "log": str(log_path),
                           "env": dict(os.environ),
                           "upcoming": None if upcoming is None else str(upcoming)})
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = json.loads(self._stdout.readline() or "{}")
        except (OSError, ValueError):
            return None
        if "signal" in answer:
            return 128 + int(answer["signal"])
        return int(answer["exit"]) if "exit" in answer else None

    def close(self) -> None:
        """End the server (it exits when its stdin closes; one never used is not waited for)."""
        if self._ready is None and self.proc.poll() is None:
            self.proc.kill()  # still importing, no trial ever ran in it
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._stdout.close()


_SERVERS = threading.local()
_ALL: list[TrialServer] = []
_SPARE: list[TrialServer] = []
_SPARE_LOCK = threading.Lock()


#: The pipeline file of the sweep's builds, when known (for servers started on demand too).
_PIPELINE: list[Path] = []


def _started() -> TrialServer:
    server = TrialServer(_PIPELINE[0] if _PIPELINE else None)
    if not _ALL:
        atexit.register(close_servers)
    _ALL.append(server)
    return server


def start_servers(count: int, pipeline: Path | None = None) -> None:
    """Start ``count`` trial servers now, without waiting for them: their imports overlap
    the sweep's own start (reading env.yaml, planning); each trial thread takes one.

    ``pipeline``: the sweep's pipeline file; each server then starts the zygote of its
    trials' kernel fork servers at once (:func:`nbops.runtime.trial_server.zygote_for`).
    """
    from nbops.runtime import speedups_off

    if speedups_off():
        return  # NBOPS_RUNTIME=plain: each trial a plain child process
    with _SPARE_LOCK:
        if pipeline is not None:
            _PIPELINE[:] = [pipeline]
        _SPARE.extend(_started() for _ in range(max(0, count)))


def _server() -> TrialServer | None:
    server: TrialServer | None = getattr(_SERVERS, "server", None)
    # a server close_servers() ended is gone even while its process is still exiting
    if server is None or server not in _ALL or server.proc.poll() is not None:
        with _SPARE_LOCK:
            server = _SPARE.pop(0) if _SPARE else _started()
        if not server.ready:
            server.close()
            return None
        _SERVERS.server = server
    return server


def release_server() -> None:
    """Give this thread's trial server (warmed up by its trials) to the next thread that
    needs one, instead of leaving it idle: the sweep's first trial runs alone in the
    sweep's own thread, before the worker threads start."""
    server: TrialServer | None = getattr(_SERVERS, "server", None)
    _SERVERS.server = None
    if server is not None and server.proc.poll() is None:
        with _SPARE_LOCK:
            _SPARE.insert(0, server)


def close_servers() -> None:
    """End every trial server this process started."""
    _SERVERS.server = None  # the calling thread's; another thread's is no longer in _ALL
    with _SPARE_LOCK:
        _SPARE.clear()
        _PIPELINE.clear()
    while _ALL:
        _ALL.pop().close()


def run_here(request: Path, cwd: Path, log_path: Path,
             upcoming: Path | None = None) -> tuple[int, str]:
    """Run the trial on this machine, forked by this thread's trial server (which loads
    the ``upcoming`` trial's DAG meanwhile)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    from nbops.runtime import speedups_off

    server = None if speedups_off() else _server()
    code = None if server is None else server.run(request, cwd, log_path, upcoming)
    if code is None:  # no server (or it could not fork): a plain child process
        code = _run(_trial_command(request), cwd, log_path)
    return code, "here"


def _run_on_worker(request: str, cwd: str, log_path: str) -> tuple[int, str]:
    from distributed import get_worker

    return (_run(_trial_command(Path(request)), Path(cwd), Path(log_path)),
            f"dask worker {get_worker().address}")


class DaskLauncher:
    """Run each trial as a task on a Dask cluster (one trial per worker thread)."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            from nbops.core import ConfigError

            raise ConfigError("--dask needs Dask's distributed package, which is not installed",
                              "pip install 'nbops[dask]'") from None

        self.cluster: Any = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None)
            self.client: Any = Client(self.cluster)
        else:
            self.client = Client(address)

    def __call__(self, request: Path, cwd: Path, log_path: Path,
                 upcoming: Path | None = None) -> tuple[int, str]:
        # each trial is a new process on some worker: nothing to prepare ahead there
        future = self.client.submit(_run_on_worker, str(request), str(cwd), str(log_path),
                                    pure=False)
        code, where = future.result()
        return int(code), str(where)

    def close(self) -> None:
        """Disconnect (and stop the cluster the sweep started)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
