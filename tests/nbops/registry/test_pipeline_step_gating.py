"""The post-close step on a real run's products (skops models trained here, stored in the
content store): sections written ahead of the registry change and after it, the model
registered under the run, a failing gate closing the run as gated, a model trained on other
columns moved to its own experiment, and the measuring helper used when one was started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from registry_helpers import GATES, MakeRun

from nbops.core import ContentStore, GateFailure
from nbops.core._project import Project
from nbops.registry import _registry_file as registry_file
from nbops.registry._pipeline_step import RegistryStep, gate_after_close
from nbops.registry._promotion import PENDING_DECISION, Candidate

FILES = ("model_file", "train_data", "test_data", "feature_schema")


class Context:
    """The closing run as the step sees it; records each section write and the outcome."""

    def __init__(self, root: Path, candidate: Candidate, gates: dict[str, str],
                 model: str | None = "churn", data: str = "/data/other-file.csv") -> None:
        store = ContentStore(Project(root).store_dir)
        paths = {key: str(Path(getattr(candidate, key)).relative_to(root)) for key in FILES}
        products = {key: {"path": paths[key], "size": 1,
                          "hash": store.put_file(Path(getattr(candidate, key))).digest}
                    for key in FILES}
        self.status = "succeeded"
        self.project = Project(root)
        self.run_id = candidate.run_id
        registry = {**paths, **({"model": model} if model else {})}
        self.env = {"registry": registry, "gates": gates, "data": {"path": data}}
        self.manifest: dict[str, Any] = {
            "run_id": candidate.run_id, "metrics": candidate.metrics,
            "tasks": {"train": {"products": products, "produced_by": candidate.run_id,
                                "metrics": candidate.metrics}}}
        self.writes: list[tuple[str, dict[str, Any]]] = []
        self.outcome: str | None = None

    def update(self, section: Any, value: dict[str, Any]) -> None:
        self.writes.append((section.name, value))

    def set_outcome(self, status: str) -> None:
        self.outcome = status


def test_a_passing_run_is_registered_with_its_sections_written_before_and_after(
    project: Path, make_run: MakeRun
) -> None:
    context = Context(project, make_run(), GATES)
    gate_after_close(context)
    assert [name for name, _ in context.writes] == ["gates", "registry", "gates", "registry"]
    (_, ahead_gates), (_, ahead), (_, gates), (_, registry) = context.writes
    assert ahead["decision"] == PENDING_DECISION
    assert ahead_gates["verdict"] == gates["verdict"] == "passed"
    assert [r["name"] for r in gates["results"]] == list(GATES)
    assert registry["decision"] != PENDING_DECISION and "champion" in registry["decision"]
    assert "experiment_note" not in registry
    model = registry_file.read(project)["models"]["churn"]
    assert model["aliases"]["champion"] == 1
    assert model["versions"][0]["run_id"] == context.run_id
    assert model["history"][-1]["by"]["run_id"] == context.run_id
    assert context.outcome is None


def test_a_failing_gate_closes_the_run_as_gated_with_both_sections(
    project: Path, make_run: MakeRun
) -> None:
    context = Context(project, make_run(shuffle=1.0, seed=3), {"min": "roc_auc >= 0.99"})
    with pytest.raises(GateFailure, match="min"):
        gate_after_close(context)
    assert context.outcome == "gated"
    assert [name for name, _ in context.writes] == ["gates", "registry"]
    gates, registry = (value for _, value in context.writes)
    assert gates["verdict"] == "failed" and gates["results"][0]["name"] == "min"
    assert registry["decision"].startswith("not registered: quality gates failed")
    assert "churn" not in registry_file.read(project).get("models", {})


def test_data_that_does_not_fit_the_champion_is_registered_as_its_own_experiment(
    project: Path, make_run: MakeRun, datasets: Any
) -> None:
    from test_pipeline_step import _renamed_run  # trained on "months" instead of tenure

    gate_after_close(Context(project, make_run(), GATES))
    other = Context(project, _renamed_run(project, datasets), GATES)
    gate_after_close(other)
    registry = other.writes[-1][1]
    note = registry["experiment_note"]
    assert note == ("this run's data does not fit churn:1's input (no tenure), "
                    "so it is its own experiment: registered as churn.other-file (set "
                    "registry.model to name it yourself)")
    assert registry["decision"].startswith(f"{note}; ")
    models = registry_file.read(project)["models"]
    assert models["churn.other-file"]["aliases"]["champion"] == 1
    assert len(models["churn"]["versions"]) == 1


def test_the_measuring_helper_measures_when_one_was_started(
    project: Path, make_run: MakeRun
) -> None:
    from nbops.registry._measurements import measure

    class Helper:
        def __init__(self) -> None:
            self.asked = 0
            self.closed = False

        def measure(self, *args: Any) -> Any:
            self.asked += 1
            return measure(*args)

        def close(self) -> None:
            self.closed = True

    helper = Helper()
    step = RegistryStep()
    step.helper = helper  # type: ignore[assignment]
    context = Context(project, make_run(), GATES)
    step.run(context)
    assert helper.asked == 1 and helper.closed and step.helper is None
    assert context.writes[-1][1]["decision"] != PENDING_DECISION


def test_a_registry_without_a_model_name_registers_under_the_projects(
    project: Path, make_run: MakeRun
) -> None:
    from nbops.registry._config import default_model_name

    gate_after_close(Context(project, make_run(), GATES, model=None))
    name = default_model_name(Project(project).name)
    assert list(registry_file.read(project)["models"]) == [name]


def test_a_long_experiment_name_is_cut_at_64_characters_without_a_trailing_dash(
    project: Path, make_run: MakeRun, datasets: Any
) -> None:
    from test_pipeline_step import _renamed_run

    model = "m" * 30
    gate_after_close(Context(project, make_run(), GATES, model=model))
    data = "/data/" + "a" * 32 + "-" + "b" * 10 + ".csv"
    other = Context(project, _renamed_run(project, datasets), GATES, model=model, data=data)
    gate_after_close(other)
    moved = f"{model}.{'a' * 32}"
    assert f"registered as {moved} (set" in other.writes[-1][1]["experiment_note"]
    assert registry_file.read(project)["models"][moved]["aliases"]["champion"] == 1


def test_a_reused_model_is_gated_on_the_measurements_of_the_run_that_trained_it(
    project: Path, make_run: MakeRun
) -> None:
    import dataclasses
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
    from synthetic_runs import manifest_for

    from nbops.runs._persist import save_manifest

    candidate = make_run()
    trained = Context(project, candidate, GATES)
    gate_after_close(trained)
    measured = trained.writes[-2][1]["measured"]
    assert measured["reused_from"] is None
    save_manifest(Project(project), manifest_for(trained.run_id, gates=trained.writes[-2][1]))
    # a later build reused the model file: its product was produced by the earlier run
    later = Context(project, dataclasses.replace(candidate, run_id="20260101T000000000050Z-abcdef"),
                    GATES)
    later.manifest["tasks"]["train"]["produced_by"] = trained.run_id
    gate_after_close(later)
    gates = later.writes[-2][1]
    assert gates["verdict"] == "passed"
    assert gates["measured"]["reused_from"] == trained.run_id
    assert gates["measured"]["candidate"] == measured["candidate"]
