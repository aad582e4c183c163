"""A sweep value a trial's build would refuse, or that is not one plain value, is one
sentence while the space is parsed: before any trial runs."""

from __future__ import annotations

import pytest

from nbops.core._errors import ConfigError
from nbops.sweeps._space import parse_fixed, parse_grid, parse_param

ENV = {"seed": 42, "model": {"learning_rate": 0.05, "max_depth": 3, "kind": "hgb"},
       "parameters": {"model": {"learning_rate": {"type": "float", "min": 0.0001, "max": 1},
                                "max_depth": {"type": "int", "min": 1, "max": 64},
                                "kind": {"type": "str", "choices": ["hgb", "rf"]}}}}


@pytest.mark.parametrize("parse, text, message", [
    (parse_grid, "model.max_depth=3,99", "99 for 'model.max_depth' is outside"),
    (parse_grid, "model.max_depth=0", "must be between 1 and 64"),
    (parse_grid, "model.kind=hgb,svm", "not one of hgb, rf"),
    (parse_param, "model.learning_rate=float:0.01:5", "5.0 for 'model.learning_rate'"),
    (parse_param, "model.learning_rate=float:0.00001:0.5:log", "1e-05"),
    (parse_param, "model.max_depth=int:0:8", "0 for 'model.max_depth'"),
    (parse_param, "model.kind=choice:rf,svm", "'svm'"),
])
def test_a_value_outside_the_declaration_is_refused(parse, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        parse(text, ENV)
    assert "parameters:" in refused.value.fix


def test_a_fixed_override_outside_the_declaration_is_refused() -> None:
    with pytest.raises(ConfigError, match="outside what env.yaml declares"):
        parse_fixed([("model.max_depth", "65")], ENV)
    assert parse_fixed([("model.max_depth", "64")], ENV) == {"model.max_depth": 64}


def test_values_at_the_declared_bounds_are_accepted() -> None:
    assert parse_grid("model.max_depth=1,64", ENV).values == (1, 64)
    dim = parse_param("model.learning_rate=float:0.0001:1:log", ENV)
    assert (dim.low, dim.high) == (0.0001, 1.0)
    assert parse_param("model.kind=choice:hgb,rf", ENV).values == ("hgb", "rf")


@pytest.mark.parametrize("value, words", [
    ("{{7*7}}", "looks like a template"), ("x{% if 1 %}", "looks like a template"),
    ("[a", "is not a plain value"), ("`id`", "is not a plain value"),
    ("{a: 1}", "not one value"), ("[1]", "not one value"),
])
@pytest.mark.parametrize("key", ["model.kind", "model.max_depth", "seed"])
def test_yaml_syntax_and_templates_are_one_sentence(value: str, words: str, key: str) -> None:
    for parse, text in ((parse_grid, f"{key}={value}"), (parse_param, f"{key}=choice:{value}")):
        with pytest.raises(ConfigError, match=words) as refused:
            parse(text, ENV)
        assert repr(value) in refused.value.problem and "plain values" in refused.value.fix
    with pytest.raises(ConfigError, match=words):
        parse_fixed([(key, value)], ENV)
