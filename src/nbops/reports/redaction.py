"""Keep secrets that the ledger redacted out of notebook reports.

The ledger stores each task's resolved parameters in the manifest with secret
values replaced by a marker, but the executed notebook still holds the raw
value in the cell Ploomber injected. Before a notebook is rendered, every
injected string parameter whose manifest value differs from the notebook's
value is treated as a secret: its raw text is replaced by the manifest's
marker in every cell source and every text output of the notebook.
"""

from __future__ import annotations

import ast
from typing import Any

INJECTED_TAG = "injected-parameters"


def injected_literals(source: str) -> dict[str, Any]:
    """Return ``name -> value`` for the literal assignments of an injected cell.

    Non-literal assignments (Ploomber injects ``product`` and ``upstream`` as
    dicts of strings, which are literals too) that cannot be evaluated are
    skipped rather than guessed.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return values


def secret_replacements(nb: Any, recorded: dict[str, Any] | None) -> dict[str, str]:
    """Map raw secret strings found in ``nb``'s injected cell to their markers.

    Args:
        nb: the notebook node.
        recorded: the task's parameters as the manifest recorded them (redacted).
    """
    if not recorded:
        return {}
    replacements: dict[str, str] = {}
    for cell in nb.cells:
        if INJECTED_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for name, raw in injected_literals(cell.source).items():
            if name not in recorded or not isinstance(raw, str) or not raw:
                continue
            marker = recorded[name]
            if marker != raw:
                replacements[raw] = str(marker)
    return replacements


def _scrub(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, str):
        for raw, marker in replacements.items():
            value = value.replace(raw, marker)
        return value
    if isinstance(value, list):
        return [_scrub(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, replacements) for key, item in value.items()}
    return value


def redact_notebook(nb: Any, replacements: dict[str, str]) -> None:
    """Replace every secret in cell sources and outputs, in place."""
    if not replacements:
        return
    for cell in nb.cells:
        cell.source = _scrub(cell.source, replacements)
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback"):
                if key in output:
                    output[key] = _scrub(output[key], replacements)
            data = output.get("data")
            if data:
                for mime in list(data):
                    if not mime.startswith("image/") or mime == "image/svg+xml":
                        data[mime] = _scrub(data[mime], replacements)
