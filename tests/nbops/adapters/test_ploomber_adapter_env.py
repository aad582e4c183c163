"""The adapter's plain-data helpers (no live DAG needed)."""

from __future__ import annotations

from pathlib import Path

from nbops.adapters.ploomber_adapter import (
    _plain,
    env_file,
    metadata_path,
    pipeline_file,
    resolved_env,
)


def test_env_yaml_with_command_line_overrides(tmp_path) -> None:
    (tmp_path / "env.yaml").write_text(
        "data:\n  path: in.csv\n  rows: 10\nseed: 1\napi_token: t\n")
    argv = ["ploomber", "build", "--env--data--path", "other.csv", "--env--seed=2",
            "--partially", "train"]
    assert resolved_env(tmp_path, argv) == {
        "data": {"path": "other.csv", "rows": 10}, "seed": "2", "api_token": "t"}
    assert resolved_env(tmp_path / "missing", argv) == {}


def test_values_become_json_safe() -> None:
    assert _plain({"nan": float("nan"), "p": Path("/x"), 3: (1, 2.5), "ok": None}) == {
        "nan": "nan", "p": "/x", "3": [1, 2.5], "ok": None}


def test_ploomber_metadata_lives_next_to_the_product() -> None:
    assert metadata_path(Path("/p/.nbops/products/model.skops")) == Path(
        "/p/.nbops/products/.model.skops.metadata")


def test_env_file_follows_ploomber_naming(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("pipeline.yaml", "pipeline.monitor.yaml", "pipeline.other.yaml"):
        (tmp_path / name).write_text("tasks: []\n")
    (tmp_path / "env.yaml").write_text("a: 1\n")
    (tmp_path / "env.monitor.yaml").write_text("a: 2\n")
    assert env_file(tmp_path, ["ploomber", "build"]) == tmp_path / "env.yaml"
    monitor = ["ploomber", "build", "-e", "pipeline.monitor.yaml"]
    assert pipeline_file(tmp_path, monitor) == tmp_path / "pipeline.monitor.yaml"
    assert env_file(tmp_path, monitor) == tmp_path / "env.monitor.yaml"
    assert resolved_env(tmp_path, [*monitor, "--env--a", "3"]) == {"a": "3"}
    other = ["ploomber", "build", "--entry-point=pipeline.other.yaml"]
    assert env_file(tmp_path, other) == tmp_path / "env.yaml"
