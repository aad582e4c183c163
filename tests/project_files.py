"""Helpers for tests that build the reference project (imported as ``project_files``).

A plain module rather than ``conftest``: several test folders have a conftest.py,
so ``from conftest import …`` picks whichever was imported first.
"""

from __future__ import annotations

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
