"""Trend charts of a metric across runs, as small inline SVG line charts.

Runs are plotted oldest to newest at even spacing (run ids are time-sortable);
each point carries a tooltip with the run id and value and, when given, links
to the run's page. Failed runs' points are drawn hollow and red.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from nbops.reports._markup import fmt_number

WIDTH = 360
HEIGHT = 180
LEFT = 60
RIGHT = 12
TOP = 22
BOTTOM = 34


@dataclass(frozen=True)
class Point:
    """One run's value of a metric."""

    run_id: str
    value: float
    status: str = "succeeded"
    href: str | None = None
    when: str = ""  # the run's start, for the axis and the tooltip


def _ticks(lo: float, hi: float) -> list[float]:
    if hi == lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / 2))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= 4:
            step *= mult
            break
    start = math.ceil(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


@dataclass(frozen=True)
class Threshold:
    """A horizontal reference line, e.g. a monitoring warn or alert level."""

    label: str
    value: float
    colour: str = "#bf8700"


class Tick(TypedDict):
    """A labelled y grid line."""

    y: str
    label_y: str
    label: str


class ThresholdLine(TypedDict):
    """A dashed reference line and its label."""

    y: str
    label_y: str
    colour: str
    label: str
    value: str


class PointMark(TypedDict):
    """One run's point on a trend chart, with its tooltip and link."""

    x: str
    y: str
    status: str
    href: str | None
    fill: str
    stroke: str
    title: str


class LegendItem(TypedDict):
    """One entry of a trend chart's legend."""

    x: int
    fill: str
    stroke: str
    label: str


class _Frame(TypedDict):
    name: str
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    right_x: int
    ticks: NotRequired[list[Tick]]
    first: NotRequired[str]
    last: NotRequired[str]


class TrendChart(_Frame):
    """The geometry ``trend.svg.j2``'s ``trend`` macro draws (only the frame when empty)."""

    points: list[PointMark]
    thresholds: NotRequired[list[ThresholdLine]]
    line: NotRequired[str]
    legend: NotRequired[list[LegendItem]]


class CurveLine(TypedDict):
    """One curve of a learning-curve chart."""

    label: str
    colour: str
    count: int
    points: str
    end_x: str
    end_y: str
    title: str
    legend_x: int


class CurveChart(_Frame):
    """The geometry ``trend.svg.j2``'s ``curve`` macro draws (only the frame when empty)."""

    lines: list[CurveLine]


def trend_chart(name: str, points: list[Point],
                thresholds: tuple[Threshold, ...] = ()) -> TrendChart:
    """The geometry of a trend chart (numbers and plain strings) for ``trend.svg.j2``."""
    finite = [p for p in points if math.isfinite(p.value)]
    lines = [t for t in thresholds if math.isfinite(t.value)]
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    chart: TrendChart = {"name": name, "width": WIDTH, "height": HEIGHT, "left": LEFT,
                         "top": TOP, "plot_w": plot_w, "plot_h": plot_h,
                         "right_x": LEFT + plot_w, "points": []}
    if not finite:
        return chart
    lo = min([p.value for p in finite] + [t.value for t in lines])
    hi = max([p.value for p in finite] + [t.value for t in lines])
    pad = (hi - lo) * 0.08 or (abs(hi) * 0.05 or 1.0)
    lo, hi = lo - pad, hi + pad

    def sx(i: int) -> float:
        return LEFT + (plot_w / 2 if len(finite) == 1 else plot_w * i / (len(finite) - 1))

    def sy(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    chart["ticks"] = [{"y": f"{sy(t):.1f}", "label_y": f"{sy(t) + 3:.1f}",
                       "label": fmt_number(t)} for t in _ticks(lo, hi)]
    chart["thresholds"] = [{"y": f"{sy(t.value):.1f}", "label_y": f"{sy(t.value) - 3:.1f}",
                            "colour": t.colour, "label": t.label,
                            "value": fmt_number(t.value)} for t in lines]
    coords = [(sx(i), sy(p.value)) for i, p in enumerate(finite)]
    chart["line"] = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    for (x, y), point in zip(coords, finite, strict=True):
        failed = point.status in ("failed", "interrupted")
        gated = point.status == "gated"
        when = f" ({point.when} UTC)" if point.when else ""
        chart["points"].append({
            "x": f"{x:.1f}", "y": f"{y:.1f}", "status": point.status, "href": point.href,
            "fill": "#ffffff" if failed else ("#bf8700" if gated else "#0969da"),
            "stroke": "#cf222e" if failed else ("#bf8700" if gated else "#0969da"),
            "title": f"{point.run_id}{when}: {name} = {fmt_number(point.value)} "
                     f"[{point.status}]"})
    chart["first"] = finite[0].when or finite[0].run_id[:8]
    chart["last"] = finite[-1].when or finite[-1].run_id[:8]
    legend = [("#0969da", "#0969da", "succeeded")]
    if any(p.status == "gated" for p in finite):
        legend.append(("#bf8700", "#bf8700", "gated"))
    if any(p.status in ("failed", "interrupted") for p in finite):
        legend.append(("#ffffff", "#cf222e", "failed / interrupted"))
    x0 = LEFT + 4
    chart["legend"] = []
    for fill, stroke, label in legend:
        chart["legend"].append({"x": x0, "fill": fill, "stroke": stroke, "label": label})
        x0 += 14 + 6 * len(label)
    return chart


def trend_svg(name: str, points: list[Point], thresholds: tuple[Threshold, ...] = ()) -> str:
    """Return an ``<svg>`` line chart of ``points`` (oldest first) for metric ``name``.

    ``thresholds`` are drawn as dashed labelled lines, and kept inside the plot. The
    markup is the ``trend.svg.j2`` macro (autoescaped); this module computes positions.
    """
    from nbops.reports._templates_env import macro

    return str(macro("trend.svg.j2", "trend")(trend_chart(name, points, thresholds)))


#: Line colours of overlaid curves, run A first (the compare page's compare.js uses the same).
CURVE_COLOURS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#0a3069")


@dataclass(frozen=True)
class Curve:
    """One metric logged with a step: its steps (increasing) and values."""

    label: str
    steps: tuple[int, ...]
    values: tuple[float, ...]


def curve_chart(name: str, curves: list[Curve]) -> CurveChart:
    """The geometry of a learning-curve chart (x = step) for ``curve.svg.j2``.

    Each curve is one polyline in :data:`CURVE_COLOURS` order, all on one scale, so
    two runs' curves overlay; x is the step number itself, not the point's index.
    """
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    chart: CurveChart = {"name": name, "width": WIDTH, "height": HEIGHT, "left": LEFT,
                         "top": TOP, "plot_w": plot_w, "plot_h": plot_h,
                         "right_x": LEFT + plot_w, "lines": []}
    kept = [[(s, v) for s, v in zip(c.steps, c.values, strict=True) if math.isfinite(v)]
            for c in curves]
    points = [p for pairs in kept for p in pairs]
    if not points:
        return chart
    x_lo, x_hi = min(s for s, _ in points), max(s for s, _ in points)
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    pad = (hi - lo) * 0.08 or (abs(hi) * 0.05 or 1.0)
    lo, hi = lo - pad, hi + pad

    def sx(step: float) -> float:
        return LEFT + (plot_w / 2 if x_hi == x_lo else plot_w * (step - x_lo) / (x_hi - x_lo))

    def sy(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    chart["ticks"] = [{"y": f"{sy(t):.1f}", "label_y": f"{sy(t) + 3:.1f}",
                       "label": fmt_number(t)} for t in _ticks(lo, hi)]
    chart["first"], chart["last"] = str(x_lo), str(x_hi)
    x0 = LEFT + 4
    for index, (curve, pairs) in enumerate(zip(curves, kept, strict=True)):
        if not pairs:
            continue
        colour = CURVE_COLOURS[index % len(CURVE_COLOURS)]
        last_step, last_value = pairs[-1]
        chart["lines"].append({
            "label": curve.label, "colour": colour, "count": len(pairs),
            "points": " ".join(f"{sx(s):.1f},{sy(v):.1f}" for s, v in pairs),
            "end_x": f"{sx(last_step):.1f}", "end_y": f"{sy(last_value):.1f}",
            "title": f"{curve.label}: {name} = {fmt_number(last_value)} at step {last_step}",
            "legend_x": x0})
        x0 += 14 + 6 * len(curve.label)
    return chart


def curve_svg(name: str, curves: list[Curve]) -> str:
    """Return an ``<svg>`` chart of ``curves`` of metric ``name`` (the ``curve`` macro)."""
    from nbops.reports._templates_env import macro

    return str(macro("trend.svg.j2", "curve")(curve_chart(name, curves)))
