"""Metric deltas of a run against a baseline (previous run, champion model)."""

from __future__ import annotations

import math
from typing import Any

from nbops.reports.markup import fmt_number


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
        return '<td class="num muted">\u2013</td>'
    if change == 0:
        return '<td class="num delta-same">=</td>'
    arrow, css = ("\u25b2", "delta-up") if change > 0 else ("\u25bc", "delta-down")
    pct = f" ({change / abs(baseline) * 100:+.1f}%)" if baseline else ""
    sign = "+" if change > 0 else "\u2212"
    return (
        f'<td class="num {css}" data-value="{change!r}">{arrow} {sign}'
        f"{fmt_number(abs(change))}{pct}</td>"
    )
