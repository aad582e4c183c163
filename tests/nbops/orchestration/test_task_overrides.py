"""Trigger-time parameters reach the build as Ploomber's ``--env--`` overrides would."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from nbops.adapters import resolved_env
from nbops.core import ConfigError
from nbops.orchestration import override_argv, parse_params
from nbops.orchestration._overrides import check_known, dotted_overrides

# a build has Ploomber imported already (resolved_env types overrides with its functions):
# import it here once, without its dependencies' deprecation warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import ploomber.env.expand  # type: ignore[import-untyped]  # noqa: F401

ENV = {"seed": 42, "model": {"max_depth": 3, "threshold": 0.5, "name": "gb"},
       "data": {"path": None, "slices": ["a"]}, "flag": False}


def test_each_given_parameter_becomes_one_env_override_and_empty_ones_keep_env_yaml() -> None:
    params = {"model.max_depth": 5, "seed": None, "model.name": "hist gb", "flag": True}
    assert override_argv(params) == ["--env--flag", "True", "--env--model--max_depth", "5",
                                      "--env--model--name", "hist gb"]
    assert dotted_overrides(params) == {"flag": "True", "model.max_depth": "5",
                                        "model.name": "hist gb"}


def test_the_recorded_env_gets_the_values_typed_as_ploomber_types_them(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    (tmp_path / "env.yaml").write_text(yaml.safe_dump(ENV))
    params = {"model.max_depth": 5, "model.threshold": 0.25, "flag": True,
              "data.slices": ["b", "c"], "model.name": "hist gb"}
    env = resolved_env(tmp_path, ["nbops", *override_argv(params)])
    assert env["model"] == {"max_depth": 5, "threshold": 0.25, "name": "hist gb"}
    assert env["flag"] is True and env["data"]["slices"] == ["b", "c"] and env["seed"] == 42


@pytest.mark.parametrize(("params", "words"), [
    ({"model.depth": 5}, "'model.depth' is not a value of env.yaml"),
    ({"model": 5}, "'model' names a section of env.yaml"),
    ({"seed.x": 1}, "'seed.x' is not a value of env.yaml"),
])
def test_an_unknown_parameter_is_one_sentence(params: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_known(ENV, params)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"": 1}'])
def test_params_that_are_not_one_json_object_are_one_sentence(text: str) -> None:
    with pytest.raises(ConfigError, match="--params"):
        parse_params(text)


def test_no_params_is_no_override() -> None:
    assert parse_params(None) == {} and parse_params('{"seed": 7}') == {"seed": 7}
