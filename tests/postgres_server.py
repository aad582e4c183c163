"""A throwaway PostgreSQL server for tests: ``initdb`` into a temporary folder,
``pg_ctl start`` on a free 127.0.0.1 port, stopped (and the folder removed) after.

Debian's server binaries (``.ci/install-postgresql`` installs them when missing).
PostgreSQL refuses to run as root: under root (as on CI) the folder is handed to the
``postgres`` system user (``nobody`` if there is none) and every server command runs
as that user through ``runuser``; as anyone else it runs as the current user.
Password authentication (scram-sha-256) on TCP, so a wrong password is refused.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from ports import free_port

USER = "nbops_test"
PASSWORD = "s3cret-Pg-pw-4417"


def server_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder, else the folder of ``initdb`` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """One server; :meth:`start` / :meth:`stop` may be called again (same port and data)."""

    def __init__(self) -> None:
        bin_dir = server_binaries()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries (run .ci/install-postgresql)")
        self.bin = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="nbops-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.runas: list[str] = []
        owner = None
        if os.geteuid() == 0:
            name = "postgres"
            try:
                pwd.getpwnam(name)
            except KeyError:
                name = "nobody"
            self.runas = ["runuser", "-u", name, "--"]
            owner = pwd.getpwnam(name)
        pwfile = self.base / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if owner is not None:
            for path in (self.base, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        pwfile.unlink()

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.runas, str(self.bin / tool), *args], capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, password: str = PASSWORD, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.base, ignore_errors=True)
