"""Where a trial's child process runs: here, or on a Dask cluster's worker.

A trial is one command (``python -m nbops.sweeps.trial_build REQUEST``) run in
its slot with its output in a log file. :func:`run_here` runs it as a child of
the sweep; :class:`DaskLauncher` submits the same call to a Dask cluster, a
``LocalCluster`` started for the sweep (``--dask local``, bound to 127.0.0.1) or
a scheduler's address. Dask workers must see the project's folder at the same
path (this machine, or a shared file system): the slot, the store and the ledger
are files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Protocol


class Launcher(Protocol):
    """Runs ``argv`` in ``cwd`` with its output in ``log_path``.

    Returns the exit code and where it ran (``"here"``, or the Dask worker's address).
    """

    def __call__(self, argv: list[str], cwd: Path, log_path: Path) -> tuple[int, str]: ...


def _run(argv: list[str], cwd: Path, log_path: Path) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        return subprocess.run(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                              check=False).returncode


def run_here(argv: list[str], cwd: Path, log_path: Path) -> tuple[int, str]:
    """Run the trial as a child of this process."""
    return _run(argv, cwd, log_path), "here"


def _run_on_worker(argv: list[str], cwd: str, log_path: str) -> tuple[int, str]:
    from distributed import get_worker

    return _run(argv, Path(cwd), Path(log_path)), f"dask worker {get_worker().address}"


class DaskLauncher:
    """Run each trial as a task on a Dask cluster (one trial per worker thread)."""

    def __init__(self, address: str, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            from nbops.core.errors import ConfigError

            raise ConfigError("--dask needs Dask's distributed package, which is not installed",
                              "pip install 'nbops[dask]'") from None

        self.cluster: Any = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None)
            self.client: Any = Client(self.cluster)
        else:
            self.client = Client(address)

    def __call__(self, argv: list[str], cwd: Path, log_path: Path) -> tuple[int, str]:
        future = self.client.submit(_run_on_worker, argv, str(cwd), str(log_path), pure=False)
        code, where = future.result()
        return int(code), str(where)

    def close(self) -> None:
        """Disconnect (and stop the cluster the sweep started)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
