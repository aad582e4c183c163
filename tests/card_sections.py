"""Model card sections (``manifest["card"]``, nbops.cards) for tests that need one without a build.

A plain module (imported as ``card_sections``), like ``project_files``.
"""

from __future__ import annotations

from typing import Any

HASH = "blake3:" + "0" * 64


def hostile_card(p: str) -> dict[str, Any]:
    """A run's ``card`` section (nbops.cards) with ``p`` in every string people or data write
    (valid: every field a card step writes, so that readers checking the schema take it)."""
    metric = {"value": 0.8, "low": 0.7, "high": 0.9, "std": 0.01}
    evaluation = {
        "schema_version": 1, "threshold": 0.5, "seed": 1, "target": f"t{p}",
        "model": {"type": f"Model{p}", "module": f"mod{p}", "steps": [f"step{p}"]},
        "data": {"test": {"rows": 10, "positives": 3, "negatives": 7, "positive_rate": 0.3,
                          "date_range": [f"d{p}", "2026-01-01"]}},
        "metrics": {f"roc_auc{p}": metric}, "bootstrap": {"resamples": 10, "level": 0.95},
        "slices": [{"column": f"col{p}", "slices": [
            {"value": f"slice{p}", "rows": 40, "positives": 9, "metrics": {"roc_auc": 0.7}}],
            "summary": {"roc_auc": {"best": f"best{p}", "best_value": 0.7, "worst": f"worst{p}",
                                    "worst_value": 0.7, "gap": 0.0}}}],
        "slices_missing": f"card.slices names 'gone{p}'",
        "gate_metrics": {"worst_slice_roc_auc": 0.7},
        "calibration": {"bins": [{"low": 0.0, "high": 0.1, "rows": 10, "mean_predicted": 0.05,
                                  "observed_rate": 0.1}], "brier": 0.1,
                        "expected_calibration_error": 0.05},
        "importance": {"scoring": f"roc_auc{p}", "repeats": 5, "rows": 10,
                       "features": [{"feature": f"feature{p}", "mean": 0.1, "std": 0.01}]},
    }
    return {
        "schema_version": 1,
        "model": {"name": "churn", "version": 1,
                  "type": {**evaluation["model"], "trusted_types": [f"mod{p}.Type"]},
                  "parameters": {f"param{p}": f"value{p}"},
                  "code": {"commit": f"c{p}", "branch": f"b{p}", "dirty": False},
                  "environment": {"python": f"3{p}", "platform": f"os{p}", "lock_hash": None,
                                  "packages": {f"pkg{p}": f"1{p}"}}},
        "data": {"source": {"env": {"path": f"data{p}.csv"}, "inputs": {}},
                 "train": None, "test": {**evaluation["data"]["test"], "hash": f"h{p}"},
                 "schema": {"target": f"t{p}", "date_column": None,
                            "features": [{"name": f"f{p}", "dtype": "float"}]}},
        "evaluation": {"hash": HASH, "path": f"e{p}.json", "content": evaluation},
        "gates": {"verdict": "passed", "results": [
            {"name": f"gate{p}", "expression": f"x >= {p}", "verdict": "passed", "value": 1.0,
             "threshold": 0.5, "detail": f"detail{p}"}]},
        "champion": {"replaced": {"version": 1, "run_id": None}, "deltas": {f"d{p}": 0.1},
                     "promoted": True, "decision": f"decision{p}", "primary_metric": "roc_auc"},
        "human": {"intended_use": f"use{p}", "out_of_scope_uses": [f"scope{p}"],
                  "limitations": [f"limit{p}"], "owner": f"owner{p}", "risks": f"risk{p}"},
        "missing": [f"missing{p}"],
    }


def registry_with_version(run_id: str) -> dict[str, Any]:
    """A registry document whose ``churn:1`` was registered by ``run_id``."""
    return {"schema_version": 1, "models": {"churn": {
        "created_at": "2026-01-01T00:01:00Z", "aliases": {}, "history": [],
        "versions": [{"version": 1, "run_id": run_id, "registered_by_run": run_id,
                      "registered_at": "2026-01-01T00:01:00Z",
                      "artifact": {"hash": HASH, "size": 1, "format": "skops",
                                   "trusted_types": []},
                      "metrics": {}, "training_data": {"hash": HASH},
                      "feature_schema": {"features": []}}]}}}
