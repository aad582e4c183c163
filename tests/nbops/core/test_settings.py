"""Project settings: one reader of env.yaml, one key type, one build-command builder."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from nbops.core import (
    ConfigError,
    ProjectSettings,
    SettingKey,
    all_keys,
    build_command,
    env_options,
    flatten,
    option_value,
)


@pytest.mark.parametrize("spelling", [
    "model.max_depth", "--env--model--max_depth", "env__model__max_depth",
    ("model", "max_depth"), SettingKey(("model", "max_depth")),
])
def test_every_spelling_names_the_same_key(spelling) -> None:
    key = SettingKey.parse(spelling)
    assert key == SettingKey(("model", "max_depth"))
    assert (key.dotted, key.option, key.ploomber_flat) == (
        "model.max_depth", "--env--model--max_depth", "env__model__max_depth")


@pytest.mark.parametrize("bad", ["", "a..b", "--env--", "model."])
def test_a_key_with_an_empty_level_is_refused(bad) -> None:
    with pytest.raises(ConfigError, match="is not an env.yaml key"):
        SettingKey.parse(bad)


def test_get_and_set_in_a_nested_tree_including_numeric_yaml_keys() -> None:
    tree = {"model": {"max_depth": 3}, "years": {2024: "x"}}
    assert SettingKey.parse("model.max_depth").get(tree) == 3
    assert SettingKey.parse("years.2024").get(tree) == "x"
    assert SettingKey.parse("model.gone").get(tree, "default") == "default"
    SettingKey.parse("years.2024").set(tree, "y")
    SettingKey.parse("data.path").set(tree, "a.csv")
    assert tree == {"model": {"max_depth": 3}, "years": {2024: "y"}, "data": {"path": "a.csv"}}


def test_flatten_keeps_file_order_and_treats_lists_and_empty_mappings_as_leaves() -> None:
    tree = {"b": {"y": [1, 2], "x": {}}, "a": 1}
    assert [(k.dotted, v) for k, v in flatten(tree).items()] == [
        ("b.y", [1, 2]), ("b.x", {}), ("a", 1)]
    assert {k.dotted for k in all_keys(tree)} == {"a", "b", "b.x", "b.y"}


@pytest.mark.parametrize("value", [3, 0.1, 1e-05, True, None, [1, "x"], {"a": None}, "text"])
def test_option_values_read_back_as_ploomber_reads_them(value) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ploomber's import warns (pydantic 1-style models)
        from ploomber.env.expand import cast_if_possible

    assert cast_if_possible(option_value(value)) == value


def test_build_command_puts_overrides_after_the_entry_point() -> None:
    argv = build_command("ploomber", entry_point="pipeline.yaml",
                         overrides={"model.max_depth": 5, ("data", "path"): "x.csv"},
                         extra=["--force"])
    assert argv == ["ploomber", "build", "--entry-point", "pipeline.yaml",
                    "--env--model--max_depth", "5", "--env--data--path", "x.csv", "--force"]
    assert env_options([("seed", None)]) == ["--env--seed", "None"]


def test_project_settings_read_once_with_sections_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "env.yaml").write_text("registry:\n  model: churn\nmodel:\n  max_depth: 3\n")
    settings = ProjectSettings.of_project(tmp_path)
    assert settings.path == tmp_path / "env.yaml"
    assert settings.section("registry") == {"model": "churn"}
    assert settings.section("missing") == {} and settings.section("model") == {"max_depth": 3}
    assert settings.get("--env--model--max_depth") == 3 and "model.max_depth" in settings
    changed = settings.with_overrides({"model.max_depth": 5})
    assert changed.get("model.max_depth") == 5 and settings.get("model.max_depth") == 3


def test_the_first_existing_file_wins_and_none_gives_empty_settings(tmp_path: Path) -> None:
    assert not ProjectSettings.of_project(tmp_path)
    (tmp_path / "env.yaml").write_text("monitoring: {bins: 5}\n")
    (tmp_path / "env.monitor.yaml").write_text("monitoring: {bins: 7}\n")
    settings = ProjectSettings.of_project(tmp_path, ("env.monitor.yaml", "env.yaml"))
    assert settings.section("monitoring") == {"bins": 7}


@pytest.mark.parametrize(("text", "message"), [
    ("a: [1\n", "not valid YAML at line 2"), ("- 1\n", "holds a list, not a mapping")])
def test_a_malformed_env_file_is_one_sentence(tmp_path: Path, text, message) -> None:
    (tmp_path / "env.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        ProjectSettings.of_project(tmp_path)


def test_an_empty_file_is_no_settings_unless_refused(tmp_path: Path) -> None:
    (tmp_path / "env.yaml").write_text("# nothing yet\n")
    assert ProjectSettings.read(tmp_path / "env.yaml").values == {}
    with pytest.raises(ConfigError, match="holds nothing, not a mapping of keys to values"):
        ProjectSettings.read(tmp_path / "env.yaml", empty_ok=False)
