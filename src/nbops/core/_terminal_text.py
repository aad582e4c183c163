"""User strings made safe to print on a terminal: control characters shown, not obeyed.

A metric name, gate name or error message comes from a notebook or a file anyone
can write.  Printed raw, ``\\x1b[2J`` clears the reader's screen, ``\\x1b]8;;…``
plants a link, ``\\x07`` rings the bell and U+202E reverses the rest of the line.
:func:`printable` writes every such character as its Python escape (``\\x1b``,
``\\u202e``), as ``repr`` would, and leaves the rest of the text as it was.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters (newline and tab too: one value stays one line), DEL,
#: lone surrogates, and the invisible characters that reorder or hide text (bidi
#: embeddings, overrides and isolates, zero-width marks).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufeff]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``str(text)`` with every control or text-reordering character written as its escape."""
    return _UNSAFE.sub(_escaped, str(text))
