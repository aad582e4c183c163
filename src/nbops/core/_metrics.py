"""Binary-classification metrics, one implementation for every feature that measures a model.

The registry scores candidates and champions with them (``roc_auc, pr_auc,
f1, brier``) and monitoring measures live performance with them, so a gate and
a drift alert compare numbers computed the same way. Plain numpy (scipy for
ranks): no scikit-learn import, and the same values scikit-learn's
``roc_auc_score``, ``average_precision_score``, ``f1_score`` and
``brier_score_loss`` give.
"""

from __future__ import annotations

import numpy as np

#: The metrics :func:`classification_metrics` returns.
CLASSIFICATION_METRICS = ("roc_auc", "pr_auc", "f1", "brier")


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks)."""
    from scipy import stats

    ranks = stats.rankdata(scores)
    positives = int(labels.sum())
    negatives = labels.size - positives
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision–recall curve (step-wise, as scikit-learn computes it)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_labels.size - 1]
    true_pos = np.cumsum(sorted_labels)[last_of_tie]
    predicted = last_of_tie + 1
    precision = true_pos / predicted
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def f1(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> float:
    """F1 of predicting positive at ``scores >= threshold`` (0.0 when nothing is positive)."""
    predicted = scores >= threshold
    actual = labels == 1
    true_pos = int(np.sum(predicted & actual))
    denominator = int(np.sum(predicted)) + int(np.sum(actual))
    return 2 * true_pos / denominator if denominator else 0.0


def brier(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mean squared difference between the scores and the 0/1 labels."""
    return float(np.mean((scores - labels) ** 2))


def classification_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), F1 at 0.5 and the Brier score.

    Args:
        labels: 0/1 labels holding both classes.
        scores: Positive-class probabilities for the same rows.
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    return {
        "roc_auc": float(roc_auc(labels, scores)),
        "pr_auc": average_precision(labels, scores),
        "f1": float(f1(labels, scores)),
        "brier": brier(labels, scores),
    }
