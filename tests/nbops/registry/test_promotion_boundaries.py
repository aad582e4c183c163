"""Promotion decided at its edges: a tie, a win by exactly ``min_improvement``, and
a lower-is-better primary metric (brier).

The models and files are real; the re-scored figures are set through
``gate_and_promote``'s ``measure`` argument (the real measurement, then the
primary metric pinned to binary fractions), so "exactly" is exact.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import run_writer

from nbops.registry import artifacts, measurements, registry_file
from nbops.registry.config import parse_registry_config
from nbops.registry.promotion import Candidate, gate_and_promote


@pytest.fixture(scope="module")
def world(tmp_path_factory, datasets) -> tuple[Path, Candidate, measurements.Measurements]:
    """A project whose champion is version 1, a second model's files, and their scores."""
    root = tmp_path_factory.mktemp("promotion-edges")
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run = run_writer(root, datasets)
    config = parse_registry_config({"model": "churn"})
    assert gate_and_promote(root, make_run(), config, {}).registry["promoted"]
    second = make_run(c=0.5)
    artifacts.store_of(root).put_file(second.model_file)  # gate_and_promote does it first
    champion = measurements.current_champion(root, config)
    schema = registry_file.read(root)["models"]["churn"]["versions"][0]["feature_schema"]
    measured = measurements.measure(root, second, config, schema,
                                    measurements.inputs_of(second), champion)
    assert measured.champion is not None and measured.champion["metrics"] is not None
    return root, second, measured


def _promote(world, tmp_path: Path, metric: str, candidate: float, champion: float,
             min_improvement: float = 0.0) -> dict[str, Any]:
    template, second, measured = world
    root = tmp_path / "project"
    shutil.copytree(template, root)
    moved = dataclasses.replace(second, **{
        name: root / Path(getattr(second, name)).relative_to(template)
        for name in ("model_file", "train_data", "test_data", "feature_schema")})

    def measure(*args: Any) -> measurements.Measurements:
        pinned = copy.deepcopy(measured)
        pinned.candidate[metric] = candidate
        pinned.champion["metrics"][metric] = champion
        return pinned

    config = parse_registry_config({"model": "churn", "primary_metric": metric,
                                    "min_improvement": min_improvement})
    outcome = gate_and_promote(root, moved, config, {}, measure=measure)
    assert outcome.passed and outcome.registry["version"] == 2
    return outcome.registry


def _champion(root: Path) -> int:
    return registry_file.read(root)["models"]["churn"]["aliases"]["champion"]


@pytest.mark.parametrize(
    ("metric", "candidate", "champion", "min_improvement", "promoted"),
    [
        ("roc_auc", 0.75, 0.75, 0.0, False),  # a tie never promotes
        ("roc_auc", 0.75, 0.5, 0.25, False),  # better by exactly min_improvement
        ("roc_auc", 0.875, 0.5, 0.25, True),  # better by more
        ("roc_auc", 0.5, 0.75, 0.0, False),  # worse
        ("roc_auc", 0.5, 0.75, -0.5, True),  # a negative floor accepts a small loss
        ("brier", 0.25, 0.25, 0.0, False),  # lower is better: a tie
        ("brier", 0.25, 0.5, 0.25, False),  # lower by exactly min_improvement
        ("brier", 0.125, 0.5, 0.25, True),  # lower by more
        ("brier", 0.75, 0.5, 0.0, False),  # a higher brier is worse
        ("brier", 0.5, 0.25, -0.5, True),  # a negative floor accepts a small loss
    ],
)
def test_promotion_edges_in_both_metric_directions(world, tmp_path, metric, candidate,
                                                   champion, min_improvement, promoted) -> None:
    section = _promote(world, tmp_path, metric, candidate, champion, min_improvement)
    assert section["promoted"] is promoted
    assert _champion(tmp_path / "project") == (2 if promoted else 1)
    assert section["champion_after"] == (2 if promoted else 1)
    assert section["candidate_metrics"][metric] == candidate
    assert section["champion_before"]["metrics"][metric] == champion
    assert section["deltas"][metric] == candidate - champion
    if promoted:
        assert section["decision"].startswith(f"promoted churn:2 to @champion: {metric} ")
        assert f"beats champion churn:1 {champion:.4f}" in section["decision"]
    else:
        assert section["decision"] == (
            f"registered churn:2, champion churn:1 kept: {metric} {candidate:.4f} does not "
            f"beat {champion:.4f} by more than {min_improvement:g}")

