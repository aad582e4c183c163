"""Speed of drift detection: 1,000,000 rows × 20 features against the reference profile.

Target: under 5 s wall time on the project's 2-core machine for ``check_batch`` (PSI, KS,
missing rates, unseen categories, verdict). The reference profile is built once
per champion and timed separately. A naive baseline (``scipy.stats.ks_2samp``
and ``np.histogram`` per feature, re-sorting the reference every time) is timed
on the same data for the ratio.

The wall time depends on what else runs on the machine, so the row also gives
the CPU seconds of all threads and the 1-minute load average.

Run: ``python -m benchmarks.drift_bench`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd
from benchmarks.harness import best_of
from scipy import stats

from nbops.monitoring import Thresholds, build_profile, check_batch

ROWS = 1_000_000
NUMERIC = 18
CATEGORICAL = 2
TARGET_SECONDS = 5.0


def _frame(rng: np.random.Generator, rows: int, shift: float) -> pd.DataFrame:
    data = rng.standard_normal((rows, NUMERIC))
    data[:, 0] += shift
    data[rng.random((rows, NUMERIC)) < 0.01] = np.nan
    frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(NUMERIC)])
    for i in range(CATEGORICAL):
        codes = rng.integers(0, 5, rows)
        frame[f"c{i}"] = pd.Categorical.from_codes(codes, categories=list("abcde"))
    return frame


def _schema() -> dict[str, Any]:
    numeric = [{"name": f"x{i}", "dtype": "float64"} for i in range(NUMERIC)]
    categorical = [
        {"name": f"c{i}", "dtype": "category", "categories": list("abcde")}
        for i in range(CATEGORICAL)
    ]
    return {"schema_version": 1, "target": "y", "features": numeric + categorical}


def _naive(reference: pd.DataFrame, batch: pd.DataFrame) -> None:
    for i in range(NUMERIC):
        ref = reference[f"x{i}"].dropna().to_numpy()
        cur = batch[f"x{i}"].dropna().to_numpy()
        stats.ks_2samp(ref, cur, method="asymp")
        edges = np.quantile(ref, np.linspace(0, 1, 11))
        np.histogram(ref, edges)
        np.histogram(cur, edges)


def _cpu_of(fn: Any) -> float:
    """CPU seconds of this process (all threads) for one call: robust to a busy machine."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def run(full: bool = True, rows: int | None = None, repeats: int = 3) -> list[dict[str, Any]]:
    """Time profile building, ``check_batch`` and the naive baseline; one row each.

    ``full=False`` (``python -m benchmarks --quick``): 200,000 rows, one repetition.
    """
    rows = rows or (ROWS if full else 200_000)
    repeats = repeats if full else 1
    rng = np.random.default_rng(0)
    reference, batch = _frame(rng, rows, 0.0), _frame(rng, rows, 0.2)
    scores = rng.random(rows)
    thresholds = Thresholds()
    profile_s = best_of(
        1, lambda: build_profile(reference, _schema(), scores=rng.random(rows))
    )
    profile = build_profile(reference, _schema(), scores=rng.random(rows))
    report = check_batch(profile, batch, thresholds, scores=scores)
    assert report.top_features[:1] == ["x0"], report.summary  # the bench measures real work
    check_s = best_of(repeats, lambda: check_batch(profile, batch, thresholds, scores=scores))
    check_cpu = _cpu_of(lambda: check_batch(profile, batch, thresholds, scores=scores))
    naive_s = best_of(1, lambda: _naive(reference, batch))
    load = os.getloadavg()[0]
    shape = f"{rows:,} rows × {NUMERIC + CATEGORICAL} features"
    return [
        {
            "name": "drift.check_batch",
            "what": f"drift of {shape} (+ prediction drift) vs a {rows:,}-row reference",
            "seconds": round(check_s, 3),
            "cpu_seconds_all_threads": round(check_cpu, 3),
            "load_average_1min": round(load, 2),
            "target_seconds": TARGET_SECONDS if rows == ROWS else None,
            "ratio_to_target": round(check_s / TARGET_SECONDS, 3) if rows == ROWS else None,
            "ratio_to_baseline": round(check_s / naive_s, 3),
        },
        {
            "name": "drift.build_profile",
            "what": f"reference profile of {shape} (once per champion)",
            "seconds": round(profile_s, 3),
        },
        {
            "name": "drift.naive_scipy_baseline",
            "what": f"ks_2samp + np.histogram per numeric feature, {shape}",
            "seconds": round(naive_s, 3),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)  # noqa: T201 - a benchmark script reports on stdout
