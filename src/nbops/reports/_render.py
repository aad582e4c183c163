"""Render the reports of a run and the site: the functions hooks and CLI call.

``render_run`` writes every notebook page and the run page of one run folder;
``render_site`` rewrites ``reports/index.html``; ``render_after_run`` does
both at the end of a build. Notebook pages are rendered in this process with
one reused nbconvert exporter (tens of milliseconds per notebook; a separate
``jupyter nbconvert`` process would cost seconds each). A reused task's page
is hard-linked from the run that executed it when that page exists: same
notebook, same page, no work.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.contracts import Manifest, ReproductionRecord, RunSummary, TaskRecord
from nbops.core import NbopsError, atomic_write_text, from_summary, is_run_id, link_or_copy
from nbops.reports._compare_page import write_run_record, write_site_compare_page
from nbops.reports._ledger_view import (
    champion_metrics,
    list_summaries,
    load_manifest,
    previous_comparable,
    runs_dir,
    summary_of,
)
from nbops.reports._model_page import models_section, read_registry, write_model_pages
from nbops.reports._paths import page_stem, task_page
from nbops.reports._reproduction_page import report_html
from nbops.reports._run_page import run_page_html
from nbops.reports._site_page import experiment_html, group_experiments, site_html
from nbops.reports._summary import emit_summary, previous_in_experiment

if TYPE_CHECKING:
    from nbops.runs import OpenContext, RunContext

log = logging.getLogger("nbops")

#: Set by a sweep's trials (:mod:`nbops.sweeps._trial_build`): a build renders its own run's
#: pages, and leaves the site index (not part of any run's record) to the sweep, which
#: renders it once when its trials end instead of once per trial.
SITE_DEFERRED_ENV = "NBOPS_SITE_DEFERRED"


@dataclass
class RenderResult:
    """What ``render_run`` wrote and how long each notebook took."""

    run_page: Path
    notebook_pages: dict[str, Path] = field(default_factory=dict)
    #: pages of tasks that are not notebooks (functions, SQL, shell, scripts)
    task_pages: dict[str, Path] = field(default_factory=dict)
    reused_pages: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)


def _inside(run_dir: Path, relative: str) -> bool:
    """Whether ``relative`` names a file inside ``run_dir`` (no ``..``, no link out of it)."""
    root = os.path.realpath(run_dir)
    return os.path.realpath(run_dir / relative).startswith(root + os.sep)


def _notebook_path(task: TaskRecord | None) -> str | None:
    """Where a task's executed notebook is in its run folder (None: it has none)."""
    notebook = task["notebook"] if task is not None else None
    return notebook["path"] if notebook else None


def _reusable_page(run_dir: Path, name: str, task: TaskRecord) -> Path | None:
    produced = task.get("produced_by")
    if task.get("status") != "skipped" or not produced or produced == run_dir.name:
        return None
    if not is_run_id(produced):  # a forged manifest must not link pages from elsewhere
        return None
    candidate = task_page(run_dir.parent / produced, name)
    return candidate if candidate.is_file() else None


def render_notebooks(
    manifest: Manifest, run_dir: Path, *, hide_code: bool = False, reuse: bool = True
) -> RenderResult:
    """Render the page of every task whose output notebook is in ``run_dir``."""
    from nbops.reports._notebook_page import NotebookPage, render_notebook_file

    result = RenderResult(run_page=run_dir / "index.html")
    for name, task in manifest["tasks"].items():
        notebook = _notebook_path(task)
        if not notebook or not _inside(run_dir, notebook) or not (run_dir / notebook).is_file():
            continue
        dest = task_page(run_dir, name)
        started = time.perf_counter()
        source = _reusable_page(run_dir, name, task) if reuse and not hide_code else None
        if source is not None:
            link_or_copy(source, dest)
            result.reused_pages.append(name)
        else:
            page = NotebookPage(
                task=name,
                run_id=manifest["run_id"],
                status=task["status"],
                error=task["error"],
                params=manifest["params"].get(name),
                hide_code=hide_code,
                links=(("run page", "../index.html"), (".ipynb", f"../{notebook}")),
            )
            try:
                render_notebook_file(run_dir / notebook, dest, page)
            except ValueError as exc:  # not a notebook (a run recorded before nbops kept
                # the executed .ipynb of notebooks saved as .html): the other pages still
                log.warning("nbops: task %s of run %s has no readable notebook (%s); its page "
                            "is left out", name, manifest["run_id"], str(exc)[:80])
                continue
        result.notebook_pages[name] = dest
        result.timings_s[name] = time.perf_counter() - started
    return result


def render_task_pages(manifest: Manifest, run_dir: Path, result: RenderResult) -> None:
    """Write the page of every task that is not a notebook (no executed notebook recorded)
    and ran, failed or was reused: functions, SQL, shell scripts, ``ScriptRunner``."""
    from nbops.reports._task_page import task_page_html

    project_root = run_dir.parent.parent.parent  # reports/runs/<run_id>
    for name, task in manifest.get("tasks", {}).items():
        if task.get("notebook") or task.get("status") == "not_run":
            continue
        dest = task_page(run_dir, name)
        started = time.perf_counter()
        dest.parent.mkdir(exist_ok=True)
        atomic_write_text(dest, task_page_html(manifest, name, project_root, dest.parent),
                          durable=False)
        result.task_pages[name] = dest
        result.timings_s[name] = time.perf_counter() - started


def render_notebook_diffs(manifest: Manifest, run_dir: Path,
                          previous_dir: Path) -> dict[str, str]:
    """Diff each notebook this run executed against the previous run's; {task: href}.

    Reused tasks are the same notebook and get none. A diff that cannot be made
    is logged and skipped: the pages of the run matter more.
    """
    from nbops.reports._notebook_diff import diff_page

    try:
        previous = load_manifest(previous_dir)
    except (NbopsError, OSError):
        return {}
    written: dict[str, str] = {}
    for name, task in manifest["tasks"].items():
        if task["status"] not in ("executed", "failed"):
            continue
        mine = _notebook_path(task)
        theirs = _notebook_path(previous["tasks"].get(name))
        if not mine or not theirs or not (run_dir / mine).is_file() \
                or not (previous_dir / theirs).is_file():
            continue
        dest = run_dir / "diff" / f"{page_stem(name)}.html"
        try:
            html = diff_page(name, previous_dir / theirs, run_dir / mine,
                             previous["run_id"], manifest["run_id"],
                             (previous.get("params") or {}).get(name),
                             (manifest.get("params") or {}).get(name))
        except Exception as exc:  # nbdime on an odd notebook: no diff, pages still written
            log.warning("nbops: no notebook diff for task %s of run %s (%s: %s)", name,
                        manifest["run_id"], type(exc).__name__, exc)
            continue
        dest.parent.mkdir(exist_ok=True)
        atomic_write_text(dest, html, durable=False)
        written[name] = f"diff/{page_stem(name)}.html"
    return written


def render_run(
    run_dir: Path,
    *,
    reports_dir: Path | None = None,
    hide_code: bool = False,
    notebooks: bool = True,
    manifest: Manifest | None = None,
    live: dict[str, str] | None = None,
) -> RenderResult:
    """Render the notebook pages and the run page of the run in ``run_dir``.

    Args:
        run_dir: ``reports/runs/<run_id>``.
        reports_dir: the ``reports`` folder (default: two levels up), used to
            find the previous run and the champion's run.
        hide_code: render notebook pages without code (for non-technical readers).
        notebooks: also render the notebook pages (``False``: run page only).
        manifest: the run's manifest as the build holds it (while it closes),
            instead of reading it from ``run_dir``.
        live: marks of a run not final yet (:func:`nbops.reports._live.live_marks`).
    """
    run_dir = Path(run_dir)
    reports_dir = Path(reports_dir) if reports_dir else run_dir.parent.parent
    manifest = load_manifest(run_dir) if manifest is None else manifest
    if notebooks:
        result = render_notebooks(manifest, run_dir, hide_code=hide_code)
        render_task_pages(manifest, run_dir, result)
    else:
        result = RenderResult(run_page=run_dir / "index.html")
    summaries = list_summaries(reports_dir)
    previous = previous_in_experiment(manifest, summaries) or (
        None if summaries and "experiment" in summaries[0]
        else previous_comparable(summaries, manifest["run_id"]))
    champion = champion_metrics(manifest, reports_dir)
    diffs: dict[str, str] = {}
    if notebooks and previous is not None:
        diffs = render_notebook_diffs(manifest, run_dir, runs_dir(reports_dir) /
                                      previous["run_id"])
    html = run_page_html(manifest, run_dir, previous=previous, champion=champion, diffs=diffs,
                         live=live)
    write_run_record(manifest, run_dir, previous=previous, diffs=diffs)
    atomic_write_text(result.run_page, html, durable=False)
    return result


def render_site(reports_dir: Path, *, headline: list[str] | None = None,
                pending: RunSummary | None = None) -> Path:
    """Rewrite ``reports/index.html`` from the run index; return its path.

    Args:
        pending: the summary of the run being closed, shown with the verdict it
            will close with (the index says ``closing`` until then).
    """
    reports_dir = Path(reports_dir)
    dest = reports_dir / "index.html"
    summaries = list_summaries(reports_dir)
    if pending is not None:
        summaries = [pending if s["run_id"] == pending["run_id"] else s for s in summaries]
    base = str(runs_dir(reports_dir))
    pages = {s["run_id"] for s in summaries
             if os.path.isfile(os.path.join(base, s["run_id"], "index.html"))}
    folder = reports_dir / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    for runs in group_experiments(summaries).values():
        slug = from_summary(runs[0]).slug
        write_if_changed(folder / f"{slug}.html",
                         experiment_html(runs, pages=pages, headline=headline))
    write_site_compare_page(reports_dir)
    registry = read_registry(reports_dir)
    write_model_pages(reports_dir, registry, summaries)
    sweeps = sorted(page.parent.name for page in (reports_dir / "sweeps").glob("*/index.html"))
    atomic_write_text(dest, site_html(summaries, headline=headline, pages=pages,
                                      models=models_section(registry), sweeps=sweeps),
                      durable=False)
    return dest


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace ``path`` unless it already holds ``text`` (a build changes one
    experiment's page, not twenty); returns whether it wrote."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write_text(path, text, durable=False)  # a page: rebuilt by `nbops report`
    return True


def runs_without_pages(reports_dir: Path) -> list[str]:
    """Run ids (oldest first) whose run page was never rendered."""
    return sorted(s["run_id"] for s in list_summaries(reports_dir)
                  if not runs_dir(reports_dir).joinpath(s["run_id"], "index.html").is_file())


def render_after_run(run_dir: Path, *, headline: list[str] | None = None,
                     manifest: Manifest | None = None, site: bool = True,
                     live: dict[str, str] | None = None) -> RenderResult | None:
    """Render a just-closed run and the site (unless :data:`SITE_DEFERRED_ENV` is set);
    called by nbops.hooks.

    The run's record is complete before this runs, so a rendering problem must
    not fail the build: it is logged as an error that says how to retry.
    """
    run_dir = Path(run_dir)
    started = time.perf_counter()
    try:
        result = render_run(run_dir, manifest=manifest, live=live)
        pending = None if manifest is None else summary_of(manifest)
        if site and not os.environ.get(SITE_DEFERRED_ENV):
            render_site(run_dir.parent.parent, headline=headline, pending=pending)
    except (NbopsError, OSError, ValueError) as exc:
        log.error(
            "nbops: the reports of run %s could not be rendered (%s); the run itself is "
            "recorded. Fix the cause, then run `nbops report %s`.",
            run_dir.name, exc, run_dir.name,
        )
        return None
    except Exception:  # a bug in nbops.reports: keep the traceback, keep the build
        log.exception(
            "nbops: rendering the reports of run %s crashed (a bug in nbops; the run itself "
            "is recorded). Retry with `nbops report %s`.", run_dir.name, run_dir.name,
        )
        return None
    log.info(
        "nbops: reports rendered for %d notebook(s) in %.2f s: %s",
        len(result.notebook_pages), time.perf_counter() - started, result.run_page,
    )
    return result


class ReportsStep:
    """The post-close step (last in :data:`nbops.hooks.POST_CLOSE_STEPS`): the run's pages.

    It runs while the run is still ``closing``, so it renders the manifest the
    build holds, with the verdict the run is about to close with.
    """

    name = "reports"

    def prepare(self, ctx: OpenContext) -> None:
        """Nothing to get ready."""

    def run(self, ctx: RunContext) -> None:
        """Render the run's pages and the site."""
        render_after_close(ctx)

    def close(self) -> None:
        """Nothing to release."""


def render_after_close(context: RunContext) -> None:
    """Render the closing run's pages, showing the verdict it is about to close with.

    The page stays marked live (it refreshes, and says the verdict is not final)
    until the ledger wrote the final status: the build's :class:`LiveView` then
    removes the marks and renders the site, which shows the run as ``closing``
    until then.
    """
    from nbops.core import utc_now_iso
    from nbops.reports._live import live_marks

    view: Manifest = {**context.manifest, "status": context.outcome}
    result = render_after_run(Path(context.run_dir), manifest=view, site=False,
                              live=live_marks("closing", utc_now_iso()))
    # the build's closing summary (run, metrics, gates, registry, monitoring, pages)
    rendered = result is not None or (Path(context.run_dir) / "index.html").is_file()
    emit_summary(Path(context.run_dir), manifest=view, rendered=rendered)


def publish_reproduction(run_dir: Path, record: ReproductionRecord) -> Path:
    """Write a reproduction's page beside its record and refresh the run page.

    ``record`` is the reproduction record (``reproductions/<id>.json``, written
    by nbops.reproduce). A run page that cannot be refreshed is logged, not
    raised: the reproduction is recorded either way.

    Returns:
        The path of ``reproductions/<id>.html``.
    """
    run_dir = Path(run_dir)
    html_path = run_dir / "reproductions" / f"{record['id']}.html"
    atomic_write_text(html_path, report_html(record), durable=False)
    try:
        render_run(run_dir, notebooks=False)
    except (NbopsError, OSError, ValueError) as exc:
        log.warning(
            "nbops: the run page could not be refreshed (%s); the reproduction report is at %s",
            exc,
            html_path,
        )
    return html_path


#: A 1x1 PNG, for the warm-up notebook's image output.
_PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAA"
          "AABJRU5ErkJggg==")


def _warm_notebook(value: str) -> Any:
    from nbformat import v4

    outputs = [v4.new_output("stream", name="stdout", text=value + "\n"),
               v4.new_output("execute_result", execution_count=1,
                             data={"text/plain": value, "text/html": f"<b>{value}</b>"}),
               v4.new_output("display_data", data={"image/png": _PIXEL, "text/plain": "fig"})]
    failed = v4.new_output("error", ename="ValueError", evalue=value, traceback=[value])
    return v4.new_notebook(
        cells=[v4.new_markdown_cell("# warm-up"),
               v4.new_code_cell("x = 1\nx", execution_count=1, outputs=outputs),
               v4.new_code_cell("raise ValueError", execution_count=2, outputs=[failed])],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})


def warm_up_renderers() -> None:
    """Compile every report page template and get the notebook-page exporters and nbdime
    ready, by rendering a small notebook (with and without code) and a diff of it.

    For a long-lived process that forks builds (a sweep's trial server): each fork then
    renders its run's pages with templates compiled once, not once per build.
    """
    import tempfile

    import nbformat

    from nbops.reports._notebook_diff import diff_page
    from nbops.reports._notebook_page import NotebookPage, render_notebook
    from nbops.reports._templates_env import environment

    pages = environment()
    for name in pages.list_templates():
        pages.get_template(name)
    for hide_code in (False, True):
        render_notebook(_warm_notebook("1"), NotebookPage(task="warm-up", hide_code=hide_code))
    with tempfile.TemporaryDirectory(prefix="nbops-warm-") as tmp:
        a, b = Path(tmp) / "a.ipynb", Path(tmp) / "b.ipynb"
        nbformat.write(_warm_notebook("1"), str(a))
        nbformat.write(_warm_notebook("2"), str(b))
        diff_page("warm-up", a, b, "a", "b", None, None)
