"""``nbops report`` / ``publish`` / ``serve``: the HTML reports by hand.

Builds render reports automatically; these commands re-render them (after an
nbops upgrade, or with code hidden), share a run as one file or a zip, and
serve the site on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from nbops.core.errors import ConfigError, IntegrityError, LedgerError

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)


def _project(project: Path | None):  # type: ignore[no-untyped-def]
    from nbops.core.project import find_project

    return find_project(project)


def _resolve(project, ref: str) -> str:  # type: ignore[no-untyped-def]
    from nbops.runs import resolve_run

    return resolve_run(project, ref)


@click.command()
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Re-render every run's pages too.")
@click.option("--hide-code", is_flag=True,
              help="Render notebook pages without code cells (for non-technical readers).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@_project_option
def report(runs: tuple[str, ...], all_runs: bool, hide_code: bool, as_json: bool,
           project: Path | None) -> None:
    """Rebuild reports/index.html, and the pages of RUNS (ids, prefixes, latest~N).

    Without RUNS, runs that have no run page yet (copied ledgers, older
    versions) get theirs.
    """
    from nbops.reports.ledger_view import list_summaries
    from nbops.reports.render import render_run, render_site, runs_without_pages

    proj = _project(project)
    if all_runs:
        run_ids = [s["run_id"] for s in list_summaries(proj.reports_dir)]
    elif runs:
        run_ids = [_resolve(proj, ref) for ref in runs]
    else:
        run_ids = runs_without_pages(proj.reports_dir)
    written = []
    refused: list[str] = []
    for run_id in run_ids:
        try:
            result = render_run(proj.run_dir(run_id), reports_dir=proj.reports_dir,
                                hide_code=hide_code)
        except IntegrityError as exc:
            if runs:  # a run named on the command line: its one sentence is the answer
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)  # the other runs still render
            refused.append(run_id)
            continue
        written.append({"run_id": run_id, "run_page": str(result.run_page),
                        "notebook_pages": {k: str(v) for k, v in result.notebook_pages.items()}})
    site = render_site(proj.reports_dir)
    if as_json:
        click.echo(json.dumps({"site": str(site), "runs": written, "refused": refused},
                              indent=2))
        if refused:
            raise SystemExit(1)
        return
    for item in written:
        click.echo(f"{item['run_id']}: {item['run_page']} "
                   f"(+{len(item['notebook_pages'])} notebook pages)")
    click.echo(f"site: {site}")
    if refused:
        raise SystemExit(1)


@click.command()
@click.argument("run")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.html for one self-contained page, or DIR.zip for the run folder.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@_project_option
def publish(run: str, output: Path, as_json: bool, project: Path | None) -> None:
    """Share RUN (id, prefix, latest): one offline HTML file, or a zip of its folder."""
    from nbops.reports.publish import publish_html, publish_zip

    proj = _project(project)
    run_id = _resolve(proj, run)
    suffix = output.suffix.lower()
    if suffix in (".html", ".htm"):
        written = publish_html(run_id, output, reports_dir=proj.reports_dir)
    elif suffix == ".zip":
        written = publish_zip(run_id, output, reports_dir=proj.reports_dir)
    else:
        raise ConfigError(f"Cannot tell what to write from {output.name!r}",
                          "name the output FILE.html (one page) or DIR.zip (the folder)")
    size = written.stat().st_size
    if as_json:
        click.echo(json.dumps({"run_id": run_id, "output": str(written), "bytes": size}))
    else:
        click.echo(f"Published run {run_id} to {written} ({size / 1024:.0f} KiB); "
                   "it opens offline in any browser.")


@click.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port on 127.0.0.1.")
@_project_option
def serve(port: int, project: Path | None) -> None:
    """Serve the report site on http://127.0.0.1:PORT/ until Ctrl-C."""
    from nbops.reports.render import render_site
    from nbops.reports.serve import HOST, make_server

    proj = _project(project)
    if not proj.reports_dir.is_dir():
        raise LedgerError(f"No reports in {proj.reports_dir}", "run `ploomber build` first")
    if not (proj.reports_dir / "index.html").is_file():
        render_site(proj.reports_dir)
    server = make_server(proj.reports_dir, port)
    bound = server.server_address[1]
    click.echo(f"Serving {proj.reports_dir} at http://{HOST}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()


COMMANDS = [report, publish, serve]
