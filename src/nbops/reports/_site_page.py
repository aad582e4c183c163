"""The report site: ``reports/index.html``.

Every run newest first with a status badge, sortable and filterable in the
browser by a small inline script, and trend charts of the headline metrics.
Built from run summaries only (the run index), so a ledger of a thousand runs
rebuilds in a fraction of a second.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from nbops.contracts import RunSummary
from nbops.core import from_summary, is_secret_name
from nbops.reports._charts_svg import Point, Threshold, trend_svg
from nbops.reports._markup import asset, page
from nbops.reports._paths import rel_href
from nbops.reports._templates_env import macro, render

MAX_HEADLINE = 6
#: The front page lists the newest runs; every run is on its experiment's page.
MAX_FRONT_RUNS = 300
_SITE = "site.html.j2"
DASH = "\u2013"
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


def _is_monitoring(metrics: dict[str, float]) -> bool:
    return any(name.startswith(THRESHOLD_PREFIX) for name in metrics)


def headline_metrics(summaries: list[RunSummary], wanted: list[str] | None = None) -> list[str]:
    """The metrics to chart: ``wanted`` if given, else the newest runs' headline metrics.

    That is the first :data:`MAX_HEADLINE` metrics of the newest training run (any
    run that is not a monitoring run), then, from the newest monitoring run, live
    ROC AUC and the most drifted features' PSI, which carry threshold lines.
    """
    if wanted:
        return list(wanted)
    training: dict[str, float] = next((s["metrics"] for s in summaries
                     if s.get("metrics") and not _is_monitoring(s["metrics"])), {})
    monitoring: dict[str, float] = next((s["metrics"] for s in summaries
                       if s.get("metrics") and _is_monitoring(s["metrics"])), {})
    names = list(training)[:MAX_HEADLINE]
    if "live_roc_auc" in monitoring:
        names.append("live_roc_auc")
    drift = sorted((n for n in monitoring if n.startswith("drift_psi.")),
                   key=lambda n: -float(monitoring[n]))
    return names + drift[:MAX_DRIFT_CHARTS]


def thresholds_for(name: str, summaries: list[RunSummary]) -> tuple[Threshold, ...]:
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


def _run_href(run_id: str, prefix: str = "") -> str:
    return f"{prefix}runs/{rel_href(run_id)}/index.html"


def charts_section(
    summaries: list[RunSummary], names: list[str], pages: set[str] | None = None,
    prefix: str = "",
) -> str:
    """One trend chart per headline metric, oldest run on the left."""
    if not names:
        return ""
    charts = []
    oldest_first = summaries[::-1]
    for name in names:
        points = [
            Point(s["run_id"], float(s["metrics"][name]), s["status"],
                  _run_href(s["run_id"], prefix) if pages is None or s["run_id"] in pages
                  else None, _when(s.get("started_at")))
            for s in oldest_first
            if isinstance(s.get("metrics", {}).get(name), int | float)
        ]
        svg = trend_svg(name, points, thresholds_for(name, summaries))
        charts.append((name, Markup(svg)))
    return str(macro(_SITE, "trends")(charts))


_MONITOR_CSS = {"ok": "succeeded", "warn": "gated", "alert": "failed"}


def _param_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def runs_table(
    summaries: list[RunSummary], names: list[str], pages: set[str] | None = None,
    *, params: list[str] | None = None, prefix: str = "", show_experiment: bool = True,
) -> str:
    """The runs table (template ``runs_table.html.j2``): pick boxes, sorting, filters.

    Args:
        params: parameter columns to show (the ones that vary within the experiment).
        prefix: path from the page to ``reports/`` (``"../"`` for experiment pages).
        show_experiment: add the experiment column and its filters (the overview).
    """
    defaults = {"started_at": None, "duration_s": None, "executed": 0, "skipped": 0,
                "failed": 0}
    rows = [{**defaults, **s, "experiment": from_summary(s),
             "monitoring": s.get("monitoring_verdict"), "params": s.get("params") or {},
             "metrics": s.get("metrics") or {},
             "linked": pages is None or s["run_id"] in pages} for s in summaries]
    found = {e.key: e for e in (from_summary(s) for s in summaries)}
    experiments = sorted(((k, e.label) for k, e in found.items()), key=lambda kv: kv[1])
    # the filter's hint is one of this project's own numeric parameters, never a secret
    example = next((f"{k}={v}" for s in summaries for k, v in (s.get("params") or {}).items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                    and not is_secret_name(k)), None)
    return render("runs_table.html.j2", rows=rows, metrics=names, params=params or [],
                  param_example=example or "name=value",
                  prefix=prefix, show_experiment=show_experiment, statuses=STATUSES,
                  experiments=experiments,
                  sources=sorted({e.data for e in found.values() if e.data}),
                  monitor_css=_MONITOR_CSS)


def _when(started: Any) -> str:
    """``2026-11-28 18:39`` from an ISO timestamp."""
    text = str(started or "")
    return text[:16].replace("T", " ") if len(text) >= 16 else text


def varying_params(summaries: list[RunSummary], limit: int = 8) -> list[str]:
    """Parameter names whose value differs between the runs (at most ``limit``)."""
    seen: dict[str, set[str]] = {}
    for s in summaries:
        for name, value in (s.get("params") or {}).items():
            seen.setdefault(name, set()).add(_param_text(value))
    names = [n for n, values in seen.items() if len(values) > 1
             or any(n not in (s.get("params") or {}) for s in summaries)]
    return names[:limit]


def group_experiments(summaries: list[RunSummary]) -> dict[str, list[RunSummary]]:
    """Runs (newest first) by experiment key, most recently active experiment first."""
    groups: dict[str, list[RunSummary]] = {}
    for s in summaries:
        groups.setdefault(from_summary(s).key, []).append(s)
    return groups


def experiments_section(groups: dict[str, list[RunSummary]],
                        pages: set[str] | None = None) -> str:
    """One row per experiment: its runs, how many were gated or failed, the latest run."""
    rows = []
    for runs in groups.values():
        latest = runs[0]
        names = headline_metrics(runs)[:2]
        rows.append({
            "experiment": from_summary(latest), "runs": len(runs),
            "gated": sum(1 for r in runs if r["status"] == "gated"),
            "failed": sum(1 for r in runs if r["status"] in ("failed", "interrupted")),
            "alerts": sum(1 for r in runs if r.get("monitoring_verdict") in ("warn", "alert")),
            "latest": latest, "latest_linked": pages is None or latest["run_id"] in pages,
            "metrics": [(n, latest["metrics"][n]) for n in names
                        if n in (latest.get("metrics") or {})]})
    return render("experiments.html.j2", groups=rows, monitor_css=_MONITOR_CSS)


def experiment_html(runs: list[RunSummary], *, pages: set[str] | None = None,
                    headline: list[str] | None = None) -> str:
    """The page of one experiment: trends, then its runs with the parameters that vary."""
    experiment = from_summary(runs[0])
    names = headline_metrics(runs, headline)
    header = str(macro(_SITE, "experiment_header")(experiment.label))
    body = (charts_section(runs, names, pages, prefix="../")
            + runs_table(runs, names, pages, params=varying_params(runs), prefix="../",
                         show_experiment=False))
    return page(f"nbops experiment {experiment.label}", body, header=header,
                script=asset("site.js"))


def sweeps_section(names: list[str]) -> str:
    """The front page's list of sweeps, newest name last, each linking its page."""
    if not names:
        return ""
    from nbops.reports._templates_env import render_string

    return render_string(
        '<section id="sweeps"><h2>Sweeps</h2><ul>{% for name in names %}<li><a href="'
        'sweeps/{{ name|href }}/index.html">{{ name }}</a></li>{% endfor %}</ul></section>',
        names=names)


def site_html(summaries: list[RunSummary], *, headline: list[str] | None = None,
              title: str = "nbops runs", pages: set[str] | None = None,
              models: str = "", sweeps: list[str] | None = None) -> str:
    """The site's front page for ``summaries`` (newest first): experiments, then every run.

    Args:
        pages: run ids whose run page exists (``None``: all); others are not linked.
        models: the registered models section (already-safe HTML).
        sweeps: names of the sweeps whose page exists (``sweeps/<name>/index.html``).
    """
    names = headline_metrics(summaries, headline)[:4]
    latest = summaries[0] if summaries else None
    header = str(macro(_SITE, "front_header")(
        title, latest, latest is not None and (pages is None or latest["run_id"] in pages),
        _MONITOR_CSS))
    groups = group_experiments(summaries)
    shown = summaries[:MAX_FRONT_RUNS]
    body = (experiments_section(groups, pages) + models + sweeps_section(sweeps or [])
            + runs_table(shown, names, pages)
            + str(macro(_SITE, "older")(len(summaries) - len(shown))))
    return page(title, body, header=header, script=asset("site.js"))
