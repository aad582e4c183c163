"""Population Stability Index on reference-quantile bins, with a sample-size aware test.

Numeric values are binned once on the reference's quantiles (``np.searchsorted``
then ``np.bincount``); categories use one bin each. PSI is
``sum((q - p) * ln(q / p))`` over the bins, with ``p`` the reference share and
``q`` the batch share.

PSI is noisy: two samples of the *same* distribution, of sizes ``n`` and ``m``,
give ``PSI ≈ (1/n + 1/m) · χ²(B − 1)`` for ``B`` bins (for small differences
``(q − p) ln(q / p) ≈ (q − p)² / p``, the chi-square homogeneity statistic).
:func:`psi_pvalue` uses that, so a PSI of 0.02 is noise at 500 rows and a clear
change at 50,000.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Pseudo-count added to every bin before taking shares: keeps ln(q/p) finite
# when a bin is empty in one sample, and is negligible once bins hold a few rows.
SMOOTHING = 0.5


def quantile_edges(sorted_values: np.ndarray, bins: int) -> np.ndarray:
    """Interior bin edges at the reference's quantiles (duplicates merged).

    Args:
        sorted_values: The reference's non-null values, sorted ascending.
        bins: The wanted number of bins; discrete features get fewer.

    Returns:
        Strictly increasing edges; ``len(edges) + 1`` bins.
    """
    if sorted_values.size == 0:
        return np.empty(0, dtype=np.float64)
    qs = np.arange(1, bins) / bins
    idx = np.minimum((qs * sorted_values.size).astype(np.int64), sorted_values.size - 1)
    return np.unique(sorted_values[idx])


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Count non-null ``values`` per bin: bin ``i`` holds ``edges[i-1] <= x < edges[i]``."""
    idx = np.searchsorted(edges, values, side="right")
    return np.bincount(idx, minlength=edges.size + 1)


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """PSI between two count vectors over the same bins (0 when either sample is empty)."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    if ref.sum() == 0 or cur.sum() == 0:
        return 0.0
    used = (ref + cur) > 0
    ref, cur = ref[used] + SMOOTHING, cur[used] + SMOOTHING
    p, q = ref / ref.sum(), cur / cur.sum()
    return float(np.sum((q - p) * np.log(q / p)))


def psi_pvalue(value: float, n_reference: int, n_current: int, n_bins: int) -> float:
    """Probability of a PSI at least this large when nothing changed.

    Args:
        value: The observed PSI.
        n_reference: Rows in the reference sample.
        n_current: Rows in the batch.
        n_bins: Bins used by either sample (empty-in-both bins excluded).
    """
    if n_reference == 0 or n_current == 0 or n_bins < 2:
        return 1.0
    scale = 1.0 / n_reference + 1.0 / n_current
    return float(stats.chi2.sf(value / scale, df=n_bins - 1))


def psi_noise(n_reference: int, n_current: int, n_bins: int) -> float:
    """The PSI two same-distribution samples of these sizes show on average.

    Subtracted from the observed PSI before it is compared with the effect
    floors, so that a 1,000-row batch is not flagged for its sampling noise and
    the same shift grades the same at any sample size.
    """
    if n_reference == 0 or n_current == 0 or n_bins < 2:
        return 0.0
    return (n_bins - 1) * (1.0 / n_reference + 1.0 / n_current)


def used_bins(reference_counts: np.ndarray, current_counts: np.ndarray) -> int:
    """How many bins hold at least one row of either sample."""
    return int(np.count_nonzero((np.asarray(reference_counts) + np.asarray(current_counts)) > 0))
