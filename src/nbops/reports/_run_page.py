"""The run page: ``reports/runs/<run_id>/index.html``.

Status and failure, the pipeline graph coloured by task status, the task table
with links to each notebook's page and ``.ipynb``, metrics with deltas against
the previous comparable run and the champion, quality gates and registry
decisions when nbops.registry recorded them, parameters and provenance.
Everything shown comes from the manifest and is escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from markupsafe import Markup

from nbops.contracts import Manifest, RunSummary
from nbops.reports._curves import curves_section
from nbops.reports._graph_svg import graph_svg
from nbops.reports._markup import STATUS_LABELS, badge, fmt_duration, page
from nbops.reports._metric_deltas import delta_cell
from nbops.reports._paths import rel_href, task_href, task_page
from nbops.reports._reproduction_page import reproductions_section
from nbops.reports._run_sections import (
    gates_section,
    monitoring_section,
    notice_banners,
    params_section,
    provenance_section,
    registry_section,
)
from nbops.reports._templates_env import macro

if TYPE_CHECKING:
    from nbops.reports._task_page import ProductRow


def _run_href(run_id: str) -> str:
    return f"../{rel_href(run_id)}/index.html"


#: A task's status as a page shows it: the recorded one, or a live build's state
#: (``running``, ``waiting``: :func:`nbops.reports._live.LiveRun`).
TaskStates = dict[str, str]


def _states(manifest: Manifest, live: TaskStates | None) -> TaskStates:
    recorded = {name: str(task["status"]) for name, task in manifest["tasks"].items()}
    return {**recorded, **(live or {})}


def graph_section(manifest: Manifest, run_dir: Path, states: TaskStates | None = None) -> str:
    """The DAG as SVG, nodes linking to task pages."""
    tasks = manifest["tasks"]
    states = _states(manifest, states)
    order = list(tasks)
    for name in manifest.get("build", {}).get("tasks_in_dag", []):
        if name not in tasks:
            order.append(name)
    graph = {name: list(tasks[name]["upstream"]) if name in tasks else [] for name in order}
    statuses = {name: states.get(name, "not_run") for name in order}
    links = {name: task_href(name) for name in order if task_page(run_dir, name).is_file()}
    svg = graph_svg(graph, statuses, links)
    return str(macro("markup.html.j2", "pipeline")(Markup(svg)))  # the svg is escaped there


def _failure(manifest: Manifest, run_dir: Path) -> dict[str, str] | None:
    failure = manifest.get("failure")
    if not failure:
        return None
    task = failure["task"] or ""
    what = ": ".join(str(part) for part in (failure.get("ename"), failure.get("evalue")) if part)
    message = failure["message"] or what
    text = message if message else (f"task {task!r} failed" if task else "the run failed")
    link = task_href(task) if task and task_page(run_dir, task).is_file() else ""
    recorded = manifest["tasks"].get(task)
    if link and recorded is not None and recorded["notebook"]:
        return {"text": text.rstrip("."), "link": link + "#nbops-failed-cell",
                "label": "Open the failed cell"}
    return {"text": text.rstrip("."), "link": link, "label": "Open the task's page"}


def _facts(manifest: Manifest, run_dir: Path,
           states: TaskStates) -> list[tuple[str, Any]]:
    from nbops.runs import origin_label

    counts = {s: sum(1 for state in states.values() if state == s) for s in
              ("executed", "skipped", "failed", "not_run")}
    notes = manifest.get("notes")
    facts = {
        "project": manifest["project"],
        "started (UTC)": manifest["started_at"],
        "duration": fmt_duration(manifest.get("duration_s")),
        "tasks": ", ".join(f"{n} {STATUS_LABELS.get(k, k)}" for k, n in counts.items() if n),
        "command": " ".join(manifest["command"]),
        "host": manifest.get("host"),
        "origin": origin_label(run_dir),  # pulled, signature verified / unverified
        "tags": ", ".join(f"{k}={v}" for k, v in (manifest.get("tags") or {}).items()),
        "notes": " · ".join(f"{n['text']} ({n['at']})" for n in (notes["items"] if notes else [])),
    }
    return [(k, v) for k, v in facts.items() if v]


class TaskRow(TypedDict):
    """One task of the run page's task table."""

    name: str
    status: str
    origin: str | None
    origin_deleted: bool
    products: list[ProductRow]
    duration: float | None
    metrics: dict[str, float]
    links: list[tuple[str, str, str]]


def _tasks(manifest: Manifest, run_dir: Path, diffs: dict[str, str],
           states: TaskStates) -> list[TaskRow]:
    from nbops.core import ContentStore
    from nbops.reports._task_page import products

    # a task that is not a notebook lists its products (linked to their stored copies)
    store = ContentStore(run_dir.parent.parent.parent / ".nbops" / "store")
    rows: list[TaskRow] = []
    for name, task in manifest["tasks"].items():
        links: list[tuple[str, str, str]] = []
        if task_page(run_dir, name).is_file():
            links.append(("report", task_href(name), ""))
        notebook = task["notebook"]
        if notebook and notebook["path"] and (run_dir / notebook["path"]).is_file():
            links.append((".ipynb", rel_href(notebook["path"]), ""))
        if name in diffs:
            links.append(("diff vs previous", diffs[name], "diff-link"))
        produced, status = task["produced_by"], states[name]
        origin = produced if (status == "skipped" and produced
                              and produced != manifest["run_id"]) else None
        # a run deleted by nbops gc keeps its name here, without a dead link
        gone = origin is not None and not (run_dir.parent / origin / "index.html").is_file()
        rows.append({"name": name, "status": status, "origin": origin,
                     "origin_deleted": gone, "products": [] if notebook else
                     products(task, store, run_dir),
                     "duration": task["duration_s"], "metrics": task["metrics"] or {},
                     "links": links})
    return rows


def run_page_html(
    manifest: Manifest,
    run_dir: Path,
    *,
    previous: RunSummary | None = None,
    champion: tuple[str, dict[str, float]] = ("", {}),
    diffs: dict[str, str] | None = None,
    live: dict[str, str] | None = None,
    task_states: TaskStates | None = None,
) -> str:
    """The complete run page for ``manifest`` stored in ``run_dir`` (``run.html.j2``).

    Args:
        diffs: ``{task: href}`` of its notebooks' diffs against the previous run.
        live: the run is not final yet: the ``head`` (refresh) and ``banner`` markup of
            :func:`nbops.reports._live.live_marks`, removed once it is.
        task_states: a live build's task states (``running``, ``waiting``…), shown
            instead of the recorded statuses.
    """
    from markupsafe import Markup

    from nbops.reports._templates_env import render, render_string

    run_id = manifest["run_id"]
    prev_metrics = previous["metrics"] if previous is not None else {}
    champ_label, champ_metrics = champion

    def metric_rows(items: dict[str, float]) -> list[tuple[str, float, Markup, Markup]]:
        return [(n, v, Markup(delta_cell(v, prev_metrics.get(n))),
                 Markup(delta_cell(v, champ_metrics.get(n)))) for n, v in items.items()]

    metrics = manifest["metrics"]
    states = _states(manifest, task_states)
    header = Markup(render_string(
        '<h1>Run {{ run_id }}</h1> {{ badges }}<nav><a href="../../index.html">All runs</a>'
        '<a href="manifest.json">manifest.json</a>{% if card %}<a id="run-card-link" '
        'href="../../models/{{ card|href }}">model card</a>{% endif %}</nav>',
        run_id=run_id, badges=Markup(_status_badges(manifest)), card=_card_page(manifest)))
    body = render(
        "run.html.j2", status=manifest["status"], failure=_failure(manifest, run_dir),
        notices=Markup(notice_banners(manifest)),
        monitoring=Markup(monitoring_section(manifest.get("monitoring"))),
        facts=_facts(manifest, run_dir, states),
        graph=Markup(graph_section(manifest, run_dir, states)),
        metrics=metric_rows({n: v for n, v in metrics.items()
                             if not n.startswith(FOLDED_METRICS)}),
        folded=metric_rows({n: v for n, v in metrics.items() if n.startswith(FOLDED_METRICS)}),
        previous=previous["run_id"] if previous is not None else None, champion=champ_label,
        curves=Markup(curves_section(manifest)),
        gates=Markup(gates_section(manifest.get("gates"))),
        tasks=_tasks(manifest, run_dir, diffs or {}, states),
        registry=Markup(registry_section(manifest.get("registry"))),
        reproductions=Markup(reproductions_section(manifest.get("reproductions"))),
        params=Markup(params_section(manifest)),
        provenance=Markup(provenance_section(manifest["provenance"])))
    if live is not None:
        body = Markup(live["banner"]) + Markup(body)
    return page(f"nbops run {run_id} ({manifest['status']})", body, header=header,
                head=live["head"] if live is not None else "")


def _card_page(manifest: Manifest) -> str | None:
    """The card page of the version this run registered, when it recorded a card."""
    from nbops.reports._card_page import card_page_name
    from nbops.reports._model_page import model_page_name

    registry, card = manifest.get("registry"), manifest.get("card")
    if not (isinstance(registry, dict) and isinstance(card, dict)):
        return None
    name, version = registry.get("model"), registry.get("version")
    if not isinstance(name, str) or not isinstance(version, int):
        return None
    return card_page_name(model_page_name(name, version))


#: Per-feature monitoring figures: the drift table shows them; the raw values are folded.
FOLDED_METRICS = ("drift_", "monitor_threshold.")


def _status_badges(manifest: Manifest) -> str:
    """The run's status, and the monitoring verdict beside it (an alert is not green)."""
    monitoring = manifest.get("monitoring")
    verdict = monitoring.get("verdict") if isinstance(monitoring, dict) else None
    extra = ""
    if isinstance(verdict, str):
        css = {"ok": "succeeded", "warn": "gated", "alert": "failed"}.get(verdict, "not_run")
        extra = " " + str(macro("markup.html.j2", "monitoring_badge")(verdict, css))
    return badge(manifest.get("status")) + extra
