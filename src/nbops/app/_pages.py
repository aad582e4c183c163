"""Keep the report site true after a command changed the ledger or the registry.

``nbops gc`` deletes runs (the site and the kept run pages that linked to them are
re-rendered); ``nbops promote``/``tag`` move an alias (the site and model pages
stop showing the champion of before). A project without a site gets none, except
after ``nbops pull``: a teammate's fresh clone gets the site that lists what it pulled.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbops.core import Project
    from nbops.runs import GcResult
    from nbops.sync import PullResult


def refresh_site(root: Path) -> str | None:
    """Rewrite the site of the project at ``root`` when it has one; best effort.

    Returns:
        None, or why the site could not be refreshed (the change itself stands).
    """
    from nbops.core import NbopsError
    from nbops.reports import render_site

    reports = Path(root) / "reports"
    if not (reports / "index.html").is_file():
        return None
    try:
        render_site(reports)
    except (NbopsError, OSError, ValueError) as exc:
        return str(exc)
    return None


def pull_and_refresh(project: Project, refs: Iterable[str] = (), *, all_runs: bool = False,
                     url: str | None = None) -> tuple[PullResult, str | None]:
    """``nbops pull``: pull the runs, then render the site so they appear on it, and the
    run page of each pulled or newly verified run (it says where the run came from).

    Returns:
        The pull's result, and None or why the site could not be rendered (the pulled
        runs stand; ``nbops report --all`` renders it later).
    """
    from nbops.core import NbopsError
    from nbops.reports import render_run, render_site
    from nbops.sync import pull_runs

    result = pull_runs(project, refs, all_runs=all_runs, url=url)
    if not result.pulled and not result.verified_now:
        return result, None
    try:
        for run_id in [*result.pulled, *result.verified_now]:
            render_run(project.run_dir(run_id), reports_dir=project.reports_dir,
                       notebooks=False)
        render_site(project.reports_dir)
    except (NbopsError, OSError, ValueError) as exc:
        return result, str(exc)
    return result, None


def collect_garbage_and_refresh(project: Project, keep: int, *, dry_run: bool = False
                                ) -> GcResult:
    """``nbops gc``: delete old runs and unreferenced objects, then mend the pages.

    Re-renders the site, and every kept run page that linked to a deleted run.
    """
    from nbops.runs import collect_garbage

    result = collect_garbage(project, keep, dry_run=dry_run)
    if result.deleted_runs and not dry_run:
        _refresh_after_gc(project, result.deleted_runs, result.kept_runs)
    return result


def _refresh_after_gc(project: Project, deleted: list[str], kept: list[str]) -> None:
    from nbops.reports import render_run, render_site

    if not (project.reports_dir / "index.html").is_file():
        return
    for run_id in kept:
        page = project.run_dir(run_id) / "index.html"
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue
        if any(gone in text for gone in deleted):
            render_run(project.run_dir(run_id), reports_dir=project.reports_dir,
                       notebooks=False)
    render_site(project.reports_dir)
