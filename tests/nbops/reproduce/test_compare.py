"""Task-by-task comparison and the verdict, on synthetic manifests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from nbops.reproduce._compare import (
    DIVERGED,
    IDENTICAL,
    WITHIN,
    Sides,
    compare_runs,
    task_order,
    verdict,
)
from nbops.reproduce._declaration import parse_declaration

H = {c: "blake3:" + c * 64 for c in "abcdef"}


def task(
    upstream: list[str],
    products: dict[str, str],
    metrics: dict[str, float] | None = None,
    status: str = "executed",
) -> dict[str, Any]:
    return {
        "status": status,
        "duration_s": 1.0,
        "upstream": upstream,
        "source": {"path": "nb.py", "hash": H["f"]},
        "products": {k: {"path": f"{k}.bin", "hash": h, "size": 1} for k, h in products.items()},
        "notebook": None,
        "produced_by": None,
        "metrics": metrics or {},
        "artifacts": [],
        "error": None,
    }


def manifest() -> dict[str, Any]:
    return {
        "params": {"data": {"seed": 1}, "train": {"lr": 0.1}, "report": {}},
        "tasks": {
            "report": task(["train"], {"html": H["c"]}),
            "data": task([], {"data": H["a"]}),
            "train": task(["data"], {"model": H["b"]}, {"auc": 0.81, "loss": 0.3}),
        },
    }


@pytest.fixture
def sides(tmp_path: Path) -> Sides:
    return Sides(tmp_path, tmp_path, {"/scratch": "/proj"}, lambda side, digest: None)


def test_dependency_order() -> None:
    assert task_order(manifest()["tasks"]) == ["data", "train", "report"]


def test_identical_runs_reproduce(sides: Sides) -> None:
    results = compare_runs(manifest(), copy.deepcopy(manifest()), sides, {})
    assert [r.outcome for r in results] == [IDENTICAL] * 3
    assert verdict(results) == ("reproduced", None)


def test_first_diverging_task_is_named_with_the_product(sides: Sides) -> None:
    again = copy.deepcopy(manifest())
    again["tasks"]["train"]["products"]["model"]["hash"] = H["d"]
    again["tasks"]["report"]["products"]["html"]["hash"] = H["e"]
    results = compare_runs(manifest(), again, sides, {})
    outcome, first = verdict(results)
    assert outcome == DIVERGED and first is not None and first.task == "train"
    assert "product model (model.bin) is not bit-identical" in first.reason


def test_metric_change_without_declaration_diverges(sides: Sides) -> None:
    again = copy.deepcopy(manifest())
    again["tasks"]["train"]["metrics"]["auc"] = 0.8100001
    _, first = verdict(compare_runs(manifest(), again, sides, {}))
    assert first is not None and first.task == "train"
    assert "metric auc was 0.81, reproduction 0.8100001" in first.reason


def test_declared_task_within_tolerance_and_downstream_must_declare_too(sides: Sides) -> None:
    again = copy.deepcopy(manifest())
    again["tasks"]["train"]["products"]["model"]["hash"] = H["d"]
    again["tasks"]["train"]["metrics"]["auc"] = 0.805
    declared = parse_declaration({"nondeterministic": {"train": {"tolerance": {"auc": 0.01}}}})

    results = compare_runs(manifest(), again, sides, declared)
    assert [r.outcome for r in results] == [IDENTICAL, WITHIN, IDENTICAL]
    assert verdict(results) == ("within-tolerance", None)
    assert "within ±0.01" in results[1].reason

    again["tasks"]["report"]["products"]["html"]["hash"] = H["e"]
    outcome, first = verdict(compare_runs(manifest(), again, sides, declared))
    assert outcome == DIVERGED and first is not None and first.task == "report"
    assert "its upstream train is declared non-deterministic" in first.reason


def test_outside_tolerance_diverges_and_unlisted_metric_must_be_exact(sides: Sides) -> None:
    again = copy.deepcopy(manifest())
    again["tasks"]["train"]["metrics"]["auc"] = 0.7
    declared = parse_declaration({"nondeterministic": {"train": {"tolerance": {"auc": 0.01}}}})
    _, first = verdict(compare_runs(manifest(), again, sides, declared))
    assert first is not None and "outside ±0.01" in first.reason

    again = copy.deepcopy(manifest())
    again["tasks"]["train"]["metrics"]["loss"] = 0.31
    _, first = verdict(compare_runs(manifest(), again, sides, declared))
    assert first is not None and "metric loss" in first.reason and "outside ±0" in first.reason


def test_failed_reproduction_params_and_source_changes_are_divergences(sides: Sides) -> None:
    again = copy.deepcopy(manifest())
    again["tasks"]["data"]["status"] = "failed"
    again["tasks"]["data"]["error"] = {"cell_index": 3, "ename": "KeyError", "evalue": "'x'"}
    _, first = verdict(compare_runs(manifest(), again, sides, {}))
    assert first is not None and first.task == "data"
    assert first.reason == "was executed, reproduction failed (KeyError: 'x')"

    again = copy.deepcopy(manifest())
    again["params"]["train"]["lr"] = 0.2
    _, first = verdict(compare_runs(manifest(), again, sides, {}))
    assert first is not None and "lr: recorded 0.1, reproduction 0.2" in first.reason

    again = copy.deepcopy(manifest())
    again["tasks"]["data"]["source"]["hash"] = H["e"]
    _, first = verdict(compare_runs(manifest(), again, sides, {}))
    assert first is not None and "source differs" in first.reason


def test_scratch_paths_in_params_are_rewritten_before_comparing(sides: Sides) -> None:
    original = manifest()
    original["params"]["data"]["path"] = "/proj/in.csv"
    again = copy.deepcopy(original)
    again["params"]["data"]["path"] = "/scratch/in.csv"
    assert verdict(compare_runs(original, again, sides, {}))[0] == "reproduced"


def test_skipped_counts_as_succeeded_and_missing_task_diverges(sides: Sides) -> None:
    original = manifest()
    original["tasks"]["data"]["status"] = "skipped"
    again = copy.deepcopy(manifest())
    assert verdict(compare_runs(original, again, sides, {}))[0] == "reproduced"
    del again["tasks"]["report"]
    _, first = verdict(compare_runs(original, again, sides, {}))
    assert first is not None and first.task == "report"
    assert "no such task" in first.reason


def test_reused_products_name_the_run_that_made_them(sides: Sides) -> None:
    original = manifest()
    original["tasks"]["data"]["status"] = "skipped"
    original["tasks"]["data"]["produced_by"] = "20261124T034105879591Z-n6dhvl"
    again = copy.deepcopy(manifest())
    again["tasks"]["data"]["products"]["data"]["hash"] = H["e"]
    _, first = verdict(compare_runs(original, again, sides, {}))
    assert first is not None and first.task == "data"
    assert "reused this task's products from run 20261124T034105879591Z-n6dhvl" in first.reason
