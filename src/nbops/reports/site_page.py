"""The report site: ``reports/index.html``.

Every run newest first with a status badge, sortable and filterable in the
browser by a small inline script, and trend charts of the headline metrics.
Built from run summaries only (the run index), so a ledger of a thousand runs
rebuilds in a fraction of a second.
"""

from __future__ import annotations

from typing import Any

from nbops.reports.charts_svg import Point, Threshold, trend_svg
from nbops.reports.markup import asset, badge, esc, fmt_duration, fmt_number, page
from nbops.reports.paths import rel_href

MAX_HEADLINE = 6
STATUSES = ("succeeded", "failed", "gated", "interrupted", "running", "closing")


#: Monitoring metrics recorded as ``monitor_threshold.<name>`` draw lines on these charts.
THRESHOLD_PREFIX = "monitor_threshold."
THRESHOLD_LINES = {
    "drift_psi.": (("psi_warn", "warn", "#bf8700"), ("psi_alert", "alert", "#cf222e")),
    "live_roc_auc": (
        ("live_roc_auc_warn", "warn", "#bf8700"),
        ("live_roc_auc_alert", "alert", "#cf222e"),
    ),
}
MAX_DRIFT_CHARTS = 4


def _is_monitoring(metrics: dict[str, Any]) -> bool:
    return any(name.startswith(THRESHOLD_PREFIX) for name in metrics)


def headline_metrics(summaries: list[dict[str, Any]], wanted: list[str] | None = None) -> list[str]:
    """The metrics to chart: ``wanted`` if given, else the newest runs' headline metrics.

    That is the first :data:`MAX_HEADLINE` metrics of the newest training run (any
    run that is not a monitoring run), then, from the newest monitoring run, live
    ROC AUC and the most drifted features' PSI, which carry threshold lines.
    """
    if wanted:
        return list(wanted)
    training: dict[str, Any] = next((s["metrics"] for s in summaries
                     if s.get("metrics") and not _is_monitoring(s["metrics"])), {})
    monitoring: dict[str, Any] = next((s["metrics"] for s in summaries
                       if s.get("metrics") and _is_monitoring(s["metrics"])), {})
    names = list(training)[:MAX_HEADLINE]
    if "live_roc_auc" in monitoring:
        names.append("live_roc_auc")
    drift = sorted((n for n in monitoring if n.startswith("drift_psi.")),
                   key=lambda n: -float(monitoring[n]))
    return names + drift[:MAX_DRIFT_CHARTS]


def thresholds_for(name: str, summaries: list[dict[str, Any]]) -> tuple[Threshold, ...]:
    """The warn/alert lines of metric ``name``, as the newest run recording them set them."""
    lines = next((spec for prefix, spec in THRESHOLD_LINES.items()
                  if name == prefix or (prefix.endswith(".") and name.startswith(prefix))), ())
    for summary in summaries:  # newest first
        metrics = summary.get("metrics") or {}
        found = tuple(
            Threshold(label, float(metrics[THRESHOLD_PREFIX + key]), colour)
            for key, label, colour in lines
            if isinstance(metrics.get(THRESHOLD_PREFIX + key), int | float)
        )
        if found:
            return found
    return ()


def _run_href(run_id: str) -> str:
    return f"runs/{rel_href(run_id)}/index.html"


def _run_link(run_id: str, pages: set[str] | None) -> str:
    if pages is None or run_id in pages:
        return f'<a href="{esc(_run_href(run_id))}">{esc(run_id)}</a>'
    return f'{esc(run_id)} <span class="muted">(no page yet: nbops report {esc(run_id)})</span>'


def charts_section(
    summaries: list[dict[str, Any]], names: list[str], pages: set[str] | None = None
) -> str:
    """One trend chart per headline metric, oldest run on the left."""
    if not names:
        return ""
    charts = []
    oldest_first = summaries[::-1]
    for name in names:
        points = [
            Point(s["run_id"], float(s["metrics"][name]), s["status"],
                  _run_href(s["run_id"]) if pages is None or s["run_id"] in pages else None)
            for s in oldest_first
            if isinstance(s.get("metrics", {}).get(name), int | float)
        ]
        svg = trend_svg(name, points, thresholds_for(name, summaries))
        charts.append(f'<div class="chart"><h3>{esc(name)}</h3>{svg}</div>')
    return f'<section><h2>Trends</h2><div class="charts">{"".join(charts)}</div></section>'


def runs_table(
    summaries: list[dict[str, Any]], names: list[str], pages: set[str] | None = None
) -> str:
    """The runs table with sortable headers and data attributes for filtering."""
    heads = "".join(f'<th class="num" data-sort="num">{esc(n)}</th>' for n in names)
    rows = []
    for s in summaries:
        metrics = s.get("metrics", {})
        cells = "".join(
            f'<td class="num" data-v="{esc(metrics[n])}">{fmt_number(metrics[n])}</td>'
            if n in metrics
            else '<td class="num muted" data-v="">\u2013</td>'
            for n in names
        )
        duration = s.get("duration_s")
        rows.append(
            f'<tr data-status="{esc(s["status"])}"><td>{_run_link(s["run_id"], pages)}</td>'
            f'<td data-v="{esc(s["status"])}">{badge(s["status"])}</td>'
            f'<td>{esc(s.get("started_at"))}</td>'
            f'<td class="num" data-v="{esc(duration if duration is not None else "")}">'
            f"{fmt_duration(duration)}</td>"
            f'<td class="num">{esc(s.get("executed", 0))}</td>'
            f'<td class="num">{esc(s.get("skipped", 0))}</td>'
            f'<td class="num">{esc(s.get("failed", 0))}</td>{cells}</tr>'
        )
    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    return (
        '<section><h2>Runs</h2><div class="controls">'
        '<label>Filter <input id="filter-text" type="search" placeholder="run id, status, ...">'
        '</label><label>Status <select id="filter-status"><option value="">any</option>'
        f'{options}</select></label><span class="muted"><span id="shown-count">{len(summaries)}'
        f"</span> of {len(summaries)} runs shown</span></div>"
        '<div class="scroll"><table id="runs"><thead><tr><th data-sort="text">run</th>'
        '<th data-sort="text">status'
        '</th><th data-sort="text">started (UTC)</th><th class="num" data-sort="num">duration'
        '</th><th class="num" data-sort="num">executed</th><th class="num" data-sort="num">'
        f'reused</th><th class="num" data-sort="num">failed</th>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def site_html(summaries: list[dict[str, Any]], *, headline: list[str] | None = None,
              title: str = "nbops runs", pages: set[str] | None = None) -> str:
    """The complete site page for ``summaries`` (newest first).

    Args:
        pages: run ids whose run page exists (``None``: all); others are not linked.
    """
    names = headline_metrics(summaries, headline)
    latest = summaries[0] if summaries else None
    latest_line = (
        f'Latest: {_run_link(latest["run_id"], pages)} '
        f"{badge(latest['status'])}"
        if latest
        else "No runs yet: run <code>ploomber build</code>."
    )
    header = f"<h1>{esc(title)}</h1><span>{latest_line}</span>"
    body = charts_section(summaries, names, pages) + runs_table(summaries, names, pages)
    return page(title, body, header=header, script=asset("site.js"))
