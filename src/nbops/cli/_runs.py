"""``nbops runs`` / ``show`` / ``diff`` / ``checkout`` / ``verify`` / ``gc`` / ``pin``.

Thin commands over :mod:`nbops.runs`; imports happen inside the commands so
that ``nbops runs`` stays fast with thousands of runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from nbops.contracts import Manifest
from nbops.core import ConfigError, LedgerError, NbopsError

_RowT = TypeVar("_RowT", bound=Mapping[str, Any])

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)


def _project(project: Path | None) -> Any:
    from nbops.core import find_project

    return find_project(project)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _metrics_text(metrics: dict[str, float], limit: int = 3) -> str:
    items = list(metrics.items())[:limit]
    text = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in items)
    return text + (" …" if len(metrics) > limit else "")


@click.command("runs")
@click.option("--json", "as_json", is_flag=True, help="Print the run summaries as JSON.")
@click.option("--limit", type=int, default=None,
              help="Show only N runs: the newest, or the first N in --sort order.")
@click.option("--where", "where", default=None, metavar="EXPR",
              help="Only runs matching EXPR, e.g. 'metrics.roc_auc > 0.85 and "
                   "params.model.max_depth == 4' (fields: status, metrics.X, params.X, "
                   "tags.X, experiment.data …; == != < <= > >= in, and/or/not).")
@click.option("--sort", "sort", default=None, metavar="[-]FIELD",
              help="Order by FIELD (e.g. -metrics.roc_auc: best first); runs without it last.")
@click.option("--remote", "on_remote", is_flag=True,
              help="List the runs on the project's remote (from its index object).")
@_project_option
def runs_command(as_json: bool, limit: int | None, where: str | None, sort: str | None,
                 on_remote: bool, project: Path | None) -> None:
    """List runs, newest first as on the report site: id, status, experiment, duration, tasks,
    metrics (--json keeps the ledger's oldest-first order; --remote lists the team remote's).

    \b
    nbops runs --where 'metrics.roc_auc > 0.85 and params.model.max_depth == 4'
    nbops runs --where 'status in ["gated", "failed"]' --sort -started_at --limit 5
    nbops runs --sort -metrics.roc_auc --limit 10 --json
    """
    from nbops.runs import parse_query, sort_rows

    query = None if where is None else parse_query(where)  # bad input: before any reading
    if sort is not None:
        sort_rows([], sort)
    summaries: Sequence[Mapping[str, Any]]  # the remote's rows are shorter than index lines
    if on_remote:
        from nbops.sync import remote_summaries

        summaries = remote_summaries(_project(project))
    else:
        from nbops.runs import list_runs

        summaries = list_runs(_project(project))
    if query is not None:
        summaries = [s for s in summaries if query.matches(s)]
    summaries = _ordered(summaries, sort, limit, best_last=not as_json)
    if as_json:
        _echo_json(summaries)
    elif not summaries:
        click.echo("No runs on the remote yet: run `nbops push`." if on_remote
                   else "No runs yet: run `ploomber build` in the project.")
    else:
        _echo_listing(summaries)


def _ordered(summaries: Sequence[_RowT], sort: str | None, limit: int | None,
             best_last: bool) -> Sequence[_RowT]:
    """``--sort`` then ``--limit`` (the first N sorted, or the newest N); the listing shows
    runs newest-first, so a sorted listing is reversed to show the best first."""
    from nbops.runs import sort_rows

    if sort is not None:
        ordered = sort_rows(summaries, sort)
        if limit is not None:
            ordered = ordered[:limit] if limit > 0 else []
        return list(reversed(ordered)) if best_last else ordered
    if limit is not None:
        return summaries[-limit:] if limit > 0 else []
    return summaries


def _echo_listing(summaries: Sequence[Mapping[str, Any]]) -> None:
    """The runs as a table: rich for a screenful, plain columns for long listings."""
    from nbops.cli._output import RICH_ROWS, echo_columns, echo_rich

    rows = _listing_rows(summaries)
    if len(rows) > RICH_ROWS:  # plain columns: rich is too slow for long listings
        echo_columns([name for name, _, _ in _COLUMNS], [cells for cells, _, _ in rows],
                     right={i for i, (_, justify, _) in enumerate(_COLUMNS) if justify == "right"},
                     statuses=_STATUS_COLOURS)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column, justify, width in _COLUMNS:
        table.add_column(column, justify=justify, no_wrap=True,
                         overflow="ellipsis", min_width=width)
    for cells, status, verdict in rows:
        styled = f"[{_STATUS_COLOURS[status]}]{status}[/]" if status in _STATUS_COLOURS \
            else status
        if verdict:
            styled += f" [{'red' if verdict == 'alert' else 'yellow'}]{verdict}[/]"
        table.add_row(escape(cells[0]), styled, *map(escape, cells[2:]))  # text, not markup
    echo_rich(table)


#: (name, justify, min width): ids, statuses and numbers are never cut; the rest folds.
_COLUMNS: tuple[tuple[str, Literal["left", "right"], int], ...] = (
    ("RUN", "left", 29), ("STATUS", "left", 17), ("EXPERIMENT", "left", 12),
    ("DURATION", "right", 8), ("EXEC", "right", 4), ("REUSED", "right", 6), ("METRICS", "left", 10))
_STATUS_COLOURS = {"succeeded": "green", "failed": "red", "gated": "yellow",
                   "interrupted": "yellow", "running": "blue"}


def _task_word(status: Any) -> Any:
    """A task's status as every page and summary words it: a task a build did not run
    again because its products were up to date is "reused" (the manifest says "skipped")."""
    from nbops.reports import STATUS_LABELS

    return STATUS_LABELS.get(status, status) if isinstance(status, str) else status


def _listing_rows(summaries: Sequence[Mapping[str, Any]]
                  ) -> list[tuple[list[str], str, str | None]]:
    """Newest first, as the site lists them: (plain cells, status, monitoring verdict).

    Cells are :func:`~nbops.core.printable`: a metric name's escape sequences are shown.
    """
    from nbops.core import from_summary, printable

    rows = []
    for s in reversed(summaries):
        verdict = s.get("monitoring_verdict")
        verdict = verdict if verdict in ("warn", "alert") else None
        status = f"{s['status']} {verdict}" if verdict else s["status"]
        cells = [s["run_id"], status, from_summary(s).label, _duration(s["duration_s"]),
                 str(s["executed"]), str(s["skipped"]), _metrics_text(s["metrics"])]
        rows.append(([printable(cell) for cell in cells], s["status"], verdict))
    return rows


@click.command("show")
@click.argument("run", default="latest")
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
@_project_option
def show_command(run: str, as_json: bool, project: Path | None) -> None:
    """Show one run in full (RUN: an id, a unique prefix, latest or latest~N)."""
    from nbops.core import printable
    from nbops.runs import CORE_SECTIONS, load_manifest

    proj = _project(project)
    manifest = load_manifest(proj, run)
    if as_json:
        _echo_json(manifest)
        return
    out = _header_lines(manifest, proj.run_dir(manifest["run_id"])) + _task_lines(manifest)
    if manifest["metrics"]:
        from nbops.reports import format_value

        out.append("metrics")
        out.extend(f"  {k:<24} {format_value(v):>12}" for k, v in manifest["metrics"].items())
    click.echo("\n".join(map(printable, out)))  # names and messages shown, never obeyed
    extra = sorted(set(manifest) - CORE_SECTIONS)
    if extra:
        from nbops.cli._output import echo_rich
        from nbops.reports import section_tables

        echo_rich(section_tables(manifest, extra))


def _header_lines(manifest: Manifest, folder: Path) -> list[str]:
    """Who, when, where and how a run ran; how it ended when it did not succeed."""
    git = manifest["provenance"]["git"]
    out = [
        f"run       {manifest['run_id']}  ({manifest['status']})",
        f"folder    {folder}",
        f"started   {manifest['started_at']}   duration {_duration(manifest['duration_s'])}",
        f"command   {' '.join(manifest['command'])}",
        f"git       {(git['commit'] or '-')[:12]} on {git['branch'] or '-'}"
        f"{'  (dirty)' if git['dirty'] else ''}",
        f"python    {manifest['provenance']['python']} on {manifest['provenance']['platform']}",
    ]
    if manifest["failure"]:
        out.append(f"failure   {manifest['failure']['message']}")
    if "interrupted" in manifest:
        out.append(f"stopped   {manifest['interrupted'].get('reason', 'interrupted')}")
    return out


def _task_lines(manifest: Manifest) -> list[str]:
    """Each task: its outcome, duration, where a skipped task's products came from, and
    the failing cell of a failed one."""
    out = ["tasks"]
    for name, task in manifest["tasks"].items():
        by = ""
        if task["status"] == "skipped" and task["produced_by"]:
            by = f"  (from {task['produced_by']})"
        out.append(f"  {name:<24} {_task_word(task['status']):<9} "
                   f"{_duration(task['duration_s']):>8}{by}")
        if task["error"]:
            err = task["error"]
            out.append(f"    cell {err['cell_index']}: {err['ename']}: {err['evalue']}")
    return out


def _change_lines(title: str, changes: Mapping[str, Mapping[str, object]]) -> list[str]:
    if not changes:
        return []
    lines = [title]
    for key, change in changes.items():
        lines.append(f"  {key}: {change['a']!r} -> {change['b']!r}")
    return lines


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--markdown", is_flag=True,
              help="Markdown tables of what changed (CI job summaries, PR comments).")
@_project_option
def diff_command(run_a: str, run_b: str | None, as_json: bool, markdown: bool,
                 project: Path | None) -> None:
    """What changed from RUN_A to RUN_B: parameters, sources, inputs, packages, metrics.

    Without RUN_B: from RUN_A to the latest run, or, when RUN_A is the latest
    (`nbops diff latest`), from the run before it to it.
    """
    from nbops.runs import diff_runs, load_manifest

    proj = _project(project)
    run_a, run_b = _diff_pair(proj, run_a, run_b)
    manifest_a, manifest_b = load_manifest(proj, run_a), load_manifest(proj, run_b)
    if markdown and not as_json:
        from nbops.reports import compare_runs, comparison_markdown

        click.echo(comparison_markdown(compare_runs([manifest_a, manifest_b])), nl=False)
        return
    result = diff_runs(manifest_a, manifest_b)
    from nbops.core import ContentStore
    from nbops.sources import diff_sources

    result["query_results"] = diff_sources(ContentStore(proj.store_dir),
                                           manifest_a.get("sources"), manifest_b.get("sources"))
    if as_json:
        _echo_json(result)
    else:
        click.echo("\n".join(_diff_lines(result)))


def _diff_pair(proj: Any, run_a: str, run_b: str | None) -> tuple[str, str]:
    """RUN_A and RUN_B; without RUN_B the latest run, compared with the one before it
    when RUN_A is the latest."""
    from nbops.runs import resolve_run, run_ids_on_disk

    if run_b is not None:
        return run_a, run_b
    run_b = resolve_run(proj, "latest")
    if resolve_run(proj, run_a) == run_b:
        earlier = [r for r in run_ids_on_disk(proj) if r < run_b]
        if not earlier:
            raise LedgerError(f"Run {run_b} is the only run, so there is nothing to compare "
                             "it with", "build again, then `nbops diff latest`")
        run_a = earlier[-1]
    return run_a, run_b


def _diff_lines(result: dict[str, Any]) -> list[str]:
    from nbops.sources import diff_lines

    out = [f"{result['a']} -> {result['b']}"]
    executed = result["executed_in_b"]
    out.append(f"re-executed in {result['b']}: {', '.join(executed) if executed else 'none'}")
    out += _change_lines("task status", {
        k: {"a": _task_word(v["a"]), "b": _task_word(v["b"])}
        for k, v in result["tasks"].items() if v["a"] != v["b"]})
    for section in ("sources", "config", "params", "env", "inputs", "git", "packages"):
        out += _change_lines(section, result[section])
    out += diff_lines(result["query_results"])
    if result["products"]:
        out.append("products changed")
        out.extend(f"  {task}: {', '.join(keys)}" for task, keys in result["products"].items())
    if result["metrics"]:
        out.append("metrics")
        for name, m in result["metrics"].items():
            delta = f" ({m['delta']:+.4g})" if m["delta"] is not None else ""
            out.append(f"  {name}: {m['a']} -> {m['b']}{delta}")
    return out


@click.command("checkout")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def checkout_command(run: str, as_json: bool, project: Path | None) -> None:
    """Restore RUN's products into the working products folder (hash-verified)."""
    from nbops.runs import checkout_run, resolve_run

    proj = _project(project)
    result = checkout_run(proj, resolve_run(proj, run))
    if as_json:
        _echo_json({"ok": True, "run_id": result.run_id, "restored": list(result.restored),
                    "skipped": list(result.skipped), "not_stored": list(result.not_stored)})
        return
    click.echo(f"Restored {len(result.restored)} products of run {result.run_id}.")
    if result.skipped:
        click.echo(f"Not restored (not produced by that run): {', '.join(result.skipped)}")
    if result.not_stored:
        click.echo(f"Not restored (tables and other products that are not files, which "
                   f"nbops does not store): {', '.join(result.not_stored)}")


@click.command("verify")
@click.argument("run", default="latest")
@click.option("--all", "all_runs", is_flag=True, help="Verify every run.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@_project_option
def verify_command(run: str, all_runs: bool, as_json: bool, project: Path | None) -> None:
    """Re-hash everything RUN references; exit 1 if anything is missing or altered."""
    from nbops.runs import resolve_run, run_ids_on_disk, verify_run

    proj = _project(project)
    run_ids = run_ids_on_disk(proj) if all_runs else [resolve_run(proj, run)]
    from nbops.registry import registry_path, seal_problem

    reports = [verify_run(proj, run_id) for run_id in run_ids]
    registry_broken = seal_problem(proj.root)
    if as_json:
        items = [r.to_dict() for r in reports]
        if registry_broken:
            items.append({"registry": str(registry_path(proj.root)), "ok": False, "checked": 1,
                          "problems": [{"what": "registry", "problem": registry_broken}]})
        _echo_json(items)
    else:
        for report in reports:
            if report.ok:
                kept = (f"; {len(report.withheld)} object(s) holding secrets were not shared "
                        "by its push" if report.withheld else "")
                unchecked = (f"; {len(report.unchecked)} product(s) that are not files, such "
                             f"as {report.unchecked[0]}, not checked" if report.unchecked else "")
                click.echo(f"{report.run_id}: OK ({report.checked} items verified{kept}"
                           f"{unchecked})")
            elif report.interrupted_only:
                click.secho(f"{report.run_id}: interrupted (not altered)", fg="yellow")
                for problem in report.problems:
                    click.echo(f"  {problem['what']}: {problem['problem']}")
            else:
                click.secho(f"{report.run_id}: {len(report.problems)} problem(s)", fg="red")
                for problem in report.problems:
                    click.echo(f"  {problem['what']}: {problem['problem']}")
        if registry_broken:
            click.secho(f"registry: {registry_broken}", fg="red")
    if not all(r.ok for r in reports) or registry_broken:
        raise SystemExit(1)


@click.command("gc")
@click.option("--keep", type=int, required=True, help="Keep the newest N runs.")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def gc_command(keep: int, dry_run: bool, as_json: bool, project: Path | None) -> None:
    """Delete old runs and unreferenced stored objects (pinned and registered runs stay)."""
    from nbops.app import collect_garbage_and_refresh

    result = collect_garbage_and_refresh(_project(project), keep, dry_run=dry_run)
    if as_json:
        _echo_json(result.to_dict())
        return
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {len(result.deleted_runs)} runs and {result.deleted_objects} stored "
               f"objects, freeing {_size(result.freed_bytes)}; kept "
               f"{len(result.kept_runs)} runs.")
    for run_id in result.deleted_runs:
        click.echo(f"  {'would delete' if dry_run else 'deleted'} {run_id}")


@click.command("pin")
@click.argument("run")
@click.option("--remove", is_flag=True, help="Unpin instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def pin_command(run: str, remove: bool, as_json: bool, project: Path | None) -> None:
    """Pin RUN so that `nbops gc` always keeps it (or --remove the pin)."""
    from nbops.runs import read_pins, resolve_run, write_pins

    proj = _project(project)
    run_id = resolve_run(proj, run)
    pins = read_pins(proj)
    pins = pins - {run_id} if remove else pins | {run_id}
    write_pins(proj, pins)
    if as_json:
        _echo_json({"ok": True, "run_id": run_id, "pinned": not remove})
        return
    click.echo(f"{'Unpinned' if remove else 'Pinned'} {run_id}.")


def _refresh_run_pages(proj: Any, run_id: str) -> None:
    """Re-render the run's page (and the site, when there is one) after a tag or a note."""
    from nbops.reports import render_run, render_site

    run_dir = proj.run_dir(run_id)
    try:
        if (run_dir / "index.html").is_file():
            render_run(run_dir, notebooks=False)
        if (proj.reports_dir / "index.html").is_file():
            render_site(proj.reports_dir)
    except (NbopsError, OSError, ValueError) as exc:
        click.echo(f"Warning: the pages were not refreshed ({exc}); run `nbops report "
                   f"{run_id}`", err=True)


@click.command("tag")
@click.argument("run")
@click.argument("tags", nargs=-1, required=True, metavar="KEY=VALUE...")
@_project_option
def tag_command(run: str, tags: tuple[str, ...], project: Path | None) -> None:
    """Add tags to RUN (merged with its tags; numbers and true/false kept as such).

    \b
    nbops tag latest reviewed=true owner=ana
    nbops runs --where 'tags.reviewed == true'
    """
    from nbops.runs import parse_tag, resolve_run, tag_run

    parsed = dict(parse_tag(text) for text in tags)  # every tag checked before writing
    proj = _project(project)
    run_id = resolve_run(proj, run)
    manifest = tag_run(proj, run_id, parsed)
    _refresh_run_pages(proj, run_id)
    click.echo(f"Run {run_id} tags: " + ", ".join(f"{k}={v}" for k, v in manifest["tags"].items()))


@click.command("note")
@click.argument("run")
@click.argument("text")
@_project_option
def note_command(run: str, text: str, project: Path | None) -> None:
    """Add a note to RUN (shown on its page; found by nbops runs --where '"word" in notes')."""
    from nbops.runs import note_run, resolve_run

    proj = _project(project)
    run_id = resolve_run(proj, run)
    manifest = note_run(proj, run_id, text)
    _refresh_run_pages(proj, run_id)
    click.echo(f"Run {run_id}: note {len(manifest['notes']['items'])} added.")


@click.command("apply")
@click.argument("run")
@click.option("--yes", is_flag=True, help="Write without asking (after showing the diff).")
@click.option("--dry-run", is_flag=True, help="Only show the diff.")
@click.option("--trust-unsigned", is_flag=True,
              help="Apply a run pulled without a verified team-key signature.")
@_project_option
def apply_command(run: str, yes: bool, dry_run: bool, trust_unsigned: bool,
                  project: Path | None) -> None:
    """Write RUN's parameters back into env.yaml, keeping its comments; the diff comes first.

    Only values in both that differ change; secrets, placeholders ({{here}}) and keys
    today's file does not have are left alone and listed.
    """
    from nbops.adapters import env_file
    from nbops.runs import load_manifest, plan_apply, require_verified

    proj = _project(project)
    manifest = load_manifest(proj, run)
    require_verified(proj, manifest["run_id"], "write its parameters into env.yaml",
                     trust_unsigned=trust_unsigned)
    recorded = (manifest.get("build") or {}).get("env_file")
    path = proj.root / recorded if recorded else env_file(proj.root)
    if path is None:
        raise LedgerError(f"the project {proj.root} has no env.yaml to apply run "
                          f"{manifest['run_id']} to", "create env.yaml first")
    plan = plan_apply(Path(path), manifest.get("env") or {}, manifest["run_id"])
    for name, why in plan.skipped.items():
        click.echo(f"left alone: {name}: {why}", err=True)
    if not plan.changed:
        click.echo(f"{plan.path.name} already holds run {manifest['run_id']}'s parameters.")
        return
    click.echo(plan.diff, nl=False)
    if dry_run:
        return
    if not yes and not sys.stdin.isatty():
        raise ConfigError(f"{plan.path.name} was not changed: nbops apply asks before writing, "
                          "and there is no terminal to answer", "pass --yes to write the "
                          "change shown above")
    if not yes and not click.confirm(f"Write these {len(plan.changed)} change(s) to "
                                     f"{plan.path}?", default=False):
        click.echo("Nothing written.")
        return
    plan.write()
    click.echo(f"{plan.path.name}: {len(plan.changed)} value(s) set to run "
               f"{manifest['run_id']}'s; `ploomber build` reuses what it can.")


COMMANDS = [runs_command, show_command, diff_command, checkout_command, verify_command,
            gc_command, pin_command, tag_command, note_command, apply_command]
