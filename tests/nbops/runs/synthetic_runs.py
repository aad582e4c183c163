"""A valid run manifest for synthetic ledgers (the run-ledger tests' ``add_run``, and the
sweep runner's tests, whose stand-in builds write the runs a build would)."""

from __future__ import annotations

import copy
import os
import socket
from typing import Any

HASH = "blake3:" + "00" * 32


def manifest_for(run_id: str, status: str = "succeeded", **overrides: Any) -> dict[str, Any]:
    """A valid manifest for one task ``a``; override any top-level key."""
    task = {"status": "executed", "duration_s": 1.0, "upstream": [],
            "source": {"path": "notebooks/a.py", "hash": HASH}, "products": {},
            "notebook": None, "produced_by": run_id, "metrics": {}, "artifacts": [],
            "error": None}
    manifest = {
        "schema_version": 1, "run_id": run_id, "project": "p", "status": status,
        "started_at": "2026-01-01T00:00:00.000000Z",
        "finished_at": None if status == "running" else "2026-01-01T00:00:02.000000Z",
        "duration_s": None if status == "running" else 2.0,
        "command": ["ploomber", "build"], "host": socket.gethostname(), "pid": os.getpid(),
        "params": {"a": {"seed": 1}}, "env": {"seed": 1}, "tasks": {"a": task},
        "metrics": {},
        "provenance": {"git": {"commit": "c1", "branch": "main", "dirty": False,
                               "diff_hash": None},
                       "python": "3.11", "platform": "linux", "packages": {"numpy": "2.0"},
                       "lock_hash": None, "sources": {"a": HASH}, "inputs": {}, "seeds": {}},
        "failure": None,
    }
    manifest.update(copy.deepcopy(overrides))
    return manifest
