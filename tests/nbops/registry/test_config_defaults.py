"""Nothing in the registry assumes the reference project: names default to the project's."""

from __future__ import annotations

import pytest

from nbops.core._errors import ConfigError
from nbops.registry._artifacts import DEFAULT_TRUSTED_TYPES
from nbops.registry._config import default_model_name, parse_registry_config, project_model_name


def test_model_name_defaults_to_the_project_name() -> None:
    assert parse_registry_config({}, "fraud-detector").model == "fraud-detector"
    assert parse_registry_config({"model": None}, "fraud").model == "fraud"
    assert parse_registry_config({"model": "explicit"}, "fraud").model == "explicit"


@pytest.mark.parametrize("folder, name", [("my project", "my_project"),
                                          ("2024-churn", "model_2024-churn"),
                                          ("ümlaut", "mlaut"), ("---", "model_")])
def test_any_folder_name_gives_a_valid_model_name(folder, name) -> None:
    assert default_model_name(folder) == name
    assert parse_registry_config({}, folder).model == name


def test_project_model_name_reads_env_yaml_then_the_folder(tmp_path) -> None:
    project = tmp_path / "credit"
    project.mkdir()
    assert project_model_name(project) == "credit"
    (project / "env.yaml").write_text("registry:\n  primary_metric: roc_auc\n")
    assert project_model_name(project) == "credit"
    (project / "env.yaml").write_text("registry:\n  model: scorecard\n")
    assert project_model_name(project) == "scorecard"
    (project / "env.yaml").write_text("registry: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        project_model_name(project)


def test_the_reference_project_is_not_trusted_by_default() -> None:
    assert not any(t.startswith("churn") for t in DEFAULT_TRUSTED_TYPES)
    exact = ["churn.features._as_float"]
    assert parse_registry_config({"trusted_types": exact}).trusted_types == tuple(exact)
    assert "churn.features._as_float" in parse_registry_config(
        {"trusted_types": exact}).trusted_policy
    with pytest.raises(ConfigError, match="trusted_modules.*no longer reads"):
        parse_registry_config({"trusted_modules": ["churn."]})
    with pytest.raises(ConfigError, match="'churn.' which is not an exact type name|'churn.'"):
        parse_registry_config({"trusted_types": ["churn."]})
