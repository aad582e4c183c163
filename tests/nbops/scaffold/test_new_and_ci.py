"""`nbops new` renders a complete project; `nbops init ci` writes workflows that validate
against the services' published JSON Schemas (check-jsonschema's bundled copies, offline);
The build of a new project is tested
from an installed wheel in tests/packaging/test_wheel_install.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nbops.core._errors import ConfigError
from nbops.scaffold._ci import render_ci, write_ci
from nbops.scaffold._init import plan_init
from nbops.scaffold._new import new_project, render_project

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}


def test_new_project_has_every_part_and_nbops_init_finds_nothing_missing(tmp_path) -> None:
    root = new_project(tmp_path, "credit-risk")
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {"pipeline.yaml", "env.yaml", "README.md", "tests/test_pipeline.py",
            "notebooks/load.py", "notebooks/validate.py", "notebooks/train.py",
            "notebooks/evaluate.py", "reports/README.md", ".gitignore", "model_card.yaml",
            ".jupyter/labconfig/default_setting_overrides.json"} == files
    pipeline = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert [t["name"] for t in pipeline["tasks"]] == ["load", "validate", "train", "evaluate"]
    assert pipeline["on_render"]["registry"] == "{{registry}}"
    env = yaml.safe_load((root / "env.yaml").read_text())
    assert set(env["gates"]) >= {"min_roc_auc", "no_regression"}
    assert "model" not in env["registry"]  # defaults to the project's name
    assert "credit-risk" in (root / "README.md").read_text()
    assert plan_init(root, registry=True, executor=True) == []  # already complete


def test_rendered_notebooks_and_test_are_valid_python() -> None:
    for path, text in render_project("demo").items():
        if path.endswith(".py"):
            compile(text, path, "exec")
            assert "{{" not in text or path == "tests/test_pipeline.py", path


@pytest.mark.parametrize("name", ["1abc", "a b", "../escape", "", "x" * 70])
def test_bad_names_are_refused_before_anything_is_written(tmp_path, name) -> None:
    with pytest.raises(ConfigError, match="not a usable project name"):
        new_project(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_never_overwritten(tmp_path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "mine.txt").write_text("keep")
    proc = subprocess.run([str(BIN / "nbops"), "new", "demo"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "already exists" in proc.stderr
    assert [p.name for p in (tmp_path / "demo").iterdir()] == ["mine.txt"]


def test_new_killed_before_the_rename_leaves_no_half_project(tmp_path) -> None:
    proc = subprocess.run([str(BIN / "nbops"), "new", "demo"], cwd=tmp_path,
                          env={**_env(), "NBOPS_CRASH_AT": "new.files_written"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9
    assert not (tmp_path / "demo").exists()
    again = subprocess.run([str(BIN / "nbops"), "new", "demo"], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and (tmp_path / "demo" / "pipeline.yaml").is_file()


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ci")
    (root / "pipeline.yaml").write_text("tasks: []\n")
    (root / "requirements.txt").write_text("scikit-learn\n")
    return {kind: write_ci(root, kind).path for kind in ("github", "gitlab")}


@pytest.mark.parametrize("kind, schema", [("github", "vendor.github-workflows"),
                                          ("gitlab", "vendor.gitlab-ci")])
def test_ci_workflows_validate_against_the_published_schemas(workflows, kind, schema) -> None:
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema,
                           str(workflows[kind])], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_github_workflow_builds_keeps_reports_and_writes_the_summary(workflows) -> None:
    flow = yaml.safe_load(workflows["github"].read_text())
    steps = flow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("pip install -r requirements.txt" in r for r in runs)
    assert "ploomber build" in runs
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert summary["if"] == upload["if"] == "always()"  # kept when a gate fails the build
    assert upload["with"]["path"] == "reports/"


def test_gitlab_job_keeps_reports_even_when_the_build_fails(workflows) -> None:
    job = yaml.safe_load(workflows["gitlab"].read_text())["nbops-pipeline"]
    assert "ploomber build" in job["script"]
    assert job["artifacts"]["when"] == "always" and "reports/" in job["artifacts"]["paths"]
    assert any("nbops summary --markdown" in line for line in job["after_script"])


def test_ci_is_idempotent_and_never_overwrites_a_different_file(tmp_path) -> None:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    assert write_ci(tmp_path, "github") is not None
    assert write_ci(tmp_path, "github") is None
    path = tmp_path / ".github/workflows/nbops.yml"
    path.write_text("name: mine\n")
    with pytest.raises(ConfigError, match="already exists"):
        write_ci(tmp_path, "github")
    assert path.read_text() == "name: mine\n"
    write_ci(tmp_path, "github", force=True)
    assert path.read_text() == render_ci(tmp_path, "github")


def test_ci_outside_a_project_and_without_a_service_is_refused(tmp_path) -> None:
    proc = subprocess.run([str(BIN / "nbops"), "init", "ci", "--github"], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "no pipeline.yaml" in proc.stderr
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    proc = subprocess.run([str(BIN / "nbops"), "init", "ci"], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "--github or --gitlab" in proc.stderr
    assert not (tmp_path / ".github").exists()


