"""Two-sample Kolmogorov–Smirnov test against a pre-sorted reference.

The reference is sorted once per profile and each batch column once. Both
empirical CDFs are right-continuous step functions, so the largest gap sits at
a distinct batch value (batch CDF above the reference) or just before one
(reference CDF above): one ``np.searchsorted`` of the batch's distinct values
into the reference gives both, plus a second search only for values that also
occur in the reference (ties). The statistic equals
:func:`scipy.stats.ks_2samp`'s; the p-value is scipy's asymptotic one
(``scipy.stats.kstwo`` at the effective sample size ``n·m / (n + m)``, as
``ks_2samp(method="asymp")``), switching to its large-sample limit
``scipy.stats.kstwobign`` above :data:`LARGE_N`, where the two agree.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Effective sample size above which the limiting Kolmogorov distribution is used
# (kstwo's exact tail costs tens of milliseconds per call there, for no gain).
LARGE_N = 10_000


def ks_statistic(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """Largest gap between the two empirical CDFs (0 when either sample is empty).

    Args:
        reference_sorted: Reference non-null values, sorted ascending.
        current_sorted: Batch non-null values, sorted ascending.
    """
    m, n = reference_sorted.size, current_sorted.size
    if m == 0 or n == 0:
        return 0.0
    # Distinct batch values: index of the last and first copy of each.
    last = np.flatnonzero(current_sorted[1:] != current_sorted[:-1])
    last = np.append(last, n - 1)
    values = current_sorted[last]
    below_count = np.empty_like(last)
    below_count[0] = 0
    below_count[1:] = last[:-1] + 1
    right = np.searchsorted(reference_sorted, values, side="right")
    # Integer arithmetic (counts scaled by n·m) avoids float temporaries.
    above = int(np.max((last + 1) * m - right * n))
    tied = right > 0
    tied[tied] = reference_sorted[right[tied] - 1] == values[tied]
    left = right
    if tied.any():
        left = right.copy()
        left[tied] = np.searchsorted(reference_sorted, values[tied], side="left")
    below = int(np.max(left * n - below_count * m))
    return max(above, below, 0) / (n * m)


def ks_pvalue(statistic: float, n_reference: int, n_current: int) -> float:
    """Asymptotic two-sided p-value of a two-sample KS statistic."""
    if n_reference == 0 or n_current == 0:
        return 1.0
    effective_n = n_reference * n_current / (n_reference + n_current)
    if effective_n > LARGE_N:
        p = stats.kstwobign.sf(statistic * np.sqrt(effective_n))
    else:
        p = stats.kstwo.sf(statistic, max(1, round(effective_n)))
    return float(np.clip(p, 0.0, 1.0))
