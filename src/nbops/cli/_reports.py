"""``nbops report`` / ``publish`` / ``serve``: the HTML reports by hand.

Builds render reports automatically; these commands re-render them (after an
nbops upgrade, or with code hidden), share a run as one file or a zip, and
serve the site on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import click

from nbops.core import ConfigError, IntegrityError, LedgerError

if TYPE_CHECKING:
    from nbops.contracts import Manifest
    from nbops.core import Project

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)


def _project(project: Path | None) -> Project:
    from nbops.core import find_project

    return find_project(project)


def _resolve(project: Project, ref: str) -> str:
    from nbops.runs import resolve_run

    return resolve_run(project, ref)


class RenderedRun(TypedDict):
    """What ``nbops report`` wrote of one run (``--json``)."""

    run_id: str
    run_page: str
    notebook_pages: dict[str, str]
    task_pages: dict[str, str]


def _render_runs(proj: Project, run_ids: list[str], hide_code: bool, named: bool
                 ) -> tuple[list[RenderedRun], list[str]]:
    """Render each run's pages; what was written, and the runs refused as corrupt."""
    from nbops.reports import render_run

    written: list[RenderedRun] = []
    refused: list[str] = []
    for run_id in run_ids:
        try:
            result = render_run(proj.run_dir(run_id), reports_dir=proj.reports_dir,
                                hide_code=hide_code)
        except IntegrityError as exc:
            if named:  # a run named on the command line: its one sentence is the answer
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)  # the other runs still render
            refused.append(run_id)
            continue
        written.append({"run_id": run_id, "run_page": str(result.run_page),
                        "notebook_pages": {k: str(v) for k, v in result.notebook_pages.items()},
                        "task_pages": {k: str(v) for k, v in result.task_pages.items()}})
    return written, refused


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
    from nbops.reports import list_summaries, render_site, runs_without_pages

    proj = _project(project)
    if all_runs:
        run_ids = [s["run_id"] for s in list_summaries(proj.reports_dir)]
    elif runs:
        run_ids = [_resolve(proj, ref) for ref in runs]
    else:
        run_ids = runs_without_pages(proj.reports_dir)
    written, refused = _render_runs(proj, run_ids, hide_code, named=bool(runs))
    site = render_site(proj.reports_dir)
    if as_json:
        click.echo(json.dumps({"site": str(site), "runs": written, "refused": refused},
                              indent=2))
        if refused:
            raise SystemExit(1)
        return
    for item in written:
        click.echo(f"{item['run_id']}: {item['run_page']} "
                   f"(+{len(item['notebook_pages'])} notebook pages, "
                   f"{len(item['task_pages'])} task pages)")
    click.echo(f"site: {site}")
    if refused:
        raise SystemExit(1)


@click.command()
@click.argument("run", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="FILE.html for one self-contained page, or DIR.zip for the run folder.")
@click.option("--to", "to_url", default=None,
              help="Upload to a bucket (s3://…, file://…; default: the project's remote) "
                   "and print a link readers can open.")
@click.option("--site", is_flag=True, help="With --to: upload the whole report site.")
@click.option("--expires", default=7 * 24 * 3600, show_default=True,
              help="Seconds the printed presigned link stays valid (s3://).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@_project_option
def publish(run: str | None, output: Path | None, to_url: str | None, site: bool,
            expires: int, as_json: bool, project: Path | None) -> None:
    """Share RUN (id, prefix, latest): one offline HTML file, a zip of its folder, or
    pages uploaded to a bucket (--to URL, --site for every run)."""
    from nbops.reports import publish_html, publish_zip

    proj = _project(project)
    if to_url is not None or site:
        _publish_remote(proj, run, to_url, site, expires, as_json)
        return
    if run is None or output is None:
        raise ConfigError("publish needs RUN and -o FILE, or --to URL",
                          "e.g. nbops publish latest -o run.html, or nbops publish latest "
                          "--to s3://bucket/reports")
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


def _publish_remote(proj: Project, run: str | None, to_url: str | None, site: bool,
                    expires: int, as_json: bool) -> None:
    from nbops.remote import check_url, require_url
    from nbops.sync import publish_run_to, publish_site_to

    url = check_url(to_url) if to_url else require_url(proj)
    if site:
        done = publish_site_to(proj, url, expires)
    else:
        done = publish_run_to(proj, _resolve(proj, run or "latest"), url, expires)
    if as_json:
        click.echo(json.dumps({"remote": done.remote, "key": done.key, "link": done.link,
                               "files": done.files, "bytes": done.bytes}))
        return
    click.echo(f"Published {done.files} file(s) ({done.bytes / 1024:.0f} KiB) to "
               f"{done.remote}/{done.key}; open: {done.link}")


@click.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the address as one JSON line when serving starts.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header is NAME (repeatable); by default "
                   "only loopback names are answered (DNS rebinding).")
@_project_option
def serve(port: int, as_json: bool, allow_hosts: tuple[str, ...], project: Path | None) -> None:
    """Serve the report site on http://127.0.0.1:PORT/ until Ctrl-C."""
    from nbops.reports import HOST, make_server, render_site

    proj = _project(project)
    if not proj.reports_dir.is_dir():
        raise LedgerError(f"No reports in {proj.reports_dir}", "run `ploomber build` first")
    if not (proj.reports_dir / "index.html").is_file():
        render_site(proj.reports_dir)
    server = make_server(proj.reports_dir, port, allow_hosts)
    bound = server.server_address[1]
    if as_json:
        click.echo(json.dumps({"ok": True, "url": f"http://{HOST}:{bound}/",
                               "folder": str(proj.reports_dir)}))
    else:
        click.echo(f"Serving {proj.reports_dir} at http://{HOST}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()


def _manifest(proj: Project, ref: str) -> Manifest:
    from nbops.runs import load_manifest

    return load_manifest(proj, ref)


@click.command("summary")
@click.argument("run", default="latest")
@click.option("--markdown", is_flag=True,
              help="Markdown for a CI job summary or a pull-request comment.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_project_option
def summary(run: str, markdown: bool, as_json: bool, project: Path | None) -> None:
    """What RUN did (default latest): status, metrics vs previous and champion, gates, registry.

    The same summary every `ploomber build` ends with. In GitHub Actions:
    `nbops summary --markdown >> "$GITHUB_STEP_SUMMARY"`.
    """
    from nbops.reports import (
        build_summary,
        list_summaries,
        summary_markdown,
        summary_text,
        use_colour,
    )

    proj = _project(project)
    manifest = _manifest(proj, run)
    result = build_summary(manifest, proj.run_dir(manifest["run_id"]),
                           list_summaries(proj.reports_dir))
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif markdown:
        click.echo(summary_markdown(result), nl=False)
    else:
        stream = sys.stdout
        click.echo(summary_text(result, colour=use_colour(stream)), nl=False)


@click.command("compare")
@click.argument("runs", nargs=-1, required=True)
@click.option("--markdown", is_flag=True, help="Markdown tables (CI summaries, PR comments).")
@click.option("--all-rows", is_flag=True, help="Also list rows on which the runs agree.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the comparison as one offline HTML page.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@_project_option
def compare(runs: tuple[str, ...], markdown: bool, all_rows: bool, output: Path | None,
            as_json: bool, project: Path | None) -> None:
    """Compare two or more RUNS side by side: parameters, data, code, packages, metrics.

    Rows where the runs differ are highlighted; metrics show the change against
    the first run given.
    """
    from nbops.cli._output import echo_json, echo_rich
    from nbops.reports import compare_runs, comparison_markdown, comparison_table

    if len(runs) < 2:
        raise ConfigError(f"nbops compare got one run ({runs[0]})",
                          "name two or more runs: nbops compare RUN_A RUN_B [RUN_C ...]")
    proj = _project(project)
    manifests = [_manifest(proj, ref) for ref in runs]
    comparison = compare_runs(manifests)
    if output is not None:
        from nbops.reports import write_compare_page

        write_compare_page(proj.reports_dir, [m["run_id"] for m in manifests], output)
    if as_json:
        echo_json(comparison.to_dict())
    elif markdown:
        click.echo(comparison_markdown(comparison, changes_only=not all_rows), nl=False)
    else:
        echo_rich(comparison_table(comparison, changes_only=not all_rows))
        if output is not None:
            click.echo(f"Comparison page: {output}")


COMMANDS = [report, publish, serve, summary, compare]
