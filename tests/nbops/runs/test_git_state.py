"""The git state a run records: nbops' own files never make a project look modified.

Every build writes ``.nbops/`` (the registry, whose folder the scaffold's
.gitignore keeps visible so it can be committed) and ``reports/``; a promotion
changes a committed ``models.json``. None of that is a change to what the run
was made from, so none of it may set ``dirty``; a user's edit still does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from nbops.runs._provenance import git_state

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
IGNORE = ("reports/*\n!reports/README.md\n.nbops/*\n!.nbops/registry/\n"
          ".nbops/registry/.tmp-*\n")


def _repo(root: Path) -> Path:
    root.mkdir()
    (root / ".gitignore").write_text(IGNORE)
    (root / "pipeline.yaml").write_text("tasks: []\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "start"], cwd=root, check=True)
    return root


def test_nbops_own_files_do_not_make_a_run_dirty(tmp_path: Path) -> None:
    root = _repo(tmp_path / "project")
    registry = root / ".nbops" / "registry"
    registry.mkdir(parents=True)
    (registry / "models.json").write_text('{"models": {}}\n')  # untracked, as after build 1
    (root / ".nbops" / "remote.yaml").write_text("url: s3://team/x\n")
    (root / "reports" / "runs" / "r1").mkdir(parents=True)
    (root / "reports" / "runs" / "r1" / "manifest.json").write_text("{}")
    state = git_state(root, None)
    assert state["dirty"] is False, state
    assert state["untracked"] == []

    subprocess.run(["git", "add", "-f", ".nbops/registry"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "registry"], cwd=root, check=True)
    (registry / "models.json").write_text('{"models": {"churn": {}}}\n')  # a promotion
    assert git_state(root, None)["dirty"] is False


def test_a_users_change_still_makes_a_run_dirty(tmp_path: Path) -> None:
    root = _repo(tmp_path / "project")
    (root / "pipeline.yaml").write_text("tasks: [changed]\n")
    (root / "new_notebook.py").write_text("x = 1\n")
    (root / ".nbops" / "registry").mkdir(parents=True)
    (root / ".nbops" / "registry" / "models.json").write_text("{}")
    state = git_state(root, None)
    assert state["dirty"] is True
    assert state["untracked"] == ["new_notebook.py"]
    assert state["diff_hash"] is not None


def test_a_project_in_a_subfolder_keeps_changes_elsewhere_in_the_repository(
        tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    project = repo / "ml"
    project.mkdir()
    (project / "pipeline.yaml").write_text("tasks: []\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "project"], cwd=repo, check=True)
    (project / ".nbops" / "registry").mkdir(parents=True)
    (project / ".nbops" / "registry" / "models.json").write_text("{}")
    assert git_state(project, None)["dirty"] is False
    (repo / "pipeline.yaml").write_text("tasks: [shared code changed]\n")  # outside the project
    assert git_state(project, None)["dirty"] is True
