"""The warmed-up helper process measures exactly what the build process would."""

import dataclasses
import importlib
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from registry_helpers import GATES

from nbops.core._errors import RegistryError
from nbops.core._project import Project
from nbops.registry import _measurements as measurements
from nbops.registry import _pipeline_step as pipeline_step
from nbops.registry._artifacts import store_of
from nbops.registry._config import parse_registry_config
from nbops.registry._measure_helper import WARM_IMPORTS, MeasureHelper
from nbops.registry._promotion import gate_and_promote
from nbops.runs._steps import OpenContext

CONFIG = parse_registry_config({"model": "churn"})


def _arguments(project, run):
    schema = json.loads(Path(run.feature_schema).read_text())
    return (project, run, CONFIG, schema, measurements.inputs_of(run),
            measurements.current_champion(project, CONFIG))


@pytest.fixture
def helper(project):
    started = MeasureHelper(project)
    yield started
    started.close()


def test_the_helper_measures_what_the_build_process_measures(project, make_run, helper):
    gate_and_promote(project, make_run(), CONFIG, GATES)  # a champion to score too
    challenger = make_run(seed=5, c=0.05)
    store_of(project).put_file(challenger.model_file)  # gate_and_promote stores it first
    here = measurements.measure(*_arguments(project, challenger))
    there = helper.measure(*_arguments(project, challenger))
    assert there.measured_in == "helper process" and here.measured_in == "build process"
    assert dataclasses.replace(there, measured_in=here.measured_in) == here
    assert there.champion is not None and there.champion["version"] == 1
    assert there.champion["metrics"]["roc_auc"] > 0.5


def test_an_error_in_the_helper_is_raised_here_with_its_problem_and_fix(project, make_run,
                                                                         helper):
    run = make_run()
    Path(run.model_file).write_text("not a zip")
    with pytest.raises(RegistryError, match="not a readable skops model file.*Fix: save the "
                                            "model with skops.io.dump"):
        helper.measure(*_arguments(project, run))


def test_a_dead_helper_means_measuring_in_the_build_process(project, make_run, helper, caplog):
    helper._process.kill()
    helper._process.wait()
    run = make_run()
    with caplog.at_level(logging.WARNING, logger="nbops"):
        outcome = gate_and_promote(project, run, CONFIG, GATES,
                                   measure=pipeline_step._measure_with(helper))
    assert outcome.passed and outcome.gates["measured"]["candidate"]["roc_auc"] > 0.5
    assert outcome.gates["measured"]["measured_in"] == "build process"
    assert "measuring in the build process instead" in caplog.text


def _task(will_run, *paths):
    return SimpleNamespace(will_run=will_run, products={f"p{i}": Path(p)
                                                        for i, p in enumerate(paths)})


def _prepared(project, env, task):
    step = pipeline_step.RegistryStep()
    step.prepare(OpenContext(Project(project), "r", env, [task]))
    return step


def test_the_helper_starts_only_when_the_build_trains_the_model(project, monkeypatch):
    monkeypatch.setattr(pipeline_step, "measuring_imported", lambda: False)  # a plain build
    env = {"registry": {"model": "churn"}}
    model = project / ".nbops" / "products" / "model.skops"
    steps = []
    try:
        steps = [_prepared(project, env, _task(False, model)),
                 _prepared(project, env, _task(True, project / "x.csv")),
                 _prepared(project, {}, _task(True, model))]
        assert [step.helper for step in steps] == [None, None, None]
        steps.append(_prepared(project, env, _task(True, model)))
        assert isinstance(steps[-1].helper, MeasureHelper)
    finally:
        for step in steps:
            step.close()
    assert steps[-1].helper is None


def test_a_process_that_already_imported_the_measuring_libraries_starts_no_helper(project):
    # a sweep's trial, forked by its warmed-up trial server: measuring in-process is free
    for module in WARM_IMPORTS:
        importlib.import_module(module)
    model = project / ".nbops" / "products" / "model.skops"
    step = _prepared(project, {"registry": {"model": "churn"}}, _task(True, model))
    assert step.helper is None


def test_gating_a_failed_build_still_ends_its_helper(project):
    started = MeasureHelper(project)
    step = pipeline_step.RegistryStep()
    step.helper = started
    context = SimpleNamespace(status="failed", env={"registry": {"model": "churn"}},
                              project=Project(project), run_id="r", manifest=None)
    step.run(context)
    assert step.helper is None
    # ended: it saw its stdin close and exited, or (still importing on a loaded
    # machine after close()'s 5 s grace) was killed; never left running
    assert started._process.poll() is not None


def test_measurements_round_trip_through_json():
    measured = measurements.Measurements(inputs={"model_file": "h"}, model_types=["a"],
                                         candidate={"roc_auc": 0.5}, data={"test_rows": 3.0})
    assert measurements.Measurements(**json.loads(json.dumps(measured.to_dict()))) == measured
