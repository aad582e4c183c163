"""Metrics of a binary classifier and their bootstrap confidence intervals, vectorised.

A bootstrap resample is a vector of counts (how often each row was drawn), so
each metric is written once, for a matrix of row weights (one resample per
row of the matrix), and the point estimate is the same function with weight 1
on every row. Rows are sorted by score once; ROC AUC and average precision are
then sums over the groups of tied scores, computed for a block of resamples at
a time (``numpy`` only, no Python loop over rows or resamples inside a block).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Metrics the card measures, and whether a larger value is better.
METRICS: dict[str, bool] = {"roc_auc": True, "pr_auc": True, "f1": True, "brier": False}
_BLOCK_CELLS = 4_000_000  # resamples x rows per block: ~32 MB per float matrix


@dataclass(frozen=True)
class SortedScores:
    """Labels and scores sorted by descending score, with the tied-score groups' starts."""

    y: NDArray[np.float64]
    proba: NDArray[np.float64]
    order: NDArray[np.intp]
    starts: NDArray[np.intp]

    @classmethod
    def of(cls, y_true: NDArray[np.generic], proba: NDArray[np.generic]) -> SortedScores:
        """Sort once (descending score, stable) and find where each distinct score starts."""
        y = np.asarray(y_true, dtype=np.float64)
        p = np.asarray(proba, dtype=np.float64)
        order = np.argsort(-p, kind="stable")
        sorted_p = p[order]
        starts = np.flatnonzero(np.r_[True, sorted_p[1:] != sorted_p[:-1]])
        return cls(y=y, proba=p, order=order, starts=starts)


def weighted_metrics(scores: SortedScores, weights: NDArray[np.float64],
                     threshold: float) -> dict[str, NDArray[np.float64]]:
    """Each metric for each row of ``weights`` (shape ``(resamples, rows)``).

    Equal to scikit-learn's ``roc_auc_score``, ``average_precision_score``,
    ``f1_score`` (at ``threshold``) and ``brier_score_loss`` with
    ``sample_weight`` set to the row's weights. A resample with one class only
    has no ROC AUC or average precision (NaN).
    """
    y, p = scores.y, scores.proba
    pos_w = weights * y
    neg_w = weights - pos_w
    n_pos, n_neg = pos_w.sum(axis=1), neg_w.sum(axis=1)
    total = weights.sum(axis=1)
    # groups of tied scores, best score first
    pos_g = np.add.reduceat(pos_w[:, scores.order], scores.starts, axis=1)
    neg_g = np.add.reduceat(neg_w[:, scores.order], scores.starts, axis=1)
    neg_above = np.cumsum(neg_g, axis=1) - neg_g  # negatives scored higher than the group
    with np.errstate(invalid="ignore", divide="ignore"):
        # a positive beats every negative scored lower; ties count half
        wins = (pos_g * (n_neg[:, None] - neg_above - 0.5 * neg_g)).sum(axis=1)
        auc = wins / (n_pos * n_neg)
        tp = np.cumsum(pos_g, axis=1)
        fp = np.cumsum(neg_g, axis=1)
        precision = np.where(tp + fp > 0, tp / np.where(tp + fp > 0, tp + fp, 1), 0.0)
        ap = (pos_g * precision).sum(axis=1) / n_pos
        predicted = (p >= threshold).astype(np.float64)
        tp_t = pos_w @ predicted
        fp_t = neg_w @ predicted
        fn_t = n_pos - tp_t
        f1 = np.where(2 * tp_t + fp_t + fn_t > 0, 2 * tp_t / (2 * tp_t + fp_t + fn_t), 0.0)
        brier = (weights @ (p - y) ** 2) / total
    one_class = (n_pos == 0) | (n_neg == 0)
    auc[one_class] = np.nan
    ap[n_pos == 0] = np.nan
    return {"roc_auc": auc, "pr_auc": ap, "f1": f1, "brier": brier}


def point_metrics(y_true: NDArray[np.generic], proba: NDArray[np.generic],
                  threshold: float) -> dict[str, float | None]:
    """The metrics on every row once (``None`` where undefined: one class only)."""
    scores = SortedScores.of(y_true, proba)
    values = weighted_metrics(scores, np.ones((1, scores.y.size)), threshold)
    return {name: _number(value[0]) for name, value in values.items()}


def bootstrap_intervals(y_true: NDArray[np.generic], proba: NDArray[np.generic], *,
                        threshold: float, resamples: int, seed: int,
                        level: float = 0.95) -> dict[str, dict[str, float | None]]:
    """Point estimate and percentile bootstrap interval of each metric.

    Returns:
        ``{metric: {value, low, high, std}}``; ``low``/``high`` are the
        ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of the
        resampled values (resamples with one class only left out).
    """
    scores = SortedScores.of(y_true, proba)
    n = scores.y.size
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, _BLOCK_CELLS // max(n, 1)))
    parts: dict[str, list[NDArray[np.float64]]] = {name: [] for name in METRICS}
    done = 0
    while done < resamples:
        size = min(block, resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size) * n)[:, None]
        weights = np.bincount((draws + offsets).ravel(), minlength=size * n)
        values = weighted_metrics(scores, weights.reshape(size, n).astype(np.float64), threshold)
        for name in METRICS:
            parts[name].append(values[name])
        done += size
    point = point_metrics(y_true, proba, threshold)
    tail = (1 - level) / 2 * 100
    result: dict[str, dict[str, float | None]] = {}
    for name in METRICS:
        sample = np.concatenate(parts[name])
        sample = sample[~np.isnan(sample)]
        if sample.size == 0 or point[name] is None:
            result[name] = {"value": point[name], "low": None, "high": None, "std": None}
            continue
        low, high = np.percentile(sample, [tail, 100 - tail])
        result[name] = {"value": point[name], "low": float(low), "high": float(high),
                        "std": float(sample.std(ddof=1)) if sample.size > 1 else 0.0}
    return result


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
