"""How the post-close step finds the run's model among its products, what it refuses, and
when it starts its measuring helper (no build, no model trained)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nbops.core import ConfigError, ContentStore, IntegrityError, RegistryError
from nbops.core._project import Project
from nbops.registry._config import parse_registry_config
from nbops.registry._pipeline_step import (
    RegistryStep,
    candidate_from_manifest,
    check_model_product,
    gate_after_close,
    measuring_imported,
    missing_inputs,
    trains_a_model,
)

PATHS = {"model_file": "out/model.skops", "train_data": "out/train.parquet",
         "test_data": "out/test.parquet", "feature_schema": "out/schema.json"}
CONFIG = parse_registry_config({"model": "churn", **PATHS})


def _stored(root: Path, contents: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Products (key -> manifest entry) whose contents are in the project's store."""
    store = ContentStore(Project(root).store_dir)
    return {key: {"path": PATHS[key], "hash": store.put_bytes(data).digest, "size": len(data)}
            for key, data in contents.items()}


def _manifest(*tasks: tuple[str, str | None, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"run_id": "r2", "metrics": {"auc": 0.8},
            "tasks": {name: {"products": products, "produced_by": by,
                             "metrics": {"auc": 0.8} if name == "fit" else {}}
                      for name, by, products in tasks}, **extra}


def test_the_candidate_is_the_stored_products_with_their_paths_hashes_and_trainer(
    tmp_path: Path
) -> None:
    products = _stored(tmp_path, {key: key.encode() for key in PATHS})
    manifest = _manifest(
        ("fit", "r1", {"model": products["model_file"]}),
        ("split", "r2", {"a": products["train_data"], "b": products["test_data"]}),
        ("schema", "r2", {"s": products["feature_schema"]}),
        provenance={"git": {"commit": "abc"}})
    candidate = candidate_from_manifest(tmp_path, manifest, CONFIG)
    store = ContentStore(Project(tmp_path).store_dir)
    for key, entry in products.items():
        stored = getattr(candidate, key)
        assert stored == store.path_for(entry["hash"]) and stored.read_bytes() == key.encode()
        assert candidate.hashes[str(stored)] == entry["hash"]
        assert candidate.paths[str(stored)] == PATHS[key]
    assert (candidate.run_id, candidate.model_run_id, candidate.git_commit) == ("r2", "r1", "abc")
    assert candidate.metrics == {"auc": 0.8}
    assert candidate.task_metrics == {"fit": {"auc": 0.8}, "split": {}, "schema": {}}
    assert candidate_from_manifest(tmp_path, {**manifest, "provenance": {}},
                                   CONFIG).git_commit is None


def test_a_product_is_found_by_its_resolved_path_and_only_with_a_hash(tmp_path: Path) -> None:
    products = _stored(tmp_path, {key: key.encode() for key in PATHS})
    model = {**products["model_file"], "path": "out/../out/model.skops"}
    rest = {k: v for k, v in products.items() if k != "model_file"}
    found = candidate_from_manifest(tmp_path, _manifest(("t", None, {"m": model, **rest})),
                                    CONFIG)
    assert found.paths[str(found.model_file)] == "out/../out/model.skops"
    unhashed = {**products["model_file"], "hash": None}
    with pytest.raises(RegistryError) as caught:
        candidate_from_manifest(tmp_path, _manifest(("t", None, {"m": unhashed, **rest})),
                                CONFIG)
    assert str(caught.value).startswith(
        "no product of this run is out/model.skops, so the model cannot be gated or registered")
    assert caught.value.fix == ("make registry.* paths in env.yaml match product paths in "
                                "pipeline.yaml")


def test_a_candidate_whose_stored_object_was_damaged_is_refused(tmp_path: Path) -> None:
    products = _stored(tmp_path, {key: key.encode() for key in PATHS})
    store = ContentStore(Project(tmp_path).store_dir)
    damaged = store.path_for(products["test_data"]["hash"])
    damaged.chmod(0o644)
    damaged.write_bytes(b"changed")
    with pytest.raises(IntegrityError, match=f"Stored object {damaged} is corrupt"):
        candidate_from_manifest(tmp_path, _manifest(("t", None, products)), CONFIG)


def test_any_one_registry_file_makes_a_training_run(tmp_path: Path) -> None:
    for key in PATHS:
        manifest = _manifest(("t", None, {"x": {"path": PATHS[key], "hash": None}}))
        assert trains_a_model(tmp_path, manifest, CONFIG), key
    other = _manifest(("t", None, {"x": {"path": "out/other.json", "hash": None},
                                   "y": {"path": None}}), ("u", None, {}))
    assert not trains_a_model(tmp_path, other, CONFIG)
    assert not trains_a_model(tmp_path, {"tasks": {"t": {"products": None}}}, CONFIG)


def test_the_inputs_a_champion_needs_that_a_schema_lacks_in_its_order() -> None:
    champion = {"features": [{"name": "b"}, {"name": "a"}, "junk", {"name": "c"}]}
    assert missing_inputs(champion, {"features": [{"name": "a"}, "junk"]}) == ["b", "c"]
    assert missing_inputs(champion, {"features": [{"name": n} for n in "abc"]}) == []
    assert missing_inputs(None, {}) == []
    assert missing_inputs({"features": [{"name": 1}]}, {}) == ["1"]


def test_a_model_file_no_task_produces_names_the_model_like_products(tmp_path: Path) -> None:
    project = Project(tmp_path)
    tasks = [SimpleNamespace(products={"m": tmp_path / "out/a.pkl", "d": tmp_path / "d.csv"}),
             SimpleNamespace(products={"j": tmp_path / "b.joblib", "s": tmp_path / "c.skops",
                                       "p": tmp_path / "e.pickle"})]
    with pytest.raises(ConfigError) as caught:
        check_model_product(PATHS, project, tasks)
    assert str(caught.value).startswith(
        "registry.model_file is out/model.skops, which no task of this pipeline produces "
        "(model-like products: out/a.pkl, b.joblib, c.skops, e.pickle), so no run could be "
        "gated or registered")
    assert caught.value.fix == (
        "set registry.model_file in env.yaml to the product path of your model, or remove "
        "registry: '{{registry}}' from on_render in the pipeline that does not train it")
    with pytest.raises(ConfigError) as plain:
        check_model_product(PATHS, project, [SimpleNamespace(products={"d": tmp_path / "d"})])
    assert "produces, so no run" in str(plain.value)
    check_model_product(PATHS, project, [SimpleNamespace(
        products={"m": tmp_path / "out" / "." / "model.skops"})])


@pytest.mark.parametrize("missing", list(PATHS))
def test_each_unnamed_registry_path_is_refused(tmp_path: Path, missing: str) -> None:
    paths = {k: v for k, v in PATHS.items() if k != missing}
    with pytest.raises(ConfigError) as caught:
        check_model_product(paths, Project(tmp_path), [])
    assert str(caught.value).startswith(
        f"registry: in env.yaml names no {missing}, so nbops cannot tell which products are "
        "the model and its data")
    assert caught.value.fix == ("set each to a product path of your pipeline (nbops init "
                                "--registry proposes them)")


def test_a_partial_build_without_the_model_is_not_gated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nbops")
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    products = {"d": {"path": PATHS["train_data"], "hash": "blake3:" + "0" * 64}}
    manifest = _manifest(("t", None, products), build={"partially": "split"})
    context = SimpleNamespace(status="succeeded", env={"registry": {"model": "churn", **PATHS}},
                              project=Project(tmp_path), run_id="r2", manifest=manifest)
    gate_after_close(context)
    assert [r.getMessage() for r in caplog.records] == [
        "nbops registry: run r2 is a partial build (--partially split) that does not build "
        "the model, nothing to gate"]
    # the same run built whole is a training run missing its model: an error, gated
    sections: dict[str, Any] = {}
    outcomes: list[str] = []
    whole = SimpleNamespace(**{**vars(context), "manifest": {**manifest, "build": {}}},
                            update=lambda s, v: sections.__setitem__(s.name, v),
                            set_outcome=outcomes.append)
    with pytest.raises(RegistryError, match="no product of this run is out/model.skops") as e:
        gate_after_close(whole)
    assert outcomes == ["gated"]
    assert sections["gates"] == {"verdict": "error", "results": [], "error": str(e.value)}
    # a partial build that does build the model is gated like a whole one
    model = {"m": {"path": PATHS["model_file"], "hash": "blake3:" + "0" * 64}}
    built = SimpleNamespace(**{**vars(whole), "manifest": _manifest(
        ("t", None, {**products, **model}), build={"partially": "fit"})})
    with pytest.raises(RegistryError, match="no product of this run is out/test.parquet"):
        gate_after_close(built)


def test_a_run_of_another_pipeline_is_said_to_be_ungated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nbops")
    context = SimpleNamespace(status="succeeded", env={"registry": {"model": "churn", **PATHS}},
                              project=Project(tmp_path), run_id="r2",
                              manifest=_manifest(("t", None, {})))
    gate_after_close(context)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [(
        "WARNING", "nbops registry: run r2 produced none of the registry's files "
                   "(registry.model_file is out/model.skops), so nothing was gated or "
                   "registered")]


def _open(tmp_path: Path, will_run: bool, product: Path, registry: Any = None) -> Any:
    task = SimpleNamespace(will_run=will_run, products={"m": product})
    env = {"registry": {"model": "churn", **PATHS} if registry is None else registry}
    return SimpleNamespace(env=env, project=Project(tmp_path), tasks=[task])


def test_the_helper_starts_only_when_this_build_trains_the_model_and_needs_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "out" / "model.skops"
    step = RegistryStep()
    monkeypatch.delitem(sys.modules, "skops.io", raising=False)  # a helper would help
    monkeypatch.setenv("NBOPS_RUNTIME", "fast")
    assert not measuring_imported()
    for ctx in (_open(tmp_path, False, model), _open(tmp_path, True, tmp_path / "other"),
                SimpleNamespace(env={}, project=Project(tmp_path), tasks=[])):
        step.prepare(ctx)
        assert step.helper is None
    monkeypatch.setitem(sys.modules, "skops.io", sys)
    for name in ("pandas", "pyarrow.parquet", "sklearn.metrics"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name) or sys)
    assert measuring_imported()
    step.prepare(_open(tmp_path, True, model))
    assert step.helper is None  # everything is imported here already
    monkeypatch.delitem(sys.modules, "skops.io")
    assert not measuring_imported()
    monkeypatch.setenv("NBOPS_RUNTIME", "plain")
    step.prepare(_open(tmp_path, True, model))
    assert step.helper is None  # plain runtime: measured in this process
    monkeypatch.setenv("NBOPS_RUNTIME", "fast")
    step.prepare(_open(tmp_path, True, tmp_path / "out" / ".." / "out" / "model.skops"))
    helper = step.helper
    assert helper is not None and helper.root == tmp_path
    step.close()
    assert step.helper is None
    step.close()  # twice is harmless


def _candidate(tmp_path: Path, run_id: str = "r2", trainer: str | None = None) -> Any:
    from nbops.registry._promotion import Candidate

    return Candidate(run_id=run_id, model_file=tmp_path / "m", train_data=tmp_path / "a",
                     test_data=tmp_path / "missing.parquet", feature_schema=tmp_path / "s",
                     metrics={}, model_run_id=trainer)


def test_the_gates_of_the_run_that_trained_a_reused_model_are_read_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
    from synthetic_runs import manifest_for

    from nbops.core._ids import new_run_id
    from nbops.registry._pipeline_step import _trainer_gates
    from nbops.runs._persist import save_manifest

    project = Project(tmp_path)
    trainer = new_run_id()
    gates = {"verdict": "passed", "results": []}
    save_manifest(project, manifest_for(trainer, gates=gates))
    assert _trainer_gates(project, _candidate(tmp_path, trainer=trainer)) == (trainer, gates)
    assert _trainer_gates(project, _candidate(tmp_path, trainer=None)) is None
    assert _trainer_gates(project, _candidate(tmp_path, run_id=trainer, trainer=trainer)) is None
    caplog.set_level(logging.INFO, logger="nbops")
    gone = new_run_id()
    assert _trainer_gates(project, _candidate(tmp_path, trainer=gone)) is None
    assert [r.getMessage().partition(" (")[0] for r in caplog.records] == [
        f"nbops registry: run {gone}'s record is unavailable"]
    assert caplog.records[0].getMessage().endswith("; measuring again")


def test_measuring_falls_back_to_this_process_when_the_helper_is_gone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from nbops.registry._pipeline_step import _measure_with
    from nbops.runtime._helper_process import HelperGone

    class Helper:
        def __init__(self, answer: Any) -> None:
            self.answer = answer
            self.asked: list[tuple[Any, ...]] = []

        def measure(self, *args: Any) -> Any:
            self.asked.append(args)
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    args = (tmp_path, _candidate(tmp_path), CONFIG, {}, {}, None)
    answering = Helper("measured there")
    assert _measure_with(answering)(*args) == "measured there" and answering.asked == [args]
    caplog.set_level(logging.WARNING, logger="nbops")
    gone = Helper(HelperGone("the helper died"))
    with pytest.raises(RegistryError, match="m is not a readable skops model file"):
        _measure_with(gone)(*args)  # measured here: there is no model file
    assert [r.getMessage() for r in caplog.records] == [
        "nbops registry: the helper died; measuring in the build process instead"]


def test_gates_without_a_registry_are_named_in_the_refusal() -> None:
    from nbops.registry._pipeline_step import check_settings

    with pytest.raises(ConfigError) as caught:
        check_settings({"min_auc": "roc_auc >= 0.7", "min_recall": "recall >= 0.5"}, None)
    assert str(caught.value).startswith(
        "gates: in env.yaml declares min_auc, min_recall but there is no registry: section, "
        "so no gate would ever be evaluated")
    assert caught.value.fix == ("add a registry: section naming your model's products (nbops "
                                "init --registry proposes one), or remove gates:")
