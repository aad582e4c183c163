"""Fixtures shared by every test area.

* ``project_copy``: a temporary copy of the reference project (pipeline.yaml,
  env.yaml, notebooks/) to build in, so tests never touch the checkout.
* ``copy_project``: a session fixture returning ``copy_project_files(dest)``,
  for module-scoped fixtures (use it with ``tmp_path_factory``).
* ``run_build(project_dir, *args, check=True)``: run ``.venv/bin/ploomber build``
  there as a subprocess (telemetry off, a small ``--env--data--rows`` unless
  given) and return the ``CompletedProcess``.

Notebooks import ``churn`` and ``nbops`` from the editable install of ``src/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROJECT_FILES = ("pipeline.yaml", "env.yaml", "notebooks")
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


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the reference project in a temporary folder."""
    return copy_project_files(tmp_path / "project")


@pytest.fixture(scope="session")
def copy_project() -> Callable[[Path], Path]:
    """The :func:`copy_project_files` helper, as a fixture (usable from any scope)."""
    return copy_project_files


@pytest.fixture(scope="session")
def run_build() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The :func:`run_build_process` helper, as a fixture."""
    return run_build_process


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real SeaweedFS S3 server for the whole session (see tests/seaweed_server.py)."""
    from seaweed_server import running_seaweedfs

    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
