"""``nbops check``: a human line or JSON for a valid project; errors go to the main handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbops.cli._check import check
from nbops.core._errors import ConfigError


def test_human_and_json_output(tmp_path: Path, copy_project) -> None:
    project = copy_project(tmp_path / "project")
    runner = CliRunner()
    human = runner.invoke(check, ["--project", str(project)])
    assert human.exit_code == 0, human.output
    assert human.output.startswith("OK: pipeline.yaml (5 tasks: ingest, validate, features")
    as_json = runner.invoke(check, ["--project", str(project), "--json"])
    data = json.loads(as_json.output)
    assert data["ok"] is True
    assert data["tasks"] == ["ingest", "validate", "features", "train", "evaluate"]


def test_problems_raise_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(check, ["--project", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    with pytest.raises(ConfigError, match="no pipeline.yaml in"):
        raise result.exception


def test_broken_file_with_json_prints_json(tmp_path: Path, copy_project, capsys) -> None:
    from nbops.cli.main import main

    project = copy_project(tmp_path / "project")
    (project / "env.yaml").write_text("data: [unclosed\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["check", "--project", str(project), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["error"]["type"] == "ConfigError"
    assert "env.yaml" in data["error"]["problem"]


def test_malformed_gate_is_not_ok(tmp_path: Path, copy_project) -> None:
    project = copy_project(tmp_path / "project")
    env = (project / "env.yaml").read_text(encoding="utf-8")
    (project / "env.yaml").write_text(
        env.replace("min_roc_auc: roc_auc >= 0.75", "min_roc_auc: roc_auc >>= 0.75"),
        encoding="utf-8")
    result = CliRunner().invoke(check, ["--project", str(project), "--json"])
    assert isinstance(result.exception, ConfigError)
    assert "min_roc_auc" in str(result.exception)


def test_check_names_a_value_outside_its_declared_range(tmp_path) -> None:
    from nbops.validation._config_files import check_project

    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    (tmp_path / "env.yaml").write_text("rows: 3\nparameters:\n  rows: {type: int, min: 10}\n")
    with pytest.raises(ConfigError, match="parameter rows is 3, but it must be at least 10"):
        check_project(tmp_path)
