"""Declared parameter types and ranges (env.yaml ``parameters:``), checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nbops.core._errors import ConfigError
from nbops.core._parameters import check_parameters

ROOT_ENV = yaml.safe_load((Path(__file__).parents[3] / "env.yaml").read_text(encoding="utf-8"))


def _with(path: str, value: object) -> dict:
    env = yaml.safe_load(yaml.safe_dump(ROOT_ENV))
    node = env
    *parents, leaf = path.split(".")
    for key in parents:
        node = node[key]
    node[leaf] = value
    return env


def test_the_reference_env_declares_and_passes_its_parameters() -> None:
    checked = check_parameters(ROOT_ENV)
    assert checked["data.rows"] == 20000 and checked["model.max_iter"] == 100
    assert checked["data.format"] is None and checked["split.test_fraction"] == 0.25


# (parameter, value as typed on the command line, the one sentence)
BAD = [
    ("data.rows", "-5", "parameter data.rows is '-5', but it must be between 100 and 10000000. "
     "Fix: pass a value between 100 and 10000000 with --env--data--rows VALUE"),
    ("model.max_iter", "abc", "parameter model.max_iter is 'abc', which is not an integer. "
     "Fix: pass an integer with --env--model--max_iter VALUE"),
    ("model.max_iter", "2.5", "which is not an integer"),
    ("model.learning_rate", "nan", "parameter model.learning_rate is 'nan', which is not a number"),
    ("model.learning_rate", "inf", "which is not a number"),
    ("model.learning_rate", "2", "must be between 0.0001 and 1"),
    ("model.threshold", True, "which is not a number"),
    ("split.test_fraction", "0", "must be between 0.05 and 0.95"),
    ("data.format", "xlsx", "parameter data.format is 'xlsx', not one of csv, parquet"),
    ("data.target", None, "parameter data.target is empty (null). Fix: set data.target"),
    ("seed", "", "parameter seed is '', which is not an integer"),
    ("seed", "1e400", "which is not an integer"),
    ("data.rows", "<script>alert(1)</script>", "which is not an integer"),
]


@pytest.mark.parametrize("name, value, sentence", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_bad_value_is_one_sentence(name: str, value: object, sentence: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_parameters(_with(name, value))
    assert sentence in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("name, value, converted", [
    ("data.rows", "500", 500), ("model.learning_rate", "0.1", 0.1), ("seed", 3.0, 3),
    ("data.format", "null", None), ("data.format", "csv", "csv"),
])
def test_command_line_text_is_converted(name: str, value: object, converted: object) -> None:
    assert check_parameters(_with(name, value))[name] == converted


@pytest.mark.parametrize("spec, sentence", [
    ({"seed": {"type": "integer"}}, "parameters: seed has type 'integer'"),
    ({"seed": {"type": "int", "minimum": 1}}, "unknown rule(s) minimum"),
    ({"seed": {"type": "int", "min": "1"}}, "has min: '1'"),
    ({"seed": "int"}, "declares seed as 'int'"),
    ({"nope": {"type": "int"}}, "declares nope, which env.yaml does not set"),
    (["seed"], "parameters: in env.yaml is a list"),
])
def test_a_malformed_declaration_is_named(spec: object, sentence: str) -> None:
    with pytest.raises(ConfigError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        check_parameters({"seed": 1, "parameters": spec})


def test_without_a_declaration_nothing_is_checked() -> None:
    assert check_parameters({"seed": "anything"}) == {}
