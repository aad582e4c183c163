"""``nbops check``: say clearly what is wrong with pipeline.yaml or env.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nbops.contracts import JSONObject


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
    from nbops.validation import check_project

    result = check_project(project)
    _check_nbops_sections(result.values)
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
    tasks = f" ({len(result.tasks)} tasks: {', '.join(result.tasks)})" if result.tasks else ""
    click.echo(f"OK: pipeline.yaml{tasks} {env} valid.")


def _check_nbops_sections(env: JSONObject) -> None:
    """The ``gates:``, ``registry:`` and ``reproduce:`` sections, as the build would read them.

    ``env``: env.yaml's values, as :func:`~nbops.validation.check_project` read them. A
    malformed gate is rejected here with the build's own message, not only when a
    build reaches its ``on_render`` hook.
    """
    if env.get("gates") is not None or env.get("registry") is not None:
        from nbops.registry import check_settings

        check_settings(env.get("gates"), env.get("registry"))
    if env.get("reproduce") is not None:
        from nbops.reproduce import parse_declaration

        parse_declaration(env["reproduce"])


COMMANDS = [check]
