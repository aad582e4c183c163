"""Entry point of the ``nbops`` command.

Commands live in one module per feature (``nbops.cli.<feature>``), each exposing
``COMMANDS``: a list of click commands. They are registered here, and every
expected error (:class:`nbops.core.errors.NbopsError`) is printed as one clear
message without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from nbops.core.errors import NbopsError

# Feature command modules, in the order they appear in --help. Each feature
# adds its module here when it lands.
COMMAND_MODULES: tuple[str, ...] = (
    "nbops.cli.check",
    "nbops.cli.lab",
    "nbops.cli.monitor",
    "nbops.cli.registry",
    "nbops.cli.reports",
    "nbops.cli.reproduce",
    "nbops.cli.runs",
    "nbops.cli.serving",
)


@click.group()
@click.version_option(package_name="nbops")
@click.option("--verbose", is_flag=True, help="Show tracebacks for expected errors too.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """nbops: run ledger, reports, registry and monitoring for notebook pipelines."""
    ctx.obj = {"verbose": verbose}


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; expected errors exit 1 with a one-line message."""
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
    try:
        # Without standalone mode, click returns (not raises) a command's ctx.exit(code).
        code = cli.main(args=argv, prog_name="nbops", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except NbopsError as exc:
        if "--verbose" in (argv if argv is not None else sys.argv[1:]):
            raise
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)
