"""Checkout writes only products the pipeline declares, inside the project, never through links."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core.errors import IntegrityError
from nbops.core.project import Project
from nbops.runs.checkout import confine, declared_products

PIPELINE = """tasks:
  - source: a.py
    product:
      nb: '{{root}}/out/a.ipynb'
      data: out/{{name}}.csv
  - source: b.py
    product: out/b.parquet
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "out").mkdir()
    return Project(tmp_path)


def test_declared_products_allow_placeholders(project: Project) -> None:
    declared = declared_products(project, "pipeline.yaml")
    for path in ("out/a.ipynb", "out/x.csv", "out/b.parquet"):
        assert confine(project, path, declared, "r") == project.root / path


@pytest.mark.parametrize("path, words", [
    ("../evil.txt", "leaves the products"),
    ("out/../../evil.txt", "leaves the products"),
    ("/etc/passwd", "not relative to the project"),
    ("C:\\\\evil.txt", "not relative to the project"),
    (".git/config", "leaves the products"),
    ("a.py", "does not declare as a product"),
    ("", "not relative to the project"),
])
def test_undeclared_or_escaping_paths_are_refused(project: Project, path: str,
                                                  words: str) -> None:
    with pytest.raises(IntegrityError, match=words):
        confine(project, path, declared_products(project, "pipeline.yaml"), "r")


def test_a_link_on_the_way_is_refused(project: Project, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project.root / "out").rmdir()
    (project.root / "out").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(IntegrityError, match="symbolic link out"):
        confine(project, "out/b.parquet", declared_products(project, "pipeline.yaml"), "r")


def test_a_task_factory_pipeline_keeps_the_other_rules(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("tasks: {dotted_path: x.make}\n")
    project = Project(tmp_path)
    assert declared_products(project, "pipeline.yaml") is None
    assert confine(project, "anything/x.csv", None, "r") == tmp_path / "anything/x.csv"
    with pytest.raises(IntegrityError):
        confine(project, "../x.csv", None, "r")
