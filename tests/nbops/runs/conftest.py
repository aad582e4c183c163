"""Synthetic ledgers for the run-ledger unit tests (no Ploomber build needed)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nbops.core._ids import new_run_id
from nbops.core._project import Project
from nbops.core._store import ContentStore
from nbops.runs._persist import save_manifest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_runs import manifest_for  # noqa: E402


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
