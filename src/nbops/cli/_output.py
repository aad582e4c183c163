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


#: Above this many rows a table is printed by :func:`echo_columns`, not rich: rich
#: measures and wraps every cell (about 0.6 ms a row here), so ``nbops runs --remote``
#: over 10,000 runs spent 6 s in rich alone; the plain columns take 0.1 s.
RICH_ROWS = 1000


def echo_columns(headers: list[str], rows: list[list[str]], right: set[int],
                 statuses: dict[str, str] | None = None) -> None:
    """Print a table as aligned plain columns (two spaces apart), cut to the width.

    ``right`` holds the indexes of right-aligned columns; the last column is cut with
    an ellipsis to fit the terminal (160 columns when stdout is not a terminal).
    ``statuses`` colours a column-2 word on a terminal (``{"failed": "red"}``).
    """
    import shutil

    stream = sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((160, 24)).columns if tty else 160
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    head = sum(widths[:-1]) + 2 * (len(widths) - 1)
    last = max(len(headers[-1]), width - head)

    def line(cells: list[str], colour: bool) -> str:
        parts = []
        for i, cell in enumerate(cells[:-1]):
            padded = cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            if colour and statuses and i == 1 and cell.split(" ")[0] in statuses:
                padded = padded.replace(cell, click.style(cell, fg=statuses[cell.split(" ")[0]]), 1)
            parts.append(padded)
        tail = cells[-1] if len(cells[-1]) <= last else cells[-1][:last - 1] + "\u2026"
        return "  ".join([*parts, tail]).rstrip()

    out = [click.style(line(headers, False), bold=True) if tty else line(headers, False)]
    out += [line(r, tty) for r in rows]
    click.echo("\n".join(out))


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (non-ASCII kept)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
