"""A small project with registered churn models, and a real `nbops serve-model` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from churn import data, features, generator, models
from nbops.core import spec_from_feature_schema, spec_hash
from nbops.core._hashing import hash_bytes
from nbops.core._store import ContentStore
from nbops.registry import _artifacts as artifacts
from nbops.registry import _operations as operations
from ports import free_port


def train_version(root: Path, raw: pd.DataFrame, target: str, *, seed: int = 0,
                  max_iter: int = 30, name: str = "churn",
                  make: Callable[[list[str], list[str]], Any] | None = None,
                  trusted: tuple[str, ...] = ()) -> int:
    """Clean ``raw`` as the validate step does, train, and register a version (not promoted).

    ``make(numeric, categorical)``: another model than churn's (its file may hold the
    extra ``trusted`` types).
    """
    clean, _ = data.clean(raw, target)
    roles, _ = data.infer_roles(clean, target)
    parts = features.split(clean, target, roles.date_column, 0.25, seed)
    schema = features.feature_schema(parts.train, roles).to_dict()
    model = (models.make_model(roles.numeric, roles.categorical, seed=seed, max_iter=max_iter)
             if make is None else make(roles.numeric, roles.categorical))
    model.fit(parts.train[roles.features], parts.train[target])
    folder = root / ".nbops" / "products" / f"v{seed}-{max_iter}"
    folder.mkdir(parents=True, exist_ok=True)
    models.save(model, folder / "model.skops")
    parts.train.to_parquet(folder / "train.parquet", index=False)
    parts.test.to_parquet(folder / "test.parquet", index=False)
    store = ContentStore(root / ".nbops" / "store")

    def stored(path: Path) -> dict[str, Any]:
        put = store.put_file(path)
        return {"hash": put.digest, "size": put.size, "path": str(path.relative_to(root))}

    from sklearn.metrics import roc_auc_score

    proba = model.predict_proba(parts.test[roles.features])[:, 1]
    preparation = spec_from_feature_schema(schema)
    record = {
        "run_id": None, "registered_by_run": None,
        "artifact": {**stored(folder / "model.skops"), "format": "skops",
                     "trusted_types": artifacts.inspect_types(folder / "model.skops",
                                                          (*TRUSTED, *trusted))},
        "metrics": {"roc_auc": float(roc_auc_score(parts.test[target], proba))},
        "training_data": stored(folder / "train.parquet"),
        "test_data": stored(folder / "test.parquet"),
        "feature_schema": schema,
        "feature_schema_hash": hash_bytes(json.dumps(schema).encode()),
        "input_preparation": preparation,
        "input_preparation_hash": spec_hash(preparation),
        "git_commit": None, "gates": "passed",
    }
    number, _ = operations.register_version(root, name, record)
    return number


CHURN_TYPES = ("churn.features._as_float", "churn.features._as_text")
TRUSTED = (*artifacts.DEFAULT_TRUSTED_TYPES, *CHURN_TYPES)


def as_served(model: Any, preparation: dict[str, Any]) -> Any:
    """What a service answers with for ``model``: its ONNX form (docs/serving.md, Start-up),
    which scores the reference models within ONNX_TOLERANCE of ``model``."""
    from nbops.registry import OnnxModel, convert_to_onnx

    numeric, categorical = preparation["numeric"], preparation["categorical"]
    return OnnxModel(convert_to_onnx(model, numeric, categorical), numeric, categorical)


def make_project(root: Path, rows: int = 1200) -> Path:
    """A project (pipeline.yaml only) with churn:1 as champion and churn:2 registered."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pipeline.yaml").write_text("tasks: []\n")
    # the churn model converts columns with two functions of the churn package
    (root / "env.yaml").write_text(
        "registry:\n  model: churn\n  trusted_types: "
        "[churn.features._as_float, churn.features._as_text]\n")
    raw = generator.generate(rows, seed=3)
    train_version(root, raw, "churn", seed=0, max_iter=15)
    train_version(root, raw, "churn", seed=1, max_iter=40)
    promote(root, 1)
    return root


def promote(root: Path, version: int, name: str = "churn") -> None:
    operations.promote(root, name, version, reason="test", actor=operations.Actor())



@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    stderr_path: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(5)
        return self.process.returncode

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_server(root: Path, ref: str = "churn@champion", *extra: str,
                 timeout: float = 300) -> Server:
    """Start `nbops serve-model` on a free loopback port; return once /healthz answers."""
    port = free_port()
    stderr_path = root / f"serve-{port}.stderr"
    env = {**os.environ, "NBOPS_PROJECT_ROOT": str(root)}
    with open(stderr_path, "w") as stderr:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "nbops"), "serve-model", ref, "--port",
             str(port), "--project", str(root), *extra],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve-model exited {process.returncode}: "
                                 f"{stderr_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(process, url, stderr_path)
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise AssertionError(f"serve-model did not become ready: {stderr_path.read_text()}")
