"""Per-feature drift of a batch against the reference profile.

Numeric features: PSI on the reference's quantile bins, the two-sample KS
test, and the missing-rate change. Categorical features: PSI over the known
categories, the share of rows holding categories the champion never saw, and
the missing-rate change. The champion's scores get the numeric treatment
(prediction drift).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nbops.contracts import DriftRecord
from nbops.monitoring._drift_tests import DriftTest, run_tests
from nbops.monitoring._ks import ks_pvalue, ks_statistic
from nbops.monitoring._profile import CategoricalReference, NumericReference, category_codes
from nbops.monitoring._psi import psi, psi_noise, psi_pvalue, used_bins
from nbops.monitoring._status import OK, graded, worst
from nbops.monitoring._thresholds import Thresholds

# Statistical tests each kind of check runs (for the Bonferroni split of alpha).
TESTS_PER_NUMERIC = 3  # PSI, KS, missing rate
TESTS_PER_CATEGORICAL = 2  # PSI, missing rate
TESTS_PER_PREDICTION = 2  # PSI, KS
MAX_UNSEEN_LISTED = 10


@dataclass
class FeatureDrift:
    """Drift of one feature (or of the champion's scores).

    Attributes:
        name: Feature name (``prediction`` for the scores).
        kind: ``numeric``, ``categorical`` or ``prediction``.
        rows: Batch rows checked.
        psi: Population Stability Index (0 = same distribution).
        psi_noise: The PSI expected from sampling noise alone at these sample sizes;
            ``psi - psi_noise`` is what the effect floors are compared with.
        psi_pvalue: Chance of a PSI this large with no drift.
        ks: Two-sample KS statistic (numeric and prediction only).
        ks_pvalue: Its p-value.
        missing_reference: Missing rate in the reference.
        missing_current: Missing rate in the batch.
        missing_pvalue: Two-proportion test of the missing-rate change.
        unseen_share: Share of batch rows with categories unknown to the champion.
        unseen_values: Up to ten of those categories.
        status: ``ok``, ``warn`` or ``alert``.
        reasons: Why the status is not ``ok``, one short phrase each.
        tests: The added drift tests' values, by test name (:mod:`._drift_tests`).
    """

    name: str
    kind: str
    rows: int
    psi: float
    psi_noise: float
    psi_pvalue: float
    ks: float | None = None
    ks_pvalue: float | None = None
    missing_reference: float = 0.0
    missing_current: float = 0.0
    missing_pvalue: float = 1.0
    unseen_share: float = 0.0
    unseen_values: list[str] = field(default_factory=list)
    status: str = OK
    reasons: list[str] = field(default_factory=list)
    tests: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> DriftRecord:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "kind": self.kind,
            "rows": self.rows,
            "psi": self.psi,
            "psi_noise": self.psi_noise,
            "psi_pvalue": self.psi_pvalue,
            "ks": self.ks,
            "ks_pvalue": self.ks_pvalue,
            "missing_reference": self.missing_reference,
            "missing_current": self.missing_current,
            "missing_pvalue": self.missing_pvalue,
            "unseen_share": self.unseen_share,
            "unseen_values": list(self.unseen_values),
            "status": self.status,
            "reasons": list(self.reasons),
            "tests": dict(self.tests),
        }


def missing_rate_pvalue(rate_a: float, n_a: int, rate_b: float, n_b: int) -> float:
    """Two-sided two-proportion z-test of a missing-rate change."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (rate_a * n_a + rate_b * n_b) / (n_a + n_b)
    if pooled <= 0.0 or pooled >= 1.0:
        return 1.0
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return float(2 * stats.norm.sf(abs(rate_a - rate_b) / se))


def _missing_status(
    result: FeatureDrift, reference_rows: int, alpha_each: float, thresholds: Thresholds
) -> str:
    result.missing_pvalue = missing_rate_pvalue(
        result.missing_reference, reference_rows, result.missing_current, result.rows
    )
    change = abs(result.missing_current - result.missing_reference)
    status = graded(
        result.missing_pvalue < alpha_each,
        change,
        thresholds.missing_warn,
        thresholds.missing_alert,
    )
    if status != OK:
        result.reasons.append(
            f"missing rate {result.missing_reference:.1%} → {result.missing_current:.1%}"
        )
    return status


def numeric_drift(
    reference: NumericReference,
    values: np.ndarray,
    alpha_each: float,
    thresholds: Thresholds,
    kind: str = "numeric",
    tests: tuple[DriftTest, ...] = (),
) -> FeatureDrift:
    """Drift of one numeric column (NaN = missing) against its reference."""
    nan = np.isnan(values)
    present = np.sort(values[~nan])
    counts = np.diff(
        np.searchsorted(present, reference.edges, side="left"), prepend=0, append=present.size
    )
    value = psi(reference.counts, counts)
    n_ref = reference.sorted_values.size
    bins = used_bins(reference.counts, counts)
    d = ks_statistic(reference.sorted_values, present)
    result = FeatureDrift(
        name=reference.name,
        kind=kind,
        rows=int(values.size),
        psi=value,
        psi_noise=psi_noise(n_ref, present.size, bins),
        psi_pvalue=psi_pvalue(value, n_ref, present.size, bins),
        ks=d,
        ks_pvalue=ks_pvalue(d, n_ref, present.size),
        missing_reference=reference.missing_rate,
        missing_current=float(nan.mean()) if values.size else 0.0,
    )
    significant = min(result.psi_pvalue, result.ks_pvalue or 1.0) < alpha_each
    excess = value - result.psi_noise
    shape = graded(significant, excess, thresholds.psi_warn, thresholds.psi_alert)
    if shape != OK:
        result.reasons.append(f"PSI {value:.3f}, KS {d:.3f}")
    statuses = [shape]
    if kind != "prediction":
        statuses.append(_missing_status(result, reference.rows, alpha_each, thresholds))
    statuses += _added_tests(result, tests, reference, values, alpha_each, thresholds)
    result.status = worst(*statuses)
    return result


def _added_tests(result: FeatureDrift, tests: tuple[DriftTest, ...], reference: Any,
                 column: Any, alpha_each: float, thresholds: Thresholds) -> list[str]:
    """Run the added drift tests on one feature: their values and reasons go on ``result``;
    returns their statuses."""
    statuses = []
    for name, outcome in run_tests(tests, result.kind, reference, column, alpha_each,
                                   thresholds.extra):
        result.tests[name] = float(outcome.value)
        statuses.append(outcome.status)
        if outcome.status != OK and outcome.reason:
            result.reasons.append(outcome.reason)
    return statuses


def categorical_drift(
    reference: CategoricalReference,
    column: pd.Series,
    alpha_each: float,
    thresholds: Thresholds,
    tests: tuple[DriftTest, ...] = (),
) -> FeatureDrift:
    """Drift of one categorical column against the reference categories.

    Args:
        reference: The feature's reference.
        column: The batch's column.
        alpha_each: Per-test significance level.
        thresholds: Effect floors.
        tests: The added drift tests (:mod:`._drift_tests`).
    """
    codes = category_codes(column, reference.categories)
    rows = int(codes.size)
    known = codes[codes >= 0]
    counts = np.bincount(known, minlength=len(reference.categories))
    value = psi(reference.counts, counts)
    unseen = codes == -1
    n_ref = int(reference.counts.sum())
    bins = used_bins(reference.counts, counts)
    result = FeatureDrift(
        name=reference.name,
        kind="categorical",
        rows=rows,
        psi=value,
        psi_noise=psi_noise(n_ref, known.size, bins),
        psi_pvalue=psi_pvalue(value, n_ref, known.size, bins),
        missing_reference=reference.missing_rate,
        missing_current=float(np.mean(codes == -2)) if rows else 0.0,
        unseen_share=float(unseen.mean()) if rows else 0.0,
        unseen_values=sorted({str(v) for v in column[unseen].unique()})[:MAX_UNSEEN_LISTED],
    )
    shape = graded(
        result.psi_pvalue < alpha_each,
        value - result.psi_noise,
        thresholds.psi_warn,
        thresholds.psi_alert,
    )
    if shape != OK:
        result.reasons.append(f"PSI {value:.3f}")
    unseen_status = graded(
        result.unseen_share > 0,
        result.unseen_share,
        thresholds.unseen_warn,
        thresholds.unseen_alert,
    )
    if unseen_status != OK:
        shown = ", ".join(result.unseen_values[:3])
        result.reasons.append(f"{result.unseen_share:.1%} rows with unseen categories ({shown})")
    missing = _missing_status(result, reference.rows, alpha_each, thresholds)
    added = _added_tests(result, tests, reference, column, alpha_each, thresholds)
    result.status = worst(shape, unseen_status, missing, *added)
    return result
