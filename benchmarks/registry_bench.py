"""Cost of the model registry's safety: verified loads, locked writes, a large registry.

* ``registry.verified_load`` vs ``registry.plain_skops_load``: what re-hashing the stored
  file and checking its types adds to loading a HistGradientBoosting pipeline (the
  reference model's kind), as a ratio;
* ``registry.promote``: one locked, validated, atomic alias move in a registry holding
  ``VERSIONS`` versions (the file is read, checked and rewritten whole);
* ``registry.read``: reading and validating that registry (what ``nbops models`` pays).

Run: ``python -m benchmarks.registry_bench``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import best_of

VERSIONS = 1000


def _model(folder: Path) -> Path:
    import numpy as np
    import pandas as pd
    import skops.io as sio
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000),
                          "c": rng.choice(list("xyz"), 5000)})
    y = (frame["a"] + rng.normal(size=5000) > 0).astype(int)
    pre = ColumnTransformer([("num", "passthrough", ["a", "b"]),
                             ("cat", OneHotEncoder(sparse_output=False), ["c"])])
    model = Pipeline([("pre", pre), ("clf", HistGradientBoostingClassifier(max_iter=100))])
    model.fit(frame, y)
    path = folder / "model.skops"
    sio.dump(model, path)
    return path


def run(repeats: int = 5) -> list[dict[str, Any]]:
    """Measure and return one row per figure."""
    import skops.io as sio

    from nbops.registry import (
        Actor,
        inspect_types,
        load_verified,
        promote,
        read_registry,
        registry_path,
        registry_transaction,
        store_of,
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pipeline.yaml").write_text("tasks: []\n")
        path = _model(root)
        stored = store_of(root).put_file(path)
        types = inspect_types(path)
        record = {"run_id": None, "version": 1, "artifact": {
            "hash": stored.digest, "size": stored.size, "format": "skops",
            "trusted_types": types}}
        plain_s = best_of(repeats, lambda: sio.load(path, trusted=types))
        verified_s = best_of(repeats, lambda: load_verified(root, record, "m:1"))

        base = {"artifact": record["artifact"], "metrics": {"roc_auc": 0.8},
                "training_data": {"hash": stored.digest, "size": 1}, "test_data": None,
                "feature_schema": {"features": [{"name": "a", "dtype": "float"}]}}
        with registry_transaction(root) as data:
            data["models"]["m"] = {"created_at": "2026-01-01T00:00:00.000000Z", "aliases": {},
                                   "history": [], "versions": [
                                       {**base, "version": n, "run_id": None,
                                        "registered_at": "2026-01-01T00:00:00.000000Z"}
                                       for n in range(1, VERSIONS + 1)]}
        actor = Actor(command=("bench",))
        targets = iter(range(1, 10 * repeats + 2))
        promote_s = best_of(repeats, lambda: promote(
            root, "m", next(targets), reason="bench", actor=actor))
        read_s = best_of(repeats, lambda: read_registry(root))
        size_kib = registry_path(root).stat().st_size / 1024
    return [
        {"name": "registry.plain_skops_load", "what": "skops.io.load of a HistGB pipeline",
         "seconds": round(plain_s, 4)},
        {"name": "registry.verified_load",
         "what": "load_verified: blake3 re-hash + type check + skops load, same file",
         "seconds": round(verified_s, 4), "ratio_to_plain": round(verified_s / plain_s, 3)},
        {"name": "registry.promote", "what": f"one locked atomic alias move, {VERSIONS} versions "
         f"({size_kib:.0f} KiB file)", "seconds": round(promote_s, 4)},
        {"name": "registry.read", "what": f"read + validate a {VERSIONS}-version registry",
         "seconds": round(read_s, 4)},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)  # noqa: T201 - a benchmark script reports on stdout
