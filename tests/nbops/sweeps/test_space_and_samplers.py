"""Parsing a sweep's space and drawing its trials: typed values, clear errors, replayable draws."""

from __future__ import annotations

import pytest

from nbops.core._errors import ConfigError
from nbops.sweeps._samplers import planned_trials
from nbops.sweeps._space import Dimension, coerce, lookup, parse_fixed, parse_grid, parse_param

ENV = {"seed": 42, "model": {"learning_rate": 0.05, "max_depth": 3, "kind": "hgb",
                             "early": False}, "data": {"path": None}}


def test_grid_values_take_the_type_of_the_env_default() -> None:
    assert parse_grid("model.max_depth=3,5", ENV) == Dimension("model.max_depth", "grid", (3, 5))
    assert parse_grid("model.learning_rate=0.03, 1", ENV).values == (0.03, 1.0)
    assert parse_grid("model.early=true,false", ENV).values == (True, False)
    assert parse_grid("model.kind=hgb,7", ENV).values == ("hgb", "7")
    assert parse_grid("data.path=a.csv,null", ENV).values == ("a.csv", None)
    assert parse_grid("model.max_depth=4.0", ENV).values == (4,)


@pytest.mark.parametrize("text, message", [
    ("model.depth=3", "'model.depth' is not a key of env.yaml"),
    ("model=3", "'model' is a section of env.yaml"),
    ("seed.x=3", "seed is a value, not a section"),
    ("model.max_depth=3.5", "is not an int like its env.yaml default 3"),
    ("model.max_depth=true", "is not an int"),
    ("model.learning_rate=fast", "is not a float"),
    ("model.early=1", "is not a bool"),
    ("model.max_depth=", "has no values"),
    ("model.max_depth=,", "has no values"),
    ("model.max_depth=3,3", "lists a value twice"),
    ("model.max_depth", "is not KEY=VALUES"),
])
def test_bad_grids_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_grid(text, ENV)


def test_ranges_and_choices() -> None:
    lr = parse_param("model.learning_rate=float:0.01:0.3:log", ENV)
    assert (lr.kind, lr.low, lr.high, lr.log) == ("float", 0.01, 0.3, True)
    depth = parse_param("model.max_depth=int:2:8", ENV)
    assert (depth.kind, depth.low, depth.high) == ("int", 2, 8)
    assert parse_param("model.kind=choice:hgb,rf", ENV).values == ("hgb", "rf")
    for bad, message in [("model.max_depth=float:0.5:2", "is not an int"),
                         ("model.learning_rate=float:0.3:0.1", "bounds"),
                         ("model.learning_rate=float:0:0.1:log", "LOW > 0"),
                         ("model.learning_rate=normal:0:1", "unknown kind"),
                         ("model.learning_rate=float:0.1", "a low and a high bound")]:
        with pytest.raises(ConfigError, match=message):
            parse_param(bad, ENV)


def test_fixed_overrides_are_typed_too() -> None:
    assert parse_fixed([("model.max_depth", "4"), ("seed", "7")], ENV) == \
        {"model.max_depth": 4, "seed": 7}
    with pytest.raises(ConfigError, match="not an int"):
        parse_fixed([("seed", "x")], ENV)
    assert lookup(ENV, "model.kind") == "hgb"
    assert coerce("k", 2, 1.5) == 2.0


def test_grid_enumerates_in_command_line_order_and_honours_the_budget() -> None:
    space = [parse_grid("model.learning_rate=0.03,0.1", ENV),
             parse_grid("model.max_depth=3,5", ENV)]
    trials = planned_trials("grid", space, seed=0, budget=None)
    assert trials == [{"model.learning_rate": 0.03, "model.max_depth": 3},
                      {"model.learning_rate": 0.03, "model.max_depth": 5},
                      {"model.learning_rate": 0.1, "model.max_depth": 3},
                      {"model.learning_rate": 0.1, "model.max_depth": 5}]
    assert planned_trials("grid", space, seed=0, budget=3) == trials[:3]
    with pytest.raises(ConfigError, match="cannot enumerate the range"):
        planned_trials("grid", [parse_param("model.max_depth=int:2:4", ENV)], 0, None)


def test_random_draws_replay_with_the_seed_and_stay_in_bounds() -> None:
    space = [parse_param("model.learning_rate=float:0.01:0.3:log", ENV),
             parse_param("model.max_depth=int:2:8", ENV),
             parse_grid("model.kind=hgb,rf", ENV)]
    first = planned_trials("random", space, seed=3, budget=20)
    assert first == planned_trials("random", space, seed=3, budget=20)
    assert first != planned_trials("random", space, seed=4, budget=20)
    assert all(0.01 <= t["model.learning_rate"] <= 0.3 for t in first)
    assert {t["model.max_depth"] for t in first} <= set(range(2, 9))
    assert all(isinstance(t["model.max_depth"], int) for t in first)
    assert {t["model.kind"] for t in first} == {"hgb", "rf"}
    with pytest.raises(ConfigError, match="needs a trial budget"):
        planned_trials("random", space, seed=3, budget=None)
    grid_only = [parse_grid("model.max_depth=3,5", ENV)]
    assert len(planned_trials("random", grid_only, seed=3, budget=None)) == 2


def test_tpe_proposes_the_same_trials_for_the_same_seed_and_results(tmp_path) -> None:
    pytest.importorskip("optuna")
    from nbops.sweeps._samplers import TpeSampler

    space = [parse_param("model.learning_rate=float:0.01:0.3", ENV),
             parse_grid("model.max_depth=3,5", ENV)]

    def run(folder: str) -> list[dict]:
        sampler = TpeSampler(tmp_path / folder / "journal", "s", space, seed=9,
                             direction="maximize", budget=6)
        proposed = []
        for _ in range(6):
            number, params = sampler.ask()
            proposed.append(params)
            sampler.tell(number, -abs(params["model.learning_rate"] - 0.1))
        sampler.tell(0, 1.0)  # telling twice is harmless (a resumed sweep may)
        return proposed

    assert run("a") == run("b")
