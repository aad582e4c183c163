"""Metrics by slice: the test set cut by the values of the columns a team names.

``env.yaml`` names the columns (``card: {slices: [contract, senior_citizen]}``);
each value of a column is a slice (a numeric column with many values is cut
at its quartiles). Per column the card keeps every slice's size, positives and
metrics, and the best and worst slice on each metric with the gap between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nbops.cards._bootstrap import METRICS, point_metrics
from nbops.contracts import SliceColumn, SliceRow, SliceSummary

#: a numeric column with more distinct values than this is cut at its quartiles
MAX_LEVELS = 12
#: a slice this small is reported but not ranked (its metrics are noise)
MIN_RANKED_ROWS = 30


def slice_labels(column: pd.Series) -> pd.Series:
    """Each row's slice name: its value, or its quartile range for a many-valued number."""
    if pd.api.types.is_numeric_dtype(column) and column.nunique(dropna=True) > MAX_LEVELS:
        binned = pd.qcut(column, 4, duplicates="drop")
        return binned.astype(str).where(column.notna(), "(missing)")
    return column.astype(object).where(column.notna(), "(missing)").astype(str)


def missing_slices(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """One sentence naming the ``card.slices`` columns the test data lacks, or None.

    A build on another data set (``--env--data--path``) keeps the project's slices:
    the card says which it could not cut, and a slice gate then fails on its own.
    """
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return None
    return (f"card.slices in env.yaml names {', '.join(map(repr, missing))}, which the test "
            f"data does not have (it has {', '.join(map(str, frame.columns[:12]))}"
            f"{' ...' if len(frame.columns) > 12 else ''})")


def slice_metrics(frame: pd.DataFrame, columns: list[str], y: np.ndarray, proba: np.ndarray,
                  threshold: float) -> list[SliceColumn]:
    """One entry per column the test data has: its slices' metrics and, per metric, the
    best and worst slice and the gap between them (see :func:`missing_slices` for the rest).
    """
    columns = [c for c in columns if c in frame.columns]
    y = np.asarray(y)
    proba = np.asarray(proba)
    result: list[SliceColumn] = []
    for column in columns:
        labels = slice_labels(frame[column]).to_numpy()
        slices: list[SliceRow] = []
        for value in sorted(set(labels.tolist())):
            mask = labels == value
            positives = int(y[mask].sum())
            slices.append({"value": value, "rows": int(mask.sum()), "positives": positives,
                           "metrics": point_metrics(y[mask], proba[mask], threshold)})
        result.append({"column": column, "slices": slices, "summary": _summary(slices)})
    return result


def _summary(slices: list[SliceRow]) -> dict[str, SliceSummary]:
    """Per metric: the best and worst ranked slice and the gap between them."""
    summary: dict[str, SliceSummary] = {}
    ranked = [s for s in slices if s["rows"] >= MIN_RANKED_ROWS]
    for name, higher_is_better in METRICS.items():
        scored = [(value, s["value"]) for s in ranked
                  if (value := s["metrics"][name]) is not None]
        if not scored:
            continue
        ordered = sorted(scored, key=lambda pair: pair[0], reverse=higher_is_better)
        (best_value, best), (worst_value, worst) = ordered[0], ordered[-1]
        summary[name] = {"best": best, "best_value": best_value,
                         "worst": worst, "worst_value": worst_value,
                         "gap": abs(best_value - worst_value)}
    return summary


def worst_slice_metrics(slices: list[SliceColumn]) -> dict[str, float]:
    """Gate metrics over every sliced column: ``worst_slice_<m>`` and ``slice_gap_<m>``."""
    out: dict[str, float] = {}
    for name, higher_is_better in METRICS.items():
        worst = [c["summary"][name]["worst_value"] for c in slices if name in c["summary"]]
        gaps = [c["summary"][name]["gap"] for c in slices if name in c["summary"]]
        if worst:
            out[f"worst_slice_{name}"] = min(worst) if higher_is_better else max(worst)
            out[f"slice_gap_{name}"] = max(gaps)
    return out
