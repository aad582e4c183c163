"""The post-close step's choices that need no build: what it gates and what it checks."""

import logging
from types import SimpleNamespace

import pytest

from nbops.core._errors import ConfigError, RegistryError
from nbops.core._project import Project
from nbops.registry._config import parse_registry_config
from nbops.registry._pipeline_step import (
    candidate_from_manifest,
    check_settings,
    gate_after_close,
    trains_a_model,
)

CONFIG = parse_registry_config({"model": "churn"})


def _manifest(*paths):
    products = {f"p{i}": {"path": p, "hash": "blake3:" + "0" * 64, "size": 1}
                for i, p in enumerate(paths)}
    return {"run_id": "r", "tasks": {"t": {"products": products}}, "metrics": {}}


def test_other_pipelines_are_not_gated(project):
    monitor = _manifest(".nbops/products/monitor.json")
    assert not trains_a_model(project, monitor, CONFIG)
    context = SimpleNamespace(status="succeeded", env={"registry": {"model": "churn"}},
                              project=Project(project), run_id="r", manifest=monitor)
    gate_after_close(context)  # returns without touching anything
    assert not (project / ".nbops" / "registry").exists()


def test_failed_runs_and_projects_without_registry_are_skipped(project, caplog):
    caplog.set_level(logging.INFO, logger="nbops")
    training = _manifest(".nbops/products/model.skops", ".nbops/products/train.parquet",
                         ".nbops/products/test.parquet", ".nbops/products/feature_schema.json")
    assert trains_a_model(project, training, CONFIG)  # gating it would go on (and fail)
    for status, env, why in (
        ("failed", {"registry": {"model": "churn"}}, "run r failed, nothing to gate"),
        ("interrupted", {"registry": {"model": "churn"}}, "run r interrupted, nothing to gate"),
        ("succeeded", {}, "no registry: section in env.yaml, nothing to register"),
        ("succeeded", {"registry": None}, "no registry: section in env.yaml, nothing to register"),
    ):
        caplog.clear()
        context = SimpleNamespace(status=status, env=env, project=Project(project),
                                  run_id="r", manifest=training)
        assert gate_after_close(context) is None
        assert [r.getMessage() for r in caplog.records] == [f"nbops registry: {why}"]
    assert not (project / ".nbops").exists()  # no registry, no store, no section written


def test_a_training_run_missing_some_files_is_a_clear_error(project):
    partial = _manifest(".nbops/products/model.skops")
    assert trains_a_model(project, partial, CONFIG)
    with pytest.raises(RegistryError, match="no product of this run is "
                       ".nbops/products/train.parquet"):
        candidate_from_manifest(project, partial, CONFIG)


def test_settings_are_checked_up_front():
    check_settings({"a": "roc_auc >= 0.7"}, {"model": "churn", "promotion": "manual"})
    with pytest.raises(ConfigError, match="registry.promotion in env.yaml is 'sometimes'"):
        check_settings(None, {"model": "churn", "promotion": "sometimes"})
    with pytest.raises(ConfigError, match="unknown key.*modle"):
        check_settings(None, {"modle": "churn"})
    with pytest.raises(ConfigError, match="gate 'a'"):
        check_settings({"a": "roc_auc => 0.7"}, None)


def _renamed_run(project, datasets):
    """A candidate trained on other columns (``months`` for ``tenure``): another data set."""
    import json

    import skops.io as sio
    from registry_helpers import FEATURE_SCHEMA
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from nbops.registry._promotion import Candidate

    train, test = (frame.rename(columns={"tenure": "months"}) for frame in datasets)
    columns = ["months", "charges", "plan"]
    pre = ColumnTransformer([("num", SimpleImputer(), ["months", "charges"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])])
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])
    model.fit(train[columns], train["churned"])
    folder = project / ".nbops" / "products" / "telco"
    folder.mkdir(parents=True)
    sio.dump(model, folder / "model.skops")
    train.to_parquet(folder / "train.parquet")
    test.to_parquet(folder / "test.parquet")
    schema = {**FEATURE_SCHEMA, "features": [
        {**f, "name": "months"} if f["name"] == "tenure" else f
        for f in FEATURE_SCHEMA["features"]]}
    (folder / "feature_schema.json").write_text(json.dumps(schema))
    auc = float(roc_auc_score(test["churned"], model.predict_proba(test[columns])[:, 1]))
    metrics = {"roc_auc": auc, "baseline_roc_auc": 0.5}
    return Candidate(run_id="20260101T000000000099Z-abcdef", model_file=folder / "model.skops",
                     train_data=folder / "train.parquet", test_data=folder / "test.parquet",
                     feature_schema=folder / "feature_schema.json", metrics=metrics,
                     task_metrics={"evaluate": metrics}, git_commit="abc123")


def test_data_that_does_not_fit_the_champion_is_its_own_experiment(project, make_run,
                                                                   datasets):
    """The README's telco build after `make run`: registered and compared on its own."""
    from registry_helpers import GATES

    from nbops.core._errors import GateFailure
    from nbops.registry import _registry_file as registry_file
    from nbops.registry._config import parse_registry_config
    from nbops.registry._pipeline_step import own_experiment
    from nbops.registry._promotion import gate_and_promote

    config = parse_registry_config({"model": "churn"})
    assert gate_and_promote(project, make_run(), config, GATES).passed
    telco = _renamed_run(project, datasets)
    # what happened before: the churn champion cannot be re-scored, no_regression fails
    stuck = gate_and_promote(project, telco, config, GATES)
    assert isinstance(stuck.error(), GateFailure) and "no_regression" in str(stuck.error())
    env = {"data": {"path": "/data/telco-customer-churn.csv"}}
    moved, note = own_experiment(project, config, telco, env)
    assert moved.model == "churn.telco-customer-churn"
    assert note is not None and "no tenure" in note and "churn.telco-customer-churn" in note
    outcome = gate_and_promote(project, telco, moved, GATES)
    assert outcome.passed, outcome.message
    models = registry_file.read(project)["models"]
    assert models["churn.telco-customer-churn"]["aliases"]["champion"] == 1
    assert models["churn"]["aliases"]["champion"] == 1 and len(models["churn"]["versions"]) == 1
    # the next telco run is compared within its own experiment, unchanged config in
    again, note_again = own_experiment(project, config, telco, env)
    assert again.model == "churn.telco-customer-churn" and note_again
    # a run that fits the champion keeps the configured name
    assert own_experiment(project, config, make_run(seed=3), env) == (config, None)


def test_gates_without_a_registry_are_refused_not_left_unchecked() -> None:
    with pytest.raises(ConfigError, match="declares min_recall but there is no registry"):
        check_settings({"min_recall": "recall >= 0.5"}, None)
    check_settings({}, None)  # no gate, nothing to evaluate


def test_a_registry_naming_no_model_file_is_refused_not_given_a_default(tmp_path) -> None:
    from nbops.registry._pipeline_step import check_model_product

    project = Project(tmp_path)
    task = SimpleNamespace(products={"model": tmp_path / "out/model.skops"})
    with pytest.raises(ConfigError, match="names no model_file, train_data") as raised:
        check_model_product({"model": "m"}, project, [task])
    assert ".nbops/products" not in str(raised.value)
    paths = {"model_file": "out/model.skops", "train_data": "a.parquet",
             "test_data": "b.parquet", "feature_schema": "s.json"}
    check_model_product(paths, project, [task])
    with pytest.raises(ConfigError, match="no task of this pipeline produces"):
        check_model_product({**paths, "model_file": "out/other.skops"}, project, [task])


def test_a_run_fitting_neither_champion_keeps_its_name_and_the_note_shows_four_inputs(
        project, make_run, datasets, tmp_path):
    """Which champion a later run is compared to, and the note the build prints."""
    import json

    from registry_helpers import FEATURE_SCHEMA

    from nbops.registry._config import parse_registry_config
    from nbops.registry._pipeline_step import own_experiment
    from nbops.registry._promotion import gate_and_promote

    config = parse_registry_config({"model": "churn"})
    extra = [{"name": name, "dtype": "float64"} for name in ("region", "age", "contract")]
    wide = {**FEATURE_SCHEMA, "features": FEATURE_SCHEMA["features"] + extra}
    test = datasets[1].assign(region=0.0, age=0.0, contract=0.0)  # the model ignores them
    assert gate_and_promote(project, make_run(schema=wide, test=test), config, {}).passed

    def candidate(*names):  # own_experiment reads only the run's feature schema
        path = tmp_path / f"schema-{len(names)}.json"
        path.write_text(json.dumps({**FEATURE_SCHEMA, "features": [
            {"name": name, "dtype": "float64"} for name in names]}))
        return SimpleNamespace(feature_schema=path)

    env = {"data": {"path": "/data/telco-customer-churn.csv"}}
    moved, note = own_experiment(project, config, candidate("months"), env)
    assert moved.model == "churn.telco-customer-churn"
    assert note == ("this run's data does not fit churn:1's input (no tenure, charges, plan, "
                    "region and 2 more), so it is its own experiment: registered as "
                    "churn.telco-customer-churn (set registry.model to name it yourself)")
    # churn.telco-customer-churn's champion takes tenure, charges and plan
    assert gate_and_promote(project, make_run(), moved, {}).passed
    fits = candidate("tenure", "charges", "plan")  # not churn:1's region, age, contract
    assert own_experiment(project, config, fits, env)[0].model == "churn.telco-customer-churn"
    # fitting neither: nothing changes (gating against churn:1 then says why)
    assert own_experiment(project, config, candidate("months"), env) == (config, None)
