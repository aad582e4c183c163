"""Gating reuses an earlier run's measurements only when they were taken on the same files."""

import dataclasses
import shutil

import pytest
from registry_helpers import GATES, make_data

from nbops.core._errors import RegistryError
from nbops.registry import _registry_file as registry_file
from nbops.registry._config import parse_registry_config
from nbops.registry._promotion import gate_and_promote

CONFIG = parse_registry_config({"model": "churn"})
LOOSE = {"min": "roc_auc >= 0.5"}


def _rebuild_of(run, run_id="20260102T000000000000Z-rebuil"):
    """The same files seen by a later run that reused the trained model."""
    return dataclasses.replace(run, run_id=run_id, model_run_id=run.run_id)


def test_a_rebuild_on_the_same_files_reuses_the_trainers_scores(project, make_run):
    trained = make_run()
    first = gate_and_promote(project, trained, CONFIG, GATES)
    assert first.gates["measured"]["reused_from"] is None  # measured, not reused

    again = gate_and_promote(project, _rebuild_of(trained), CONFIG, GATES,
                             earlier=(trained.run_id, first.gates))
    measured = again.gates["measured"]
    assert measured["reused_from"] == trained.run_id
    assert measured["candidate"] == first.gates["measured"]["candidate"]
    assert again.gates["data"] == first.gates["data"]
    # gates and decision are evaluated afresh against the registry as it is now
    assert again.registry["champion_before"]["version"] == 1
    assert again.registry["champion_before"]["metrics"] == measured["candidate"]
    assert "already the champion" in again.registry["decision"]
    assert [r["verdict"] for r in again.gates["results"]] == ["passed", "passed", "passed"]


def test_changed_test_data_is_measured_again(project, make_run, tmp_path):
    trained = make_run()
    first = gate_and_promote(project, trained, CONFIG, GATES)
    test = make_data(n=600, seed=7)
    moved = tmp_path / "other-test.parquet"
    test.to_parquet(moved)
    rebuilt = dataclasses.replace(_rebuild_of(trained), test_data=moved)
    again = gate_and_promote(project, rebuilt, CONFIG, GATES,
                             earlier=(trained.run_id, first.gates))
    assert again.gates["measured"]["reused_from"] is None
    assert again.gates["data"]["test_rows"] == 600.0
    assert again.gates["measured"]["candidate"] != first.gates["measured"]["candidate"]


def test_a_different_scoring_package_version_is_measured_again(project, make_run):
    trained = make_run()
    first = gate_and_promote(project, trained, CONFIG, GATES)
    older = {**first.gates, "measured": {**first.gates["measured"],
                                         "inputs": {**first.gates["measured"]["inputs"],
                                                    "scikit-learn": "0.24.2"}}}
    again = gate_and_promote(project, _rebuild_of(trained), CONFIG, GATES,
                             earlier=(trained.run_id, older))
    assert again.gates["measured"]["reused_from"] is None


def test_reused_model_types_still_meet_todays_trust_policy(project, make_run):
    trained = make_run()
    first = gate_and_promote(project, trained, CONFIG, GATES)
    recorded = {**first.gates, "measured": {**first.gates["measured"],
                                            "model_types": ["mylib.Custom"]}}
    with pytest.raises(RegistryError, match="types this project does not trust: mylib.Custom"):
        gate_and_promote(project, _rebuild_of(trained), CONFIG, GATES,
                         earlier=(trained.run_id, recorded))
    trusting = parse_registry_config({"model": "churn",
                                      "trusted_types": ["mylib.Custom"]})
    again = gate_and_promote(project, _rebuild_of(trained), trusting, GATES,
                             earlier=(trained.run_id, recorded))
    assert again.gates["measured"]["reused_from"] == trained.run_id


def test_a_champion_that_is_another_file_is_scored_once_then_reused(project, make_run):
    champion = make_run()
    gate_and_promote(project, champion, CONFIG, GATES)
    challenger = make_run(shuffle=0.5, seed=1)  # weaker: the champion stays
    first = gate_and_promote(project, challenger, CONFIG, LOOSE)
    assert registry_file.read(project)["models"]["churn"]["aliases"]["champion"] == 1
    scored = first.gates["measured"]["champion"]
    assert scored["version"] == 1 and scored["metrics"] == first.registry["champion_before"][
        "metrics"]
    # the champion's file disappears: a reuse must not need to load it again
    version = registry_file.read(project)["models"]["churn"]["versions"][0]
    stored = project / ".nbops" / "store" / "objects" / version["artifact"]["hash"].split(":")[1][
        :2]
    shutil.rmtree(stored)
    again = gate_and_promote(project, _rebuild_of(challenger), CONFIG, LOOSE,
                             earlier=(challenger.run_id, first.gates))
    assert again.registry["champion_before"]["metrics"] == scored["metrics"]
    assert again.registry["champion_note"] is None
