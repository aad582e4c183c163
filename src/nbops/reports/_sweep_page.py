"""A sweep's page, ``reports/sweeps/<name>/index.html``: trials, and a plot per parameter.

Rendered from the sweep record (plain data handed over by the command that runs
the sweep) and the run index, with Jinja2 templates that escape every value.
Each plot is an inline SVG scatter of one parameter against the objective
(``scatter.svg.j2``: this module only computes the positions), with axis titles
and a hover title per point; nothing is loaded from the network.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from nbops.contracts import SweepRecord
from nbops.core import Project, atomic_write_text
from nbops.reports._markup import STATUS_LABELS, asset, fmt_duration, fmt_number

_W, _H, _PAD = 360, 240, 48


@cache
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("nbops.reports", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    return env.get_template("sweep.html.j2")


def _positions(values: list[Any]) -> tuple[list[float], list[str] | None]:
    """x positions: numbers as they are, anything else by category (with its labels)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    labels = sorted({str(v) for v in values})
    return [float(labels.index(str(v))) for v in values], labels


class _Dot(TypedDict):
    cx: str
    cy: str
    title: str


class _XTick(TypedDict):
    x: str
    label: str


class _YTick(TypedDict):
    y: str
    label: str


class ScatterChart(TypedDict):
    """What ``scatter.svg.j2`` draws: one parameter (x) against the objective (y)."""

    width: int
    height: int
    pad: int
    key: str
    metric: str
    dots: list[_Dot]
    x_ticks: list[_XTick]
    y_ticks: list[_YTick]


def scatter(key: str, metric: str, points: list[tuple[Any, float, int]]) -> ScatterChart | None:
    """Geometry of one parameter (x) against the objective (y), for ``scatter.svg.j2``.

    ``points`` are (value, objective, trial); None when there is nothing to plot.
    Only numbers and plain strings: the template writes (and escapes) the markup.
    """
    if not points:
        return None
    xs, labels = _positions([p[0] for p in points])
    ys = [p[1] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    x_span = (x_hi - x_lo) or 1.0
    y_span = (y_hi - y_lo) or abs(y_hi) * 0.01 or 1.0

    def sx(x: float) -> str:
        return f"{_PAD + (x - x_lo + x_span * 0.05) / (x_span * 1.1) * (_W - _PAD - 12):.1f}"

    def sy(y: float) -> str:
        top = (y - y_lo + y_span * 0.05) / (y_span * 1.1) * (_H - _PAD - 8)
        return f"{_H - _PAD + 8 - top:.1f}"

    if labels is None:
        x_ticks = [(x_lo, fmt_number(x_lo)), (x_hi, fmt_number(x_hi))]
    else:
        x_ticks = [(float(i), label) for i, label in enumerate(labels)]
    return {
        "width": _W, "height": _H, "pad": _PAD, "key": key, "metric": metric,
        "dots": [{"cx": sx(x), "cy": sy(y),
                  "title": f"trial {n}: {key}={value}, {metric}={fmt_number(y)}"}
                 for (value, y, n), x in zip(points, xs, strict=True)],
        "x_ticks": [{"x": sx(x), "label": str(text)} for x, text in x_ticks],
        "y_ticks": [{"y": f"{float(sy(y)) + 4:.1f}", "label": fmt_number(y)}
                    for y in sorted({y_lo, y_hi})],
    }


def render_sweep_page(record: SweepRecord, run_prefix: str = "../../runs/",
                      live: bool = False) -> str:
    """The sweep page's HTML (links to runs relative to ``reports/sweeps/<name>/``).

    ``live``: the sweep is running; the page reloads itself (the live marks of
    :mod:`nbops.reports._live`) until the sweep's last render.
    """
    from markupsafe import Markup

    from nbops.core import utc_now_iso
    from nbops.reports._live import live_marks

    marks = live_marks("running", utc_now_iso(), "sweep") if live else {"head": "", "banner": ""}
    metric = record["objective"]["metric"]
    sign = -1.0 if record["objective"]["direction"] == "maximize" else 1.0
    trials = sorted(record["trials"], key=lambda t: (
        t["value"] is None, sign * (t["value"] if t["value"] is not None else 0.0),
        t["number"]))
    keys = list(record["space"])
    scored = [(t["value"], t) for t in record["trials"] if t["value"] is not None
              and isinstance(t["value"], int | float) and math.isfinite(t["value"])]
    plots = [scatter(key, metric, [(t["params"].get(key), float(value), t["number"])
                                   for value, t in scored]) for key in keys]
    ranked = [t["run_id"] for t in trials if t["status"] == "succeeded" and t["run_id"]][:3]
    compare = f"nbops compare {' '.join(ranked)}" if len(ranked) >= 2 else ""
    html: str = _template().render(
        sweep=record, trials=trials, keys=keys, plots=[p for p in plots if p],
        best=record["best"], finished=sum(t["status"] in ("succeeded", "failed", "gated")
                                          for t in record["trials"]),
        fmt=lambda v: "-" if v is None else fmt_number(v), duration=fmt_duration,
        run_href=lambda run_id: f"{run_prefix}{run_id}/index.html", site_href="../../index.html",
        known_status=set(STATUS_LABELS) | {"pending"}, css=asset("report.css"),
        compare_command=compare, live_head=Markup(marks["head"]),
        live_banner=Markup(marks["banner"]))
    return html


def write_sweep_page(project: Project, record: SweepRecord, live: bool = False) -> Path:
    """Write ``reports/sweeps/<name>/index.html`` (``live``: while the sweep runs)."""
    path = Path(project.reports_dir, "sweeps", record["name"], "index.html")
    atomic_write_text(path, render_sweep_page(record, live=live), durable=False)
    return path
