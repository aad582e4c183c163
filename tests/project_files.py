"""Helpers for tests that build the reference project (imported as ``project_files``).

A plain module rather than ``conftest``: several test folders have a conftest.py,
so ``from conftest import …`` picks whichever was imported first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROJECT_FILES = ("pipeline.yaml", "env.yaml", "model_card.yaml", "notebooks")
SMALL_ROWS = 2400
_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.ipynb")


def copy_project_files(dest: Path) -> Path:
    """Copy the reference project's pipeline files into ``dest`` and return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=_IGNORE)
        else:
            shutil.copy2(source, dest / name)
    return dest


def build_environment() -> dict[str, str]:
    """The environment a test build runs in: telemetry off, no run inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    # the machine's team key (tests/conftest.py sets the test session's): a team member's
    # shell has it, and a build with a remote signs registry changes with it
    if "NBOPS_REMOTE_KEY" in os.environ:
        env["NBOPS_REMOTE_KEY"] = os.environ["NBOPS_REMOTE_KEY"]
    env["PLOOMBER_STATS_ENABLED"] = "false"
    env["PLOOMBER_VERSION_CHECK_DISABLED"] = "true"
    return env


def run_build_process(
    project_dir: Path,
    *args: str,
    check: bool = True,
    rows: int | None = SMALL_ROWS,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run ``ploomber build *args`` in ``project_dir``; fail loudly if ``check`` and it fails.

    ``rows`` adds ``--env--data--rows`` (the embedded generator's sample size)
    unless the arguments already set it; pass ``rows=None`` to keep env.yaml's.
    """
    argv = [str(BIN / "ploomber"), "build", *args]
    if rows is not None and not any(a.startswith("--env--data--rows") for a in args):
        argv += ["--env--data--rows", str(rows)]
    proc = subprocess.run(
        argv,
        cwd=project_dir,
        env=build_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"`{' '.join(argv[1:])}` failed with exit code {proc.returncode}\n"
            f"--- stdout (tail) ---\n{proc.stdout[-3000:]}\n"
            f"--- stderr (tail) ---\n{proc.stderr[-6000:]}"
        )
    return proc


#: What the shared reference build holds besides :data:`PROJECT_FILES`.
MONITORING_FILES = ("pipeline.monitor.yaml", "env.monitor.yaml")
GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]


def session_folder(base: Path) -> Path:
    """The folder every test process of this session sees, from a process's own
    ``tmp_path_factory.getbasetemp()`` (under pytest-xdist each worker has its own base
    folder inside the session's)."""
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_reference(shared: Path) -> Path:
    """The reference project built once (2,400 rows, champion churn:1) in ``shared``, a
    folder every test process of the session sees; the first caller builds it, the others
    wait for it under a lock. Copy it with :func:`copy_built_reference`, never build in it.

    It is what a team lead has after ``nbops init``: the monitoring pipeline too, nbops'
    .gitignore, everything committed to git before the build (nbops' own files stay
    untracked), no remote.
    """
    from importlib.resources import files

    built = shared / "reference-built" / "project"
    with locked(shared / "reference-built.lock"):
        if (built.parent / ".complete").is_file():
            return built
        shutil.rmtree(built.parent, ignore_errors=True)  # a build that failed half-way
        copy_project_files(built)
        for name in MONITORING_FILES:
            shutil.copy2(ROOT / name, built / name)
        # what `nbops init` writes: .nbops/registry/ stays visible to git (it can be committed)
        (built / ".gitignore").write_text(
            (files("nbops.scaffold") / "files" / "gitignore.txt").read_text())
        subprocess.run(["git", "init", "-q"], cwd=built, check=True)
        subprocess.run(["git", "add", "-A"], cwd=built, check=True)
        subprocess.run([*GIT, "commit", "-qm", "project"], cwd=built, check=True)
        run_build_process(built, rows=SMALL_ROWS)
        (built.parent / ".complete").write_text("built\n")
    return built


def copy_built_reference(shared: Path, dest: Path) -> Path:
    """A copy of :func:`built_reference` at ``dest`` (times kept: every task stays up to
    date, a rebuild reuses them all)."""
    shutil.copytree(built_reference(shared), dest, symlinks=True)
    return dest


class locked:
    """An exclusive lock on ``path`` (a file), across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # closing releases the lock
