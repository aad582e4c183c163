"""`nbops check` on function tasks (``source: tasks.data.clean``) and DAG factories
(``location: factory.make``): found as Ploomber finds them, without importing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core._errors import ConfigError
from nbops.validation._config_files import check_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "__init__.py").write_text("")
    # a module that must not be imported by a check (it would fail at import)
    (tmp_path / "tasks" / "data.py").write_text(
        "raise RuntimeError('imported')\n\n"
        "from os.path import join as joined\n\n"
        "def get(product):\n    pass\n\n"
        "clean = get\n")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "a.sql").write_text("select 1")
    return tmp_path


def write(project: Path, text: str) -> None:
    (project / "pipeline.yaml").write_text(text)


def test_function_sources_are_accepted_with_their_function_names(project: Path) -> None:
    write(project, "tasks:\n"
                   "  - {source: tasks.data.get, product: out/a.csv}\n"
                   "  - {source: tasks.data.clean, product: out/b.csv}\n"
                   "  - {source: tasks.data.joined, product: out/c.csv, name: j}\n"
                   "  - {source: sql/a.sql, product: [t, table]}\n"
                   "  - {source: '{{here}}/sql/a.sql', product: [u, table], name: u}\n")
    assert check_project(project).tasks == ["get", "clean", "j", "a", "u"]


@pytest.mark.parametrize("source, problem", [
    ("tasks.data.gone", "task source tasks.data.gone: data.py (module tasks.data) "
                        "defines no 'gone'"),
    ("tasks.nowhere.get", "task source tasks.nowhere.get: module tasks.nowhere (of "
                          "tasks.nowhere.get) is not found"),
    ("notebooks/missing.py", "task source notebooks/missing.py does not exist"),
])
def test_a_missing_function_or_file_is_named(project: Path, source: str, problem: str) -> None:
    write(project, f"tasks:\n  - {{source: {source}, product: out/a.csv}}\n")
    with pytest.raises(ConfigError) as info:
        check_project(project)
    assert problem in str(info.value) and "line 2" in str(info.value)


def test_a_factory_location_is_checked_and_noted(project: Path) -> None:
    (project / "factory.py").write_text("def make():\n    pass\n")
    write(project, "location: factory.make\n")
    result = check_project(project)
    assert result.tasks == [] and result.notes == [
        "the tasks are made by factory.make (not checked before a build)"]
    write(project, "location: factory.missing\n")
    with pytest.raises(ConfigError, match="location factory.missing: factory.py"):
        check_project(project)
