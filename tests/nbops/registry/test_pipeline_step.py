"""The post-close step's choices that need no build: what it gates and what it checks."""

import logging
from types import SimpleNamespace

import pytest

from nbops.core.errors import ConfigError, RegistryError
from nbops.core.project import Project
from nbops.registry.config import parse_registry_config
from nbops.registry.pipeline_step import (
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
