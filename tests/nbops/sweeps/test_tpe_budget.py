"""A TPE sweep asks its sampler for exactly its budget of trials, counting the ones an
interrupted sweep had already planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.sweeps._runner import _next_trial
from nbops.sweeps._space import Dimension


@pytest.mark.parametrize("budget, planned", [(1, 0), (3, 0), (3, 2), (4, 4)])
def test_a_tpe_sweep_runs_its_budget_and_not_one_trial_more(
    tmp_path: Path, budget: int, planned: int
) -> None:
    pytest.importorskip("optuna")
    from nbops.sweeps._samplers import TpeSampler

    sampler = TpeSampler(tmp_path / "journal", "s", [Dimension("x", "float", low=0.0, high=1.0)],
                         seed=1, direction="maximize", budget=budget)
    record: dict = {"budget": budget, "trials": []}
    for _ in range(planned):  # trials finished before an interruption
        trial = _next_trial(record, sampler)
        assert trial is not None
        trial["status"] = "succeeded"
    asked = 0
    while (trial := _next_trial(record, sampler)) is not None and asked < budget + 3:
        asked += 1
        trial["status"] = "succeeded"
        sampler.tell(trial["sampler_trial"], 0.5)
    assert len(record["trials"]) == max(budget, planned)
    assert asked == max(0, budget - planned)
    assert [t["number"] for t in record["trials"]] == list(range(1, len(record["trials"]) + 1))
