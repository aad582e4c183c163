"""`nbops lab` puts the project's lab settings (or nbops' defaults) first on JUPYTER_CONFIG_PATH."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nbops.cli._lab import lab_config_path
from nbops.scaffold._lab_settings import default_config_dir, overrides


def test_project_settings_come_first(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/elsewhere")
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    settings = tmp_path / ".jupyter/labconfig/default_setting_overrides.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    (tmp_path / "notebooks").mkdir()
    path = lab_config_path(tmp_path / "notebooks").split(os.pathsep)
    assert path == [str((tmp_path / ".jupyter").resolve()), "/elsewhere"]


def test_without_project_settings_nbops_defaults_are_used(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    (first,) = lab_config_path(tmp_path).split(os.pathsep)
    shipped = Path(first) / "labconfig" / "default_setting_overrides.json"
    assert Path(first) == default_config_dir().resolve()
    assert json.loads(shipped.read_text()) == overrides()
