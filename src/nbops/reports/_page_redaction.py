"""Keep secrets that the ledger redacted out of notebook reports.

The ledger stores each task's resolved parameters in the manifest with secret
values replaced by a marker, but the executed notebook still holds the raw
value in the cell Ploomber injected (unless the ledger redacted its copy too).
Before a notebook is rendered, every injected string value (at any depth in
dicts and lists) whose manifest counterpart differs is treated as a secret:
its raw text is replaced by the manifest's marker in every cell source and
every text output of the notebook.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from nbops.adapters import is_injected_parameters
from nbops.core import scrub
from nbops.core import secret_replacements as _value_secrets


def injected_literals(source: str) -> dict[str, object]:
    """Return ``name -> value`` for the literal assignments of an injected cell.

    Non-literal assignments (Ploomber injects ``product`` and ``upstream`` as
    dicts of strings, which are literals too) that cannot be evaluated are
    skipped rather than guessed.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return values


def secret_replacements(nb: Any, recorded: Mapping[str, object] | None) -> dict[str, str]:
    """Map raw secret strings found in ``nb``'s injected cell to their markers.

    Args:
        nb: the notebook node.
        recorded: the task's parameters as the manifest recorded them (redacted).
    """
    if not recorded:
        return {}
    replacements: dict[str, str] = {}
    for cell in nb.cells:
        if not is_injected_parameters(cell):
            continue
        for name, raw in injected_literals(cell.source).items():
            if name in recorded:
                _collect(raw, recorded[name], replacements)
    return replacements


def _collect(raw: object, recorded: object, replacements: dict[str, str]) -> None:
    """Pair raw strings with the redacted values recorded in their place, at any depth."""
    if isinstance(raw, dict) and isinstance(recorded, dict):
        for key, value in raw.items():
            if key in recorded:
                _collect(value, recorded[key], replacements)
    elif isinstance(raw, list | tuple) and isinstance(recorded, list | tuple):
        for value, kept in zip(raw, recorded, strict=False):
            _collect(value, kept, replacements)
    elif isinstance(raw, str) and raw and isinstance(recorded, str) and recorded != raw:
        replacements[raw] = recorded
        replacements.update(_value_secrets(raw))


def redact_notebook(nb: Any, replacements: dict[str, str]) -> None:
    """Replace every secret in cell sources and outputs, in place."""
    if not replacements:
        return
    for cell in nb.cells:
        cell.source = scrub(cell.source, replacements)
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback"):
                if key in output:
                    output[key] = scrub(output[key], replacements)
            data = output.get("data")
            if data:
                for mime in list(data):
                    if not mime.startswith("image/") or mime == "image/svg+xml":
                        data[mime] = scrub(data[mime], replacements)
