"""What a manifest must hold before a reproduction starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbops.core._errors import ReproduceError
from nbops.core._project import Project
from nbops.core._store import ContentStore
from nbops.reproduce._runner import plan_from_manifest

RUN = "20261124T034105879591Z-n6dhvl"


def manifest(**git: Any) -> dict[str, Any]:
    state = {"commit": "a" * 40, "branch": "main", "dirty": False, "diff_hash": None, **git}
    return {"run_id": RUN, "status": "succeeded", "provenance": {"git": state}}


def test_clean_run_plans_its_commit(tmp_path: Path) -> None:
    plan = plan_from_manifest(Project(tmp_path), manifest())
    assert (plan.commit, plan.diff, plan.diff_hash) == ("a" * 40, b"", None)


def test_dirty_run_gets_its_stored_diff(tmp_path: Path) -> None:
    project = Project(tmp_path)
    digest = ContentStore(project.store_dir).put_bytes(b"diff --git a/x b/x\n").digest
    plan = plan_from_manifest(
        project, manifest(dirty=True, diff_hash=digest, diff_stored=True, untracked=["new.py"])
    )
    assert plan.diff == b"diff --git a/x b/x\n" and plan.untracked == ["new.py"]


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"status": "running"}, "still running"),
        ({"git": {"commit": None}}, "not made inside a git repository"),
        (
            {
                "git": {
                    "dirty": True,
                    "diff_hash": "blake3:" + "b" * 64,
                    "diff_stored": False,
                    "diff_size": 30_000_000,
                }
            },
            "30000000 bytes",
        ),
    ],
)
def test_unreproducible_runs_are_refused_with_the_reason(
    tmp_path: Path, changes: dict[str, Any], words: str
) -> None:
    data = manifest(**changes.get("git", {}))
    data["status"] = changes.get("status", "succeeded")
    with pytest.raises(ReproduceError, match=words):
        plan_from_manifest(Project(tmp_path), data)
