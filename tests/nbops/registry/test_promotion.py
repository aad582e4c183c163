import json

import pytest
import skops.io as sio
from registry_helpers import FEATURE_SCHEMA, GATES, make_data

from nbops.core import ContentStore
from nbops.core._errors import GateFailure
from nbops.registry import _registry_file as registry_file
from nbops.registry import _scoring as scoring
from nbops.registry._artifacts import store_of
from nbops.registry._config import parse_registry_config
from nbops.registry._promotion import gate_and_promote

CONFIG = parse_registry_config({"model": "churn"})


def _champion(project):
    return registry_file.read(project)["models"]["churn"]["aliases"].get("champion")


def test_first_run_becomes_champion(project, make_run, datasets):
    run = make_run()
    outcome = gate_and_promote(project, run, CONFIG, GATES)
    assert outcome.passed and outcome.error() is None
    assert [r["verdict"] for r in outcome.gates["results"]] == ["passed", "skipped", "passed"]
    positives = float(datasets[1]["churned"].sum())
    assert outcome.gates["data"] == {"train_rows": 1500.0, "test_rows": 800.0,
                                     "test_positives": positives,
                                     "test_negatives": 800.0 - positives,
                                     "test_max_missing_rate": 0.0}
    section = outcome.registry
    assert (section["version"], section["new_version"], section["promoted"]) == (1, True, True)
    assert section["champion_before"] is None and section["champion_after"] == 1
    assert "first version to pass the gates" in section["decision"]
    version = registry_file.read(project)["models"]["churn"]["versions"][0]
    assert version["run_id"] == run.run_id
    assert version["feature_schema"] == FEATURE_SCHEMA
    assert version["metrics"]["roc_auc"] == pytest.approx(run.metrics["roc_auc"])
    assert store_of(project).has(version["artifact"]["hash"])
    assert store_of(project).has(version["training_data"]["hash"])
    assert version["artifact"]["path"].endswith("model.skops")


def test_crippled_run_fails_with_one_message_and_leaves_champion(project, make_run):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    before = registry_file.registry_path(project).read_bytes()

    crippled = make_run(shuffle=1.0, seed=3)
    outcome = gate_and_promote(project, crippled, CONFIG, GATES)
    assert not outcome.passed
    error = outcome.error()
    assert isinstance(error, GateFailure)
    text = str(error)
    assert error.problem.startswith("QUALITY GATES FAILED for model 'churn'")
    assert "x min_roc_auc: roc_auc = 0." in text and "needs >= 0.75" in text
    assert "x no_regression:" in text and "(champion 0.8" in text
    assert "churn@champion is unchanged (version 1)" in text
    assert outcome.registry["version"] is None and not outcome.registry["promoted"]
    assert outcome.registry["deltas"]["roc_auc"] < -0.2
    assert registry_file.registry_path(project).read_bytes() == before


def test_better_run_promotes_after_rescoring_champion_on_same_data(project, make_run, datasets):
    weak = make_run(shuffle=0.6, seed=1)
    weak.metrics["roc_auc"] = 0.99  # a stale/boasting number must not decide anything
    gate_and_promote(project, weak, CONFIG, {"min": "roc_auc >= 0.5"})
    assert _champion(project) == 1

    fresh_test = make_data(600, seed=9)
    better = make_run(test=fresh_test)
    outcome = gate_and_promote(project, better, CONFIG, GATES)
    section = outcome.registry
    assert section["promoted"] and section["version"] == 2 and _champion(project) == 2

    # the champion's numbers are a re-score on *this* run's held-out rows
    weak_model = sio.load(weak.model_file, trusted=sio.get_untrusted_types(file=weak.model_file))
    expected = scoring.evaluate(weak_model, fresh_test, FEATURE_SCHEMA)
    assert section["champion_before"]["metrics"] == pytest.approx(expected)
    assert section["champion_before"]["version"] == 1
    assert section["deltas"]["roc_auc"] == pytest.approx(
        section["candidate_metrics"]["roc_auc"] - expected["roc_auc"])
    assert "beats champion churn:1" in section["decision"]
    history = registry_file.read(project)["models"]["churn"]["history"]
    assert [(m["from"], m["to"]) for m in history] == [(None, 1), (1, 2)]
    assert history[-1]["by"]["run_id"] == better.run_id


def test_not_better_registers_without_promoting(project, make_run):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    similar = make_run(c=0.9)  # same signal, a slightly different file
    outcome = gate_and_promote(project, similar, parse_registry_config(
        {"model": "churn", "min_improvement": 0.05}), GATES)
    assert outcome.passed and outcome.registry["version"] == 2
    assert not outcome.registry["promoted"] and _champion(project) == 1
    assert "champion churn:1 kept" in outcome.registry["decision"]


def test_same_model_twice_is_not_registered_twice(project, make_run):
    run = make_run()
    gate_and_promote(project, run, CONFIG, GATES)
    outcome = gate_and_promote(project, run, CONFIG, GATES)
    assert outcome.registry["version"] == 1 and not outcome.registry["new_version"]
    assert "already the champion" in outcome.registry["decision"]
    assert len(registry_file.read(project)["models"]["churn"]["versions"]) == 1


def test_manual_mode_sets_challenger_only(project, make_run):
    manual = parse_registry_config({"model": "churn", "promotion": "manual"})
    outcome = gate_and_promote(project, make_run(), manual, GATES)
    aliases = registry_file.read(project)["models"]["churn"]["aliases"]
    assert aliases == {"challenger": 1}
    assert "promotion is manual: nbops promote churn 1" in outcome.registry["decision"]


def test_champion_that_cannot_score_new_data_fails_relative_gate(project, make_run, datasets):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    train, test = datasets
    renamed = test.rename(columns={"plan": "tier"})
    schema = json.loads(json.dumps(FEATURE_SCHEMA).replace('"plan"', '"tier"'))
    run = make_run(test=renamed, schema=schema, metrics={"roc_auc": 0.8, "baseline_roc_auc": 0.5})
    # the new run's model was trained on the old column names; swap in one that scores 'tier'
    run_train = train.rename(columns={"plan": "tier"})
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    model = Pipeline([("pre", ColumnTransformer([("num", "passthrough", ["tenure", "charges"]),
                                                 ("cat", OneHotEncoder(), ["tier"])])),
                      ("clf", LogisticRegression(max_iter=500))])
    model.fit(run_train[["tenure", "charges", "tier"]], run_train["churned"])
    sio.dump(model, run.model_file)
    outcome = gate_and_promote(project, run, CONFIG, GATES)
    failed = {r["name"]: r for r in outcome.gates["results"] if r["verdict"] == "failed"}
    assert list(failed) == ["no_regression"]
    assert "could not be re-scored" in failed["no_regression"]["detail"]
    assert "missing column(s): 'plan'" in failed["no_regression"]["detail"]
    assert _champion(project) == 1


def test_champion_moved_by_someone_else_during_the_build_is_not_overwritten(project, make_run):
    from nbops.registry import _operations as operations
    from nbops.registry._promotion import _decide

    gate_and_promote(project, make_run(shuffle=0.6, seed=1), CONFIG, {"min": "roc_auc >= 0.5"})
    stale = registry_file.read(project)["models"]["churn"]["versions"][0]  # what the build saw
    # by hand meanwhile: a version whose model file is there (promotion re-hashes it)
    by_hand = ContentStore(project / ".nbops" / "store").put_bytes(b"a model made by hand")
    operations.register_version(project, "churn", {**stale, "artifact": {
        **stale["artifact"], "hash": by_hand.digest, "size": by_hand.size}})
    operations.promote(project, "churn", 2, reason="by hand meanwhile",
                       actor=operations.Actor(command=("nbops", "promote")))
    number, _ = operations.register_version(project, "churn", {**stale, "artifact": {
        **stale["artifact"], "hash": "blake3:" + "2" * 64}})
    section = {}
    decision = _decide(project, CONFIG, number, stale, {"roc_auc": 0.6}, None,
                       {"roc_auc": 0.9}, operations.Actor(), section)
    assert "not promoted" in decision and "moved to version 2" in decision
    assert _champion(project) == 2 and "promoted" not in section


def test_promotion_never_evaluates_the_gates_and_registers_nothing(project, make_run):
    gate_and_promote(project, make_run(), CONFIG, GATES)
    before = registry_file.registry_path(project).read_bytes()
    trial = make_run(seed=5)
    outcome = gate_and_promote(project, trial, parse_registry_config(
        {"model": "churn", "promotion": "never"}), GATES)
    assert outcome.passed and outcome.error() is None
    assert [r["verdict"] for r in outcome.gates["results"]][0] == "passed"
    assert outcome.registry["version"] is None and not outcome.registry["promoted"]
    assert outcome.registry["mode"] == "never"
    assert "not registered" in outcome.registry["decision"]
    assert registry_file.registry_path(project).read_bytes() == before


def test_promotion_mode_is_checked():
    with pytest.raises(Exception, match="use auto, manual or never"):
        parse_registry_config({"model": "churn", "promotion": "sometimes"})


def test_gates_judge_the_rescored_model_not_the_score_a_notebook_logged(project, make_run):
    crippled = make_run(shuffle=1.0, seed=3)
    crippled.metrics["roc_auc"] = 0.99  # a notebook that logs a score its model does not earn
    outcome = gate_and_promote(project, crippled, CONFIG, GATES)
    assert not outcome.passed
    assert outcome.registry["version"] is None
    gate = next(r for r in outcome.gates["results"] if r["name"] == "min_roc_auc")
    assert gate["verdict"] == "failed" and gate["value"] < 0.75
