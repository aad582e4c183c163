"""The closing summary of a build: succeeded, gated, failed and monitoring runs.

Fixture runs (real manifests through the schema) give exact inputs; the real
``ploomber build`` output is checked in test_build_reports.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reports_fixture import XSS_SCRIPT, make_run, run_id_at

from nbops.reports._ledger_view import list_summaries, load_manifest
from nbops.reports._render import render_run
from nbops.reports._summary import (
    build_summary,
    emit_summary,
    fmt,
    summary_markdown,
    summary_text,
)

CHURN_ENV = {"seed": 7, "data": {"path": None, "rows": 500},
             "registry": {"model": "churn"}}
GATES_FAILED = {
    "verdict": "failed",
    "results": [
        {"name": "min_roc_auc", "expression": "roc_auc >= 0.75", "kind": "absolute",
         "verdict": "passed", "value": 0.8, "threshold": 0.75, "detail": "roc_auc = 0.8"},
        {"name": "no_regression", "expression": "roc_auc >= champion - 0.01",
         "kind": "champion", "verdict": "failed", "value": 0.8, "threshold": 0.83,
         "detail": "roc_auc = 0.8, needs >= 0.83 (champion churn:1 - 0.01)"},
    ],
}
MONITORING = {"schema_version": 1, "task": "monitor", "verdict": "alert",
              "summary": "alert: 2 features drifted (age, tenure)",
              "banner": "MONITORING ALERT: 2 features drifted (age, tenure)",
              "top_features": ["age", "tenure"], "problems": [], "rows": 400,
              "champion": {"model": "churn", "version": 1},
              "features": {"age": {"kind": "numeric", "status": "alert", "psi": 0.412345,
                                   "ks": 0.3},
                           "tenure": {"kind": "numeric", "status": "warn", "psi": 0.15,
                                      "ks": 0.1}}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    reports = tmp_path_factory.mktemp("summary") / "reports"
    champion = {"model": "churn", "version": 1, "run_id": run_id_at(1),
                "metrics": {"roc_auc": 0.84, "f1": 0.5}}
    first = make_run(reports, run_id_at(1), metrics={"roc_auc": 0.84, "f1": 0.5},
                     extra={"env": CHURN_ENV, "registry": {
                         "model": "churn", "version": 1, "promoted": True,
                         "primary_metric": "roc_auc", "champion_before": None,
                         "decision": "churn:1 promoted: first version to pass the gates"}})
    gated = make_run(reports, run_id_at(2), status="gated",
                     metrics={"f1": 0.45, "roc_auc": 0.8, "baseline_roc_auc": 0.7},
                     extra={"env": CHURN_ENV, "gates": GATES_FAILED, "registry": {
                         "model": "churn", "version": None, "promoted": False,
                         "primary_metric": "roc_auc", "champion_before": champion,
                         "decision": "not registered: quality gates failed; champion "
                                     "unchanged (version 1)"}})
    failed = make_run(reports, run_id_at(3), status="failed", extra={"env": CHURN_ENV})
    render_run(failed)
    other_data = make_run(reports, run_id_at(4), metrics={"roc_auc": 0.9},
                          extra={"env": {**CHURN_ENV, "data": {"path": "data/telco.csv"}}})
    monitoring = make_run(reports, run_id_at(5), metrics={
        "monitor_verdict": 2, "live_roc_auc": 0.71, "drift_psi.age": 0.41,
        f"drift_psi.{XSS_SCRIPT}": 0.2}, extra={"env": CHURN_ENV, "monitoring": MONITORING})
    return {"reports": reports, "first": first, "gated": gated, "failed": failed,
            "other_data": other_data, "monitoring": monitoring}


def _summary(runs: dict[str, Path], name: str):  # type: ignore[no-untyped-def]
    run_dir = runs[name]
    return build_summary(load_manifest(run_dir), run_dir, list_summaries(runs["reports"]),
                         base=runs["reports"].parent)


def test_succeeded_build_names_run_metrics_decision_and_page(runs):
    text = summary_text(_summary(runs, "first"))
    run_id = run_id_at(1)
    assert text.splitlines()[0].startswith(f"nbops: run {run_id} succeeded (5.0 s, ")
    assert "experiment churn · embedded generator" in text
    assert "registry: churn:1 promoted: first version to pass the gates" in text
    assert f"run page: reports/runs/{run_id}/index.html" in text
    assert "previous run of this experiment: none" in text
    assert "\x1b[" not in text  # no colour unless asked


def test_gated_build_names_the_failing_gate_and_deltas(runs):
    summary = _summary(runs, "gated")
    text = summary_text(summary)
    lines = text.splitlines()
    assert "gated" in lines[0]
    metric_rows = [line.split() for line in lines if line.startswith("  roc_auc")]
    # primary metric first; -0.04 vs previous run (0.84) and vs the champion's 0.84 re-scored
    assert metric_rows == [["roc_auc", "0.8", "-0.04", "-0.04"]]
    assert lines[2].split()[0] == "roc_auc"
    assert not any(line.startswith("  baseline_roc_auc") for line in lines)
    assert "gates: failed (1 of 2 failed)" in text
    assert "  x no_regression: roc_auc = 0.8, needs >= 0.83" in text
    assert f"  gates on the run page: reports/runs/{run_id_at(2)}/index.html#gates" in text
    assert "registry: not registered: quality gates failed" in text
    assert f"previous run of this experiment: {run_id_at(1)}" in text
    markdown = summary_markdown(summary)
    assert "| no_regression | failed | roc_auc = 0.8, needs &gt;= 0.83" in markdown
    assert "| roc_auc | 0.8 | -0.04 | -0.04 |" in markdown


def test_failed_build_links_the_failed_cell_page(runs):
    text = summary_text(_summary(runs, "failed"))
    assert "failed: train failed: ZeroDivisionError: division by zero" in text
    assert (f"failed cell: reports/runs/{run_id_at(3)}/html/train.html#nbops-failed-cell"
            in text)
    assert ".nbops/products" not in text


def test_other_data_is_another_experiment_so_no_previous_run(runs):
    summary = _summary(runs, "other_data")
    assert summary.experiment == "churn · telco.csv"
    assert summary.previous_run is None  # the churn runs on generated data are not comparable


def test_monitoring_alert_is_not_a_green_success(runs):
    summary = _summary(runs, "monitoring")
    assert summary.status == "succeeded" and summary.verdict == "monitoring alert"
    text = summary_text(summary)
    assert text.splitlines()[0].split()[3:5] == ["monitoring", "alert"]
    assert "monitoring: alert - alert: 2 features drifted (age, tenure)" in text
    assert "live_roc_auc" in text and "drift_psi" not in text
    assert summary.experiment == "churn · monitoring"
    markdown = summary_markdown(summary)
    assert markdown.startswith("### 🚨 nbops run")
    assert "<script>" not in markdown


def test_colour_only_when_asked_and_never_with_no_color(runs, monkeypatch):
    summary = _summary(runs, "gated")
    assert "\x1b[" in summary_text(summary, colour=True)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    monkeypatch.setenv("NO_COLOR", "1")
    emit_summary(runs["gated"], stream=out)
    assert "gated" in out.getvalue() and "\x1b[" not in out.getvalue()
    monkeypatch.delenv("NO_COLOR")
    out = Tty()
    emit_summary(runs["gated"], stream=out)
    assert "\x1b[" in out.getvalue()


def test_numbers_are_rounded_for_reading():
    assert fmt(0.8123456) == "0.8123"
    assert fmt(20000.0) == "20,000"
    assert fmt(0.00001234) == "1.234e-05"
    assert fmt(None) == "-"


def test_a_build_whose_pages_cannot_be_rendered_prints_no_page_path(tmp_path, capsys):
    """Rendering really fails (``html`` is a file, not a folder): the summary says so and
    how to retry, and names no page that does not exist."""
    from types import SimpleNamespace

    from nbops.reports._render import render_after_close

    reports = tmp_path / "reports"
    run_dir = make_run(reports, run_id_at(1))
    (run_dir / "html").write_text("a file where the pages' folder should be")
    manifest = load_manifest(run_dir)
    render_after_close(SimpleNamespace(manifest=manifest, outcome="succeeded",  # type: ignore
                                       run_dir=run_dir))
    said = capsys.readouterr().err
    assert not (run_dir / "index.html").exists()
    assert "run page:" not in said and "index.html" not in said
    assert (f"The pages of run {run_id_at(1)} could not be rendered (the run itself is "
            f"recorded); retry with `nbops report {run_id_at(1)}`.") in said


def test_a_passing_model_the_remote_did_not_take_is_the_verdict(tmp_path):
    """The summary said "succeeded" while the build exited 1: the model was not registered."""
    from nbops.reports._summary import BuildSummary

    sentence = ("Run r's model passed its gates but was not registered (the registry and its "
                "champion are unchanged): no credentials found for remote s3://b/team. Fix: set "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE in the environment")
    summary = BuildSummary(run_id="r", status="succeeded", duration_s=1.0, experiment="churn",
                           executed=1, reused=0, gates_verdict="passed",
                           registry_decision="not registered: no credentials found",
                           not_registered=True, registry_error=sentence, run_page="p")
    assert summary.verdict == "not registered"
    text = summary_text(summary)
    assert text.splitlines()[0].startswith("nbops: run r not registered (")
    assert f"registry: not registered: {sentence}" in text
    assert text.count("no credentials found") == 1
    assert summary_markdown(summary).startswith("### ❌ nbops run `r`: not registered")


def test_a_failing_steps_sentence_joins_the_verdict_block_once():
    """A monitoring build failed by monitoring.fail_on ended without saying why."""
    from nbops.reports._summary import with_build_error

    text = "nbops: run r alert (1.0 s)\nmonitoring: alert - drift in age\nrun page: p\n"
    sentence = "monitoring verdict is alert. Fix: look at the drift report"
    assert with_build_error(text, sentence).splitlines() == [
        "nbops: run r alert (1.0 s)", "monitoring: alert - drift in age",
        f"build failed: {sentence}", "run page: p"]
    assert with_build_error(text + sentence, sentence) == text + sentence  # said once
    assert with_build_error(text, None) == text


def test_the_json_summary_has_every_field_and_each_metrics_deltas() -> None:
    """``nbops summary --json`` is written field by field: a field added to BuildSummary
    must be added to its document too."""
    import dataclasses

    from nbops.reports._summary import BuildSummary, GateLine, MetricLine

    summary = BuildSummary("r", "succeeded", 1.5, "churn", 2, 1,
                           [MetricLine("roc_auc", 0.9, 0.8, None)],
                           gates=[GateLine("min_roc_auc", "passed", "roc_auc = 0.9")])
    document = summary.to_dict()
    assert list(document) == [f.name for f in dataclasses.fields(BuildSummary)] + ["verdict"]
    assert document["metrics"] == [{"name": "roc_auc", "value": 0.9, "previous": 0.8,
                                    "champion": None, "vs_previous": pytest.approx(0.1),
                                    "vs_champion": None}]
    assert document["gates"] == [{"name": "min_roc_auc", "verdict": "passed",
                                  "detail": "roc_auc = 0.9"}]
    assert document["verdict"] == "succeeded"
