"""Where a sweep's trials come from: an exhaustive grid, seeded random draws, or Optuna's TPE.

Grid and random trials are all drawn when the sweep is created and written to its
record, so a resumed sweep runs exactly the trials it planned. TPE proposes each
trial from the results so far; its state lives in an Optuna journal file under
``.nbops/sweeps/<name>/`` (a file, no database server), and it is seeded, so the
same sweep with the same seed proposes the same trials for the same results.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path
from typing import Any

from nbops.contracts import JSONObject
from nbops.core import ConfigError
from nbops.sweeps._space import Dimension, grid_size

SAMPLERS = ("grid", "random", "tpe")


def _round(value: float) -> float:
    """Six significant digits: readable on a command line, identical on every replay."""
    return float(f"{value:.6g}")


def _draw(dim: Dimension, rng: random.Random) -> Any:
    if dim.kind in ("grid", "choice"):
        return rng.choice(list(dim.values))
    assert dim.low is not None and dim.high is not None
    if dim.kind == "int":
        if dim.log:
            return int(round(math.exp(rng.uniform(math.log(dim.low), math.log(dim.high)))))
        return rng.randint(int(dim.low), int(dim.high))
    if dim.log:
        return _round(math.exp(rng.uniform(math.log(dim.low), math.log(dim.high))))
    return _round(rng.uniform(dim.low, dim.high))


def planned_trials(kind: str, space: list[Dimension], seed: int,
                   budget: int | None) -> list[JSONObject]:
    """Every trial's parameters for the grid and random samplers (TPE plans none ahead).

    Raises:
        ConfigError: a range given to the grid sampler, or no budget for random draws.
    """
    if kind == "grid":
        ranged = [dim.key for dim in space if dim.kind in ("float", "int")]
        if ranged:
            raise ConfigError(f"The grid sampler cannot enumerate the range of {ranged[0]}",
                              "list its values with --grid KEY=V1,V2, or use "
                              "--sampler random or tpe")
        combos = itertools.product(*(dim.values for dim in space))
        trials = [dict(zip([dim.key for dim in space], combo, strict=True)) for combo in combos]
        return trials if budget is None else trials[:budget]
    if kind == "random":
        if budget is None:
            if all(dim.kind in ("grid", "choice") for dim in space):
                budget = grid_size(space)
            else:
                raise ConfigError("A random sweep over a range needs a trial budget",
                                  "add --trials N")
        rng = random.Random(seed)
        return [{dim.key: _draw(dim, rng) for dim in space} for _ in range(budget)]
    if kind == "tpe":
        return []
    raise ConfigError(f"Unknown sampler {kind!r}", f"use one of {', '.join(SAMPLERS)}")


class TpeSampler:
    """Optuna's TPE over the sweep's space, stored in a journal file (ask, then tell)."""

    def __init__(self, journal: Path, name: str, space: list[Dimension], seed: int,
                 direction: str, budget: int) -> None:
        try:
            import optuna
            from optuna.storages import JournalStorage
            from optuna.storages.journal import JournalFileBackend
        except ImportError:
            raise ConfigError("The tpe sampler needs Optuna, which is not installed",
                              "pip install 'nbops[sweep]', or use --sampler grid or "
                              "random") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        journal.parent.mkdir(parents=True, exist_ok=True)
        storage = JournalStorage(JournalFileBackend(str(journal)))
        self._optuna = optuna
        self.study = optuna.create_study(
            study_name=name, storage=storage, load_if_exists=True,
            direction="maximize" if direction == "maximize" else "minimize",
            # random draws first, then TPE: a third of the budget, between 2 and 10
            sampler=optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=max(2, min(10, budget // 3))))
        self.distributions = {dim.key: self._distribution(dim) for dim in space}

    def _distribution(self, dim: Dimension) -> Any:
        dists = self._optuna.distributions
        if dim.kind in ("grid", "choice"):
            return dists.CategoricalDistribution(list(dim.values))
        if dim.kind == "int":
            return dists.IntDistribution(int(dim.low or 0), int(dim.high or 0), log=dim.log)
        return dists.FloatDistribution(float(dim.low or 0.0), float(dim.high or 0.0),
                                       log=dim.log)

    def ask(self) -> tuple[int, JSONObject]:
        """A new trial: its Optuna number and its parameters."""
        trial = self.study.ask(self.distributions)
        params = {key: (_round(value) if isinstance(value, float) else value)
                  for key, value in trial.params.items()}
        return trial.number, params

    def tell(self, number: int, value: float | None) -> None:
        """Report a trial's objective (None: it failed). Telling twice is harmless."""
        state = self._optuna.trial.TrialState
        try:
            if value is None:
                self.study.tell(number, state=state.FAIL)
            else:
                self.study.tell(number, value)
        except (RuntimeError, ValueError):
            pass  # already told before an interruption: the journal keeps the first answer
