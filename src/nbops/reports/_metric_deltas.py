"""Metric deltas of a run against a baseline (previous run, champion model)."""

from __future__ import annotations

import math
from typing import Any

from nbops.reports._markup import fmt_number


def delta(value: Any, baseline: Any) -> float | None:
    """``value - baseline`` when both are finite numbers, else ``None``."""
    numbers = (value, baseline)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers):
        return None
    if not all(math.isfinite(v) for v in numbers):
        return None
    return float(value) - float(baseline)


def delta_cell(value: Any, baseline: Any) -> str:
    """A table cell showing the signed change, with an arrow and percentage."""
    change = delta(value, baseline)
    if change is None:
        return _cell("muted", None, "\u2013")
    if abs(change) <= 1e-12 * max(1.0, abs(float(baseline))):  # float noise is no change
        return _cell("delta-same", None, "=")
    arrow, css = ("\u25b2", "delta-up") if change > 0 else ("\u25bc", "delta-down")
    pct = ""
    if baseline:
        share = change / abs(baseline) * 100
        pct = f" ({share:+.1f}%)" if abs(share) >= 1 else f" ({share:+.2f}%)"
    sign = "+" if change > 0 else "\u2212"
    return _cell(css, repr(change), f"{arrow} {sign}{_magnitude(abs(change))}{pct}")


def _cell(css: str, value: str | None, text: str) -> str:
    from nbops.reports._templates_env import macro

    return str(macro("markup.html.j2", "delta_cell")(css, value, text))


def _magnitude(value: float) -> str:
    """Four significant digits, never in scientific notation for everyday sizes."""
    if value >= 1e6 or value < 1e-6:
        return fmt_number(value)
    return f"{value:.4g}" if value < 1 else f"{value:,.4g}"
