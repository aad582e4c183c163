"""printable() (nbops.core._terminal_text): control and text-reordering characters are
shown as escapes, nothing else changes; `nbops show`'s section tables print a hostile gate
as text."""

from __future__ import annotations

import io

import pytest

from nbops.core import printable


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2J\x1b[31mred\x07", "\\x1b[2Jred".replace("red", "\\x1b[31mred\\x07")),
    ("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"),
    ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
    ("rev\u202eersed\u2066\u200b\ufeff", "rev\\u202eersed\\u2066\\u200b\\ufeff"),
    ("lone \udcff", "lone \\udcff"),
])
def test_control_characters_are_escaped(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert printable(shown) == shown  # already printable: unchanged


@pytest.mark.parametrize("text", ["roc_auc", "précision 日本 ✓", "[/bold] [red]x", "a\\x1b", ""])
def test_printable_text_is_unchanged(text: str) -> None:
    assert printable(text) == text
    assert printable(3.5) == "3.5"


def test_a_hostile_gate_in_show_tables_is_text_not_markup_or_escapes() -> None:
    from rich.console import Console

    from nbops.reports import section_tables

    manifest = {"gates": {"verdict": "failed\x1b[2J", "results": [
        {"name": "[/bold]\x1b]8;;http://evil\x07x", "verdict": "failed", "value": 0.1,
         "threshold": 0.5, "detail": "\u202eoops"}]}}
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=200).print(section_tables(manifest, ["gates"]))
    shown = out.getvalue()
    assert "[/bold]\\x1b]8;;http://evil\\x07x" in shown and "\\u202eoops" in shown
    assert "failed\\x1b[2J" in shown
    assert "\x1b[2J" not in shown and "\x07" not in shown and "\u202e" not in shown
