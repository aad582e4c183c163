"""The reproduction verdict's details: every check's message and JSON form, notebooks
compared as notebooks, and the reasons attached to a divergence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbops.reproduce.compare import DIVERGED, IDENTICAL, Check, Sides, TaskResult, compare_task


def _task(**overrides: Any) -> dict[str, Any]:
    task = {"status": "executed", "upstream": [], "source": {"hash": "h"}, "products": {},
            "notebook": None, "produced_by": None, "metrics": {}, "error": None}
    task.update(overrides)
    return task


def _sides(tmp_path: Path) -> Sides:
    return Sides(tmp_path, tmp_path, {}, lambda side, digest: None)


def test_check_and_task_result_json_forms(tmp_path: Path) -> None:
    check = Check("metric:auc", False, 0.5, 0.75, "metric auc differs", tolerance=0.5,
                  acceptable=True)
    assert check.to_dict() == {"what": "metric:auc", "equal": False, "acceptable": True,
                               "recorded": 0.5, "reproduced": 0.75,
                               "detail": "metric auc differs", "tolerance": 0.5}
    result = compare_task("t", _task(), _task(), {}, {}, _sides(tmp_path), None, [])
    assert result.outcome == IDENTICAL
    assert result.to_dict() == {
        "task": "t", "outcome": IDENTICAL,
        "reason": "bit-identical products, equal outputs and metrics",
        "nondeterministic": False, "tolerance": None,
        "checks": [c.to_dict() for c in result.checks]}
    assert [c["what"] for c in result.to_dict()["checks"]] == ["status", "source", "params"]
    missing = compare_task("t", _task(), None, {}, {}, _sides(tmp_path), None, [])
    assert missing.outcome == DIVERGED and missing.reason == "the reproduction has no such task"
    assert isinstance(missing, TaskResult) and len(missing.checks) == 1
