"""The run page: ``reports/runs/<run_id>/index.html``.

Status and failure, the pipeline graph coloured by task status, the task table
with links to each notebook's page and ``.ipynb``, metrics with deltas against
the previous comparable run and the champion, quality gates and registry
decisions when nbops.registry recorded them, parameters and provenance.
Everything shown comes from the manifest and is escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbops.reports.graph_svg import graph_svg
from nbops.reports.markup import badge, esc, fmt_duration, fmt_number, page
from nbops.reports.metric_deltas import delta_cell
from nbops.reports.paths import rel_href, task_href, task_page
from nbops.reports.run_sections import (
    gates_section,
    monitoring_section,
    notice_banners,
    params_section,
    provenance_section,
    registry_section,
)
from nbops.reproduce.report_html import reproductions_section


def _run_href(run_id: str) -> str:
    return f"../{rel_href(run_id)}/index.html"


def failure_banner(manifest: dict[str, Any], run_dir: Path) -> str:
    """Red banner naming the failed task and linking to the failed cell."""
    failure = manifest.get("failure")
    if not failure:
        if manifest.get("status") in ("failed", "interrupted"):
            return f'<div class="banner" role="alert">This run {esc(manifest["status"])}.</div>'
        return ""
    task = failure.get("task") or ""
    what = ": ".join(str(failure[k]) for k in ("ename", "evalue") if failure.get(k))
    message = failure.get("message") or what
    link = ""
    if task and task_page(run_dir, task).is_file():
        link = f' <a href="{esc(task_href(task))}#nbops-failed-cell">Open the failed cell</a>.'
    text = message if message else (f"task {task!r} failed" if task else "the run failed")
    return f'<div class="banner" role="alert">{esc(text.rstrip("."))}.{link}</div>'


def summary_section(manifest: dict[str, Any]) -> str:
    """Key facts of the run."""
    tasks = manifest.get("tasks", {})
    counts = {s: sum(1 for t in tasks.values() if t.get("status") == s) for s in
              ("executed", "skipped", "failed", "not_run")}
    facts = {
        "project": manifest.get("project"),
        "started (UTC)": manifest.get("started_at"),
        "duration": fmt_duration(manifest.get("duration_s")),
        "tasks": ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n),
        "command": " ".join(manifest.get("command", [])),
        "host": manifest.get("host"),
    }
    items = "".join(
        f'<div><span class="muted">{esc(k)}</span> {esc(v)}</div>' for k, v in facts.items() if v
    )
    return f'<section class="facts">{items}</section>'


def graph_section(manifest: dict[str, Any], run_dir: Path) -> str:
    """The DAG as SVG, nodes linking to task pages."""
    tasks = manifest.get("tasks", {})
    order = list(tasks)
    for name in manifest.get("build", {}).get("tasks_in_dag", []):
        if name not in tasks:
            order.append(name)
    graph = {name: list(tasks.get(name, {}).get("upstream", [])) for name in order}
    statuses = {name: tasks.get(name, {}).get("status", "not_run") for name in order}
    links = {name: task_href(name) for name in order if task_page(run_dir, name).is_file()}
    svg = graph_svg(graph, statuses, links)
    return f'<section><h2>Pipeline</h2><div class="graph">{svg}</div></section>'


def tasks_section(manifest: dict[str, Any], run_dir: Path) -> str:
    """One row per task: status, duration, metrics, links."""
    rows = []
    for name, task in manifest.get("tasks", {}).items():
        links = []
        if task_page(run_dir, name).is_file():
            links.append(f'<a href="{esc(task_href(name))}">report</a>')
        notebook = task.get("notebook") or {}
        if notebook.get("path") and (run_dir / notebook["path"]).is_file():
            links.append(f'<a href="{esc(rel_href(notebook["path"]))}">.ipynb</a>')
        produced = task.get("produced_by")
        origin = ""
        if task.get("status") == "skipped" and produced and produced != manifest["run_id"]:
            if (run_dir.parent / produced / "index.html").is_file():
                origin = f' <span class="muted">from <a href="{esc(_run_href(produced))}">' \
                         f"{esc(produced)}</a></span>"
            else:  # that run was deleted (nbops gc): no dead link
                origin = f' <span class="muted">from {esc(produced)} (deleted)</span>'
        metrics = ", ".join(f"{esc(k)}={fmt_number(v)}" for k, v in task.get("metrics", {}).items())
        rows.append(
            f'<tr data-task="{esc(name)}"><td>{esc(name)}</td><td>{badge(task.get("status"))}'
            f'{origin}</td><td class="num">{fmt_duration(task.get("duration_s"))}</td>'
            f"<td>{metrics}</td><td>{' · '.join(links)}</td></tr>"
        )
    return (
        '<section><h2>Tasks</h2><table id="tasks"><thead><tr><th>task</th><th>status</th>'
        '<th class="num">duration</th><th>metrics</th><th>files</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def metrics_section(
    manifest: dict[str, Any],
    previous: dict[str, Any] | None,
    champion: tuple[str, dict[str, Any]],
) -> str:
    """Metrics with deltas against the previous run and the champion."""
    metrics = manifest.get("metrics", {})
    if not metrics:
        return '<section><h2>Metrics</h2><p class="muted">No metrics were logged.</p></section>'
    prev_metrics = (previous or {}).get("metrics", {})
    champ_label, champ_metrics = champion
    prev_head = (
        f'vs previous run <a href="{esc(_run_href(previous["run_id"]))}">'
        f"{esc(previous['run_id'])}</a>"
        if previous
        else "vs previous run (none)"
    )
    champ_head = f"vs champion {esc(champ_label)}" if champ_label else "vs champion (none)"
    rows = "".join(
        f'<tr><td>{esc(name)}</td><td class="num">{fmt_number(value)}</td>'
        f"{delta_cell(value, prev_metrics.get(name))}{delta_cell(value, champ_metrics.get(name))}"
        "</tr>"
        for name, value in metrics.items()
    )
    return (
        '<section><h2>Metrics</h2><table id="metrics"><thead><tr><th>metric</th>'
        f'<th class="num">value</th><th class="num">{prev_head}</th>'
        f'<th class="num">{champ_head}</th></tr></thead><tbody>{rows}</tbody></table></section>'
    )


def run_page_html(
    manifest: dict[str, Any],
    run_dir: Path,
    *,
    previous: dict[str, Any] | None = None,
    champion: tuple[str, dict[str, Any]] = ("", {}),
) -> str:
    """The complete run page for ``manifest`` stored in ``run_dir``."""
    run_id = manifest["run_id"]
    header = (
        f"<h1>Run {esc(run_id)}</h1> {badge(manifest.get('status'))}"
        '<nav><a href="../../index.html">All runs</a>'
        '<a href="manifest.json">manifest.json</a></nav>'
    )
    body = "".join(
        [
            failure_banner(manifest, run_dir),
            notice_banners(manifest),
            summary_section(manifest),
            graph_section(manifest, run_dir),
            metrics_section(manifest, previous, champion),
            gates_section(manifest.get("gates")),
            tasks_section(manifest, run_dir),
            registry_section(manifest.get("registry")),
            monitoring_section(manifest.get("monitoring")),
            reproductions_section(manifest.get("reproductions")),
            params_section(manifest),
            provenance_section(manifest.get("provenance", {})),
        ]
    )
    return page(f"nbops run {run_id} ({manifest.get('status')})", body, header=header)
