"""Passing the recorded command-line parameters again."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core import ProjectSettings
from nbops.core import option_value as as_cli_value
from nbops.core._errors import ConfigError
from nbops.core._secrets import REDACTED
from nbops.reproduce._overrides import compute_overrides


def test_only_values_that_differ_from_env_yaml_are_passed_again() -> None:
    checkout = {"seed": 42, "data": {"path": None, "rows": 100}, "here": "{{here}}/x"}
    recorded = {"seed": "7", "data": {"path": "/data/x.csv", "rows": 100}, "here": "{{here}}/x"}
    result = compute_overrides(recorded, checkout)
    assert result.argv() == ["--env--data--path", "/data/x.csv", "--env--seed", "7"]
    assert result.describe() == ["data.path=/data/x.csv", "seed=7"]
    assert not result.secrets and not result.unknown


def test_redacted_secrets_and_unknown_keys_are_reported_not_passed() -> None:
    result = compute_overrides({"api_token": REDACTED, "gone": 1}, {"api_token": "abc"})
    assert result.argv() == []
    assert result.secrets == ["api_token"]
    assert result.unknown == ["gone"]


def test_restored_input_paths_redirect_the_parameter() -> None:
    result = compute_overrides(
        {"data": {"path": "/old/in.csv"}},
        {"data": {"path": "/old/in.csv"}},
        redirect={"/old/in.csv": "/scratch/in.csv"},
    )
    assert result.argv() == ["--env--data--path", "/scratch/in.csv"]


def test_values_round_trip_through_ploomber_literal_eval() -> None:
    import ast

    for value in (3, 0.1, True, None, [1, 2]):
        text = as_cli_value(value)
        assert ast.literal_eval(text) == value if value is not None else text == "None"


def read_env_file(path: Path) -> dict:
    return ProjectSettings.read(path).values  # how a reproduction reads its checkout's env


def test_env_file_reading(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / "env.yaml") == {}
    (tmp_path / "env.yaml").write_text("a: [1\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_env_file(tmp_path / "env.yaml")
    (tmp_path / "env.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="not a mapping"):
        read_env_file(tmp_path / "env.yaml")
