"""``nbops models`` / ``promote`` / ``rollback`` / ``predict``: the model registry by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import click

if TYPE_CHECKING:
    from nbops.contracts import RegisteredModel

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)


def _root(project: Path | None) -> Path:
    from nbops.registry import find_root

    return find_root(project)


class VersionRow(TypedDict):
    """One registered version as ``nbops models`` lists it (``--json``)."""

    model: str
    version: int
    aliases: list[str]
    registered_at: str
    run_id: str | None
    metrics: dict[str, float]


def _version_rows(name: str, model: RegisteredModel) -> list[VersionRow]:
    aliases: dict[int, list[str]] = {}
    for alias, number in sorted(model["aliases"].items()):
        aliases.setdefault(number, []).append(alias)
    return [
        {"model": name, "version": v["version"], "aliases": aliases.get(v["version"], []),
         "registered_at": v["registered_at"], "run_id": v["run_id"], "metrics": v["metrics"]}
        for v in model["versions"]
    ]


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the registry entries as JSON.")
@click.option("--history", is_flag=True, help="Also list every alias move.")
@_project_option
def models(name: str | None, as_json: bool, history: bool, project: Path | None) -> None:
    """List registered models, their versions and aliases (NAME: one model)."""
    from nbops.registry import get_model, read_registry

    data = read_registry(_root(project))
    chosen = {name: get_model(data, name)} if name else data["models"]
    if as_json:
        click.echo(json.dumps({"schema_version": data["schema_version"], "models": chosen},
                              indent=2))
        return
    if not chosen:
        click.echo("No models registered yet: a passing `ploomber build` registers the first.")
        return
    header = f"{'MODEL':<12} {'VER':>3}  {'ALIASES':<22} {'REGISTERED':<20} {'ROC_AUC':>7}  RUN"
    click.echo(header)
    for model_name, model in chosen.items():
        for row in _version_rows(model_name, model):
            auc = row["metrics"].get("roc_auc")
            click.echo(
                f"{model_name:<12} {row['version']:>3}  "
                f"{','.join('@' + a for a in row['aliases']) or '-':<22} "
                f"{row['registered_at'][:19]:<20} "
                f"{'-' if auc is None else f'{auc:.4f}':>7}  {row['run_id'] or '-'}"
            )
        if history:
            for move in model["history"]:
                click.echo(
                    f"  {move['at'][:19]}  @{move['alias']}: {move['from']} -> {move['to']}  "
                    f"({move.get('action', 'promote')}) {move['reason']}"
                )


@click.command()
@click.argument("model")
@click.argument("version", type=int)
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", required=True, help="Why (recorded in the alias history).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def promote(model: str, version: int, alias: str, reason: str, as_json: bool,
            project: Path | None) -> None:
    """Point MODEL@ALIAS at VERSION (recorded with time, reason and command)."""
    from nbops.app import promote_alias

    command = ("nbops", "promote", model, str(version), "--alias", alias, "--reason", reason)
    move = promote_alias(_root(project), model, version, alias, reason, command)
    _echo_notes(move.notes)
    was = "nothing" if move.previous is None else f"version {move.previous}"
    if as_json:
        click.echo(json.dumps({"ok": True, "model": model, "alias": alias, "version": version,
                               "previous": move.previous}))
        return
    click.echo(f"{model}@{alias} -> version {version} (was {was})")


def _echo_notes(notes: list[str]) -> None:
    """What a move did not bring up to date (the card, the site): the move stands."""
    for note in notes:
        click.echo(f"Warning: {note}", err=True)


@click.command()
@click.argument("model")
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", default="rolled back with nbops rollback", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def rollback(model: str, alias: str, reason: str, as_json: bool, project: Path | None) -> None:
    """Move MODEL@ALIAS back to the version it pointed to before."""
    from nbops.app import roll_back_alias

    command = ("nbops", "rollback", model, "--alias", alias, "--reason", reason)
    move = roll_back_alias(_root(project), model, alias, reason, command)
    _echo_notes(move.notes)
    if as_json:
        click.echo(json.dumps({"ok": True, "model": model, "alias": alias,
                               "from": move.previous, "to": move.current}))
        return
    click.echo(f"{model}@{alias} rolled back: version {move.previous} -> version {move.current}")


@click.command()
@click.argument("ref", metavar="MODEL[@ALIAS|:VERSION]")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
              help="Where to write the scores (.csv or .parquet).")
@click.option("--threshold", default=0.5, show_default=True, type=float,
              help="Score at or above which `prediction` is 1.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@_project_option
def predict(ref: str, input_path: Path, output: Path, threshold: float, as_json: bool,
            project: Path | None) -> None:
    """Score INPUT with a registered model; adds `score` and `prediction` columns.

    INPUT is in the raw format the model was trained from: the input preparation
    registered with it (blank strings missing, text to numbers) is applied first.
    """
    from nbops.app import score_file

    done = score_file(_root(project), ref, input_path, output, threshold)
    for note in done.warnings:
        click.echo(f"Warning: {note}", err=True)
    if as_json:
        click.echo(json.dumps({"ok": True, "model": done.label, "rows": done.rows,
                               "output": str(output), "warnings": done.warnings}))
        return
    click.echo(f"Scored {done.rows} rows with {done.label} -> {output}")


COMMANDS = [models, promote, rollback, predict]
