"""``nbops check``: say clearly what is wrong with pipeline.yaml or env.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("check")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder holding pipeline.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(project: Path, as_json: bool) -> None:
    """Check pipeline.yaml and env.yaml: YAML syntax, tasks, placeholders."""
    # imported here: nbops.validation loads pandas, and every nbops command
    # imports this module at start-up (`nbops runs` must answer in < 1 s)
    from nbops.validation.config_files import check_project

    result = check_project(project)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": True,
                    "pipeline": str(result.pipeline),
                    "env": None if result.env is None else str(result.env),
                    "tasks": result.tasks,
                    "notes": result.notes,
                },
                indent=2,
            )
        )
        return
    for note in result.notes:
        click.echo(f"note: {note}")
    env = "and env.yaml are" if result.env else "is"
    click.echo(
        f"OK: pipeline.yaml ({len(result.tasks)} tasks: {', '.join(result.tasks)}) {env} valid."
    )


COMMANDS = [check]
