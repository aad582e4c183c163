"""The adapter's plain-data helpers (no live DAG needed)."""

from __future__ import annotations

from pathlib import Path

from nbops.adapters.ploomber_adapter import _plain, metadata_path, resolved_env


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
