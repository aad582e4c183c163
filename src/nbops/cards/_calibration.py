"""Calibration: do predicted probabilities match observed rates? Reliability bins and Brier."""

from __future__ import annotations

import numpy as np

from nbops.contracts import Calibration, CalibrationBin

BINS = 10


def calibration(y: np.ndarray, proba: np.ndarray, bins: int = BINS) -> Calibration:
    """Equal-width reliability bins, the Brier score and the expected calibration error.

    Each bin: its probability range, rows, mean predicted probability and
    observed positive rate (empty bins are left out). The expected calibration
    error is the rows-weighted mean of ``|observed - predicted|`` over bins.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    index = np.minimum((p * bins).astype(np.intp), bins - 1)
    rows = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    observed = np.bincount(index, weights=y, minlength=bins)
    out: list[CalibrationBin] = []
    error = 0.0
    for b in np.flatnonzero(rows):
        mean_p, rate = predicted[b] / rows[b], observed[b] / rows[b]
        error += rows[b] * abs(rate - mean_p)
        out.append({"low": b / bins, "high": (b + 1) / bins, "rows": int(rows[b]),
                    "mean_predicted": float(mean_p), "observed_rate": float(rate)})
    return {"bins": out, "brier": float(np.mean((p - y) ** 2)),
            "expected_calibration_error": float(error / max(len(p), 1))}
