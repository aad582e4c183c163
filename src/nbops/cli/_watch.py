"""``nbops watch [RUN]``: follow a running build from any terminal.

Thin over :func:`nbops.reports.follow_run`, which reads the ledger (the run's
manifest and ``live.json``), not the build's output: the build may have been
started by another process. Ctrl-C stops watching only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from nbops.core import LedgerError

_WORDS = {"running": "started", "executed": "executed", "skipped": "reused",
          "failed": "failed", "not_run": "not run"}


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at))


def _line(event: Any, width: int) -> str:
    from nbops.core import printable

    if event.kind == "closing":
        return (f"{_clock(event.at)}  {'':<{width}}  notebooks done; closing (gates, "
                "registry, pages)")
    word = _WORDS.get(event.state, event.state)
    took = f" in {event.seconds:.1f} s" if event.seconds is not None else ""
    return f"{_clock(event.at)}  {printable(event.name):<{width}}  {word}{took}"


@click.command("watch")
@click.argument("run", required=False)
@click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Project folder (default: the one holding pipeline.yaml "
              "above the current folder).")
@click.option("--interval", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
              help="Seconds between two looks at the ledger.")
def watch_command(run: str | None, project: Path | None, interval: float) -> None:
    """Follow RUN (default: the running sweep, else the newest running build) to its end.

    Prints each task as it starts and ends, then the build's verdict block, and
    exits with the build's own outcome (0 only when it succeeded). RUN may name a
    sweep: then each trial as it starts and ends, the leaderboard, and 0 once every
    trial ended. Works on a build or sweep started anywhere on this machine; Ctrl-C
    stops watching, not the build.
    """
    from nbops.core import find_project
    from nbops.reports import running_run
    from nbops.runs import resolve_run
    from nbops.sweeps import running_sweep, sweep_exists

    proj = find_project(project)
    sweep = running_sweep(proj) if run is None else _sweep_named(proj, run, sweep_exists)
    if sweep is not None:
        _watch_sweep(proj, sweep, interval)
        return
    run_id = resolve_run(proj, run) if run else running_run(proj)
    if run_id is None:
        raise LedgerError("No build is running in this project",
                          "start one (`ploomber build`), or name a run: `nbops watch RUN`")
    _watch_run(proj, run_id, interval)


def _watch_run(proj: Any, run_id: str, interval: float) -> None:
    """Print the run's tasks as they start and end, then its verdict; exit with its outcome."""
    from nbops.reports import (
        build_summary,
        follow_run,
        list_summaries,
        summary_text,
        use_colour,
        watch_exit_code,
    )
    from nbops.runs import load_manifest

    manifest = load_manifest(proj, run_id)
    width = max([len(name) for name in manifest.get("tasks") or {}] + [8])
    last = None
    try:
        if manifest["status"] in ("running", "closing"):
            click.echo(f"Watching run {run_id} (Ctrl-C stops watching; the build goes on)")
        for event in follow_run(proj, run_id, poll_s=interval):
            last = event
            if event.kind in ("task", "closing"):
                click.echo(_line(event, width))
    except KeyboardInterrupt:
        click.echo(f"\nStopped watching run {run_id}; its build goes on "
                   f"(`nbops watch {run_id}` to follow it again).", err=True)
        sys.exit(130)
    assert last is not None and last.manifest is not None
    if last.kind == "dead":
        click.secho(f"The build of run {run_id} stopped before the run was finished (its "
                    "process is gone); `nbops runs` records it as interrupted.", fg="red",
                    err=True)
        sys.exit(1)
    summary = build_summary(last.manifest, proj.run_dir(run_id), list_summaries(proj.reports_dir))
    click.echo(summary_text(summary, colour=use_colour(sys.stdout)), nl=False)
    sys.exit(watch_exit_code(last))


def _sweep_named(proj: Any, name: str, exists: Any) -> str | None:
    """``name`` if it names a sweep of the project (a run reference like ``latest~1``
    cannot)."""
    from nbops.core import ConfigError

    try:
        return name if exists(proj, name) else None
    except ConfigError:
        return None


def _watch_sweep(proj: Any, name: str, interval: float) -> None:
    from nbops.cli._sweeps import _echo_leaderboard
    from nbops.core import printable
    from nbops.sweeps import follow_sweep, sweep_exit_code

    last = None
    try:
        click.echo(f"Watching sweep {printable(name)} (Ctrl-C stops watching; the sweep goes on)")
        for event in follow_sweep(proj, name, poll_s=interval):
            last = event
            if event.trial is None:
                continue
            trial = event.trial
            label = f"trial {trial['number']}"
            if event.kind == "started":
                params = " ".join(f"{k}={v}" for k, v in trial["params"].items())
                click.echo(f"{_clock(event.at)}  {label}  started: {printable(params)}")
            else:
                value = "-" if trial["value"] is None else f"{trial['value']:.4f}"
                click.echo(f"{_clock(event.at)}  {label}  {trial['status']}: "
                           f"{trial['run_id'] or '-'} {value}")
    except KeyboardInterrupt:
        click.echo(f"\nStopped watching sweep {printable(name)}; it goes on.", err=True)
        sys.exit(130)
    assert last is not None and last.record is not None
    _echo_leaderboard(last.record)
    click.echo(f"sweep page: {proj.relative(proj.reports_dir / 'sweeps' / name / 'index.html')}")
    sys.exit(sweep_exit_code(last.record))


COMMANDS = [watch_command]
