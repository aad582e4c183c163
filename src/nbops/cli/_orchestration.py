"""``nbops export airflow``, ``nbops run open|close``, ``nbops task run``: scheduled runs.

Thin commands over :mod:`nbops.orchestration` (see docs/airflow.md). The three run
commands are what the exported DAG's tasks run on Airflow's workers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nbops.cli._runs import _echo_json, _project, _project_option

_PARAMS_HELP = ("Trigger-time parameters: one JSON object of env.yaml keys joined by dots, "
                "e.g. '{\"model.max_depth\": 5}' (the same for every command of a run).")


@click.group("export")
def export_group() -> None:
    """Write the pipeline for another scheduler."""


@export_group.command("airflow")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The DAG file (default: dags/nbops_<project>.py in the project).")
@click.option("--dag-id", default=None, help="The DAG's id (default: nbops_<project>).")
@click.option("--nbops", "nbops", default=None, metavar="COMMAND",
              help="The nbops command on the workers (default: this environment's).")
@click.option("--project-path", default=None, metavar="PATH",
              help="Where workers have the project's checkout (default: this folder).")
@click.option("--connection", default=None, metavar="CONN_ID",
              help="An Airflow connection holding the S3 remote's credentials (login, "
                   "password, extra endpoint_url); default: the workers' environment.")
@_project_option
def export_airflow_command(output: Path | None, dag_id: str | None, nbops: str | None,
                           project_path: str | None, connection: str | None,
                           project: Path | None) -> None:
    """Write an Apache Airflow DAG: one Airflow task per pipeline task, recorded as one run."""
    from nbops.orchestration import export_airflow

    proj = _project(project)
    path = export_airflow(proj, output, dag_id, nbops, project_path, connection)
    click.echo(f"Wrote {path}: put it in Airflow's dags folder. Workers need the project's "
               "checkout, its environment, the remote's credentials and the team key; "
               "parameters are the DAG's params.")


@click.group("run")
def run_group() -> None:
    """Open or close a run whose tasks a scheduler runs (the exported DAG's first and last)."""


@run_group.command("open")
@click.option("--params", "params_text", default=None, metavar="JSON", help=_PARAMS_HELP)
@click.option("--force", is_flag=True, help="Record the run as forced (every task executed).")
@click.option("--json", "as_json", is_flag=True, help="Print {\"run_id\": …} as JSON.")
@_project_option
def run_open(params_text: str | None, force: bool, as_json: bool, project: Path | None) -> None:
    """Open a run on the team remote and print its id."""
    from nbops.orchestration import open_remote_run, parse_params

    run_id = open_remote_run(_project(project), parse_params(params_text), force=force)
    if as_json:
        _echo_json({"run_id": run_id})
    else:
        click.echo(run_id)


@run_group.command("close")
@click.option("--run", "run_id", required=True, metavar="RUN_ID")
@click.option("--params", "params_text", default=None, metavar="JSON", help=_PARAMS_HELP)
@_project_option
def run_close(run_id: str, params_text: str | None, project: Path | None) -> None:
    """Close the run (gates, registry, pages, seal), push its record; exit 1 unless it
    succeeded."""
    from nbops.orchestration import close_remote_run, parse_params

    closed = close_remote_run(_project(project), run_id, parse_params(params_text))
    click.echo(f"Run {run_id}: {closed.status} (pushed to the team remote).")
    if closed.status != "succeeded" or closed.failure is not None:
        reason = closed.failure or closed.message or f"the run is {closed.status}"
        click.secho(f"Error: {reason}", fg="red", err=True)
        sys.exit(1)


@click.group("task")
def task_group() -> None:
    """Run one task of a run a scheduler opened."""


@task_group.command("run")
@click.argument("name")
@click.option("--run", "run_id", required=True, metavar="RUN_ID")
@click.option("--params", "params_text", default=None, metavar="JSON", help=_PARAMS_HELP)
@click.option("--force", is_flag=True, help="Execute even when inputs and code are unchanged.")
@click.option("--json", "as_json", is_flag=True, help="Print the task's result as JSON.")
@_project_option
def task_run(name: str, run_id: str, params_text: str | None, force: bool, as_json: bool,
             project: Path | None) -> None:
    """Fetch the task's inputs from the remote, run it, push its products; exit 1 if it failed."""
    from nbops.orchestration import parse_params, run_remote_task

    result = run_remote_task(_project(project), run_id, name, parse_params(params_text),
                             force=force)
    if as_json:
        _echo_json(result)
    elif result["status"] == "skipped":
        click.echo(f"Task {name}: up to date (products of run {result['produced_by']}).")
    elif result["status"] == "executed":
        click.echo(f"Task {name}: executed in {result['duration_s']:.1f} s.")
    if result["status"] == "failed":
        click.echo(result["error"] or "", err=True)
        click.secho(f"Error: task {name!r} failed; `nbops run close` records the failed cell "
                    "on the run's page", fg="red", err=True)
        sys.exit(1)

COMMANDS = [export_group, run_group, task_group]
