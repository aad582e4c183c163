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
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.core.atomic import atomic_write_text
from nbops.core.errors import NbopsError
from nbops.core.ids import is_run_id
from nbops.reports.ledger_view import (
    champion_metrics,
    list_summaries,
    load_manifest,
    previous_comparable,
    runs_dir,
)
from nbops.reports.paths import task_page
from nbops.reports.run_page import run_page_html
from nbops.reports.site_page import site_html

log = logging.getLogger("nbops")


@dataclass
class RenderResult:
    """What ``render_run`` wrote and how long each notebook took."""

    run_page: Path
    notebook_pages: dict[str, Path] = field(default_factory=dict)
    reused_pages: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)


def _link_or_copy(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.link")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


def _inside(run_dir: Path, relative: str) -> bool:
    """Whether ``relative`` names a file inside ``run_dir`` (no ``..``, no link out of it)."""
    root = os.path.realpath(run_dir)
    return os.path.realpath(run_dir / relative).startswith(root + os.sep)


def _reusable_page(run_dir: Path, name: str, task: dict[str, Any]) -> Path | None:
    produced = task.get("produced_by")
    if task.get("status") != "skipped" or not produced or produced == run_dir.name:
        return None
    if not is_run_id(produced):  # a forged manifest must not link pages from elsewhere
        return None
    candidate = task_page(run_dir.parent / produced, name)
    return candidate if candidate.is_file() else None


def render_notebooks(
    manifest: dict[str, Any], run_dir: Path, *, hide_code: bool = False, reuse: bool = True
) -> RenderResult:
    """Render the page of every task whose output notebook is in ``run_dir``."""
    from nbops.reports.notebook_page import NotebookPage, render_notebook_file

    result = RenderResult(run_page=run_dir / "index.html")
    for name, task in manifest.get("tasks", {}).items():
        notebook = (task.get("notebook") or {}).get("path")
        if not notebook or not _inside(run_dir, notebook) or not (run_dir / notebook).is_file():
            continue
        dest = task_page(run_dir, name)
        started = time.perf_counter()
        source = _reusable_page(run_dir, name, task) if reuse and not hide_code else None
        if source is not None:
            _link_or_copy(source, dest)
            result.reused_pages.append(name)
        else:
            page = NotebookPage(
                task=name,
                run_id=manifest["run_id"],
                status=task.get("status", ""),
                error=task.get("error"),
                params=manifest.get("params", {}).get(name),
                hide_code=hide_code,
                links=(("run page", "../index.html"), (".ipynb", f"../{notebook}")),
            )
            render_notebook_file(run_dir / notebook, dest, page)
        result.notebook_pages[name] = dest
        result.timings_s[name] = time.perf_counter() - started
    return result


def render_run(
    run_dir: Path,
    *,
    reports_dir: Path | None = None,
    hide_code: bool = False,
    notebooks: bool = True,
) -> RenderResult:
    """Render the notebook pages and the run page of the run in ``run_dir``.

    Args:
        run_dir: ``reports/runs/<run_id>``.
        reports_dir: the ``reports`` folder (default: two levels up), used to
            find the previous run and the champion's run.
        hide_code: render notebook pages without code (for non-technical readers).
        notebooks: also render the notebook pages (``False``: run page only).
    """
    run_dir = Path(run_dir)
    reports_dir = Path(reports_dir) if reports_dir else run_dir.parent.parent
    manifest = load_manifest(run_dir)
    if notebooks:
        result = render_notebooks(manifest, run_dir, hide_code=hide_code)
    else:
        result = RenderResult(run_page=run_dir / "index.html")
    previous = previous_comparable(list_summaries(reports_dir), manifest["run_id"])
    champion = champion_metrics(manifest, reports_dir)
    html = run_page_html(manifest, run_dir, previous=previous, champion=champion)
    atomic_write_text(result.run_page, html)
    return result


def render_site(reports_dir: Path, *, headline: list[str] | None = None) -> Path:
    """Rewrite ``reports/index.html`` from the run index; return its path."""
    reports_dir = Path(reports_dir)
    dest = reports_dir / "index.html"
    summaries = list_summaries(reports_dir)
    pages = {s["run_id"] for s in summaries if runs_dir(reports_dir).joinpath(
        s["run_id"], "index.html").is_file()}
    atomic_write_text(dest, site_html(summaries, headline=headline, pages=pages))
    return dest


def runs_without_pages(reports_dir: Path) -> list[str]:
    """Run ids (oldest first) whose run page was never rendered."""
    return sorted(s["run_id"] for s in list_summaries(reports_dir)
                  if not runs_dir(reports_dir).joinpath(s["run_id"], "index.html").is_file())


def render_after_run(run_dir: Path, *, headline: list[str] | None = None) -> RenderResult | None:
    """Render a just-closed run and the site; called by nbops.hooks.

    The run's record is complete before this runs, so a rendering problem must
    not fail the build: it is logged as an error that says how to retry.
    """
    run_dir = Path(run_dir)
    started = time.perf_counter()
    try:
        result = render_run(run_dir)
        render_site(run_dir.parent.parent, headline=headline)
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


def render_after_close(context: Any) -> None:
    """Post-close step for nbops.hooks: render the run's pages and the site.

    Args:
        context: the :class:`nbops.runs.RunContext` of the closed run (only
            its ``run_dir`` is used).
    """
    render_after_run(Path(context.run_dir))
