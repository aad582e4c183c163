"""Live performance of the champion on a labelled batch, against its reference metrics.

The metrics themselves are :mod:`nbops.core._metrics` (the registry scores
with the same functions). The ROC AUC drop is tested one-sided against the
sampling noise of both AUCs (Hanley & McNeil's standard error, from the
positives and negatives behind each), then graded by the ``auc_drop_*``
floors. Other live metrics are reported next to their reference values when
the registry recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from nbops.contracts import PerformanceRecord
from nbops.core import average_precision, brier, roc_auc
from nbops.monitoring._status import OK, graded


@dataclass
class PerformanceCheck:
    """Live ROC AUC (and friends) against the champion's reference.

    Attributes:
        rows: Labelled rows scored.
        positives: Positive labels among them.
        live: Live metrics (``roc_auc``, ``pr_auc``, ``brier``, ``positive_rate``).
        reference: The champion's reference metrics (same names, when known).
        roc_auc_drop: Reference minus live ROC AUC (``None`` when not computable).
        pvalue: One-sided p-value of that drop.
        status: ``ok``, ``warn`` or ``alert``.
        reasons: Why the status is not ``ok``, or why nothing was tested.
    """

    rows: int
    positives: int
    live: dict[str, float] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=dict)
    roc_auc_drop: float | None = None
    pvalue: float | None = None
    status: str = OK
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> PerformanceRecord:
        """A JSON-ready mapping."""
        return {
            "rows": self.rows,
            "positives": self.positives,
            "live": dict(self.live),
            "reference": dict(self.reference),
            "roc_auc_drop": self.roc_auc_drop,
            "pvalue": self.pvalue,
            "status": self.status,
            "reasons": list(self.reasons),
        }


def auc_variance(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil (1982) sampling variance of a ROC AUC."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    numerator = (
        auc * (1 - auc)
        + (positives - 1) * (q1 - auc * auc)
        + (negatives - 1) * (q2 - auc * auc)
    )
    return max(numerator / (positives * negatives), 0.0)


def check_performance(
    labels: np.ndarray,
    scores: np.ndarray,
    reference: dict[str, float],
    reference_counts: tuple[int, int] | None,
    alpha_each: float,
    warn_floor: float,
    alert_floor: float,
) -> PerformanceCheck:
    """Compare live metrics on a labelled batch with the champion's reference.

    Args:
        labels: 0/1 labels (rows with a missing label already dropped).
        scores: The champion's positive-class scores for the same rows.
        reference: Reference metrics; ``roc_auc`` is the one tested.
        reference_counts: ``(positives, negatives)`` behind the reference metrics.
        alpha_each: Significance level of the drop test.
        warn_floor: ROC AUC drop that warns.
        alert_floor: ROC AUC drop that alerts.
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    positives = int(labels.sum())
    negatives = labels.size - positives
    check = PerformanceCheck(rows=int(labels.size), positives=positives)
    check.reference = {k: float(v) for k, v in reference.items() if k in _LIVE_METRICS}
    if positives == 0 or negatives == 0:
        check.reasons.append("labels hold a single class; ROC AUC is undefined for this batch")
        check.live["positive_rate"] = positives / labels.size if labels.size else 0.0
        return check
    auc = roc_auc(labels, scores)
    check.live = {
        "roc_auc": auc,
        "pr_auc": average_precision(labels, scores),
        "brier": brier(labels, scores),
        "positive_rate": positives / labels.size,
    }
    if "roc_auc" not in check.reference:
        check.reasons.append("the champion has no reference roc_auc to compare with")
        return check
    ref_auc = check.reference["roc_auc"]
    drop = ref_auc - auc
    variance = auc_variance(auc, positives, negatives)
    if reference_counts is not None and min(reference_counts) > 0:
        variance += auc_variance(ref_auc, *reference_counts)
    se = np.sqrt(variance)
    check.roc_auc_drop = drop
    check.pvalue = float(stats.norm.sf(drop / se)) if se > 0 else float(drop <= 0)
    check.status = graded(check.pvalue < alpha_each, drop, warn_floor, alert_floor)
    if check.status != OK:
        check.reasons.append(f"live ROC AUC {auc:.3f} vs {ref_auc:.3f} reference")
    return check


_LIVE_METRICS = ("roc_auc", "pr_auc", "brier", "positive_rate")
