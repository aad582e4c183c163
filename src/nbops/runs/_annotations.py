"""Tags and notes added to a finished run: ``nbops tag RUN key=value``, ``nbops note RUN TEXT``.

A run's record is sealed; these are the two things a person may add to it
afterwards, through the ledger's one amend path (the seal is checked first and
written again). Tags merge into the manifest's ``tags`` (the same labels a sweep
sets, same rules); notes append to ``notes.items`` (``{at, text}``). Both reach
the run index (``tags``, and ``notes`` as one text), so ``nbops runs --where``
finds them (``tags.reviewed == true``, ``"leak" in notes``), and the run page
shows them once the CLI re-renders it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nbops.contracts import Manifest
from nbops.core import ConfigError, Project, utc_now_iso
from nbops.runs._ledger import _amend
from nbops.runs._tags import check_tag

MAX_NOTE = 2000


def parse_tag(text: str) -> tuple[str, str | int | float | bool]:
    """``key=value`` as a tag: numbers and true/false as such, anything else as text.

    Raises:
        ConfigError: no ``=``, a bad name, or a value too long.
    """
    fix = "write tags as key=value, e.g. reviewed=true or owner=ana"
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"tag {text!r} has no '=': it needs a name and a value", fix)
    value: Any = raw.strip()
    if value.lower() in ("true", "false"):
        value = value.lower() == "true"
    else:
        try:
            number = json.loads(value)
        except ValueError:
            number = None
        if isinstance(number, int | float) and not isinstance(number, bool):
            value = number
    return name.strip(), check_tag(name.strip(), value, "nbops tag", fix)


def tag_run(project: Project, run: str, tags: Mapping[str, object]) -> Manifest:
    """Merge ``tags`` into run ``run``'s tags (validated first; nothing written on error)."""
    checked = {name: check_tag(name, value, "nbops tag", "write tags as key=value")
               for name, value in tags.items()}

    def change(manifest: Manifest) -> Manifest:
        manifest["tags"] = {**(manifest.get("tags") or {}), **checked}
        return manifest

    return _amend(project, run, change)


def note_run(project: Project, run: str, text: str) -> Manifest:
    """Append a note to run ``run``.

    Raises:
        ConfigError: an empty note, or one over :data:`MAX_NOTE` characters.
    """
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ConfigError(f"a note must have 1 to {MAX_NOTE} characters (this one has "
                          f"{len(text)})", "write a shorter note, or several")

    def change(manifest: Manifest) -> Manifest:
        notes = manifest.get("notes") or {"items": []}
        notes["items"] = [*notes.get("items", []), {"at": utc_now_iso(), "text": text}]
        manifest["notes"] = notes
        return manifest

    return _amend(project, run, change)


def notes_text(manifest: Manifest) -> str | None:
    """The run's notes as one text for the index (None without notes)."""
    notes = manifest.get("notes")
    items = (notes.get("items") if notes else None) or []
    texts = [str(item.get("text")) for item in items if isinstance(item, dict)]
    return " | ".join(texts) if texts else None
