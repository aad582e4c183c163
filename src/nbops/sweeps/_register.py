"""``nbops sweep … --register best``: the best trial's model goes through the gates.

Trials never register anything (they build with ``registry.promotion: never``).
Registering the best one is one more ordinary build with the best trial's
settings and ``registry.promotion: manual``: its products are restored from the
trial's run (nothing executes), the registry step scores the model against the
champion on the same held-out rows and evaluates every gate, and a model that
passes and beats the champion becomes ``@challenger``. It is never promoted
around the gates, and never straight to champion: ``nbops promote`` stays a
person's decision.
"""

from __future__ import annotations

from collections.abc import Callable

from nbops.contracts import SweepRecord
from nbops.core import ConfigError, Project
from nbops.runs import load_manifest
from nbops.sweeps import _sweep_record as records
from nbops.sweeps._runner import build_trial, render_site_index


def register_best(project: Project, record: SweepRecord,
                  echo: Callable[[str], None]) -> SweepRecord:
    """Gate and register the best trial's model as ``@challenger``; record the outcome."""
    best = records.best_trial(record)
    if best is None:
        raise ConfigError(f"No trial of sweep {record['name']!r} succeeded, so none can be "
                          "registered", "look at the trials' notes on the sweep's page")
    overrides = {**record["fixed"], **best["params"], "registry.promotion": "manual"}
    log_path = records.state_dir(project, record["name"]) / "register-best.log"
    build = build_trial(project, record, best, overrides, log_path,
                        extra_tags={"purpose": "register"})
    if build.summary is None:
        raise ConfigError(f"The build registering trial {best['number']} recorded no run",
                          f"see {log_path}")
    manifest = load_manifest(project, build.summary["run_id"])
    registry = manifest.get("registry")
    gates = manifest.get("gates")
    error = gates.get("error") if gates else None
    decision = (registry.get("decision") if registry else None) or (
        f"quality gates {(gates.get('verdict', 'not evaluated') if gates else 'not evaluated')}"
        + (f": {error}" if error else ""))
    record["registered"] = {"trial": best["number"], "run_id": build.summary["run_id"],
                            "status": build.summary["status"], "decision": decision,
                            "version": (registry.get("version") if registry else None)}
    records.write(project, record, "sweep.registered")
    render_site_index(project)  # the registering build, like the trials, left it to us
    echo(f"registering best trial {best['number']} (run {build.summary['run_id']}): {decision}")
    return record
