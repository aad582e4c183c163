"""Shared helpers for the ledger's integration tests (real ``ploomber build`` processes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "notebooks" / "ledger_project"
BIN = Path(sys.executable).parent


def make_project(tmp: Path) -> Path:
    """Copy the fixture pipeline into ``tmp`` and commit it to a fresh git repository."""
    root = tmp / "project"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".nbops", "reports"))
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "fixture"], cwd=root, check=True)
    return root


def env(**extra: str) -> dict[str, str]:
    """The environment for child processes (telemetry off, no inherited run)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return {**base, "PLOOMBER_STATS_ENABLED": "false", "PLOOMBER_VERSION_CHECK_DISABLED": "true",
            **extra}


def build(root: Path, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    """Run ``ploomber build`` in ``root``."""
    done = subprocess.run([str(BIN / "ploomber"), "build", *args], cwd=root, env=env(**extra),
                          capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        output = done.stdout[-3000:] + "\n" + done.stderr[-3000:]
        raise AssertionError(f"ploomber build failed:\n{output}")
    return done


def nbops(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``nbops`` CLI in ``root``."""
    return subprocess.run([str(BIN / "nbops"), *args], cwd=root, env=env(), capture_output=True,
                          text=True, timeout=120)


def wait_until_sleeping(root: Path, timeout: float = 120) -> None:
    """Wait until the fixture's first notebook is inside its ``sleep_s`` cell."""
    marker = root / ".nbops" / "products" / "sleeping"
    deadline = time.monotonic() + timeout
    while not marker.is_file():
        assert time.monotonic() < deadline, "the build never reached its sleeping cell"
        time.sleep(0.2)
    marker.unlink()


def manifests(root: Path) -> list[dict[str, Any]]:
    """Every run's manifest, oldest first.

    A run being opened has its folder (and seal) before its first manifest, so a
    folder without ``manifest.json`` is skipped, as ``nbops runs`` does.
    """
    folder = root / "reports" / "runs"
    runs = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return [json.loads((p / "manifest.json").read_text()) for p in runs
            if (p / "manifest.json").is_file()]


CURVE_CELL = '''
# %%
for step in range(1, 6):  # a learning curve: its last value is the metric "loss"
    nbops.log_metric("loss", mean / step, step=step)
if curve == "backwards":
    nbops.log_metric("loss", 0.1, step=3)
'''


def add_learning_curve(root: Path) -> Path:
    """Make the fixture's ``train`` notebook log ``loss`` at steps 1..5 (``mean / step``),
    then, with ``--env--curve backwards``, a step that goes back; committed."""
    train = root / "notebooks" / "train.py"
    text = train.read_text()
    text = text.replace('fail = False\n', 'fail = False\ncurve = "ok"\n', 1)
    text = text.replace('nbops.log_metric("train_mean", mean)\n',
                        'nbops.log_metric("train_mean", mean)\n' + CURVE_CELL, 1)
    train.write_text(text)
    pipeline = root / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text().replace(
        "      fail: '{{fail}}'\n", "      fail: '{{fail}}'\n      curve: '{{curve}}'\n", 1))
    env_file = root / "env.yaml"
    env_file.write_text(env_file.read_text() + "curve: ok\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "commit", "-qam", "learning curve"], cwd=root, check=True)
    return root
