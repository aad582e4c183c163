"""A reproduction rebuilds the pipeline file the run built, with its env file."""

from __future__ import annotations

from nbops.reproduce._runner import _pipeline_files


def test_a_monitoring_run_reproduces_with_its_own_pipeline_and_env_files() -> None:
    manifest = {"build": {"pipeline": "pipeline.monitor.yaml", "env_file": "env.monitor.yaml"}}
    assert _pipeline_files(manifest) == ("pipeline.monitor.yaml", "env.monitor.yaml")


def test_the_env_file_follows_the_pipeline_name_when_none_was_recorded() -> None:
    assert _pipeline_files({"build": {"pipeline": "pipeline.monitor.yaml", "env_file": None}}) \
        == ("pipeline.monitor.yaml", "env.monitor.yaml")
    assert _pipeline_files({"build": {}}) == ("pipeline.yaml", "env.yaml")
    assert _pipeline_files({}) == ("pipeline.yaml", "env.yaml")
