"""``nbops reproduce RUN``: re-execute a past run and verify that it reproduces.

Exit codes: 0 reproduced (bit-identical), 3 reproduced within the declared
tolerance, 4 diverged, 1 the run could not be reproduced at all (message).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nbops.app import PublishedReproduction
    from nbops.reproduce import Check, EnvironmentReport

EXIT_CODES = {"reproduced": 0, "within-tolerance": 3, "diverged": 4}
_OUTCOME_COLOURS = {
    "identical": "green",
    "reproduced": "green",
    "within-tolerance": "yellow",
    "diverged": "red",
}


def _announce_to(stream_err: bool) -> Callable[[EnvironmentReport, list[str]], None]:
    """Print the environment comparison before the build (to stderr under --json)."""

    def echo(text: str) -> None:
        click.echo(text, err=stream_err)

    def announce(environment: EnvironmentReport, warnings: list[str]) -> None:
        if environment.differences:
            echo(f"Environment: {len(environment.differences)} difference(s) from the run's:")
            for difference in environment.differences:
                echo(f"  {difference.kind:8} {difference.describe()}")
        else:
            echo("Environment: same packages, Python and platform as the run.")
        echo(f"Lock: {environment.lock.describe()}.")
        for warning in warnings:
            click.secho(f"Warning: {warning}", fg="yellow", err=stream_err)
        echo("Building the run's code in a scratch copy …")

    return announce


@click.command("reproduce")
@click.pass_context
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print the reproduction record as JSON.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse to run when packages, Python, platform or lock differ from the run's.",
)
@click.option("--keep", is_flag=True, help="Keep the scratch copy for inspection.")
@click.option("--timeout", type=float, default=None, help="Give up on the build after SECONDS.")
@click.option("--trust-unsigned", is_flag=True,
              help="Run the code of a run pulled without a verified team-key signature.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project folder (default: found from the current directory).",
)
def reproduce(
    ctx: click.Context,
    run: str,
    as_json: bool,
    strict: bool,
    keep: bool,
    timeout: float | None,
    trust_unsigned: bool,
    project: Path | None,
) -> None:
    """Re-execute RUN from its manifest in a scratch copy and compare it task by task.

    RUN is a run id, a unique prefix, latest or latest~N. Exit code 0 only when
    every product is bit-identical (3: within declared tolerance, 4: diverged).
    """
    from nbops.app import reproduce_and_publish
    from nbops.core import find_project

    found = find_project(project)
    done = reproduce_and_publish(run, found, strict=strict, keep=keep,
                                 timeout=timeout, announce=_announce_to(stream_err=as_json),
                                 trust_unsigned=trust_unsigned)
    notes = _source_notes(found, done.result.run_id)
    if as_json:
        click.echo(json.dumps({**done.record, "report": str(done.page), "sources": notes},
                              indent=2))
    else:
        _echo_tasks(done, notes)
    ctx.exit(EXIT_CODES[done.result.verdict])


def _echo_tasks(done: PublishedReproduction, notes: list[str]) -> None:
    """The reproduction task by task, its verdict and its page, for people."""
    from nbops.reports import verdict_sentence

    result = done.result
    click.echo(
        f"Reproduction of run {result.run_id} (commit {result.code['commit'][:12]}"
        + (", uncommitted diff re-applied" if result.code["diff_applied"] else "")
        + ")"
    )
    for note in notes:
        click.echo(note)
    width = max((len(t.task) for t in result.tasks), default=4)
    for task in result.tasks:
        colour = _OUTCOME_COLOURS.get(task.outcome)
        outcome = click.style(f"{task.outcome:16}", fg=colour)
        click.echo(f"  {task.task:{width}}  {outcome} {task.reason}")
        if task.outcome == "diverged":
            _echo_sides(task.checks, " " * (width + 4))
    click.secho(verdict_sentence(done.record), fg=_OUTCOME_COLOURS.get(result.verdict),
                bold=True)
    click.echo(f"Report: {done.page}")


def _echo_sides(checks: Iterable[Check], indent: str, limit: int = 300) -> None:
    """The two sides of a diverged task's first unacceptable difference, one line each,
    so that a CI log says what differed without the report page (a notebook's output can
    hold terminal escapes: shown, not obeyed)."""
    from nbops.core import printable

    check = next((c for c in checks if not c.acceptable), None)
    if check is None:
        return
    for side, value in (("recorded", check.recorded), ("reproduced", check.reproduced)):
        text = printable(value)
        text = text if len(text) <= limit else text[:limit] + "…"
        click.echo(f"{indent}{side + ':':12}{text}")


def _source_notes(project: Any, run_id: str) -> list[str]:
    """The run's query sources were read from their stored snapshots: say so."""
    from nbops.runs import load_manifest
    from nbops.sources import reproduction_notes

    return reproduction_notes(load_manifest(project, run_id).get("sources"))


COMMANDS = [reproduce]
