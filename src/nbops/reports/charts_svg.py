"""Trend charts of a metric across runs, as small inline SVG line charts.

Runs are plotted oldest to newest at even spacing (run ids are time-sortable);
each point carries a tooltip with the run id and value and, when given, links
to the run's page. Failed runs' points are drawn hollow and red.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nbops.reports.markup import esc, fmt_number

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


def trend_svg(name: str, points: list[Point], thresholds: tuple[Threshold, ...] = ()) -> str:
    """Return an ``<svg>`` line chart of ``points`` (oldest first) for metric ``name``.

    ``thresholds`` are drawn as dashed labelled lines, and kept inside the plot.
    """
    finite = [p for p in points if math.isfinite(p.value)]
    lines = [t for t in thresholds if math.isfinite(t.value)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbops-chart" role="img" '
        f'aria-label="trend of {esc(name)}" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="system-ui, sans-serif" font-size="10">'
    ]
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#f6f8fa" '
        'stroke="#d0d7de"/>'
    )
    if not finite:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data</text>')
        return "".join(parts) + "</svg>"
    lo = min([p.value for p in finite] + [t.value for t in lines])
    hi = max([p.value for p in finite] + [t.value for t in lines])
    pad = (hi - lo) * 0.08 or (abs(hi) * 0.05 or 1.0)
    lo, hi = lo - pad, hi + pad

    def sx(i: int) -> float:
        return LEFT + (plot_w / 2 if len(finite) == 1 else plot_w * i / (len(finite) - 1))

    def sy(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    for tick in _ticks(lo, hi):
        y = sy(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#57606a">'
            f"{fmt_number(tick)}</text>"
        )
    for threshold in lines:
        y = sy(threshold.value)
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{threshold.colour}" stroke-width="1.5" '
            f'stroke-dasharray="5 3"><title>{esc(threshold.label)}: '
            f"{fmt_number(threshold.value)}</title></line>"
            f'<text x="{LEFT + plot_w - 3}" y="{y - 3:.1f}" text-anchor="end" '
            f'fill="{threshold.colour}">{esc(threshold.label)}</text>'
        )
    coords = [(sx(i), sy(p.value)) for i, p in enumerate(finite)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#0969da" stroke-width="2"/>')
    for (x, y), point in zip(coords, finite, strict=True):
        failed = point.status in ("failed", "interrupted")
        gated = point.status == "gated"
        fill = "#ffffff" if failed else ("#bf8700" if gated else "#0969da")
        stroke = "#cf222e" if failed else ("#bf8700" if gated else "#0969da")
        when = f" ({esc(point.when)} UTC)" if point.when else ""
        dot = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5" data-status="{esc(point.status)}"><title>{esc(point.run_id)}'
            f"{when}: {esc(name)} = {fmt_number(point.value)} [{esc(point.status)}]"
            f"</title></circle>"
        )
        parts.append(f'<a href="{esc(point.href)}">{dot}</a>' if point.href else dot)
    first = finite[0].when or finite[0].run_id[:8]
    last = finite[-1].when or finite[-1].run_id[:8]
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 20}" fill="#57606a">{esc(first)}</text>'
        f'<text x="{LEFT + plot_w}" y="{HEIGHT - 20}" text-anchor="end" fill="#57606a">'
        f"{esc(last)}</text>"
        f'<text class="axis-title" x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" '
        f'text-anchor="middle" fill="#57606a">run start, UTC ({len(finite)} runs)</text>'
        f'<text class="axis-title" x="10" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'fill="#57606a" transform="rotate(-90 10 {TOP + plot_h / 2})">{esc(name[:28])}</text>'
    )
    legend = [("#0969da", "#0969da", "succeeded")]
    if any(p.status == "gated" for p in finite):
        legend.append(("#bf8700", "#bf8700", "gated"))
    if any(p.status in ("failed", "interrupted") for p in finite):
        legend.append(("#ffffff", "#cf222e", "failed / interrupted"))
    x0 = LEFT + 4
    for fill, stroke, label in legend:
        parts.append(f'<g class="legend"><circle cx="{x0 + 4}" cy="{TOP - 11}" r="3.5" '
                     f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
                     f'<text x="{x0 + 11}" y="{TOP - 8}" fill="#57606a">{label}</text></g>')
        x0 += 14 + 6 * len(label)
    return "".join(parts) + "</svg>"
