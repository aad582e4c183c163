"""``nbops remote set|show``, ``nbops push``, ``nbops pull``, ``nbops publish --to``.

Thin commands over :mod:`nbops.remote` and :mod:`nbops.sync` (see docs/remote.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nbops.cli._runs import _project, _project_option, _size  # one definition each
from nbops.core import IntegrityError, NbopsError


@click.group("remote")
def remote_group() -> None:
    """Set or show the project's team remote (s3://, gs://, az://, file://)."""


@remote_group.command("set")
@click.argument("url")
@click.option("--auto-push/--no-auto-push", default=None,
              help="Push every build's run when it closes (for CI).")
@click.option("--key", "key", default=None, metavar="KEY",
              help="The team key (from `nbops remote key` on a machine that has it); "
                   "default: keep this machine's, or create one.")
@_project_option
def remote_set(url: str, auto_push: bool | None, key: str | None, project: Path | None) -> None:
    """Record URL as the project's remote in .nbops/remote.yaml (commit that file), and keep
    the team key that signs its registry outside the repository (docs/remote.md)."""
    import os

    from nbops.remote import KEY_ENV, REMOTE_RELPATH, auto_push_enabled, set_remote, store_team_key

    proj = _project(project)
    from_env = bool(os.environ.get(KEY_ENV)) and key is None
    path, wrote = (None, False) if from_env else store_team_key(url, key)  # a bad key: no change
    written = set_remote(proj, url, auto_push=auto_push)
    click.echo(f"Remote set to {written} in {REMOTE_RELPATH} "
               f"(auto push {'on' if auto_push_enabled(proj) else 'off'}); commit that file.")
    if path is None:
        click.echo(f"Team key: from ${KEY_ENV}.")
        return
    if key is not None:
        click.echo(f"Team key stored in {path} (readable by you only).")
    elif wrote:
        click.echo(f"Team key created in {path} (readable by you only). Give it to each "
                   f"teammate and CI job, never through git or the bucket: `nbops remote key` "
                   f"prints it; they run `nbops remote set {written} --key KEY` or set "
                   f"{KEY_ENV}.")
    else:
        click.echo(f"Team key: kept in {path}.")


@remote_group.command("key")
@_project_option
def remote_key(project: Path | None) -> None:
    """Print the team key of the project's remote (to hand to a teammate or a CI secret)."""
    from nbops.core import ConfigError
    from nbops.remote import no_key_fix, require_url, team_key

    url = require_url(_project(project))
    key = team_key(url)
    if key is None:
        raise ConfigError("This machine has no team key for the remote", no_key_fix(url))
    click.echo(key.decode("utf-8"))


@remote_group.command("restore-registry")
@_project_option
def remote_restore_registry(project: Path | None) -> None:
    """Put this machine's registry back on the remote, signed (after a forgery or rollback)."""
    from nbops.registry import restore_remote_registry

    done = restore_remote_registry(_project(project).root)
    click.echo(done[0].upper() + done[1:] + ".")


@remote_group.command("show")
@_project_option
def remote_show(project: Path | None) -> None:
    """Print the remote in use (credentials are never shown or stored)."""
    from nbops.remote import REMOTE_ENV, configured_url, redact_url

    url = configured_url(_project(project))
    import os

    source = f"${REMOTE_ENV}" if os.environ.get(REMOTE_ENV) else ".nbops/remote.yaml"
    click.echo(f"{redact_url(url)} (from {source})" if url else "No remote set.")


def _refused(refused: dict[str, NbopsError], as_json: bool, command: str, verb: str) -> None:
    """Exit 1 when runs were refused: their error as it is (one run) or in one sentence."""
    if not refused:
        return
    if as_json:
        sys.exit(1)  # the JSON printed names them
    if len(refused) == 1:
        raise next(iter(refused.values()))
    raise IntegrityError(
        f"{len(refused)} runs were not {verb}: "
        + "; ".join(f"{run_id}: {exc.problem}" for run_id, exc in refused.items()),
        f"{command} each alone (`nbops {command} RUN`) to see its fix; the others were {verb}")


@click.command("push")
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Push every local run.")
@click.option("--repair", is_flag=True,
              help="Upload every object and file of the runs again, even when the remote "
                   "says they are up to date (the fix for a run damaged on the remote).")
@click.option("--json", "as_json", is_flag=True, help="Report runs, objects and bytes as JSON.")
@_project_option
def push_command(runs: tuple[str, ...], all_runs: bool, repair: bool, as_json: bool,
                 project: Path | None) -> None:
    """Upload RUNs (default: latest) and every object they reference to the remote.

    A run that cannot be pushed is named and the others are pushed (exit 1).
    """
    from nbops.sync import push_runs

    result = push_runs(_project(project), runs, all_runs=all_runs, repair=repair)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"Pushed {len(result.pushed)} run(s) to {result.remote}: "
                   f"{result.objects_uploaded} object(s), {_size(result.bytes_uploaded)} "
                   f"uploaded, {result.objects_present} already there; "
                   f"{len(result.up_to_date)} run(s) already up to date.")
        if result.registry == "published":
            click.echo("The model registry is now shared on the remote (it had none).")
        elif result.registry == "diverged":
            click.echo("Registry not shared: models registered here before the remote was set "
                       "are not in the remote's registry, which is the team's and is kept. Fix: "
                       "run `ploomber build` (nothing retrains) to register this project's "
                       "model there.", err=True)
        for run_id, why in result.skipped.items():
            click.echo(f"  not pushed {run_id}: {why}")
    _refused(result.refused, as_json, "push", "pushed")


@click.command("pull")
@click.argument("runs", nargs=-1)
@click.option("--all", "all_runs", is_flag=True, help="Pull every run on the remote.")
@click.option("--json", "as_json", is_flag=True, help="Report runs, objects and bytes as JSON.")
@_project_option
def pull_command(runs: tuple[str, ...], all_runs: bool, as_json: bool,
                 project: Path | None) -> None:
    """Download RUNs (default: the remote's latest) and their objects, re-hashing every byte."""
    from nbops.app import pull_and_refresh

    result, site_problem = pull_and_refresh(_project(project), runs, all_runs=all_runs)
    if site_problem is not None:
        click.echo(f"nbops: the runs were pulled but the report site was not refreshed "
                   f"({site_problem}); run `nbops report --all`", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"Pulled {len(result.pulled)} run(s) from {result.remote}: "
                   f"{result.objects_downloaded} object(s), {_size(result.bytes_downloaded)}; "
                   f"{len(result.already_here)} already here.")
        for why in result.skipped.values():
            click.echo(f"  {why}", err=True)
        for run_id in result.verified_now:
            click.echo(f"  run {run_id}: its team-key signature now verifies")
        for run_id, why in result.unverified.items():
            click.echo(f"  run {run_id} is unverified ({why}): nbops reproduce and nbops "
                       "apply refuse it until a key holder pushes it again", err=True)
    _refused(result.refused, as_json, "pull", "pulled")


COMMANDS = [remote_group, push_command, pull_command]
