"""Terminal output shared by the commands: rich tables, colour only where it belongs.

Colour is on for a terminal and off when stdout is a pipe or a file, or when
``NO_COLOR`` is set (rich follows https://no-color.org); the width is the
terminal's, or 160 columns when stdout is not a terminal, so a saved table is
not wrapped at 80.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click


def console() -> Any:
    """A rich Console writing to the current sys.stdout (so CliRunner captures it)."""
    from rich.console import Console

    stream = sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return Console(file=stream, width=None if tty else 160, force_terminal=tty or None,
                   no_color=bool(os.environ.get("NO_COLOR")) or not tty,
                   highlight=False, soft_wrap=False)


def echo_rich(renderable: Any) -> None:
    """Print a rich renderable (table, group) on stdout."""
    console().print(renderable)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (non-ASCII kept)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
