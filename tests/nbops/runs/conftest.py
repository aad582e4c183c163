"""Synthetic ledgers for the run-ledger unit tests (no Ploomber build needed)."""

from __future__ import annotations

import copy
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nbops.core._ids import new_run_id
from nbops.core._project import Project
from nbops.core._store import ContentStore
from nbops.runs._persist import save_manifest

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


@pytest.fixture
def project(tmp_path) -> Project:
    # one task declaring the products the runs below record (checkout restores only
    # declared products)
    (tmp_path / "pipeline.yaml").write_text(
        "tasks:\n  - source: make.py\n    product:\n      data: out/data\n"
        "      model: out/model\n")
    return Project(tmp_path)


@pytest.fixture
def add_run(project: Project) -> Callable[..., dict[str, Any]]:
    """Write a run; ``products`` maps product keys to bytes stored in the store."""
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = ContentStore(project.store_dir)

    def add(status: str = "succeeded", products: dict[str, bytes] | None = None,
            metrics: dict[str, float] | None = None, **overrides: Any) -> dict[str, Any]:
        clock[0] += timedelta(seconds=1)
        run_id = new_run_id(clock[0])
        manifest = manifest_for(run_id, status, **overrides)
        for key, data in (products or {}).items():
            digest = store.put_bytes(data).digest
            manifest["tasks"]["a"]["products"][key] = {"path": f"out/{key}", "hash": digest,
                                                       "size": len(data)}
        if metrics:
            manifest["metrics"] = dict(metrics)
            manifest["tasks"]["a"]["metrics"] = dict(metrics)
        save_manifest(project, manifest)
        return manifest

    return add
