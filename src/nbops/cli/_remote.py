"""``nbops remote set|show``, ``nbops push``, ``nbops pull``, ``nbops publish --to``.

Thin commands over :mod:`nbops.remote` and :mod:`nbops.sync` (see docs/remote.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from nbops.cli._runs import _project, _project_option, _size  # one definition each


@click.group("remote")
def remote_group() -> None:
    """Set or show the project's team remote (s3://, gs://, az://, file://)."""


@remote_group.command("set")
@click.argument("url")
@click.option("--auto-push/--no-auto-push", default=None,
              help="Push every build's run when it closes (for CI).")
@_project_option
def remote_set(url: str, auto_push: bool | None, project: Path | None) -> None:
    """Record URL as the project's remote in .nbops/remote.yaml (commit that file)."""
    from nbops.remote import REMOTE_RELPATH, auto_push_enabled, set_remote

    proj = _project(project)
    written = set_remote(proj, url, auto_push=auto_push)
    click.echo(f"Remote set to {written} in {REMOTE_RELPATH} "
               f"(auto push {'on' if auto_push_enabled(proj) else 'off'}); commit that file.")


@remote_group.command("show")
@_project_option
def remote_show(project: Path | None) -> None:
    """Print the remote in use (credentials are never shown or stored)."""
    from nbops.remote import REMOTE_ENV, configured_url, redact_url

    url = configured_url(_project(project))
    import os

    source = f"${REMOTE_ENV}" if os.environ.get(REMOTE_ENV) else ".nbops/remote.yaml"
    click.echo(f"{redact_url(url)} (from {source})" if url else "No remote set.")


@click.command("push")
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Push every local run.")
@click.option("--json", "as_json", is_flag=True, help="Report runs, objects and bytes as JSON.")
@_project_option
def push_command(runs: tuple[str, ...], all_runs: bool, as_json: bool,
                 project: Path | None) -> None:
    """Upload RUNs (default: latest) and every object they reference to the remote."""
    from nbops.sync import push_runs

    result = push_runs(_project(project), runs, all_runs=all_runs)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(f"Pushed {len(result.pushed)} run(s) to {result.remote}: "
               f"{result.objects_uploaded} object(s), {_size(result.bytes_uploaded)} uploaded, "
               f"{result.objects_present} already there; "
               f"{len(result.up_to_date)} run(s) already up to date.")
    if result.registry == "published":
        click.echo("The model registry is now shared on the remote (it had none).")
    elif result.registry == "diverged":
        click.echo("Registry not shared: models registered here before the remote was set "
                   "are not in the remote's registry, which is the team's and is kept. Fix: "
                   "run `ploomber build` (nothing retrains) to register this project's model "
                   "there.", err=True)
    for run_id, why in result.skipped.items():
        click.echo(f"  not pushed {run_id}: {why}")


@click.command("pull")
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Pull every run on the remote.")
@click.option("--json", "as_json", is_flag=True, help="Report runs, objects and bytes as JSON.")
@_project_option
def pull_command(runs: tuple[str, ...], all_runs: bool, as_json: bool,
                 project: Path | None) -> None:
    """Download RUNs (default: the remote's latest) and their objects, re-hashing every byte."""
    from nbops.sync import pull_runs

    result = pull_runs(_project(project), runs, all_runs=all_runs)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(f"Pulled {len(result.pulled)} run(s) from {result.remote}: "
               f"{result.objects_downloaded} object(s), {_size(result.bytes_downloaded)}; "
               f"{len(result.already_here)} already here.")


COMMANDS = [remote_group, push_command, pull_command]
