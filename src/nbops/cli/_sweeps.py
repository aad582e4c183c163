"""``nbops sweep``: many runs from one command, over ``env.yaml`` keys.

Thin over :mod:`nbops.sweeps` (the trials) and :mod:`nbops.reports._sweep_page`
(its page); the registry supplies the default objective and, with
``--register best``, gates the best trial's model like any build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbops.core import OPTION_PREFIX, ConfigError, SettingKey

if TYPE_CHECKING:
    from nbops.contracts import SweepRecord


def _fixed_pairs(args: list[str]) -> list[tuple[str, str]]:
    """``--env--model--max_iter 50`` pairs left over by click, as dotted keys."""
    pairs: list[tuple[str, str]] = []
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if not flag.startswith(OPTION_PREFIX) or len(flag) <= len(OPTION_PREFIX):
            raise ConfigError(f"nbops sweep got an unexpected argument {flag!r}",
                              "fix every trial's values with --env--KEY VALUE, as for "
                              "ploomber build (see nbops sweep --help)")
        if not rest:
            raise ConfigError(f"{flag} has no value", f"write {flag} VALUE")
        pairs.append((SettingKey.parse(flag).dotted, rest.pop(0)))
    return pairs


@click.command("sweep", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True})
@click.option("--grid", "grids", multiple=True, metavar="KEY=V1,V2",
              help="Values of an env.yaml key to try, e.g. model.max_depth=3,5 (repeatable).")
@click.option("--param", "params", multiple=True, metavar="KEY=KIND:SPEC",
              help="A range to sample: float:LOW:HIGH[:log], int:LOW:HIGH or choice:A,B.")
@click.option("--sampler", type=click.Choice(["grid", "random", "tpe"]), default=None,
              help="grid (default with only --grid), random (default otherwise), or tpe "
                   "(Optuna; needs nbops[sweep]).")
@click.option("--trials", type=int, default=None,
              help="Trial budget (default: the whole grid).")
@click.option("--objective", default=None,
              help="Metric to optimise (default: the registry's primary metric).")
@click.option("--direction", type=click.Choice(["maximize", "minimize"]), default=None,
              help="Default: the metric's own direction (brier is minimised).")
@click.option("--name", default=None, help="The sweep's name (default: sweep-<time>).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random and tpe samplers.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Trials built side by side, each in its own slot (working folder).")
@click.option("--dask", "dask", default=None, metavar="ADDRESS",
              help="Run the trials on a Dask cluster: 'local' starts one with --workers "
                   "processes on 127.0.0.1; else a scheduler address (workers must see "
                   "the project folder).")
@click.option("--resume", "resume", default=None, metavar="NAME",
              help="Finish sweep NAME: run only its trials that did not finish.")
@click.option("--register", type=click.Choice(["best"]), default=None,
              help="Afterwards, gate the best trial's model and register it as @challenger.")
@click.option("--entry-point", "-e", "pipeline", default="pipeline.yaml", show_default=True,
              help="The pipeline file.")
@click.option("--json", "as_json", is_flag=True, help="Print the sweep record as JSON.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Project folder (default: the one holding pipeline.yaml).")
@click.pass_context
def sweep_command(ctx: click.Context, grids: tuple[str, ...], params: tuple[str, ...],
                  sampler: str | None, trials: int | None, objective: str | None,
                  direction: str | None, name: str | None, seed: int, workers: int,
                  dask: str | None, resume: str | None,
                  register: str | None, pipeline: str, as_json: bool,
                  project_dir: Path | None) -> None:
    """Run a sweep: one ordinary, recorded run per trial, reusing what did not change.

    \b
    nbops sweep --grid model.learning_rate=0.03,0.1 --grid model.max_depth=3,5
    nbops sweep --param model.learning_rate=float:0.01:0.3:log --sampler tpe --trials 12
    nbops sweep --resume NAME
    Every trial runs with --env--registry--promotion never: gates are evaluated and
    recorded, nothing is registered. Fixed overrides: --env--KEY VALUE.
    """
    from nbops.app import SweepOptions, sweep
    from nbops.core import find_project

    options = SweepOptions(pipeline, list(grids), list(params), _fixed_pairs(ctx.args), sampler,
                           trials, objective, direction, name, seed, workers, dask, resume,
                           register == "best")
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    done = sweep(find_project(project_dir), options, echo)
    if as_json:
        click.echo(json.dumps(done.record, indent=2))
    else:
        _echo_summary(done.record, done.page)


def _echo_summary(record: SweepRecord, page: Path) -> None:
    """How many trials finished, the best one, the leaderboard and the page."""
    from nbops.sweeps import finished_trials

    best = record["best"]
    click.echo(f"sweep {record['name']}: {len(finished_trials(record))}/{record['budget']} "
               "trial(s) finished; " + (
                   f"best trial {best['number']}: {record['objective']['metric']} "
                   f"{best['value']:.4f} (run {best['run_id']})" if best
                   else "no trial succeeded"))
    _echo_leaderboard(record)
    click.echo(f"sweep page: {page}")


def _echo_leaderboard(record: SweepRecord) -> None:
    """Best first: rank, trial, the parameters that changed, the objective, the verdict."""
    from nbops.reports import format_value
    from nbops.sweeps import changed_parameters, leaderboard

    trials = leaderboard(record)
    if not trials:
        return
    keys = changed_parameters(record)
    rows = [["#", "trial", *keys, record["objective"]["metric"], "verdict", "run"]]
    for rank, trial in enumerate(trials, 1):
        rows.append([str(rank), str(trial["number"]),
                     *(format_value(trial["params"].get(k)) for k in keys),
                     format_value(trial["value"]), trial["status"], trial["run_id"] or "-"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = {0, 1, len(keys) + 2}
    click.echo("leaderboard (best first):")
    for row in rows:
        click.echo("  " + "  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                                    for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                   .rstrip())


COMMANDS = [sweep_command]
