"""HTML reports: a page per output notebook, a page per run, and the site.

Public functions (imported lazily so ``import nbops.reports`` stays cheap and
nbconvert is only imported when a notebook page is rendered):

- :func:`render_run` — notebook pages and run page of one run folder;
- :func:`render_site` — ``reports/index.html`` from the run index;
- :func:`render_after_run` — both, as called by the build hooks;
- :func:`publish_html` / :func:`publish_zip` — share a run as one file or a zip;
- :func:`serve` — serve ``reports/`` on 127.0.0.1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.reports._compare import compare_runs, comparison_markdown, comparison_table
    from nbops.reports._compare_page import write_compare_page
    from nbops.reports._ledger_view import list_summaries, load_manifest
    from nbops.reports._live import LIVE_FILE, LiveView, read_live_status
    from nbops.reports._live import end_page as end_live_page
    from nbops.reports._markup import STATUS_LABELS
    from nbops.reports._notebook_diff import notebook_diff_page
    from nbops.reports._notebook_page import NotebookPage, render_notebook_file
    from nbops.reports._publish import publish_html, publish_zip
    from nbops.reports._render import (
        SITE_DEFERRED_ENV,
        ReportsStep,
        publish_reproduction,
        render_notebooks,
        render_run,
        render_site,
        runs_without_pages,
        warm_up_renderers,
    )
    from nbops.reports._reproduction_page import verdict_sentence
    from nbops.reports._section_tables import section_tables
    from nbops.reports._serve import HOST, make_server
    from nbops.reports._summary import (
        add_build_error,
        build_summary,
        summary_markdown,
        summary_text,
        use_colour,
        verdict_at_exit,
    )
    from nbops.reports._summary import fmt as format_value
    from nbops.reports._sweep_page import write_sweep_page
    from nbops.reports._watch import WatchEvent, running_run
    from nbops.reports._watch import exit_code as watch_exit_code
    from nbops.reports._watch import follow as follow_run

__all__ = [
    "HOST", "LIVE_FILE", "LiveView", "NotebookPage", "ReportsStep", "SITE_DEFERRED_ENV",
    "STATUS_LABELS", "WatchEvent", "add_build_error", "build_summary", "compare_runs",
    "comparison_markdown", "comparison_table", "end_live_page", "follow_run", "format_value",
    "list_summaries", "load_manifest", "make_server", "notebook_diff_page", "publish_html",
    "publish_reproduction",
    "publish_zip", "read_live_status", "render_notebook_file", "render_notebooks", "render_run",
    "render_site", "running_run", "runs_without_pages", "section_tables", "summary_markdown",
    "summary_text", "use_colour", "verdict_at_exit", "verdict_sentence", "warm_up_renderers",
    "watch_exit_code", "write_compare_page", "write_sweep_page",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_compare": ("compare_runs", "comparison_markdown", "comparison_table"),
        "_compare_page": ("write_compare_page",),
        "_ledger_view": ("list_summaries", "load_manifest"),
        "_live": ("LIVE_FILE", "LiveView", "end_live_page=end_page", "read_live_status"),
        "_markup": ("STATUS_LABELS",),
        "_notebook_diff": ("notebook_diff_page",),
        "_notebook_page": ("NotebookPage", "render_notebook_file"),
        "_publish": ("publish_html", "publish_zip"),
        "_render": (
            "ReportsStep", "SITE_DEFERRED_ENV", "publish_reproduction", "render_notebooks",
            "render_run", "render_site", "runs_without_pages", "warm_up_renderers",
        ),
        "_reproduction_page": ("verdict_sentence",),
        "_section_tables": ("section_tables",),
        "_serve": ("HOST", "make_server"),
        "_summary": (
            "add_build_error", "build_summary", "format_value=fmt", "summary_markdown",
            "summary_text",
            "use_colour", "verdict_at_exit",
        ),
        "_sweep_page": ("write_sweep_page",),
        "_watch": ("WatchEvent", "follow_run=follow", "running_run", "watch_exit_code=exit_code"),
    })
