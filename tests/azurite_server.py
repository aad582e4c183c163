"""A real Azure Blob Storage API for the ``az://`` remote's tests: Azurite (from npm).

``.ci/install-azurite`` (run by ``make test``) puts Azurite in ``.cache/azurite``
and the ``azure`` extra (adlfs + the Azure SDK, pinned in
``requirements-azure.lock``) in ``.cache/azure-extra``, outside ``.venv``:
installed there, papermill would import the Azure SDK at every ``ploomber
build`` (see the Makefile's ``lock`` target). So the Azure tests run ``nbops``
in subprocesses whose ``PYTHONPATH`` holds that folder (:meth:`Azurite.env`).

One server per test session (``azurite`` fixture in ``tests/conftest.py``): a
temporary data folder, a free loopback port, telemetry off, polled until it
answers, killed by its pid at the end. It serves Azurite's documented
development account (``devstoreaccount1`` and its published key), so a wrong
key is really refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ports import free_port, kill_server

ROOT = Path(__file__).resolve().parents[1]
AZURITE = ROOT / ".cache" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
AZURE_EXTRA = ROOT / ".cache" / "azure-extra"
ACCOUNT = "devstoreaccount1"
#: Azurite's well-known development key (published in its README; not a secret).
ACCOUNT_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")
CONTAINER = "nbops-tests"


def connection_string(endpoint: str, key: str = ACCOUNT_KEY) -> str:
    """The connection string a user would put in AZURE_STORAGE_CONNECTION_STRING."""
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={endpoint}/{ACCOUNT};")


def python_path() -> str:
    """PYTHONPATH for a child that may import the Azure SDK (the extra's folder first)."""
    return os.pathsep.join(p for p in (str(AZURE_EXTRA), os.environ.get("PYTHONPATH", "")) if p)


@dataclass
class Azurite:
    """A running server: its blob endpoint and the environment a client needs."""

    endpoint: str
    pid: int
    folder: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The standard Azure variable pointing at this server, and the extra's PYTHONPATH."""
        return {"AZURE_STORAGE_CONNECTION_STRING": connection_string(self.endpoint),
                "PYTHONPATH": python_path(), **extra}

    def new_place(self) -> str:
        """A fresh, empty ``CONTAINER/PREFIX`` (one container per server, a prefix per call)."""
        return f"{CONTAINER}/t{uuid.uuid4().hex[:12]}"

    def run_python(self, code: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``code`` in a child that can import adlfs (for a test's own look at blobs)."""
        return subprocess.run([sys.executable, "-c", code, *args],
                              env={**os.environ, **self.env(**extra)}, capture_output=True,
                              text=True, timeout=120)


_CREATE_CONTAINER = """
import sys
from adlfs import AzureBlobFileSystem
fs = AzureBlobFileSystem(skip_instance_cache=True)
fs.mkdir(sys.argv[1])
"""


def check_installed() -> None:
    """Fail with the fix when ``make test``'s installs have not run."""
    for needed in (AZURITE, AZURE_EXTRA / "adlfs"):
        if not needed.exists():
            raise RuntimeError(f"{needed} is missing: run `bash .ci/install-azurite` "
                               "(make test does)")


@contextmanager
def running_azurite(folder: Path, timeout: float = 60) -> Iterator[Azurite]:
    """Start ``azurite-blob`` on loopback; stop it (by pid) on exit."""
    check_installed()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(folder / "azurite.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(folder / "data"), "--skipApiVersionCheck", "--disableTelemetry",
         "--silent"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Azurite(f"http://127.0.0.1:{port}", proc.pid, folder)
    try:
        _wait_ready(server, proc, timeout)
        made = server.run_python(_CREATE_CONTAINER, CONTAINER)
        if made.returncode != 0:
            raise RuntimeError(f"could not create the test container: {made.stderr[-2000:]}")
        yield server
    finally:
        kill_server(proc)
        log.close()


def _wait_ready(server: Azurite, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until the blob endpoint answers HTTP (any status: an unsigned request is refused)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"azurite-blob exited with {proc.returncode}; see "
                               f"{server.folder / 'azurite.log'}")
        try:
            urllib.request.urlopen(f"{server.endpoint}/{ACCOUNT}?comp=list", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"Azurite did not answer within {timeout}s ({last})")
