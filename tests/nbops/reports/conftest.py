"""Fixtures for report tests: a small ledger of fixture runs, built once per module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reports_fixture import make_run, run_id_at  # noqa: E402

GATES = {
    "verdict": "passed",
    "results": [{"name": "auc_floor", "expression": "roc_auc >= 0.75", "kind": "absolute",
                 "verdict": "passed", "value": 0.83, "threshold": 0.75, "detail": "0.83 >= 0.75"}],
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three runs: an older success, a failure, and a hostile success with gates/registry.

    Only the ledger is written; tests render what they need.
    """
    reports = tmp_path_factory.mktemp("project") / "reports"
    first = make_run(reports, run_id_at(1), metrics={"roc_auc": 0.80, "accuracy": 0.88})
    failed = make_run(reports, run_id_at(2), status="failed")
    registry = {"model": "churn", "version": 3, "promoted": True,
                "champion_before": {"model": "churn", "version": 2, "run_id": run_id_at(1)}}
    latest = make_run(reports, run_id_at(3), metrics={"roc_auc": 0.83, "accuracy": 0.87},
                      hostile=True, skipped_from=run_id_at(1),
                      extra={"gates": GATES, "registry": registry})
    return {"reports": reports, "first": first, "failed": failed, "latest": latest}
