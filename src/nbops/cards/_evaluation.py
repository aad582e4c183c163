"""The numbers of a model card, measured once in the build: ``card_evaluation.json``.

The evaluate step of a pipeline calls :func:`evaluate_for_card` with the model,
the test frame and the probabilities it already computed, then
:func:`write_evaluation` into a product (``.nbops/products/card_evaluation.json``
in the reference pipeline). The ledger stores that product with the run; the
card step (:mod:`nbops.cards._step`) copies it into the run's ``card`` section,
and the slice metrics it logs (``worst_slice_roc_auc``...) can be gated on.

Format (``schema_version: 1``, ``nbops/cards/schemas/card_evaluation.schema.json``)::

    {schema_version, threshold, seed, model {type, steps [..]},
     data {train {rows, positives, negatives, date_range}, test {..}},
     metrics {name: {value, low, high, std}}, bootstrap {resamples, level},
     slices [{column, slices [{value, rows, positives, metrics}], summary}],
     slices_missing (a sentence: named slice columns the test data lacks) | null,
     gate_metrics {worst_slice_roc_auc, slice_gap_roc_auc, ..},
     calibration {bins [..], brier, expected_calibration_error},
     importance {scoring, repeats, rows, features [{feature, mean, std}]}}

Deterministic for a given model, data and seed (the reference step runs it with one
thread), so a reproduction of the build writes the same bytes.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from nbops.cards._bootstrap import bootstrap_intervals
from nbops.cards._calibration import calibration
from nbops.cards._evaluation_file import SCHEMA_VERSION
from nbops.cards._importance import permutation_importances
from nbops.cards._slices import missing_slices, slice_metrics, worst_slice_metrics
from nbops.contracts import CardEvaluation, DataFacts, EvaluationData, ModelDescription
from nbops.core import DataError


def _model_description(model: Any) -> ModelDescription:
    steps = getattr(model, "steps", None)
    final = steps[-1][1] if steps else model
    return {"type": type(final).__name__,
            "module": type(final).__module__,
            "steps": [f"{name}: {type(step).__name__}" for name, step in steps or []]}


def data_facts(frame: pd.DataFrame, target: str, date_column: str | None) -> DataFacts:
    """Rows, class balance and (with a date column) the first and last date."""
    y = frame[target]
    positives = int((y == 1).sum())
    facts: DataFacts = {"rows": len(frame), "positives": positives,
                             "negatives": int(len(frame) - positives),
                             "positive_rate": positives / len(frame) if len(frame) else None,
                             "date_range": None}
    if date_column and date_column in frame.columns and frame[date_column].notna().any():
        dates = pd.to_datetime(frame[date_column])
        facts["date_range"] = [dates.min().date().isoformat(), dates.max().date().isoformat()]
    return facts


def evaluate_for_card(model: Any, test: pd.DataFrame, *, target: str, features: list[str],
                      proba: np.ndarray, threshold: float = 0.5, slices: list[str] | None = None,
                      train: pd.DataFrame | None = None, date_column: str | None = None,
                      seed: int = 0, resamples: int = 200, importance_repeats: int = 5,
                      importance_rows: int = 1000,
                      timings: dict[str, float] | None = None) -> CardEvaluation:
    """Measure everything a model card reports about the model on its test set.

    Args:
        model: the fitted model (scores ``test[features]`` with ``predict_proba``).
        test: the held-out frame: features, target, and the slice columns.
        proba: the model's probabilities for ``test``'s rows (already computed by
            the evaluate step: the card's metrics are those of the predictions file).
        slices: test columns to report metrics by (``card.slices`` in env.yaml).
        train: the training frame (or just its target and date columns), for
            its size, class balance and date range.
        resamples: bootstrap resamples for the confidence intervals.
        timings: when given, filled with the seconds each part took (kept out of
            the result, so that a rebuild writes the same bytes: ``nbops reproduce``
            compares products bit for bit).

    Raises:
        DataError: the test set is empty or lacks the target or a slice column.
    """
    if target not in test.columns or len(test) == 0:
        raise DataError(f"the test data has no rows or no {target!r} column, so no model "
                        "card can be measured", "check the evaluate step's test frame")
    y = test[target].to_numpy().astype(int)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != y.shape:
        raise DataError(f"{proba.size} probabilities for {y.size} test rows",
                        "pass the model's probabilities for exactly the test rows")
    seconds: dict[str, float] = {} if timings is None else timings
    started = time.perf_counter()
    metrics = bootstrap_intervals(y, proba, threshold=threshold, resamples=resamples, seed=seed)
    seconds["bootstrap"] = time.perf_counter() - started
    started = time.perf_counter()
    by_slice = slice_metrics(test, list(slices or []), y, proba, threshold)
    seconds["slices"] = time.perf_counter() - started
    started = time.perf_counter()
    calibrated = calibration(y, proba)
    seconds["calibration"] = time.perf_counter() - started
    started = time.perf_counter()
    importance = permutation_importances(model, test[features], y, repeats=importance_repeats,
                                         seed=seed, max_rows=importance_rows)
    seconds["importance"] = time.perf_counter() - started
    data: EvaluationData = {"test": data_facts(test, target, date_column)}
    if train is not None:
        data["train"] = data_facts(train, target, date_column)
    return {
        "schema_version": SCHEMA_VERSION, "threshold": float(threshold), "seed": int(seed),
        "target": target, "model": _model_description(model), "data": data,
        "metrics": metrics, "bootstrap": {"resamples": int(resamples), "level": 0.95},
        "slices": by_slice, "slices_missing": missing_slices(test, list(slices or [])),
        "gate_metrics": worst_slice_metrics(by_slice),
        "calibration": calibrated, "importance": importance,
    }
