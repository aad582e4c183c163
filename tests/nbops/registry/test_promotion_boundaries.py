"""Promotion decided at its edges: a tie, a win by exactly ``min_improvement``, and
a lower-is-better primary metric (brier).

The models and files are real; the re-scored figures are set through
``gate_and_promote``'s ``measure`` argument (the real measurement, then the
primary metric pinned to binary fractions), so "exactly" is exact.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import run_writer

from nbops.registry import _artifacts as artifacts
from nbops.registry import _measurements as measurements
from nbops.registry import _registry_file as registry_file
from nbops.registry._config import parse_registry_config
from nbops.registry._promotion import Candidate, Outcome, gate_and_promote


@pytest.fixture(scope="module")
def world(tmp_path_factory, datasets) -> tuple[Path, Candidate, measurements.Measurements]:
    """A project whose champion is version 1, a second model's files, and their scores."""
    root = tmp_path_factory.mktemp("promotion-edges")
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run = run_writer(root, datasets)
    config = parse_registry_config({"model": "churn"})
    assert gate_and_promote(root, make_run(), config, {}).registry["promoted"]
    second = make_run(c=0.5)
    artifacts.store_of(root).put_file(second.model_file)  # gate_and_promote does it first
    champion = measurements.current_champion(root, config)
    schema = registry_file.read(root)["models"]["churn"]["versions"][0]["feature_schema"]
    measured = measurements.measure(root, second, config, schema,
                                    measurements.inputs_of(second), champion)
    assert measured.champion is not None and measured.champion["metrics"] is not None
    return root, second, measured


def _gate(world, tmp_path: Path, settings: dict[str, Any], gates: Any,
          candidate: dict[str, float], champion: dict[str, float] | None,
          note: str | None = None, registry: bool = True) -> tuple[Outcome, Path]:
    """Gate the second model in a copy of the world, its figures pinned to the given ones."""
    template, second, measured = world
    root = tmp_path / "project"
    shutil.copytree(template, root)
    if not registry:
        shutil.rmtree(root / ".nbops" / "registry")
    moved = dataclasses.replace(second, metrics={**second.metrics, **candidate}, **{
        name: root / Path(getattr(second, name)).relative_to(template)
        for name in ("model_file", "train_data", "test_data", "feature_schema")})

    def measure(*args: Any) -> measurements.Measurements:
        pinned = copy.deepcopy(measured)
        pinned.candidate.update(candidate)
        if not registry:
            pinned.champion = None
        else:
            assert pinned.champion is not None
            pinned.champion["note"] = note
            if champion is None:
                pinned.champion["metrics"] = None
            else:
                pinned.champion["metrics"].update(champion)
        return pinned

    config = parse_registry_config({"model": "churn", **settings})
    return gate_and_promote(root, moved, config, gates, measure=measure), root


def _promote(world, tmp_path: Path, metric: str, candidate: float, champion: float,
             min_improvement: float = 0.0) -> dict[str, Any]:
    outcome, _ = _gate(world, tmp_path, {"primary_metric": metric,
                                         "min_improvement": min_improvement}, {},
                       {metric: candidate}, {metric: champion})
    assert outcome.passed and outcome.registry["version"] == 2
    return outcome.registry


def _champion(root: Path) -> int:
    return registry_file.read(root)["models"]["churn"]["aliases"]["champion"]


@pytest.mark.parametrize(
    ("metric", "candidate", "champion", "min_improvement", "promoted"),
    [
        ("roc_auc", 0.75, 0.75, 0.0, False),  # a tie never promotes
        ("roc_auc", 0.75, 0.5, 0.25, False),  # better by exactly min_improvement
        ("roc_auc", 0.875, 0.5, 0.25, True),  # better by more
        ("roc_auc", 0.5, 0.75, 0.0, False),  # worse
        ("roc_auc", 0.5, 0.75, -0.5, True),  # a negative floor accepts a small loss
        ("brier", 0.25, 0.25, 0.0, False),  # lower is better: a tie
        ("brier", 0.25, 0.5, 0.25, False),  # lower by exactly min_improvement
        ("brier", 0.125, 0.5, 0.25, True),  # lower by more
        ("brier", 0.75, 0.5, 0.0, False),  # a higher brier is worse
        ("brier", 0.5, 0.25, -0.5, True),  # a negative floor accepts a small loss
    ],
)
def test_promotion_edges_in_both_metric_directions(world, tmp_path, metric, candidate,
                                                   champion, min_improvement, promoted) -> None:
    section = _promote(world, tmp_path, metric, candidate, champion, min_improvement)
    assert section["promoted"] is promoted
    assert _champion(tmp_path / "project") == (2 if promoted else 1)
    assert section["champion_after"] == (2 if promoted else 1)
    assert section["candidate_metrics"][metric] == candidate
    assert section["champion_before"]["metrics"][metric] == champion
    assert section["deltas"][metric] == candidate - champion
    if promoted:
        assert section["decision"].startswith(f"promoted churn:2 to @champion: {metric} ")
        assert f"beats champion churn:1 {champion:.4f}" in section["decision"]
    else:
        assert section["decision"] == (
            f"registered churn:2, champion churn:1 kept: {metric} {candidate:.4f} does not "
            f"beat {champion:.4f} by more than {min_improvement:g}")



def _aliases(root: Path) -> dict[str, int]:
    return registry_file.read(root)["models"]["churn"]["aliases"]


def test_a_failed_gate_registers_nothing_and_says_which_gate(world, tmp_path) -> None:
    gates = {"floor": "roc_auc >= 0.875", "rel": "roc_auc >= champion", "ok": "roc_auc > 0.5"}
    before = (world[0] / ".nbops" / "registry" / "models.json").read_bytes()
    outcome, root = _gate(world, tmp_path, {}, gates, {"roc_auc": 0.75}, {"roc_auc": 0.875})
    assert not outcome.passed and outcome.gates["verdict"] == "failed"
    assert [r["verdict"] for r in outcome.gates["results"]] == ["failed", "failed", "passed"]
    assert (root / ".nbops" / "registry" / "models.json").read_bytes() == before
    section = outcome.registry
    assert (section["version"], section["new_version"], section["promoted"]) == (None, False,
                                                                                  False)
    assert section["champion_after"] == 1 and section["deltas"] == {
        k: v - section["champion_before"]["metrics"][k]
        for k, v in section["candidate_metrics"].items()}
    assert section["decision"] == ("not registered: quality gates failed; champion unchanged "
                                   "(version 1)")
    error = outcome.error()
    assert error is not None
    assert error.problem.startswith(
        "QUALITY GATES FAILED for model 'churn' (run 20260101T000000000002Z-abcdef): 2 of 3 "
        "gate(s) failed; the run is recorded as gated and churn@champion is unchanged "
        "(version 1).\n  x floor: roc_auc = 0.75, needs >= 0.875")
    assert "\n  x rel: roc_auc = 0.75, needs >= 0.875 (champion 0.875)" in error.problem
    rule = "=" * 78
    assert error.message == f"\n{rule}\n{error.problem.rstrip()}\nFix: {error.fix}\n{rule}"
    assert "gates: in env.yaml" in error.fix
    assert outcome.gates["evaluated_on"]["path"].endswith("test.parquet")
    assert outcome.gates["measured"]["candidate"]["roc_auc"] == 0.75


def test_passing_gates_register_and_report_no_error(world, tmp_path) -> None:
    outcome, root = _gate(world, tmp_path, {}, {"rel": "roc_auc >= champion"},
                          {"roc_auc": 0.875}, {"roc_auc": 0.875})
    assert outcome.passed and outcome.error() is None
    assert outcome.registry["version"] == 2 and outcome.registry["new_version"] is True
    assert outcome.registry["promoted"] is False  # a tie passes the gate, not promotion
    version = registry_file.read(root)["models"]["churn"]["versions"][1]
    assert version["gates"] == "passed" and version["registered_by_run"] == world[1].run_id
    assert version["artifact"]["format"] == "skops" and version["artifact"]["trusted_types"]
    assert version["metrics"] == {**world[1].metrics, "roc_auc": 0.875}


def test_manual_promotion_makes_a_better_model_challenger_only(world, tmp_path) -> None:
    outcome, root = _gate(world, tmp_path, {"promotion": "manual"}, {},
                          {"roc_auc": 0.875}, {"roc_auc": 0.5})
    assert _aliases(root) == {"champion": 1, "challenger": 2}
    assert outcome.registry["promoted"] is False and outcome.registry["champion_after"] == 1
    assert outcome.registry["decision"] == (
        "registered churn:2 as @challenger (roc_auc 0.8750 beats champion churn:1 0.5000 on "
        "the same held-out data); promotion is manual: nbops promote churn 2 --reason TEXT")


def test_a_champion_that_could_not_be_scored_is_not_replaced_silently(world, tmp_path) -> None:
    note = "the champion churn:1 could not be re-scored: schema changed"
    outcome, root = _gate(world, tmp_path, {}, {}, {"roc_auc": 0.875}, None, note=note)
    assert outcome.passed and _aliases(root) == {"champion": 1}
    assert outcome.registry["champion_note"] == note and outcome.registry["deltas"] == {}
    assert outcome.registry["decision"] == (
        f"registered churn:2 but not promoted: {note}; promote by hand with "
        "nbops promote churn 2 --reason TEXT")


def test_the_first_version_to_pass_becomes_champion(world, tmp_path) -> None:
    outcome, root = _gate(world, tmp_path, {}, {"rel": "roc_auc >= champion"},
                          {"roc_auc": 0.75}, None, registry=False)
    assert outcome.passed and outcome.gates["results"][0]["verdict"] == "skipped"
    assert _aliases(root) == {"champion": 1}
    section = outcome.registry
    assert (section["version"], section["promoted"], section["champion_after"]) == (1, True, 1)
    assert section["champion_before"] is None and section["deltas"] == {}
    assert section["decision"] == ("promoted churn:1 to @champion: first version to pass the "
                                   "gates (roc_auc 0.7500)")


def _copied_project(template: Path, candidate: Any, tmp_path: Path) -> tuple[Path, Any]:
    """A copy of the registered template project, and ``candidate`` with its files there."""
    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root, dataclasses.replace(candidate, **{
        name: root / Path(getattr(candidate, name)).relative_to(template)
        for name in ("model_file", "train_data", "test_data", "feature_schema")})


def test_the_registry_section_names_alias_mode_and_the_champion_it_was_judged_against(
        world, tmp_path) -> None:
    written: list[tuple[Any, Any]] = []
    template, second, measured = world

    def record_first(gates: Any, registry: Any) -> None:
        written.append((gates, registry))

    root, moved = _copied_project(template, second, tmp_path)
    config = parse_registry_config({"model": "churn"})
    outcome = gate_and_promote(root, moved, config, {"ok": "roc_auc > 0.5"},
                               before_registry_write=record_first)
    section = outcome.registry
    champion = registry_file.read(template)["models"]["churn"]["versions"][0]
    assert (section["model"], section["alias"], section["mode"], section["primary_metric"]) \
        == ("churn", "champion", "auto", "roc_auc")
    assert section["champion_before"]["version"] == 1
    assert section["champion_before"]["run_id"] == champion["run_id"]
    # written ahead of the registry: the same sections, the decision still pending
    assert len(written) == 1 and written[0][0] is outcome.gates
    assert {k: v for k, v in written[0][1].items() if k != "decision"} == {
        **{k: v for k, v in section.items() if k not in ("decision", "version", "new_version",
                                                         "promoted", "champion_after")},
        "version": None, "new_version": False, "promoted": False, "champion_after": 1}
    assert written[0][1]["decision"] != section["decision"]
    stored = registry_file.read(root)["models"]["churn"]["versions"][1]
    assert stored["training_data"]["path"] == Path(moved.train_data).relative_to(root).as_posix()
    assert outcome.gates["results"][0]["name"] == "ok"
    assert outcome.gates["data"] == measured.data


def test_promotion_never_registers_nothing_and_says_so(world, tmp_path) -> None:
    before = (world[0] / ".nbops" / "registry" / "models.json").read_bytes()
    outcome, root = _gate(world, tmp_path, {"promotion": "never"}, {}, {"roc_auc": 0.875},
                          {"roc_auc": 0.5})
    assert outcome.passed and outcome.error() is None and outcome.gates["verdict"] == "passed"
    assert outcome.registry["decision"] == (
        "not registered: the gates passed but promotion is never (a sweep trial or dry run); "
        "champion unchanged (version 1)")
    assert (root / ".nbops" / "registry" / "models.json").read_bytes() == before


def test_a_missing_product_is_one_sentence_naming_the_setting(world, tmp_path) -> None:
    from nbops.core._errors import RegistryError

    template, second, _ = world
    for name, words in [("feature_schema", "feature schema"), ("test_data", "test data"),
                        ("train_data", "train data"), ("model_file", "model file")]:
        gone = tmp_path / f"{name}.missing"
        with pytest.raises(RegistryError) as info:
            gate_and_promote(template, dataclasses.replace(second, **{name: gone}),
                             parse_registry_config({"model": "churn"}), {})
        assert info.value.problem == (f"the {words} {gone} does not exist, so the model "
                                      "cannot be gated or registered")
        assert info.value.fix == (f"check registry.{words.replace(' ', '_')} in env.yaml "
                                  "against the pipeline's products")


def test_a_failed_gate_error_says_how_to_fix_it() -> None:
    failed = Outcome({"verdict": "failed"}, {})
    error = failed.error()
    assert error is not None and error.problem == "quality gates failed"
    assert error.fix == ("improve the model, or adjust the thresholds under gates: in env.yaml "
                         "if they are wrong (see the gates section of the run report)")


def test_a_failed_gate_without_a_champion_says_so(world, tmp_path) -> None:
    outcome, _ = _gate(world, tmp_path, {}, {"floor": "roc_auc >= 0.875"},
                       {"roc_auc": 0.75}, None, registry=False)
    assert outcome.registry["decision"] == ("not registered: quality gates failed; champion "
                                            "unchanged (no champion)")


def test_gates_read_the_measured_data_checks_under_data(world, tmp_path) -> None:
    name, value = next(iter(world[2].data.items()))
    outcome, _ = _gate(world, tmp_path, {}, {"seen": f"data.{name} >= {value}",
                                             "beyond": f"data.{name} > {value}"},
                       {"roc_auc": 0.875}, {"roc_auc": 0.5})
    assert [r["verdict"] for r in outcome.gates["results"]] == ["passed", "failed"]


def test_an_earlier_run_s_measurements_are_reused_when_the_files_match(world, tmp_path) -> None:
    template, second, _ = world
    root, moved = _copied_project(template, second, tmp_path)
    config = parse_registry_config({"model": "churn", "promotion": "never"})
    first = gate_and_promote(root, moved, config, {})
    calls: list[Any] = []

    def measure(*args: Any) -> Any:  # must not be needed
        calls.append(args)
        raise AssertionError("measured again although an earlier run's figures fit")

    again = gate_and_promote(root, moved, config, {}, earlier=("20260101T000000000009Z-abcdef",
                                                               first.gates), measure=measure)
    assert calls == [] and again.gates["measured"]["reused_from"] == \
        "20260101T000000000009Z-abcdef"
    assert again.registry["candidate_metrics"] == first.registry["candidate_metrics"]


def test_gates_given_as_a_list_of_expressions_are_parsed(world, tmp_path) -> None:
    outcome, _ = _gate(world, tmp_path, {}, ["roc_auc > 0.5", "roc_auc >= 0.875"],
                       {"roc_auc": 0.75}, {"roc_auc": 0.5})
    assert [(r["name"], r["verdict"]) for r in outcome.gates["results"]] == [
        ("gate_1", "passed"), ("gate_2", "failed")]


def test_the_measurement_is_taken_against_the_current_champion(world, tmp_path) -> None:
    template, second, measured = world
    root, moved = _copied_project(template, second, tmp_path)
    config = parse_registry_config({"model": "churn", "promotion": "never"})
    seen: list[Any] = []

    def measure(*args: Any) -> measurements.Measurements:
        seen.append(args)
        return copy.deepcopy(measured)

    gate_and_promote(root, moved, config, {}, measure=measure)
    assert len(seen) == 1
    champion = seen[0][5]
    assert champion is not None and champion == measurements.current_champion(root, config)
    assert champion["version"] == 1


def test_a_required_card_that_is_missing_keeps_the_champion(world, tmp_path) -> None:
    from nbops.registry._card_requirement import card_refusal

    outcome, root = _gate(world, tmp_path, {"require_card": True}, {},
                          {"roc_auc": 0.875}, {"roc_auc": 0.5})
    refusal = card_refusal(root, "churn")
    assert refusal is not None
    assert outcome.passed and _aliases(root) == {"champion": 1}
    assert outcome.registry["promoted"] is False
    assert outcome.registry["decision"] == f"registered churn:2 but not promoted: {refusal}"


@pytest.mark.parametrize(("registered", "decision", "what"), [
    (False, "not registered: remote 'team' refused our credentials",
     "was not registered (the registry and its champion are unchanged)"),
    (True, "registered churn:2 but not promoted: remote 'team' refused our credentials",
     "was registered as churn:2 but not promoted (the champion is unchanged)"),
])
def test_a_registry_the_remote_refuses_is_recorded_with_its_kind(
        world, tmp_path, monkeypatch, registered, decision, what) -> None:
    from nbops.core._errors import RemoteError
    from nbops.registry import _operations as operations

    refused = RemoteError("Remote 'team' refused our credentials", "log in again",
                          kind="refused")
    if registered:
        def refuse_promote(*args: Any, **kwargs: Any) -> None:
            raise refused
        monkeypatch.setattr(operations, "promote", refuse_promote)
    else:
        def refuse(*args: Any, **kwargs: Any) -> None:
            raise refused
        monkeypatch.setattr(operations, "register_version", refuse)
    outcome, _ = _gate(world, tmp_path, {}, {}, {"roc_auc": 0.875}, {"roc_auc": 0.5})
    failure = outcome.error()
    assert failure is not None and outcome.not_registered is failure
    assert failure.problem == (f"Run {world[1].run_id}'s model passed its gates but {what}: "
                               "remote 'team' refused our credentials")
    assert failure.fix == "log in again; then build again (nothing retrains)"
    assert outcome.registry["decision"] == decision
    assert outcome.registry["registration_error"] == {"kind": "refused",
                                                      "message": failure.message}


@pytest.mark.parametrize(("registered", "what"), [
    (None, "was not registered (the registry and its champion are unchanged)"),
    ("churn:3", "was registered as churn:3 but not promoted (the champion is unchanged)"),
])
def test_a_registration_failure_is_one_sentence(registered, what) -> None:
    from nbops.core._errors import RemoteError
    from nbops.registry._promotion import registration_failure

    error = registration_failure("r1", RemoteError("No credentials found for remote 'team'",
                                                   kind="no-credentials"), registered)
    assert error.problem == (f"Run r1's model passed its gates but {what}: "
                             "no credentials found for remote 'team'")
    assert error.fix == "check the remote; then build again (nothing retrains)"


def test_a_champion_not_measured_yet_is_scored_in_this_project(world, tmp_path) -> None:
    template, second, measured = world
    root, moved = _copied_project(template, second, tmp_path)

    def measure(*args: Any) -> measurements.Measurements:
        fresh = copy.deepcopy(measured)
        fresh.champion = None  # as if the champion had not been scored with the candidate
        return fresh

    config = parse_registry_config({"model": "churn", "promotion": "never"})
    outcome = gate_and_promote(root, moved, config, {}, measure=measure)
    assert measured.champion is not None
    assert outcome.registry["champion_note"] is None
    assert outcome.registry["champion_before"]["metrics"] == measured.champion["metrics"]
