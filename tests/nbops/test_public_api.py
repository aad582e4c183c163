"""The public API: ``__all__`` is complete, and ``import nbops`` stays cheap."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import types

import pytest

import nbops
from nbops.core._errors import RecordError


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(nbops) if not name.startswith("_")
              and not isinstance(getattr(nbops, name), types.ModuleType)}  # subpackages
    assert set(nbops.__all__) == public | {"__version__"}
    for name in nbops.__all__:
        assert getattr(nbops, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        nbops.no_such_thing  # noqa: B018


def test_import_nbops_does_not_import_heavy_modules() -> None:
    code = ("import sys, json, nbops; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(json.loads(out))
    assert not loaded & {"IPython", "nbconvert", "ploomber", "papermill", "jsonschema",
                         "pandas", "numpy", "click", "matplotlib"}


def test_outside_a_run_metrics_are_a_noop_with_one_notice(monkeypatch, caplog, capsys) -> None:
    monkeypatch.delenv("NBOPS_RUN_ID", raising=False)
    monkeypatch.setattr("nbops.record._noticed", set())
    with caplog.at_level(logging.WARNING, logger="nbops"):
        nbops.log_metric("auc", 0.9)
        nbops.log_metrics({"a": 1, "b": 2.5})
    assert [r.message for r in caplog.records if "not inside a pipeline run" in r.message]
    assert len(caplog.records) == 1
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name, value", [("", 1), ("auc", "high"), ("auc", float("nan")),
                                         ("auc", True), (3, 1.0)])
def test_bad_metrics_are_refused_with_a_fix(name, value) -> None:
    with pytest.raises(RecordError) as info:
        nbops.log_metric(name, value)
    assert info.value.fix


def test_log_artifact_needs_an_existing_file(tmp_path) -> None:
    with pytest.raises(RecordError, match="not an existing file"):
        nbops.log_artifact(tmp_path / "missing.bin")
