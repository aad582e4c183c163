"""Checkout writes only products the pipeline declares, inside the project, never through links."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core._errors import IntegrityError
from nbops.core._project import Project
from nbops.runs._checkout import confine, declared_products

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


FIX = ("run `nbops verify r`; the manifest was forged or damaged, restore the run folder "
       "from a backup or delete it")


@pytest.mark.parametrize("path, problem", [
    ("/etc/passwd", "which is not relative to the project"),
    ("../x", "which leaves the products it may restore"),
    ("a.py", "which pipeline.yaml does not declare as a product"),
])
def test_refusals_name_the_run_the_path_and_the_fix(project: Project, path: str,
                                                    problem: str) -> None:
    with pytest.raises(IntegrityError) as info:
        confine(project, path, declared_products(project, "pipeline.yaml"), "r")
    assert info.value.problem == f"Run r names the product path {path!r}, {problem}"
    assert info.value.fix == FIX


def test_the_run_s_own_pipeline_file_declares_its_products(project: Project) -> None:
    (project.root / "pipeline.serve.yaml").write_text("tasks:\n  - source: s.py\n"
                                                     "    product: served/s.csv\n")
    assert declared_products(project, "pipeline.serve.yaml") == ["served/s.csv"]
    # a path instead of a file name in the project: the project's pipeline.yaml
    for name in ("../pipeline.serve.yaml", ".hidden.yaml", None):
        assert "out/b.parquet" in (declared_products(project, name) or [])


def test_checkout_refuses_a_sealed_run_whose_product_is_no_longer_declared(
        project: Project) -> None:
    """nbops wrote the run (its seal agrees), but pipeline.serve.yaml, the file it was built
    from, no longer declares that product: nothing is written."""
    import sys

    from nbops.contracts._manifest_file import write_manifest
    from nbops.core._hashing import hash_bytes
    from nbops.runs._checkout import checkout_run

    sys.path.insert(0, str(Path(__file__).parents[1] / "core"))
    from test_core_schema_manifest import RUN, minimal_manifest

    (project.root / "pipeline.serve.yaml").write_text("tasks:\n  - source: s.py\n"
                                                     "    product: served/s.csv\n")
    content = b"a,b\n1,2\n"  # never stored: the refusal comes before the store is read
    manifest = minimal_manifest()
    task = manifest["tasks"]["a"]
    task["products"] = {"data": {"path": "out/b.parquet", "hash": hash_bytes(content),
                                 "size": len(content)}}
    manifest["build"] = {"pipeline": "pipeline.serve.yaml"}
    path = project.manifest_path(RUN)
    path.parent.mkdir(parents=True)
    write_manifest(path, manifest)
    with pytest.raises(IntegrityError) as info:
        checkout_run(project, RUN)
    assert info.value.problem == (f"Run {RUN} names the product path 'out/b.parquet', which "
                                  "pipeline.serve.yaml does not declare as a product")
    assert not (project.root / "out" / "b.parquet").exists()


@pytest.mark.parametrize("recorded, read", [
    ("pipeline.serve.yaml", "pipeline.serve.yaml"),
    (None, "pipeline.yaml"),
    ("", "pipeline.yaml"),
    ("../elsewhere.yaml", "pipeline.yaml"),  # a forged manifest points nowhere else
    ("conf/pipeline.yaml", "pipeline.yaml"),
    (".hidden.yaml", "pipeline.yaml"),
])
def test_the_pipeline_file_named_by_a_manifest_is_believed_only_in_the_project_folder(
        recorded: str | None, read: str) -> None:
    from nbops.runs._checkout import pipeline_name

    assert pipeline_name(recorded) == read
