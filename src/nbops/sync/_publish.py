"""``nbops publish RUN --to URL`` and ``nbops publish --site --to URL``: pages a reader
opens straight from the bucket.

A run is uploaded as one self-contained page (:func:`nbops.reports._publish.publish_html`:
every notebook page embedded, no other request), so a single presigned link opens all
of it. The whole site is uploaded as its folder tree (``reports/`` minus notebooks and
the run index) under ``site/``; relative links between its pages need the bucket (or
that prefix) to be served as a website or readable by the readers.
"""

from __future__ import annotations

import mimetypes
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbops.core import Project
from nbops.remote import open_remote

SITE_PREFIX = "site"
_SKIP_SUFFIXES = (".ipynb", ".jsonl", ".log")


@dataclass
class Published:
    """Where the pages went."""

    remote: str
    key: str
    link: str
    files: int
    bytes: int


def publish_run_to(project: Project, run_id: str, url: str, expires_s: int) -> Published:
    """Upload RUN as one page to ``URL/site/runs/<run_id>.html`` and sign a link to it."""
    from nbops.reports import publish_html

    remote = open_remote(url)
    remote.check_reachable()
    with tempfile.TemporaryDirectory(prefix="nbops-publish-") as tmp:
        page = publish_html(run_id, Path(tmp) / f"{run_id}.html",
                            reports_dir=project.reports_dir)
        data = page.read_bytes()
    key = f"{SITE_PREFIX}/runs/{run_id}.html"
    remote.put_page(key, data, "text/html; charset=utf-8")
    return Published(remote.label, key, remote.link(key, expires_s), 1, len(data))


def publish_site_to(project: Project, url: str, expires_s: int) -> Published:
    """Upload the report site (``reports/``) under ``URL/site/`` and sign its front page."""
    from nbops.core import LedgerError
    from nbops.reports import render_site

    if not project.reports_dir.is_dir():
        raise LedgerError(f"No reports in {project.reports_dir}", "run `ploomber build` first")
    render_site(project.reports_dir)
    remote = open_remote(url)
    remote.check_reachable()
    files = size = 0
    for path in sorted(project.reports_dir.rglob("*")):
        if not path.is_file() or path.suffix in _SKIP_SUFFIXES or path.name.startswith("."):
            continue
        relative = path.relative_to(project.reports_dir).as_posix()
        if "/.pull-" in f"/{relative}":
            continue
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/json", "application/javascript"):
            kind += "; charset=utf-8"
        data = path.read_bytes()
        remote.put_page(f"{SITE_PREFIX}/{relative}", data, kind)
        files += 1
        size += len(data)
    key = f"{SITE_PREFIX}/index.html"
    return Published(remote.label, key, remote.link(key, expires_s), files, size)
