"""Retraining on alert: the normal train/evaluate/gate/promote path on the newest data.

Monitoring never trains or promotes anything itself. On ``alert`` with
retraining configured it starts a plain ``ploomber build`` of the training
pipeline with ``--env--data--path`` pointing at the newest labelled data (the
monitored batch, or ``monitoring.retrain_data``), so the candidate passes the
same quality gates and the same champion comparison as any other build.

* ``nbops monitor BATCH --retrain`` runs that build in the foreground.
* The monitoring pipeline (``retrain: true``) starts it in the background once
  the monitoring run has closed: the build waits for the project lock that
  the monitoring build still holds, and writes its output to a log file in the
  monitoring run's folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbops.adapters import ploomber_command
from nbops.core import build_command
from nbops.runs import TAGS_ENV

# How long a background retrain waits for the monitoring build to release the lock.
LOCK_WAIT_S = 600


def retrain_command(data_path: Path | str, target: str | None = None,
                    overrides: Mapping[str, Any] | None = None) -> list[str]:
    """The ``ploomber build`` command that retrains on ``data_path``.

    Files without a ``.csv`` suffix (such as content-store objects) are read as Parquet.
    ``overrides``: further env keys to set (``{"registry.promotion": "manual"}``).

    Raises:
        ConfigError: Ploomber's command line is not installed.
    """
    path = Path(data_path).resolve()
    data: dict[str, object] = {
        "data.path": str(path),
        "data.format": "csv" if path.suffix.lower() == ".csv" else "parquet",
    }
    if target:
        data["data.target"] = target
    data.update(overrides or {})
    return build_command(ploomber_command(), overrides=data)


def _environment(tags: Mapping[str, Any] | None = None) -> dict[str, str]:
    # A fresh build: nothing of the monitoring run (NBOPS_RUN_ID, ...) is inherited.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env.setdefault("PLOOMBER_STATS_ENABLED", "false")
    env.setdefault("PLOOMBER_VERSION_CHECK_DISABLED", "true")
    env["NBOPS_LOCK_TIMEOUT"] = str(LOCK_WAIT_S)
    if tags:
        env[TAGS_ENV] = json.dumps(dict(tags))
    return env


def run_retrain(root: Path, argv: list[str], tags: Mapping[str, Any] | None = None
                ) -> subprocess.CompletedProcess[str]:
    """Run the retraining build in the foreground and return its outcome.

    ``tags`` label the run it records (``NBOPS_RUN_TAGS``), so the caller finds that very
    run again, not whichever build finished last.
    """
    return subprocess.run(
        argv, cwd=root, env=_environment(tags), capture_output=True, text=True, check=False
    )
def start_retrain(root: Path, argv: list[str], log_path: Path) -> int:
    """Start the retraining build in the background (its own session); return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - argv built by retrain_command
            argv,
            cwd=root,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid
