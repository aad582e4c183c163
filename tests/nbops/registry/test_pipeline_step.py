"""The post-close step's choices that need no build: what it gates and what it checks."""

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


def test_failed_runs_and_projects_without_registry_are_skipped(project):
    for status, env in (("failed", {"registry": {"model": "churn"}}), ("succeeded", {})):
        context = SimpleNamespace(status=status, env=env, project=Project(project),
                                  run_id="r", manifest=None)
        gate_after_close(context)  # would crash on manifest=None if it went further


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
