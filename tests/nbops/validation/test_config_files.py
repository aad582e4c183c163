"""pipeline.yaml / env.yaml checks: file, line and fix in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core._errors import ConfigError
from nbops.validation._config_files import check_project

PIPELINE = """\
tasks:
  - source: notebooks/a.py
    name: a
    product: out/a.ipynb
    params:
      rows: '{{data.rows}}'
      where: '{{here}}'
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.py").write_text("# %%\n")
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "env.yaml").write_text("data:\n  rows: 10\nunused: 1\n")
    return tmp_path


def _error(project: Path) -> str:
    with pytest.raises(ConfigError) as info:
        check_project(project)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_valid_project(project: Path) -> None:
    result = check_project(project)
    assert result.tasks == ["a"]
    assert result.notes == [
        "env.yaml top-level key(s) not used in pipeline.yaml: unused (Ploomber warns about these)"
    ]


def test_env_yaml_syntax_error(project: Path) -> None:
    (project / "env.yaml").write_text("data:\n  rows: [10\n")
    assert "env.yaml is not valid YAML at line 3, column 1" in _error(project)


def test_env_yaml_not_a_mapping(project: Path) -> None:
    (project / "env.yaml").write_text("- a\n- b\n")
    assert "holds a list, not a mapping" in _error(project)


def test_env_yaml_reserved_key(project: Path) -> None:
    (project / "env.yaml").write_text("data:\n  row__count: 1\n")
    assert "key 'data.row__count' contains '__' or '--'" in _error(project)


def test_pipeline_yaml_syntax_error_tab(project: Path) -> None:
    (project / "pipeline.yaml").write_text("tasks:\n\t- source: a.py\n")
    text = _error(project)
    assert "pipeline.yaml is not valid YAML at line 2, column 1" in text
    assert "Fix: correct the pipeline.yaml syntax there (indent with spaces" in text


def test_pipeline_without_tasks(project: Path) -> None:
    (project / "pipeline.yaml").write_text("meta: {}\n")
    assert "has no 'tasks:' list" in _error(project)


def test_task_source_missing(project: Path) -> None:
    (project / "pipeline.yaml").write_text(PIPELINE.replace("a.py", "b.py"))
    assert "line 2: task source notebooks/b.py does not exist" in _error(project)


def test_unknown_placeholder(project: Path) -> None:
    (project / "pipeline.yaml").write_text(PIPELINE.replace("data.rows", "data.row_count"))
    text = _error(project)
    assert "line 6 uses {{data.row_count}} but env.yaml defines no 'data.row_count'" in text


def test_no_pipeline(tmp_path: Path) -> None:
    assert "no pipeline.yaml in" in _error(tmp_path)
