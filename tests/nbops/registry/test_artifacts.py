import os
import stat

import numpy as np
import pytest
import skops.io as sio
from registry_helpers import GATES, fit_model
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import nbops
from nbops.core._errors import RegistryError
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file
from nbops.registry._config import parse_registry_config
from nbops.registry._promotion import gate_and_promote

CONFIG = parse_registry_config({"model": "churn"})


@pytest.fixture
def registered(project, make_run, datasets):
    run = make_run()
    gate_and_promote(project, run, CONFIG, GATES)
    record = registry_file.read(project)["models"]["churn"]["versions"][0]
    return run, record, artifacts.store_of(project).path_for(record["artifact"]["hash"])


def _overwrite(path, data: bytes) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(data)


def test_load_model_by_alias_and_version(project, registered, datasets, monkeypatch):
    run, _, _ = registered
    _, test = datasets
    features = test[["tenure", "charges", "plan"]]
    original = sio.load(run.model_file, trusted=sio.get_untrusted_types(file=run.model_file))
    monkeypatch.chdir(project)
    for ref in ("churn@champion", "churn:1", "churn"):
        model = nbops.load_model(ref)
        np.testing.assert_allclose(model.predict_proba(features), original.predict_proba(features))
    with pytest.raises(RegistryError, match="no alias @staging"):
        nbops.load_model("churn@staging", root=project)
    with pytest.raises(RegistryError, match="not a model reference"):
        nbops.load_model("churn@@x", root=project)


def test_tampered_artifact_is_refused(project, registered):
    _, _, stored = registered
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _overwrite(stored, bytes(data))
    with pytest.raises(RegistryError, match=r"refusing to load churn:1: its model file .* has "
                       r"hash blake3:\w+ but the registry recorded .*modified or swapped"):
        nbops.load_model("churn@champion", root=project)


def test_swapped_artifact_is_refused_before_deserialising(project, registered, datasets, tmp_path):
    _, _, stored = registered
    other = tmp_path / "other.skops"
    sio.dump(fit_model(datasets[0], shuffle=1.0, seed=5), other)  # a valid but different model
    _overwrite(stored, other.read_bytes())
    with pytest.raises(RegistryError, match="modified or swapped"):
        nbops.load_model("churn:1", root=project)


def test_missing_artifact_is_reported(project, registered):
    _, _, stored = registered
    stored.unlink()
    with pytest.raises(RegistryError, match="missing from the content store"):
        nbops.load_model("churn:1", root=project)


def test_model_with_dangerous_types_is_never_registered(project, make_run):
    run = make_run()
    sio.dump(Pipeline([("f", FunctionTransformer(os.system))]), run.model_file)
    with pytest.raises(RegistryError, match="does not trust: .*system"):
        gate_and_promote(project, run, CONFIG, GATES)
    assert registry_file.read(project)["models"] == {}


def test_non_skops_file_is_refused(project, make_run):
    run = make_run()
    run.model_file.write_bytes(b"\x80\x04pickle-ish bytes")
    with pytest.raises(RegistryError, match="not a readable skops model file"):
        gate_and_promote(project, run, CONFIG, GATES)
