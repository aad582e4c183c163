"""The adapter's plain-data helpers (no live DAG needed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from nbops.adapters._ploomber_adapter import (
    _plain,
    env_file,
    format_task_exception,
    metadata_path,
    pipeline_file,
    resolved_env,
)
from nbops.core import ConfigError

# resolved_env types overrides with Ploomber's own functions; a build has
# Ploomber imported already, so import it here once, without its dependencies'
# deprecation warnings (the suite turns warnings into errors).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from ploomber.env.envdict import EnvDict  # type: ignore[import-untyped]


def test_env_yaml_with_command_line_overrides(tmp_path) -> None:
    (tmp_path / "env.yaml").write_text(
        "data:\n  path: in.csv\n  rows: 10\nseed: 1\napi_token: t\n")
    argv = ["ploomber", "build", "--env--data--path", "other.csv", "--env--seed=2",
            "--partially", "train"]
    assert resolved_env(tmp_path, argv) == {
        "data": {"path": "other.csv", "rows": 10}, "seed": 2, "api_token": "t"}
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
    assert resolved_env(tmp_path, [*monitor, "--env--a", "3"]) == {"a": 3}
    other = ["ploomber", "build", "--entry-point=pipeline.other.yaml"]
    assert env_file(tmp_path, other) == tmp_path / "env.yaml"


def test_overrides_resolve_to_what_ploomber_gives_the_notebooks(tmp_path) -> None:
    (tmp_path / "env.yaml").write_text(
        "data:\n  path: in.csv\n  rows: 10\nseed: 1\nflag: false\nrate: 0.5\n"
        "gates:\n  auc: roc_auc >= 0.7\nmissing: null\n")
    given = {"data--path": "x y.csv", "data--rows": "20", "seed": "3", "flag": "true",
             "rate": "1e-3", "gates--auc": "roc_auc >= champion - 0.01", "missing": "[1, 2]"}
    argv = ["ploomber", "build"] + [a for k, v in given.items() for a in (f"--env--{k}", v)]
    ploomber = EnvDict(str(tmp_path / "env.yaml"), path_to_here=tmp_path)._replace_flatten_keys(
        {"env__" + k.replace("--", "__"): v for k, v in given.items()})
    expected = {k: v for k, v in ploomber._data.items() if k not in ploomber.default_keys}
    assert resolved_env(tmp_path, argv) == expected
    assert expected["data"]["rows"] == 20 and expected["flag"] is True  # typed, not strings


def test_task_errors_are_worded_as_ploomber_words_them() -> None:
    from ploomber.exceptions import TaskBuildError  # type: ignore[import-untyped]

    try:
        try:
            raise ValueError("boom")
        except ValueError as exc:
            raise TaskBuildError("task train failed") from exc
    except TaskBuildError as exc:
        text = format_task_exception(exc)
    assert 'raise ValueError("boom")' in text and "ValueError: boom" in text
    assert text.endswith("ploomber.exceptions.TaskBuildError: task train failed")


def test_reading_the_env_without_overrides_does_not_import_ploomber(tmp_path) -> None:
    """`nbops sweep` reads env.yaml before it plans: importing Ploomber there (1.3 s)
    delayed every sweep's first trial, for no value to cast."""
    import json
    import subprocess
    import sys

    (tmp_path / "env.yaml").write_text("data:\n  rows: 10\n")
    probe = ("import json, sys; from pathlib import Path; from nbops.adapters import "
             "resolved_env; env = resolved_env(Path(sys.argv[1]), sys.argv[2:]); "
             "print(json.dumps([env, 'ploomber' in sys.modules]))")
    plain = ["ploomber", "build", "--entry-point", "pipeline.yaml"]
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path), *plain],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [{"data": {"rows": 10}}, False]
    # with a value to cast, Ploomber's own cast types it (so the record matches the build)
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path), *plain,
                           "--env--data--rows", "20"], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [{"data": {"rows": 20}}, True]


def test_env_file_is_ploombers_including_ploomber_env_filename(tmp_path, monkeypatch) -> None:
    """The env file nbops records is the one Ploomber loads (``path_to_env_from_spec``),
    ``$PLOOMBER_ENV_FILENAME`` included; in the packaged layout, beside the pipeline."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ploomber.util.default import path_to_env_from_spec  # type: ignore[import-untyped]

    (tmp_path / "setup.py").write_text("")
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    for name in ("pipeline.yaml", "pipeline.train.yaml"):
        (package / name).write_text("tasks: []\n")
    for name in ("env.yaml", "env.train.yaml", "env.ci.yaml"):
        (package / name).write_text(f"which: {name}\n")
    monkeypatch.chdir(tmp_path)
    cases = [([], None), (["-e", "src/pkg/pipeline.train.yaml"], None), ([], "env.ci.yaml")]
    for args, variable in cases:
        if variable:
            monkeypatch.setenv("PLOOMBER_ENV_FILENAME", variable)
        argv = ["ploomber", "build", *args]
        expected = Path(path_to_env_from_spec(pipeline_file(tmp_path, argv)))
        assert env_file(tmp_path, argv) == expected
        assert resolved_env(tmp_path, argv) == {"which": expected.name}
    assert resolved_env(tmp_path, ["ploomber", "build"]) == {"which": "env.ci.yaml"}


def test_a_malformed_env_yaml_is_named_in_one_sentence(tmp_path) -> None:
    """`nbops sweep` reads the env first: a traceback there, with or without start-up hooks."""
    (tmp_path / "env.yaml").write_text("data:\n  rows: [1\nseed: 1\n")
    with pytest.raises(ConfigError, match=r"env.yaml is not valid YAML at line 3, column 5"):
        resolved_env(tmp_path, ["ploomber", "build"])
