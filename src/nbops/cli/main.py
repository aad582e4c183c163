"""Entry point of the ``nbops`` command.

Commands live in one module per feature (``nbops.cli.<feature>``), each exposing
``COMMANDS``: a list of click commands. They are listed here (a module is imported
when one of its commands runs), and every
expected error (:class:`nbops.core._errors.NbopsError`) is printed as one clear
message without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys

import click

from nbops.core import NbopsError

# Feature command modules and the commands each defines (its ``COMMANDS``), so that
# a command imports its own module only: `nbops serve-model` then loads no runs,
# reports or sweep commands before its first answer. `nbops --help` imports them all.
# tests/nbops/cli/test_lazy_commands.py keeps this list equal to the modules' COMMANDS.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "nbops.cli._cards": ("card",),
    "nbops.cli._check": ("check",),
    "nbops.cli._lab": ("lab",),
    "nbops.cli._monitor": ("monitor",),
    "nbops.cli._orchestration": ("export", "run", "task"),
    "nbops.cli._registry": ("models", "promote", "rollback", "predict"),
    "nbops.cli._remote": ("remote", "push", "pull"),
    "nbops.cli._reports": ("report", "publish", "serve", "summary", "compare"),
    "nbops.cli._reproduce": ("reproduce",),
    "nbops.cli._runs": ("runs", "show", "diff", "checkout", "verify", "gc", "pin", "tag",
                        "note", "apply"),
    "nbops.cli._sweeps": ("sweep",),
    "nbops.cli._scaffold": ("init", "new"),
    "nbops.cli._serving": ("serve-model", "feedback"),
    "nbops.cli._watch": ("watch",),
}


class _LazyGroup(click.Group):
    """A group that imports a command's module when that command is looked up."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module, names in COMMAND_MODULES.items():
                if cmd_name in names:
                    self.load(module)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in COMMAND_MODULES:
            self.load(module)
        return super().list_commands(ctx)

    def load(self, module: str) -> None:
        """Add the commands of ``module`` (``nbops.cli._<feature>``)."""
        for command in getattr(importlib.import_module(module), "COMMANDS", ()):
            self.add_command(command)


@click.group(cls=_LazyGroup)
@click.version_option(package_name="nbops")
@click.option("--verbose", is_flag=True, help="Show tracebacks for expected errors too.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """nbops: run ledger, reports, registry and monitoring for notebook pipelines."""
    ctx.obj = {"verbose": verbose}


def error_json(exc: BaseException) -> str:
    """An error as the JSON object ``--json`` promises: ``{"ok": false, "error": {...}}``."""
    if isinstance(exc, NbopsError):
        error = {"type": type(exc).__name__, "problem": exc.problem, "fix": exc.fix,
                 "message": exc.message}
    else:
        text = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        error = {"type": "UsageError", "problem": text, "fix": "see nbops COMMAND --help",
                 "message": text}
    return json.dumps({"ok": False, "error": error}, ensure_ascii=False)


#: Disk errors a user can fix, and the fix; any other OSError is a bug and keeps its traceback.
_DISK_FIXES = {
    errno.ENOSPC: "free some disk space (or run `nbops gc --keep N`), then run the command again",
    errno.EDQUOT: "free some space within your disk quota, then run the command again",
    errno.EROFS: "run nbops where the project folder is writable",
    errno.EACCES: "check the permissions of that path",
    errno.EIO: "check the disk (input/output error), then run the command again",
}


def disk_error_message(exc: OSError) -> str | None:
    """One sentence for a disk error (full disk, read-only, permissions), or None."""
    fix = _DISK_FIXES.get(exc.errno or 0)
    if fix is None:
        return None
    where = f" while writing {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or os.strerror(exc.errno or 0)}{where}. Fix: {fix}"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; expected errors exit 1 with a one-line message.

    With ``--json`` the error is also printed on stdout as a JSON object, so a
    script reading stdout always gets JSON, success or not.
    """
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
    # ploomber-core checks PyPI for a newer version whenever it logs, stats on or off
    os.environ.setdefault("PLOOMBER_VERSION_CHECK_DISABLED", "true")
    args = argv if argv is not None else sys.argv[1:]
    as_json = "--json" in args
    try:
        # Without standalone mode, click returns (not raises) a command's ctx.exit(code).
        code = cli.main(args=argv, prog_name="nbops", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if as_json:
            click.echo(error_json(exc))
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except NbopsError as exc:
        if "--verbose" in args:
            raise
        if as_json:
            click.echo(error_json(exc))
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)
    except OSError as exc:
        _exit_on_disk_error(exc, args, as_json)
    if isinstance(code, int) and code:
        sys.exit(code)


def _exit_on_disk_error(exc: OSError, args: list[str], as_json: bool) -> None:
    """A full or read-only disk as one sentence (exit 1); any other OSError is a bug."""
    message = disk_error_message(exc)
    if message is None or "--verbose" in args:
        raise exc
    if as_json:
        click.echo(json.dumps({"ok": False, "error": {
            "type": "DiskError", "problem": message, "fix": None, "message": message}},
            ensure_ascii=False))
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)
