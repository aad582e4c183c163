"""Metrics logged with a step: the notebook API's checks, the collector, the manifest schema
and the chart geometry (the end-to-end build is tests/integration/test_step_metrics.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbops
from nbops.core._errors import RecordError
from nbops.core._schema import schema_errors
from nbops.reports._charts_svg import Curve, curve_chart, curve_svg
from nbops.reports._curves import curves_of
from nbops.runs._records import RECORD_MIME, read_facts


@pytest.fixture
def in_run(monkeypatch):
    """Inside a run: records are displayed (to stdout outside a kernel); fresh step state."""
    monkeypatch.setenv("NBOPS_RUN_ID", "20260101T000000000000Z-aaaaaa")
    monkeypatch.setattr("nbops.record._last_step", {})
    monkeypatch.setattr("nbops.record._step_count", {})


def _refused(call, *args, **kwargs) -> str:
    with pytest.raises(RecordError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert info.value.fix and "\n" not in message
    return message


def test_steps_must_be_increasing_integers(in_run, capsys) -> None:
    nbops.log_metric("loss", 0.9, step=0)
    nbops.log_metric("loss", 0.5, step=np.int64(3))  # numpy ints are ints
    assert "metric loss = 0.5 (step 3)" in capsys.readouterr().out
    assert "repeats step 3" in _refused(nbops.log_metric, "loss", 0.4, step=3)
    assert "step 2 comes after step 3" in _refused(nbops.log_metric, "loss", 0.4, step=2)
    assert "not an integer" in _refused(nbops.log_metric, "loss", 0.4, step=4.0)
    assert "not an integer" in _refused(nbops.log_metric, "loss", 0.4, step="5")
    assert "not an integer" in _refused(nbops.log_metric, "loss", 0.4, step=True)
    assert "negative" in _refused(nbops.log_metric, "acc", 0.4, step=-1)
    assert "JSON cannot hold" in _refused(nbops.log_metric, "loss", float("nan"), step=9)
    nbops.log_metric("loss", 0.3, step=4)  # a refused call recorded nothing
    nbops.log_metric("other", 1.0, step=1)  # each metric has its own steps


def test_log_metrics_checks_every_step_before_recording_any(in_run, capsys) -> None:
    nbops.log_metrics({"a": 1.0, "b": 2.0}, step=1)
    nbops.log_metric("b", 2.5, step=2)
    capsys.readouterr()
    # step 2 is new for "a" but repeats "b"'s: neither is recorded
    assert "'b' step 2 repeats step 2" in _refused(nbops.log_metrics, {"a": 1.5, "b": 3.0},
                                                    step=2)
    assert capsys.readouterr().out == ""
    nbops.log_metric("a", 1.5, step=2)


def test_too_many_steps_are_refused(in_run, monkeypatch) -> None:
    monkeypatch.setattr("nbops.record.MAX_STEPS", 3)
    for step in range(3):
        nbops.log_metric("loss", 1.0, step=step)
    assert "already logged 3 steps" in _refused(nbops.log_metric, "loss", 1.0, step=3)


def _notebook(payloads: list[dict]) -> dict:
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {RECORD_MIME: p, "text/plain": "..."}} for p in payloads]
    return {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1,
                       "source": "", "outputs": outputs}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_collector_keeps_the_curve_and_the_last_value_as_the_metric(tmp_path) -> None:
    payloads = [{"kind": "metric", "name": "loss", "value": v, "step": s}
                for s, v in ((1, 0.9), (2, 0.6), (2, 0.1), (1, 0.2), (5, 0.4))]
    payloads.append({"kind": "metric", "name": "auc", "value": 0.8})
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(_notebook(payloads)))
    facts = read_facts(path)
    # a hand-edited notebook whose steps go backwards: those points are dropped
    assert facts.curves == {"loss": {"steps": [1, 2, 5], "values": [0.9, 0.6, 0.4]}}
    assert facts.metrics == {"loss": 0.4, "auc": 0.8}


def _manifest_task(curves: dict) -> dict:
    return {"status": "executed", "duration_s": 1.0, "upstream": [],
            "source": {"path": "a.py", "hash": None}, "products": {}, "notebook": None,
            "produced_by": None, "metrics": {"loss": 0.4}, "artifacts": [], "error": None,
            "curves": curves}


def _task_errors(curves: dict) -> list[str]:
    """The manifest schema's complaints about one task entry holding ``curves``, by
    jsonschema (and by nbops' own schema checker, which must agree)."""
    import jsonschema

    from nbops.core._schema import load_schema

    schema = load_schema("manifest")
    task = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/task"}
    by_jsonschema = [e.message for e in
                     jsonschema.Draft202012Validator(task).iter_errors(_manifest_task(curves))]
    manifest = {"tasks": {"a": _manifest_task(curves)}}
    ours = [e for e in schema_errors(manifest, "manifest") if "tasks" in e]
    assert bool(ours) == bool(by_jsonschema), (ours, by_jsonschema)
    return by_jsonschema


def test_manifest_schema_versions_and_checks_curves() -> None:
    good = {"schema_version": 1, "series": {"loss": {"steps": [1, 2], "values": [0.5, 0.4]}}}
    assert _task_errors(good) == []
    assert _task_errors({**good, "schema_version": 2})
    assert _task_errors({"schema_version": 1, "series": {"loss": {"steps": ["1"],
                                                                   "values": [0.5]}}})
    assert _task_errors({"schema_version": 1, "series": {"loss": {"steps": [1]}}})
    assert schema_errors({"schema_version": 1}, "live_status")  # the live file's own schema


def test_curves_of_names_a_metric_two_tasks_logged_by_task() -> None:
    series = {"schema_version": 1, "series": {"loss": {"steps": [1], "values": [0.5]}}}
    manifest = {"tasks": {"a": {"curves": series}, "b": {"curves": series}, "c": {}}}
    assert list(curves_of(manifest)) == ["a.loss", "b.loss"]
    assert curves_of({"tasks": {"a": {"curves": {**series, "schema_version": 9}}}}) == {}


def test_curve_chart_puts_steps_on_x_and_overlays_curves() -> None:
    a = Curve("A", (0, 5, 10), (1.0, 0.5, 0.25))
    b = Curve("B", (0, 10), (0.8, float("nan")))
    chart = curve_chart("loss", [a, b])
    assert [line["label"] for line in chart["lines"]] == ["A", "B"]
    xs = [float(p.split(",")[0]) for p in chart["lines"][0]["points"].split()]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])  # steps 0, 5, 10: evenly apart
    assert chart["lines"][1]["count"] == 1  # the NaN point is left out
    assert (chart["first"], chart["last"]) == ("0", "10")
    svg = curve_svg("loss", [a])
    assert svg.count("<polyline") == 1 and 'data-metric="loss"' in svg
    assert "no data" in curve_svg("loss", [])
