"""A real S3-compatible object store for the remote's tests: SeaweedFS (``weed``, from PyPI).

One server per test session (``seaweedfs`` fixture in ``tests/conftest.py``): a
temporary data folder, free loopback ports (each gRPC port is its HTTP port +
10000, so both must be free), credentials of its own (so a wrong key is really
refused), polled until its S3 API answers, and killed by its pid at the end.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ports import kill_server

WEED = Path(sys.executable).parent / "weed"
ACCESS_KEY = "nbops-test-key"
SECRET_KEY = "nbops-test-secret"


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair(taken: set[int]) -> int:
    """A free port below 55536 whose +10000 gRPC twin is free too."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 55536 and port not in taken and port + 10000 not in taken and _free(
                port + 10000):
            taken.update({port, port + 10000})
            return port


@dataclass
class SeaweedFS:
    """A running server: its S3 endpoint and the environment a client needs."""

    endpoint: str
    pid: int
    folder: Path
    bucket: str | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """Standard AWS variables pointing at this server (what a user's CI would set)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1",
                **extra}

    def filesystem(self) -> Any:
        """A fresh s3fs client of this server, with no cache: each test sees what is there."""
        import s3fs

        return s3fs.S3FileSystem(key=ACCESS_KEY, secret=SECRET_KEY, skip_instance_cache=True,
                                 use_listings_cache=False,
                                 client_kwargs={"endpoint_url": self.endpoint,
                                                "region_name": "us-east-1"})

    def new_bucket(self) -> str:
        """A fresh, empty place to use as a bucket: ``BUCKET/PREFIX``.

        One real bucket per server, a new prefix per call: SeaweedFS gives each
        bucket its own collection of volumes, and a few dozen buckets exhaust
        a test server's volume slots (it then answers InternalError).
        """
        if self.bucket is None:
            self.bucket = "nbops-tests"
            self.filesystem().mkdir(self.bucket)
        return f"{self.bucket}/t{uuid.uuid4().hex[:12]}"


@contextmanager
def running_seaweedfs(folder: Path, timeout: float = 90) -> Iterator[SeaweedFS]:
    """Start ``weed server`` with S3 on loopback; stop it (by pid) on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "nbops", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    taken: set[int] = set()
    s3, master, volume, filer = (free_port_pair(taken) for _ in range(4))
    data = folder / "data"
    data.mkdir(exist_ok=True)
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(WEED), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
         "-master.volumeSizeLimitMB=128", "-volume.max=300",
         "-s3", f"-s3.port={s3}", f"-s3.config={config}", "-s3.port.iceberg=0",
         "-s3.port.lance=0"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedFS(f"http://127.0.0.1:{s3}", proc.pid, folder)
    try:
        _wait_ready(server, proc, timeout)
        yield server
    finally:
        kill_server(proc)
        log.close()


def _wait_ready(server: SeaweedFS, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until a bucket can be created and an object written (raft leader elected)."""
    import s3fs

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed server exited with {proc.returncode}; see "
                               f"{server.folder / 'weed.log'}")
        try:
            fs = s3fs.S3FileSystem(key=ACCESS_KEY, secret=SECRET_KEY, skip_instance_cache=True,
                                   config_kwargs={"connect_timeout": 1, "read_timeout": 5,
                                                  "retries": {"max_attempts": 1}},
                                   client_kwargs={"endpoint_url": server.endpoint,
                                                  "region_name": "us-east-1"})
            fs.mkdir("ready-probe")
            fs.pipe_file("ready-probe/x", b"ok")
            return
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
            time.sleep(0.3)
    raise RuntimeError(f"SeaweedFS did not answer within {timeout}s ({last})")
