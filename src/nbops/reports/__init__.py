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

from typing import Any

__all__ = [
    "publish_html",
    "publish_zip",
    "render_after_run",
    "render_run",
    "render_site",
    "serve",
]

_HOMES = {
    "render_run": "nbops.reports.render",
    "render_site": "nbops.reports.render",
    "render_after_run": "nbops.reports.render",
    "publish_html": "nbops.reports.publish",
    "publish_zip": "nbops.reports.publish",
    "serve": "nbops.reports.serve",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'nbops.reports' has no attribute {name!r}")
