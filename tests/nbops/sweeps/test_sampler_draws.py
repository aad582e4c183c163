"""What each sampler draws: bounds, log scales, rounding, the refusals' sentences, and how the
TPE sampler is set up and told results."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

from nbops.core import ConfigError
from nbops.sweeps._samplers import SAMPLERS, planned_trials
from nbops.sweeps._space import Dimension

FLOAT = Dimension("lr", "float", low=0.001, high=1000.0)
FLOAT_LOG = Dimension("lr", "float", low=0.001, high=1000.0, log=True)
INT = Dimension("depth", "int", low=1, high=1000)
INT_LOG = Dimension("depth", "int", low=1, high=1000, log=True)


def _draws(dim: Dimension, n: int = 2000, seed: int = 0) -> list:
    return [t[dim.key] for t in planned_trials("random", [dim], seed, n)]


def test_linear_ranges_are_drawn_evenly_and_log_ranges_evenly_in_magnitude() -> None:
    for dim, low, high in ((FLOAT, 400, 600), (INT, 400, 600), (FLOAT_LOG, 0.3, 3),
                           (INT_LOG, 15, 60)):
        values = _draws(dim)
        assert min(values) >= dim.low and max(values) <= dim.high, dim
        assert low <= statistics.median(values) <= high, (dim, statistics.median(values))
    assert all(isinstance(v, int) for v in _draws(INT) + _draws(INT_LOG))
    assert all(isinstance(v, float) for v in _draws(FLOAT) + _draws(FLOAT_LOG))


def test_both_ends_of_an_int_range_are_drawn() -> None:
    assert set(_draws(Dimension("k", "int", low=2, high=4), n=200)) == {2, 3, 4}
    assert set(_draws(Dimension("k", "int", low=1, high=3, log=True), n=400)) == {1, 2, 3}


def test_drawn_floats_have_six_significant_digits() -> None:
    for value in _draws(FLOAT, n=200) + _draws(FLOAT_LOG, n=200):
        assert value == float(f"{value:.6g}")
    assert any(value != float(f"{value:.5g}") for value in _draws(FLOAT, n=200))


def test_choices_are_drawn_from_their_values_and_a_grid_only_space_once_per_combination(
) -> None:
    dims = [Dimension("a", "choice", ("x", "y")), Dimension("b", "grid", (1, 2, 3))]
    trials = planned_trials("random", dims, 1, 300)
    assert {t["a"] for t in trials} == {"x", "y"} and {t["b"] for t in trials} == {1, 2, 3}
    assert len(planned_trials("random", dims, 1, None)) == 6


def test_a_grid_keeps_its_budget_or_all_its_combinations() -> None:
    dims = [Dimension("a", "grid", (1, 2)), Dimension("b", "choice", ("x", "y"))]
    assert planned_trials("grid", dims, 0, None) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert len(planned_trials("grid", dims, 0, 10)) == 4
    assert planned_trials("grid", dims, 0, 0) == []
    assert planned_trials("tpe", dims, 0, 5) == []


def test_the_refusals_say_what_to_do() -> None:
    with pytest.raises(ConfigError) as grid:
        planned_trials("grid", [Dimension("a", "grid", (1,)), INT, FLOAT], 0, None)
    assert str(grid.value).startswith("The grid sampler cannot enumerate the range of depth")
    assert grid.value.fix == ("list its values with --grid KEY=V1,V2, or use --sampler random "
                              "or tpe")
    with pytest.raises(ConfigError) as budget:
        planned_trials("random", [Dimension("a", "grid", (1,)), FLOAT], 0, None)
    assert str(budget.value).startswith("A random sweep over a range needs a trial budget")
    assert budget.value.fix == "add --trials N"
    with pytest.raises(ConfigError) as unknown:
        planned_trials("bayes", [], 0, None)
    assert str(unknown.value).startswith("Unknown sampler 'bayes'")
    assert unknown.value.fix == "use one of grid, random, tpe"
    assert SAMPLERS == ("grid", "random", "tpe")
    with pytest.raises(ConfigError, match="cannot enumerate the range of lr"):
        planned_trials("grid", [FLOAT], 0, None)


optuna = pytest.importorskip("optuna")
from nbops.sweeps._samplers import TpeSampler  # noqa: E402


def _tpe(tmp_path: Path, space: list[Dimension], budget: int = 9,
         direction: str = "maximize") -> TpeSampler:
    return TpeSampler(tmp_path / "state" / "journal", "s", space, seed=1, direction=direction,
                      budget=budget)


def test_the_tpe_sampler_describes_each_dimension_to_optuna(tmp_path: Path) -> None:
    sampler = _tpe(tmp_path, [Dimension("a", "grid", (1, 2)), Dimension("b", "choice", ("x",)),
                              Dimension("c", "int", low=2, high=64, log=True),
                              Dimension("d", "int", low=1, high=5),
                              Dimension("e", "float", low=0.01, high=1.0, log=True),
                              Dimension("f", "float", low=-1.0, high=1.0),
                              Dimension("g", "int", low=0, high=3),
                              Dimension("h", "int", low=-3, high=0),
                              Dimension("i", "float", low=0.0, high=2.0),
                              Dimension("j", "float", low=-2.0, high=0.0)])
    dists = optuna.distributions
    assert sampler.distributions == {
        "a": dists.CategoricalDistribution([1, 2]), "b": dists.CategoricalDistribution(["x"]),
        "c": dists.IntDistribution(2, 64, log=True), "d": dists.IntDistribution(1, 5),
        "e": dists.FloatDistribution(0.01, 1.0, log=True),
        "f": dists.FloatDistribution(-1.0, 1.0), "g": dists.IntDistribution(0, 3),
        "h": dists.IntDistribution(-3, 0), "i": dists.FloatDistribution(0.0, 2.0),
        "j": dists.FloatDistribution(-2.0, 0.0)}
    assert (tmp_path / "state").is_dir()


@pytest.mark.parametrize(("budget", "startup"),
                         [(1, 2), (6, 2), (9, 3), (10, 3), (30, 10), (60, 10)])
def test_tpe_draws_a_third_of_its_budget_at_random_first_between_2_and_10(
    tmp_path: Path, budget: int, startup: int
) -> None:
    assert _tpe(tmp_path, [FLOAT], budget).study.sampler._n_startup_trials == startup


def test_the_direction_and_the_study_carry_over_a_resume(tmp_path: Path) -> None:
    assert _tpe(tmp_path / "a", [FLOAT]).study.direction == optuna.study.StudyDirection.MAXIMIZE
    sampler = _tpe(tmp_path / "b", [FLOAT], direction="minimize")
    assert sampler.study.direction == optuna.study.StudyDirection.MINIMIZE
    number, _ = sampler.ask()
    sampler.tell(number, 0.5)
    again = _tpe(tmp_path / "b", [FLOAT], direction="minimize")
    assert [t.value for t in again.study.trials] == [0.5]


def test_asked_floats_are_rounded_and_told_results_recorded(tmp_path: Path) -> None:
    sampler = _tpe(tmp_path, [FLOAT, INT])
    states = optuna.trial.TrialState
    numbers = []
    for _ in range(3):
        number, params = sampler.ask()
        assert params["lr"] == float(f"{params['lr']:.6g}") and isinstance(params["depth"], int)
        numbers.append(number)
    sampler.tell(numbers[0], 0.25)
    sampler.tell(numbers[1], None)
    sampler.tell(numbers[1], 0.5)  # told again after an interruption: the first answer stays
    trials = sampler.study.trials
    assert (trials[0].state, trials[0].value) == (states.COMPLETE, 0.25)
    assert trials[1].state == states.FAIL and trials[2].state == states.RUNNING


def test_tpe_without_optuna_says_how_to_get_it(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ConfigError) as caught:
        _tpe(tmp_path, [FLOAT])
    assert str(caught.value).startswith("The tpe sampler needs Optuna, which is not installed")
    assert caught.value.fix == "pip install 'nbops[sweep]', or use --sampler grid or random"
