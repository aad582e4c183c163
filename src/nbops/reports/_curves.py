"""Learning curves: metrics a run's notebooks logged with a step, read and drawn.

A task's ``curves`` manifest entry (``nbops.log_metric(name, value, step=i)``)
holds each metric's steps and values. The run page draws one chart per metric
(:func:`curves_section`); the compare page overlays the runs' curves from
:func:`curves_of` in each run's ``compare.js`` record.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from nbops.contracts import Manifest
from nbops.reports._charts_svg import Curve, curve_svg


def curves_of(manifest: Manifest) -> dict[str, dict[str, list[Any]]]:
    """``{metric: {"steps": [...], "values": [...]}}`` of every task, in task order.

    A metric two tasks both logged with steps is named ``task.metric`` for each.
    Runs recorded before curves existed (or a malformed entry) have none.
    """
    found: list[tuple[str, str, dict[str, list[Any]]]] = []
    for task, entry in (manifest.get("tasks") or {}).items():
        curves = entry.get("curves") if isinstance(entry, dict) else None
        if not isinstance(curves, dict) or curves.get("schema_version") != 1:
            continue
        for name, series in (curves.get("series") or {}).items():
            steps, values = series.get("steps"), series.get("values")
            if isinstance(steps, list) and isinstance(values, list) and steps \
                    and len(steps) == len(values):
                found.append((task, name, {"steps": steps, "values": values}))
    names = [name for _, name, _ in found]
    return {(f"{task}.{name}" if names.count(name) > 1 else name): series
            for task, name, series in found}


def curves_section(manifest: Manifest) -> str:
    """The run page's "Learning curves" section (empty when no metric had a step)."""
    from nbops.reports._templates_env import render_string

    curves = curves_of(manifest)
    if not curves:
        return ""
    charts = [Markup(curve_svg(name, [Curve(name, tuple(s["steps"]), tuple(s["values"]))]))
              for name, s in curves.items()]
    return render_string(
        '<section id="curves"><h2>Learning curves</h2><p class="muted">Metrics logged '
        "with a step; the metrics table shows each one's last value.</p>"
        '<div class="charts">{% for c in charts %}<div class="chart">{{ c }}</div>'
        "{% endfor %}</div></section>", charts=charts)
