"""A restarted service scores with the model's ONNX form, never with one it did not check.

The first start converts the verified model (skl2onnx), checks the form on the
version's test rows and keeps it, MAC'd, beside the verified model; a restart
scores with it under onnxruntime without importing scikit-learn. A form that
fails its parity check, a model skl2onnx cannot convert and an edited or foreign
kept form all mean scikit-learn answers (nbops.registry._onnx_form).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_world import make_project, start_server, train_version

from churn import generator
from nbops.core import of_version
from nbops.registry import _artifacts as artifacts
from nbops.registry import _model_cache as model_cache
from nbops.registry import _onnx_form as onnx_form
from nbops.registry import parse_ref, read_registry, resolve_version
from nbops.validation import prepare_for_model

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("onnx") / "project", rows=600)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache and key of this test's own (the servers it starts inherit them)."""
    monkeypatch.setenv("NBOPS_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "cache"


def _version(root: Path, ref: str = "churn@champion") -> dict:
    return resolve_version(read_registry(root), parse_ref(ref))


def _rows(root: Path, record: dict, n: int = 300) -> pd.DataFrame:
    path = artifacts.store_of(root).path_for(record["training_data"]["hash"])
    return pd.read_parquet(path).head(n)


def _records(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records", date_format="iso").encode()


def _sklearn_scores(root: Path, record: dict, frame: pd.DataFrame) -> np.ndarray:
    model = artifacts.load_verified(root, record, "check")
    prepared, problems = prepare_for_model(frame, of_version(record))
    assert not problems
    return np.asarray(model.predict_proba(prepared))[:, -1]


def _maps_sklearn(pid: int) -> bool:
    """True when the process has loaded any of scikit-learn's compiled modules."""
    return "/sklearn/" in Path(f"/proc/{pid}/maps").read_text()


def _answer(server, frame: pd.DataFrame) -> dict:
    response = httpx.post(f"{server.url}/predict", content=_records(frame), headers=JSON,
                          timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_restart_answers_from_the_onnx_form_as_scikit_learn_would(world, cache):
    record = _version(world)
    frame = _rows(world, record)
    expected = _sklearn_scores(world, record, frame)
    first = start_server(world, "churn@champion", "--no-log")
    try:
        assert httpx.get(f"{first.url}/healthz").json()["scorer"] == "onnx"
    finally:
        first.stop()
    assert "answers with its ONNX form" in first.stderr()  # converted and checked
    assert len(list(cache.glob("*.onnx"))) == 1

    server = start_server(world, "churn@champion", "--no-log")
    try:
        answer = _answer(server, frame)
        health = httpx.get(f"{server.url}/healthz").json()
        metrics = httpx.get(f"{server.url}/metrics").text
        loaded_sklearn = _maps_sklearn(server.process.pid)
    finally:
        server.stop()
    assert health["scorer"] == "onnx" and health["scorer_version"].startswith("onnxruntime ")
    assert 'scorer="onnx"' in metrics and 'scorer="sklearn"' not in metrics
    assert "scored by onnx" in server.stderr()
    assert "it scored" not in server.stderr()  # the kept form: not converted again
    assert not loaded_sklearn
    scores = np.array(answer["scores"])
    assert np.max(np.abs(scores - expected)) <= onnx_form.TOLERANCE
    assert answer["labels"] == (expected >= 0.5).astype(int).tolist()


def test_an_edited_or_foreign_onnx_form_is_never_loaded(world, cache, monkeypatch):
    record = _version(world)
    frame = _rows(world, record, 100)
    expected = _sklearn_scores(world, record, frame)
    artifacts.load_verified(world, record, "churn:1", keep=True)
    digest = record["artifact"]["hash"]
    numeric = of_version(record)["numeric"]
    categorical = of_version(record)["categorical"]
    real = onnx_form.convert(artifacts.load_verified(world, record, "x"), numeric, categorical)
    # a form of another model (churn:2), written under churn:1's entry with a MAC of its own
    other = _version(world, "churn:2")
    forged = onnx_form.convert(artifacts.load_verified(world, other, "x"), numeric, categorical)
    model_cache.keep_onnx(digest, frozenset(), real)
    entry = next(cache.glob("*.onnx"))
    data = entry.read_bytes()
    entry.write_bytes(data[:data.index(real)] + forged)  # edited: the MAC no longer matches
    assert artifacts.load_verified_onnx(world, record, "churn:1") is None
    monkeypatch.setenv("XDG_CONFIG_HOME", str(cache.parent / "another-machine"))
    model_cache.keep_onnx(digest, frozenset(), forged)  # foreign: made with another key
    monkeypatch.setenv("XDG_CONFIG_HOME", str(cache.parent / "config"))
    assert artifacts.load_verified_onnx(world, record, "churn:1") is None

    server = start_server(world, "churn@champion", "--no-log")
    try:
        answer = _answer(server, frame)
    finally:
        server.stop()
    assert "it scored" in server.stderr()  # converted and checked afresh, not the forgery
    assert np.max(np.abs(np.array(answer["scores"]) - expected)) <= onnx_form.TOLERANCE
    assert artifacts.load_verified_onnx(world, record, "churn:1") not in (None, forged)


def _random_features_model(numeric: list[str], categorical: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    return Pipeline([
        ("preprocess", ColumnTransformer([
            ("numeric", Pipeline([("impute", SimpleImputer()),
                                  ("features", RBFSampler(random_state=0))]), numeric),
            ("categorical", Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
                ("encode", OneHotEncoder(handle_unknown="ignore"))]), categorical),
        ])),
        ("model", LogisticRegression(max_iter=500)),
    ])


def test_a_model_skl2onnx_cannot_convert_is_served_by_scikit_learn(world, cache):
    raw = generator.generate(600, seed=3)
    number = train_version(world, raw, "churn", seed=7, make=_random_features_model)
    record = _version(world, f"churn:{number}")
    frame = _rows(world, record, 50)
    expected = _sklearn_scores(world, record, frame)
    starts = []
    for _ in range(2):
        server = start_server(world, f"churn:{number}", "--no-log")
        try:
            answer = _answer(server, frame)
            health = httpx.get(f"{server.url}/healthz").json()
        finally:
            server.stop()
        starts.append(server.stderr())
        assert health["scorer"] == "sklearn"
        # scikit-learn's own scores (to BLAS summation order: the server uses one thread)
        assert np.allclose(answer["scores"], expected, rtol=0, atol=1e-9)
    said = [line for line in starts[0].splitlines() if "answers with scikit-learn" in line]
    assert len(said) == 1 and "RBFSampler" in said[0]
    assert "RBFSampler" in starts[1]  # the reason kept: a restart does not convert
    assert not list(cache.glob("*.onnx")) and len(list(cache.glob("*.no-onnx"))) == 1


def test_a_form_that_scores_differently_is_not_used(world, tmp_path, caplog):
    from sklearn.preprocessing import FunctionTransformer

    record = _version(world)
    model = artifacts.load_verified(world, record, "churn:1")
    spec = of_version(record)
    rows, problems = prepare_for_model(_rows(world, record), spec)
    assert not problems
    form = onnx_form.OnnxModel(onnx_form.convert(model, spec["numeric"], spec["categorical"]),
                               spec["numeric"], spec["categorical"])
    assert onnx_form.parity_problem(model, form, rows, 0.5) is None
    # a model that scores otherwise than the form (its numbers doubled first): the
    # parity rows say so
    numeric_steps = model[0].named_transformers_["numeric"].steps
    numeric_steps.insert(1, ("double", FunctionTransformer(lambda x: x * 2.0)
                             .fit(rows[spec["numeric"]])))
    problem = onnx_form.parity_problem(model, form, rows, 0.5)
    assert problem is not None and "differ" in problem
    assert json.dumps(problem)  # one line of text


def test_a_function_that_changes_values_is_never_left_out_of_the_graph(world):
    """A FunctionTransformer may be dropped from the graph only when it gives prepared
    input back unchanged: a clip of values the parity rows never hold would otherwise
    score those rows differently, unseen."""
    from sklearn.preprocessing import FunctionTransformer

    record = _version(world)
    spec = of_version(record)
    rows, _ = prepare_for_model(_rows(world, record), spec)
    for name, func in (("clip", lambda x: x.clip(upper=1e5)),
                       ("double", lambda x: x * 2.0),
                       ("blank", lambda x: x.fillna(0.0))):
        model = artifacts.load_verified(world, record, "churn:1")
        steps = model[0].named_transformers_["numeric"].steps
        steps.insert(1, (name, FunctionTransformer(func).fit(rows[spec["numeric"]])))
        with pytest.raises(onnx_form.NotConvertible, match=f"FunctionTransformer '{name}'"):
            onnx_form.convert(model, spec["numeric"], spec["categorical"])
    # the reference model's own converters only re-type: they are left out
    model = artifacts.load_verified(world, record, "churn:1")
    assert onnx_form.convert(model, spec["numeric"], spec["categorical"])
