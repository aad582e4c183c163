"""After a monitoring build closes: the manifest section, the opt-in failure, retraining.

:class:`MonitoringStep` is listed in :data:`nbops.hooks.POST_CLOSE_STEPS`. It
does nothing for runs without a monitoring task (a task with a
``monitor_report`` product).

The ``monitoring`` manifest section (contract in docs/contracts.md) carries the
verdict, the one-line summary, a ``banner`` for alerts, the thresholds, the
per-feature drift and what was done about it (``action``). When the verdict is
at least the task's ``fail_on`` parameter, the run's status becomes ``alert``
and :class:`MonitoringAlert` fails the build (non-zero exit, after the
remaining post-close steps, so the report still shows it).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from nbops.contracts import (
    MONITORING,
    FeatureDriftSummary,
    FileRecord,
    Manifest,
    MonitoringAction,
    MonitoringReportFile,
    MonitoringSection,
    MonitorReportRecord,
    RetrainAction,
    UserValues,
)
from nbops.core import ContentStore, NbopsError
from nbops.monitoring._retrain import retrain_command, start_retrain
from nbops.monitoring._status import ALERT, LEVELS, severity
from nbops.runs import OpenContext, RunContext

logger = logging.getLogger("nbops")

REPORT_PRODUCT = "monitor_report"
BATCH_PRODUCT = "batch"


class MonitoringAlert(NbopsError):
    """The monitoring verdict reached the configured ``fail_on`` level."""


class MonitoringStep:
    """The post-close step: :func:`record_monitoring` (nothing to prepare or release)."""

    name = "monitoring"

    def prepare(self, ctx: OpenContext) -> None:
        """Nothing to get ready: monitoring builds compute their report in a notebook."""

    def run(self, ctx: RunContext) -> None:
        """Record the ``monitoring`` section and act on the verdict."""
        record_monitoring(ctx)

    def close(self) -> None:
        """Nothing to release."""


def _monitor_task(manifest: Manifest) -> str | None:
    for name, entry in manifest["tasks"].items():
        if REPORT_PRODUCT in (entry.get("products") or {}):
            return str(name)
    return None


def _stored(store: ContentStore, product: FileRecord | None) -> Path | None:
    digest = product.get("hash") if product else None
    if not digest:
        return None
    path = store.path_for(digest)
    return path if path.is_file() else None


def banner(report: MonitorReportRecord) -> str | None:
    """The run page banner: set for ``alert`` and ``warn``, ``None`` when ``ok``."""
    if report["verdict"] == "ok":
        return None
    word = "MONITORING ALERT" if report["verdict"] == ALERT else "Monitoring warning"
    return f"{word}: {report['summary'].split(': ', 1)[-1]}"


def manifest_section(
    report: MonitorReportRecord, task: str, action: MonitoringAction,
    report_file: MonitoringReportFile,
) -> MonitoringSection:
    """The ``monitoring`` manifest section for one monitoring report."""
    features: dict[str, FeatureDriftSummary] = {}
    for name, drift in report["features"].items():
        features[name] = {"kind": drift["kind"], "status": drift["status"], "psi": drift["psi"],
                          "ks": drift["ks"], "missing_current": drift["missing_current"],
                          "unseen_share": drift["unseen_share"]}
        tests = drift.get("tests")
        if tests != {} and tests is not None:  # only when added drift tests ran (._drift_tests)
            features[name]["tests"] = tests
    prediction = report.get("prediction")
    performance = report.get("performance")
    return {
        "schema_version": 1,
        "task": task,
        "verdict": report["verdict"],
        "summary": report["summary"],
        "banner": banner(report),
        "top_features": report["top_features"],
        "problems": [p["message"] for p in report["problems"]],
        "rows": report["rows"],
        "batch": report["batch"],
        "champion": report["champion"],
        "thresholds": report["thresholds"],
        "features": features,
        "prediction": None if not prediction else {
            "status": prediction["status"], "psi": prediction["psi"], "ks": prediction["ks"]
        },
        "performance": None if not performance else {
            "status": performance["status"], "live": performance["live"],
            "reference": performance["reference"], "roc_auc_drop": performance["roc_auc_drop"],
            "reasons": performance["reasons"],
        },
        "report": report_file,
        "action": action,
    }


def _level(value: Any) -> str | None:
    text = None if value is None else str(value).strip().lower()
    if text in (None, "", "none", "null", "false", "never"):
        return None
    if text not in LEVELS:
        logger.warning("nbops monitoring: fail_on=%r is not one of %s; ignored", value, LEVELS)
        return None
    return text


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def record_monitoring(context: RunContext) -> None:
    """Post-close step: record the ``monitoring`` section and act on the verdict.

    Raises:
        MonitoringAlert: the verdict reached the monitoring task's ``fail_on``.
    """
    manifest = context.manifest
    task = _monitor_task(manifest)
    if task is None:
        return
    entry = manifest["tasks"][task]
    if entry.get("status") in ("failed", "not_run"):
        return
    store = context.store
    products = entry.get("products") or {}
    report_path = _stored(store, products.get(REPORT_PRODUCT))
    if report_path is None:
        logger.warning("nbops monitoring: the %s task left no stored report", task)
        return
    from nbops.monitoring._report import read_report  # numpy, scipy: monitoring builds only

    report = read_report(report_path)
    params = (manifest.get("params") or {}).get(task, {})
    fail_on = _level(params.get("fail_on"))
    action: MonitoringAction = {
        "fail_on": fail_on,
        "failed_build": bool(fail_on and severity(report["verdict"]) >= severity(fail_on)),
        "retrain": {"requested": _truthy(params.get("retrain")), "status": "not_needed"},
    }
    if action["retrain"]["requested"] and report["verdict"] == ALERT:
        action["retrain"] = _retrain(context, params, products, store)
    elif not action["retrain"]["requested"]:
        action["retrain"]["status"] = "not_configured"
    context.update(MONITORING,
                   manifest_section(report, task, action, products[REPORT_PRODUCT].copy()))
    if action["failed_build"]:
        # The verdict is the run's outcome: recorded as "alert", and the build exits non-zero.
        context.set_outcome("alert")
        raise MonitoringAlert(
            f"monitoring verdict is {report['verdict']} (fail_on: {fail_on}): {report['summary']}",
            "look at the monitoring report of this run; set fail_on: null under monitoring: "
            "in env.monitor.yaml to record alerts without failing the build",
        )


def _retrain(
    context: RunContext, params: UserValues, products: dict[str, FileRecord], store: ContentStore
) -> RetrainAction:
    explicit = params.get("retrain_data")
    if explicit not in (None, "", "None", "null"):
        data: Path | None = context.project.absolute(str(explicit))
    else:
        data = _stored(store, products.get(BATCH_PRODUCT))
    if data is None or not Path(data).is_file():
        return {"requested": True, "status": "skipped",
                "reason": "no labelled data to retrain on (set monitoring.retrain_data)"}
    argv = retrain_command(data, params.get("target") or None)
    log = context.run_dir / "retrain.log"
    pid = start_retrain(context.project.root, argv, log)
    logger.warning("nbops monitoring: alert, retraining started (pid %s, log %s)", pid, log)
    return {"requested": True, "status": "started", "pid": pid, "command": argv[1:],
            "log": context.project.relative(log)}
