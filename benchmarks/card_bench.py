"""Cost of the model card: its share of a reference build, and on 1,000,000 test rows.

Goal (issue 32): the card's numbers (bootstrap intervals, slices, calibration,
permutation importance) cost at most 10 % of the reference pipeline's build.
The build's figure: after each ``ploomber build --force`` (env.yaml's 20,000
rows), the evaluate step's card call is repeated on that build's own products
with the same settings and one thread (the product holds no timings: a rebuild
must write the same bytes), and its seconds are divided by the build's wall time.

The 1,000,000-row figure times :func:`nbops.cards.evaluate_for_card` alone on a
synthetic test set (12 inputs, two slice columns, a fitted
HistGradientBoostingClassifier; its predictions are the evaluate step's, not
timed), with the default 200 bootstrap resamples and permutation importance on a
1,000-row sample.

Run: ``python -m benchmarks.card_bench`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_SHARE = 0.10


def _reference_copy(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("pipeline.yaml", "env.yaml", "model_card.yaml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    return root


def _card_seconds(project: Path) -> dict[str, float]:
    """Each part's seconds of the evaluate step's card call, repeated on the build's products.

    The product holds no timings (a rebuild must write the same bytes), so the same call
    is made again here, with the same inputs and settings, one thread (as the step).
    """
    from threadpoolctl import threadpool_limits

    from churn import models
    from nbops.cards import evaluate_for_card
    from nbops.validation import read_feature_schema

    products = project / ".nbops" / "products"
    schema = read_feature_schema(products / "feature_schema.json")
    test = pd.read_parquet(products / "test.parquet")
    train = pd.read_parquet(products / "train.parquet",
                            columns=[schema.target, schema.date_column])
    model = models.load(products / "model.skops")
    parts: dict[str, float] = {}
    with threadpool_limits(1):
        proba = model.predict_proba(test[list(schema.names)])[:, 1]
        evaluate_for_card(model, test, target=schema.target, features=list(schema.names),
                          proba=proba, slices=["contract", "senior_citizen"], train=train,
                          date_column=schema.date_column, seed=42, resamples=200,
                          timings=parts)
    return parts


def bench_reference_build(repeats: int) -> dict[str, Any]:
    """The card's seconds on real reference builds' products, and its share of each build."""
    shares, card_s, build_s = [], [], []
    parts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = _reference_copy(Path(tmp) / "project")
        env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false"}
        env = {k: v for k, v in env.items() if not k.startswith("NBOPS_")}
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([str(BIN / "ploomber"), "build", "--force"], cwd=project, env=env,
                           check=True, capture_output=True)
            wall = time.perf_counter() - started
            parts = _card_seconds(project)
            spent = sum(parts.values())
            card_s.append(spent)
            build_s.append(wall)
            shares.append(spent / wall)
    share = float(np.median(shares))
    return {"name": "card.reference_build_share", "seconds": round(float(np.median(card_s)), 3),
            "what": "the card's numbers for a reference build (20,000 rows, median of "
                    f"{repeats}; the evaluate step's call repeated on the build's products): "
                    "seconds, and share of the build's wall time",
            "build_seconds": round(float(np.median(build_s)), 2),
            "share_of_build": round(share, 4), "target_share": TARGET_SHARE,
            "ratio_to_target": round(share / TARGET_SHARE, 3),
            "parts_s": {k: round(v, 3) for k, v in parts.items()}}


def bench_million_rows(rows: int = 1_000_000) -> dict[str, Any]:
    """evaluate_for_card on ``rows`` synthetic test rows."""
    import resource

    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from nbops.cards import evaluate_for_card

    rng = np.random.default_rng(0)
    numeric = rng.standard_normal((rows + 50_000, 10))
    frame = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(10)])
    frame["plan"] = rng.choice(["basic", "plus", "pro"], size=len(frame))
    frame["region"] = rng.choice(["N", "S", "E", "W"], size=len(frame))
    logit = numeric[:, 0] + 0.5 * numeric[:, 1] - 0.3 * numeric[:, 2]
    frame["label"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    features = [f"x{i}" for i in range(10)]
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    model.fit(frame[features].iloc[:50_000], frame["label"].iloc[:50_000])
    test = frame.iloc[50_000:].reset_index(drop=True)
    proba = model.predict_proba(test[features])[:, 1]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parts: dict[str, float] = {}
    started = time.perf_counter()
    # one OpenMP/BLAS thread, as the reference evaluate step runs it (churn.deterministic):
    # on a busy 2-core machine, OpenMP threads waiting for each other dominate small predictions
    with threadpool_limits(1):
        card = evaluate_for_card(model, test, target="label", features=features, proba=proba,
                                 slices=["plan", "region"], resamples=200, seed=1,
                                 timings=parts)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"name": "card.million_rows", "seconds": round(seconds, 2),
            "what": f"evaluate_for_card on {rows:,} test rows: 200 bootstrap resamples, "
                    "2 slice columns, calibration, permutation importance (1,000-row sample)",
            "parts_s": {k: round(v, 2) for k, v in parts.items()},
            "importance_features": len(card["importance"]["features"]),
            "peak_rss_growth_mb": round(after - before, 1),
            "load_1min": round(os.getloadavg()[0], 2)}


def run(full: bool = True) -> list[dict[str, Any]]:
    """Both figures (one build under --quick, two otherwise)."""
    return [bench_reference_build(2 if full else 1),
            bench_million_rows(1_000_000 if full else 200_000)]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
