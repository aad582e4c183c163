"""Every refusal of a sweep's space, as the whole sentence and fix the user reads, and the
boundary values each check accepts (pure parsing: no trial runs)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from nbops.core import ConfigError
from nbops.sweeps._space import (
    Dimension,
    coerce,
    grid_size,
    lookup,
    parse_fixed,
    parse_grid,
    parse_param,
    within_declaration,
)

ENV: dict[str, Any] = {
    "seed": 42, "model": {"learning_rate": 0.05, "max_depth": 3, "kind": "hgb", "early": False,
                          "layers": [1, 2]},
    "data": {"path": None},
    "parameters": {"model": {"max_depth": {"type": "int", "min": 1, "max": 64}}}}
PLAIN_FIX = ("give {key} plain values: numbers, true/false, null or text without brackets, "
             "braces or backticks")


def _refusal(call: Any, *args: Any) -> tuple[str, str | None]:
    with pytest.raises(ConfigError) as refused:
        call(*args)
    return refused.value.problem, refused.value.fix


def test_an_unknown_key_names_the_keys_that_exist_at_that_level() -> None:
    assert _refusal(lookup, ENV, "nope") == (
        "Sweep parameter 'nope' is not a key of env.yaml",
        "use one of the keys under the top level: data, model, parameters, seed")
    assert _refusal(lookup, ENV, "model.depth") == (
        "Sweep parameter 'model.depth' is not a key of env.yaml",
        "use one of the keys under model: early, kind, layers, learning_rate, max_depth")
    assert _refusal(lookup, ENV, "model.max_depth.x") == (
        "Sweep parameter 'model.max_depth.x' is not a key of env.yaml",
        "model.max_depth is a value, not a section: sweep over model.max_depth itself")
    assert _refusal(lookup, ENV, "data") == (
        "Sweep parameter 'data' is a section of env.yaml, not a value",
        "name one of its keys: path")
    assert lookup(ENV, "data.path") is None and lookup(ENV, "model.layers") == [1, 2]


@pytest.mark.parametrize("raw, problem", [
    ("{{7*7}}", "Sweep value '{{7*7}}' for 'k' looks like a template, which Ploomber would "
                "expand"),
    ("a{%b", "Sweep value 'a{%b' for 'k' looks like a template, which Ploomber would expand"),
    ("[a", "Sweep value '[a' for 'k' is not a plain value (expected ',' or ']', but got "
           "'<stream end>')"),
    ("[1, 2]", "Sweep value '[1, 2]' for 'k' is a YAML list, not one value"),
    ("{a: 1}", "Sweep value '{a: 1}' for 'k' is a YAML mapping, not one value"),
])
def test_values_that_are_not_one_plain_value_are_refused(raw: str, problem: str) -> None:
    assert _refusal(coerce, "k", raw, "text") == (problem, PLAIN_FIX.format(key="k"))


@pytest.mark.parametrize("raw, default, expected", [
    ("true", False, True), ("3", 1, 3), ("3.0", 1, 3), ("-2", 1, -2), ("1", 0.5, 1.0),
    ("1e-3", 0.5, 0.001), ("2E+1", 0.5, 20.0), ("x", None, "x"), ("4", None, 4),
    ("null", None, None),
    ("007", "a", "007"), ("1.50", "a", "1.50"), (5, "a", "5"), (2.5, "a", "2.5"),
    ([3], [1], [3]), (True, True, True), (2, 0.5, 2.0),
])
def test_values_take_their_defaults_type(raw: Any, default: Any, expected: Any) -> None:
    value = coerce("k", raw, default)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("raw, default, kind", [
    ("1", True, "a bool"), ("3.5", 1, "an int"), ("true", 1, "an int"), ("x", 1, "an int"),
    (".inf", 0.5, "a float"), (".nan", 0.5, "a float"), ("inf", 0.5, "a float"),
    ("nan", 0.5, "a float"), ("true", 0.5, "a float"),
    ("x", 0.5, "a float"), ("true", "a", "a str"), (True, "a", "a str"),
    ({"a": 1}, None, "a NoneType"), (1.5, 1, "an int"),
])
def test_a_value_of_another_type_is_refused_naming_the_default(
    raw: Any, default: Any, kind: str,
) -> None:
    name = kind.split()[1]
    assert _refusal(coerce, "k", raw, default) == (
        f"Sweep value {raw!r} for 'k' is not {kind} like its env.yaml default {default!r}",
        f"give k {name} values")


@pytest.mark.parametrize("text, problem, fix", [
    ("model.max_depth", "--grid 'model.max_depth' is not KEY=VALUES",
     "write it as --grid model.max_depth=3,5"),
    (" =3", "--grid ' =3' is not KEY=VALUES", "write it as --grid model.max_depth=3,5"),
    ("model.max_depth=", "--grid model.max_depth has no values",
     "list at least one, e.g. --grid model.max_depth=3"),
    ("model.max_depth= , ,", "--grid model.max_depth has no values",
     "list at least one, e.g. --grid model.max_depth=3"),
    ("model.max_depth=3,3.0", "--grid model.max_depth lists a value twice",
     "list each value once"),
    ("model.learning_rate=1,1.0", "--grid model.learning_rate lists a value twice",
     "list each value once"),
])
def test_bad_grids_are_one_whole_sentence(text: str, problem: str, fix: str) -> None:
    assert _refusal(parse_grid, text, ENV) == (problem, fix)


def test_a_grid_keeps_its_order_skips_blanks_and_checks_the_declaration() -> None:
    assert parse_grid(" model.max_depth = 5, ,1,64 ", ENV) == Dimension(
        "model.max_depth", "grid", (5, 1, 64))
    assert parse_grid("model.kind=1,01", ENV).values == ("1", "01")  # text, not numbers
    problem, fix = _refusal(parse_grid, "model.max_depth=1,65", ENV)
    assert problem.startswith("Sweep value 65 for 'model.max_depth' is outside what env.yaml "
                              "declares: ")
    assert fix == ("give model.max_depth values its declaration under parameters: allows (or "
                   "change the declaration)")


@pytest.mark.parametrize("text, problem, fix", [
    ("model.kind=choice:", "--param model.kind=choice: lists no values",
     "write --param model.kind=choice:A,B"),
    ("model.kind=choice: , ", "--param model.kind=choice: lists no values",
     "write --param model.kind=choice:A,B"),
    ("seed=normal:1:2", "--param 'seed=normal:1:2' has an unknown kind 'normal'",
     "use float:LOW:HIGH[:log], int:LOW:HIGH or choice:A,B"),
    ("seed=1:2", "--param 'seed=1:2' has an unknown kind '1'",
     "use float:LOW:HIGH[:log], int:LOW:HIGH or choice:A,B"),
    ("seed=int:1", "--param 'seed=int:1' needs a low and a high bound",
     "write --param seed=int:LOW:HIGH"),
    ("seed=int:1:2:3", "--param 'seed=int:1:2:3' needs a low and a high bound",
     "write --param seed=int:LOW:HIGH"),
    ("model.learning_rate=float:log", "--param 'model.learning_rate=float:log' needs a low "
     "and a high bound", "write --param model.learning_rate=float:LOW:HIGH"),
    ("seed=int:2:2", "--param seed has bounds 2..2", "give LOW < HIGH (and LOW > 0 for a log "
                                                     "scale)"),
    ("seed=int:3:2", "--param seed has bounds 3..2", "give LOW < HIGH (and LOW > 0 for a log "
                                                     "scale)"),
    ("model.learning_rate=float:0:1:log", "--param model.learning_rate has bounds 0.0..1.0",
     "give LOW < HIGH (and LOW > 0 for a log scale)"),
    ("model.learning_rate=float:-1:1:log", "--param model.learning_rate has bounds -1.0..1.0",
     "give LOW < HIGH (and LOW > 0 for a log scale)"),
    ("seed=int:1.5:3", "Sweep value '1.5' for 'seed' is not an int like its env.yaml default 0",
     "give seed int values"),
    ("seed=float:0.5:3", "Sweep value 0.5 for 'seed' is not an int like its env.yaml default "
     "42", "give seed int values"),
])
def test_bad_ranges_are_one_whole_sentence(text: str, problem: str, fix: str) -> None:
    assert _refusal(parse_param, text, ENV) == (problem, fix)


def test_ranges_accept_their_tightest_valid_bounds() -> None:
    assert parse_param("seed=int:1:2", ENV) == Dimension("seed", "int", low=1, high=2)
    tight = parse_param("model.learning_rate=float:1e-9:2e-9:log", ENV)
    assert (tight.low, tight.high, tight.log) == (1e-9, 2e-9, True)
    assert parse_param("model.learning_rate=float:-1:1", ENV).log is False
    assert parse_param("model.kind=choice: rf , hgb", ENV).values == ("rf", "hgb")
    declared = _refusal(parse_param, "model.max_depth=int:1:65", ENV)[0]
    assert declared.startswith("Sweep value 65 for 'model.max_depth' is outside")
    assert "outside" in _refusal(parse_param, "model.max_depth=choice:3,0", ENV)[0]


def test_fixed_overrides_are_typed_and_checked_against_the_declaration() -> None:
    assert parse_fixed([("model.max_depth", "64"), ("model.kind", "rf")], ENV) == {
        "model.max_depth": 64, "model.kind": "rf"}
    assert parse_fixed([], ENV) == {}
    assert "outside" in _refusal(parse_fixed, [("model.max_depth", "0")], ENV)[0]


def test_a_declaration_that_is_itself_wrong_is_reported_as_such() -> None:
    env = {"a": 1, "b": 5, "parameters": {"b": {"type": "int", "min": 1, "max": 3}}}
    # 'a' is a substring of that sentence: the sweep value must not take the blame for it
    assert _refusal(within_declaration, "a", (2,), env)[0] == (
        "parameter b is 5, but it must be between 1 and 3")
    env = {"a": 1, "parameters": {"a": {"type": "int", "min": 1, "max": 3, "step": 1}}}
    assert _refusal(within_declaration, "a", (2,), env)[0].startswith(
        "parameters: a has unknown rule(s) step")
    within_declaration("a", (2,), {"a": 1})  # no declarations: nothing to check
    within_declaration("a", (2,), {"a": 1, "parameters": "not a mapping"})
    env = {"m": {"x": 1}, "parameters": {"m": {"x": {"type": "int", "min": 0, "max": 9}}}}
    within_declaration("m.x", (0, 9), env)
    assert env["m"] == {"x": 1}  # checked on copies


def test_dimensions_round_trip_through_the_sweep_record() -> None:
    for dim in (Dimension("a", "grid", (1, 2)), Dimension("b", "choice", ("x",)),
                Dimension("c", "float", low=0.1, high=1.0, log=True),
                Dimension("d", "int", low=1, high=4)):
        data = dim.to_dict()
        assert Dimension.from_dict(dim.key, data) == dim
    assert Dimension("c", "float", low=0.1, high=1.0, log=True).to_dict() == {
        "kind": "float", "low": 0.1, "high": 1.0, "log": True}
    assert Dimension("b", "choice", ("x", "y")).to_dict() == {"kind": "choice",
                                                              "values": ["x", "y"]}


def test_a_grid_has_as_many_trials_as_the_product_of_its_value_counts() -> None:
    space = [Dimension("a", "grid", (1, 2, 3)), Dimension("b", "grid", ("x", "y"))]
    assert grid_size(space) == 6 == math.prod([3, 2])
    assert grid_size([]) == 1


def test_a_fixed_override_of_the_wrong_type_names_its_key() -> None:
    assert _refusal(parse_fixed, [("model.max_depth", "deep")], ENV) == (
        "Sweep value 'deep' for 'model.max_depth' is not an int like its env.yaml default 3",
        "give model.max_depth int values")


@pytest.mark.parametrize("parse, text, problem, fix", [
    (parse_grid, "model.max_depth=3,deep",
     "Sweep value 'deep' for 'model.max_depth' is not an int like its env.yaml default 3",
     "give model.max_depth int values"),
    (parse_param, "model.max_depth=choice:3,deep",
     "Sweep value 'deep' for 'model.max_depth' is not an int like its env.yaml default 3",
     "give model.max_depth int values"),
    (parse_param, "model.learning_rate=float:low:1",
     "Sweep value 'low' for 'model.learning_rate' is not a float like its env.yaml default "
     "0.0", "give model.learning_rate float values"),
    (parse_param, "seed", "--param 'seed' is not KEY=VALUES",
     "write it as --param model.max_depth=3,5"),
])
def test_a_wrong_value_in_a_range_or_choice_names_its_key(
    parse: Any, text: str, problem: str, fix: str,
) -> None:
    assert _refusal(parse, text, ENV) == (problem, fix)


def test_a_choice_is_a_choice_dimension_of_its_key() -> None:
    assert parse_param("model.kind=choice:hgb,rf", ENV) == Dimension(
        "model.kind", "choice", ("hgb", "rf"))
    assert parse_param("model.max_depth=choice:4,2", ENV) == Dimension(
        "model.max_depth", "choice", (4, 2))


def test_the_first_equals_sign_separates_key_and_values() -> None:
    assert parse_grid("model.kind=a=b,c", ENV).values == ("a=b", "c")


def test_a_section_names_all_its_keys() -> None:
    assert _refusal(lookup, ENV, "model")[1] == (
        "name one of its keys: early, kind, layers, learning_rate, max_depth")


def test_a_character_yaml_cannot_read_is_named_by_its_error() -> None:
    assert _refusal(coerce, "k", "a\x00b", "text") == (
        "Sweep value 'a\\x00b' for 'k' is not a plain value (ReaderError)",
        PLAIN_FIX.format(key="k"))
