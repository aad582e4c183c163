"""Metrics of a binary classifier and their bootstrap confidence intervals, vectorised.

Rows are grouped by distinct score once (sorted, best first). Every metric is
then a sum over those groups of how many positives and negatives each holds
(:func:`group_metrics`): a bootstrap resample is one ``bincount`` of the drawn
rows' (group, label) keys, for a block of resamples at a time (``numpy`` only,
no Python loop over rows or resamples inside a block), and the point estimate
is the same function on the counts of every row once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nbops.contracts import Interval

#: Metrics the card measures, and whether a larger value is better.
METRICS: dict[str, bool] = {"roc_auc": True, "pr_auc": True, "f1": True, "brier": False}
_BLOCK_CELLS = 4_000_000  # resamples x rows per block: ~32 MB per float matrix


#: distinct scores above which the bootstrap counts rows per score quantile (see SortedScores)
MAX_GROUPS = 1 << 16


@dataclass(frozen=True)
class SortedScores:
    """Labels and scores grouped by score, best score first.

    Each group holds rows of one distinct score (``exact``), or, when there are
    more than ``max_groups`` distinct scores, rows of one score quantile
    (split where the threshold falls, so F1 stays exact): ROC AUC and average
    precision of a resample then count two rows of the same quantile as tied,
    which moves them by at most the share of positive-negative pairs inside one
    quantile (≈ 1 / ``max_groups``). ``group_p`` is each group's (first) score,
    ``predicted`` whether its rows are predicted positive, and ``key`` each
    row's ``label * groups + group``: one bootstrap resample's counts per
    (label, group) are one ``bincount`` of ``key[draws]``.
    """

    y: NDArray[np.float64]
    proba: NDArray[np.float64]
    order: NDArray[np.intp]
    starts: NDArray[np.intp]
    group_p: NDArray[np.float64]
    predicted: NDArray[np.bool_]
    key: NDArray[np.intp]
    exact: bool

    @classmethod
    def of(cls, y_true: NDArray[np.generic], proba: NDArray[np.generic],
           threshold: float = 0.5, max_groups: int | None = None) -> SortedScores:
        """Sort once (descending score, stable) and find where each group starts."""
        y = np.asarray(y_true, dtype=np.float64)
        p = np.asarray(proba, dtype=np.float64)
        order = np.argsort(-p, kind="stable")
        sorted_p = p[order]
        new_group = np.r_[True, sorted_p[1:] != sorted_p[:-1]]
        exact = max_groups is None or int(new_group.sum()) <= max_groups
        if not exact:
            assert max_groups is not None
            # quantile of each distinct score's first row; a new group where either changes
            first = np.maximum.accumulate(np.where(new_group, np.arange(p.size), 0))
            quantile = first * max_groups // p.size
            below = sorted_p < threshold
            new_group = np.r_[True, (quantile[1:] != quantile[:-1]) | (below[1:] != below[:-1])]
        starts = np.flatnonzero(new_group)
        group = np.empty(p.size, dtype=np.intp)
        group[order] = np.cumsum(new_group) - 1
        key = (y > 0) * int(starts.size) + group
        return cls(y=y, proba=p, order=order, starts=starts, group_p=sorted_p[starts],
                   predicted=sorted_p[starts] >= threshold, key=key, exact=exact)

    @property
    def groups(self) -> int:
        """How many groups there are."""
        return int(self.starts.size)


def group_metrics(pos: NDArray[Any], neg: NDArray[Any], group_p: NDArray[np.float64],
                  predicted_groups: NDArray[np.bool_]) -> dict[str, NDArray[np.float64]]:
    """Each metric from positives and negatives per score group (shape ``(resamples, groups)``).

    All rows of a group share one score, so ROC AUC (ties count half), average
    precision, F1 (``predicted_groups``: the groups at or above the threshold) and
    the Brier score are sums over groups (Brier only when groups are exact scores).
    """
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    seen_neg = np.cumsum(neg, axis=1)  # negatives scored at least as high as the group
    tp = np.cumsum(pos, axis=1)
    predicted = predicted_groups.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        # a positive beats every negative scored lower; ties count half
        below = n_neg[:, None] - seen_neg + 0.5 * neg
        auc = np.einsum("ij,ij->i", pos, below) / (n_pos * n_neg)
        seen = tp + seen_neg
        precision = np.divide(tp, seen, out=np.zeros(tp.shape), where=seen > 0)
        ap = np.einsum("ij,ij->i", pos, precision) / n_pos
        tp_t, fp_t = pos @ predicted, neg @ predicted
        denominator = tp_t + n_pos + fp_t  # 2 tp + fp + fn
        f1 = np.divide(2 * tp_t, denominator, out=np.zeros(tp_t.shape), where=denominator > 0)
        brier = (pos @ (1 - group_p) ** 2 + neg @ group_p**2) / (n_pos + n_neg)
    auc[(n_pos == 0) | (n_neg == 0)] = np.nan
    ap[n_pos == 0] = np.nan
    return {"roc_auc": auc, "pr_auc": ap, "f1": f1, "brier": brier}


def weighted_metrics(scores: SortedScores,
                     weights: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Each metric for each row of ``weights`` (shape ``(resamples, rows)``).

    Equal to scikit-learn's ``roc_auc_score``, ``average_precision_score``,
    ``f1_score`` (at the threshold ``scores`` were grouped with) and ``brier_score_loss`` with
    ``sample_weight`` set to the row's weights. A resample with one class only
    has no ROC AUC or average precision (NaN).
    """
    pos_w = (weights * scores.y)[:, scores.order]
    neg_w = weights[:, scores.order] - pos_w
    pos = np.add.reduceat(pos_w, scores.starts, axis=1)
    neg = np.add.reduceat(neg_w, scores.starts, axis=1)
    return group_metrics(pos, neg, scores.group_p, scores.predicted)


def _resampled_counts(scores: SortedScores, draws: NDArray[np.integer[Any]]
                      ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Positives and negatives per score group of each resample (``draws``: row indices)."""
    size, width = draws.shape[0], 2 * scores.groups
    keys = scores.key[draws]
    keys += (np.arange(size, dtype=keys.dtype) * width)[:, None]
    counts = np.bincount(keys.ravel(), minlength=size * width).reshape(size, 2, scores.groups)
    return counts[:, 1, :], counts[:, 0, :]


def point_metrics(y_true: NDArray[np.generic], proba: NDArray[np.generic],
                  threshold: float) -> dict[str, float | None]:
    """The metrics on every row once (``None`` where undefined: one class only)."""
    scores = SortedScores.of(y_true, proba, threshold)
    values = weighted_metrics(scores, np.ones((1, scores.y.size)))
    return {name: _number(value[0]) for name, value in values.items()}


def bootstrap_intervals(y_true: NDArray[np.generic], proba: NDArray[np.generic], *,
                        threshold: float, resamples: int, seed: int,
                        level: float = 0.95) -> dict[str, Interval]:
    """Point estimate and percentile bootstrap interval of each metric.

    Returns:
        ``{metric: {value, low, high, std}}``; ``low``/``high`` are the
        ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of the
        resampled values (resamples with one class only left out).
    """
    scores = SortedScores.of(y_true, proba, threshold, MAX_GROUPS)
    squared = (scores.proba - scores.y) ** 2
    n = scores.y.size
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, _BLOCK_CELLS // max(n, 1)))
    parts: dict[str, list[NDArray[np.float64]]] = {name: [] for name in METRICS}
    done = 0
    while done < resamples:
        size = min(block, resamples - done)
        draws = rng.integers(0, n, size=(size, n), dtype=np.int32 if n < 2**31 else np.int64)
        pos, neg = _resampled_counts(scores, draws)
        values = group_metrics(pos, neg, scores.group_p, scores.predicted)
        if not scores.exact:  # a quantile holds several scores: Brier from the rows
            values["brier"] = squared[draws].mean(axis=1)
        for name in METRICS:
            parts[name].append(values[name])
        done += size
    point = point_metrics(y_true, proba, threshold)
    tail = (1 - level) / 2 * 100
    result: dict[str, Interval] = {}
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
