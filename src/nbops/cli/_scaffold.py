"""``nbops init`` (an existing Ploomber project), ``nbops init ci``, ``nbops new NAME``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import click


class _Written(Protocol):
    """A file a scaffold command wrote (nbops.scaffold's planned writes)."""

    @property
    def path(self) -> Path: ...

    @property
    def description(self) -> str: ...


def _report(root: Path, plan: Sequence[_Written], nothing: str) -> None:
    if not plan:
        click.echo(nothing)
        return
    for write in plan:
        click.echo(f"  wrote {write.path.relative_to(root).as_posix()}: {write.description}")


@click.group("init", invoke_without_command=True)
@click.option("-C", "--project", "project", type=click.Path(file_okay=False, path_type=Path),
              default=".", show_default=True,
              help="Where ploomber build runs (the project is found from there as Ploomber "
                   "finds it).")
@click.option("-e", "--entry-point", "entry_point", default=None,
              help="The pipeline file, or a dotted path to a factory, as for ploomber build.")
@click.option("--registry", is_flag=True,
              help="Also add gates: and registry: sections to env.yaml, checked at on_render.")
@click.option("--executor", is_flag=True,
              help="Also run the pipeline with nbops' executor (fresh kernels started ahead).")
@click.option("--speedups", is_flag=True,
              help="Also add nbops' start-up hooks to this Python environment "
                   "(docs/adopting-nbops.md).")
@click.option("--remove-speedups", is_flag=True,
              help="Only remove nbops' start-up hooks from this Python environment.")
@click.pass_context
def init_command(ctx: click.Context, project: Path, entry_point: str | None, registry: bool,
                 executor: bool, speedups: bool, remove_speedups: bool) -> None:
    """Add nbops to the Ploomber project here: hooks, .gitignore, reports/, lab settings.

    Changes only what is missing (comments and order in pipeline.yaml are kept);
    a second run changes nothing. Afterwards a plain `ploomber build` records runs.
    """
    ctx.obj = {**(ctx.obj or {}), "project": project}
    if ctx.invoked_subcommand is not None:
        return
    if remove_speedups:
        if speedups:
            raise click.UsageError("choose one: --speedups or --remove-speedups")
        _remove_speedups()
        return
    from nbops.scaffold import init_project

    plan = init_project(project, registry=registry, executor=executor, entry_point=entry_point)
    root = plan.root
    _report(root, plan, f"nbops is already set up in {root}: nothing changed.")
    for note in plan.notes:
        click.echo(f"  to do: {note}")
    if plan and plan.factory is not None:
        click.echo(f"nbops is set up in {root}: `ploomber build -e {plan.factory}` records "
                   "runs once the factory sets nbops' hooks (to do above).")
    elif plan:
        click.echo(f"nbops is set up in {root}: `ploomber build` now records runs "
                   "(nbops runs lists them).")
    if speedups:
        _install_speedups()


# `nbops init --speedups` / `--remove-speedups`: the opt-in start-up hooks of the environment.
def _install_speedups() -> None:
    from nbops.runtime.startup_hooks import install_all, site_packages

    for path in install_all():
        click.echo(f"  wrote {path}")
    click.echo(f"nbops' start-up hooks are on in {site_packages()}: every Python process of "
               "this environment runs them (remove: nbops init --remove-speedups).")


def _remove_speedups() -> None:
    from nbops.runtime.startup_hooks import remove_all, site_packages

    removed = remove_all()
    for path in removed:
        click.echo(f"  removed {path}")
    if not removed:
        click.echo(f"no nbops start-up hooks in {site_packages()}: nothing changed.")


@init_command.command("ci")
@click.option("--github", "kind", flag_value="github", help="Write .github/workflows/nbops.yml.")
@click.option("--gitlab", "kind", flag_value="gitlab", help="Write .gitlab-ci.yml.")
@click.option("--force", is_flag=True, help="Replace an existing workflow file.")
@click.pass_context
def init_ci_command(ctx: click.Context, kind: str | None, force: bool) -> None:
    """Write a CI workflow that builds the pipeline and keeps reports/ as an artifact."""
    from nbops.scaffold import write_ci

    if kind is None:
        raise click.UsageError("choose the CI service: nbops init ci --github or --gitlab")
    root = Path(ctx.obj["project"]).resolve()
    write = write_ci(root, kind, force=force)
    if write is None:
        click.echo(f"the {kind} workflow is already up to date in {root}: nothing changed.")
    else:
        _report(root, [write], "")


@click.command("new")
@click.argument("name")
@click.option("--into", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder to create the project in.")
@click.option("--duckdb", "database", is_flag=True,
              help="The first step reads a SQL query's result from a DuckDB database in the "
                   "project (data/warehouse.duckdb; docs/databases.md).")
def new_command(name: str, into: Path, database: bool) -> None:
    """Create a new project NAME that builds out of the box (`cd NAME && ploomber build`)."""
    from nbops.scaffold import new_project

    root = new_project(into, name, database)
    click.echo(f"created {root}: cd {root.name} && ploomber build")


COMMANDS = [init_command, new_command]
