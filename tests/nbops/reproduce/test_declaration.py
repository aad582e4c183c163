"""Declaring non-deterministic tasks in env.yaml."""

from __future__ import annotations

import pytest

from nbops.core._errors import ConfigError
from nbops.reproduce._declaration import check_tasks, declaration_from_env, parse_declaration


def test_absolute_and_per_metric_tolerances() -> None:
    declared = parse_declaration(
        {
            "nondeterministic": {
                "sgd": {"tolerance": 0.01},
                "sim": {"tolerance": {"wait": 0.5}},
            }
        }
    )
    assert declared["sgd"].for_metric("anything") == 0.01
    assert declared["sim"].for_metric("wait") == 0.5
    assert declared["sim"].for_metric("other") == 0.0
    assert declared["sgd"].describe() == "±0.01"
    assert declared["sim"].describe() == "wait ±0.5"


def test_absent_section_declares_nothing() -> None:
    assert parse_declaration(None) == {}
    assert declaration_from_env({"seed": 1}) == {}


@pytest.mark.parametrize(
    "section, words",
    [
        ([1], "not a mapping"),
        ({"nondeterministc": {}}, "unknown key"),
        ({"nondeterministic": {"t": {"tol": 1}}}, "exactly one key"),
        ({"nondeterministic": {"t": {"tolerance": -1}}}, "non-negative number"),
        ({"nondeterministic": {"t": {"tolerance": "big"}}}, "non-negative number"),
        ({"nondeterministic": {"t": {"tolerance": {"m": True}}}}, "non-negative number"),
    ],
)
def test_malformed_declarations_name_the_problem_and_the_shape(section: object, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        parse_declaration(section)
    assert "tolerance" in info.value.fix


def test_unknown_task_is_refused_listing_the_real_ones() -> None:
    declared = parse_declaration({"nondeterministic": {"trian": {"tolerance": 0.1}}})
    with pytest.raises(ConfigError, match="trian") as info:
        check_tasks(declared, ["ingest", "train"])
    assert "ingest, train" in info.value.fix
    check_tasks(parse_declaration({"nondeterministic": {"train": {"tolerance": 0}}}), ["train"])
