"""Keep secret parameters out of the notebooks a run folder shows.

Papermill writes every parameter into the output notebook (the
``injected-parameters`` cell and ``metadata.papermill.parameters``), and a
notebook may print a secret (or a URL carrying a password) in its outputs.
The working product and its stored object keep the real values (``nbops
checkout`` must restore them byte for byte), but the copy linked into
``reports/runs/<run_id>/notebooks/`` — the one reports render, ``publish``
exports and people share — has every secret value replaced by the redaction
marker: in the injected cell, in the Papermill metadata, and in every cell
source and text output (see :func:`nbops.core._secrets.secret_replacements`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from nbops.adapters import is_injected_parameters, papermill_metadata
from nbops.core import redact, scrub, secret_replacements


def _changed_params(params: Mapping[str, object]) -> dict[str, object]:
    changed = {}
    for name, value in params.items():
        clean = redact(value, name)
        if clean != value:
            changed[name] = clean
    return changed


def needs_redaction(params: Mapping[str, object]) -> bool:
    """Whether any parameter value would be redacted."""
    return bool(_changed_params(params))


def redact_notebook(data: bytes, params: Mapping[str, object]) -> bytes | None:
    """A copy of the notebook ``data`` with secret parameter values replaced.

    Returns:
        The redacted notebook, or None when no parameter needed redaction.
    """
    changed = _changed_params(params)
    if not changed:
        return None
    notebook = json.loads(data)
    replacements = secret_replacements(params)
    for cell in notebook.get("cells", []):
        if is_injected_parameters(cell):
            cell["source"] = _redact_injected(cell.get("source", ""), changed)
        if "source" in cell or is_injected_parameters(cell):
            cell["source"] = scrub(cell.get("source", ""), replacements)
        if "outputs" in cell:  # markdown and raw cells have none: never add the key
            cell["outputs"] = [_scrub_output(output, replacements)
                               for output in cell["outputs"]]
    papermill = papermill_metadata(notebook)
    if isinstance(papermill.get("parameters"), dict):
        papermill["parameters"] = redact(papermill["parameters"])
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _redact_injected(source: object, changed: Mapping[str, object]) -> str:
    """The injected cell with each changed parameter's assignment rewritten."""
    text = "".join(source) if isinstance(source, list) else str(source)
    for name, clean in changed.items():
        pattern = re.compile(rf"^(\s*){re.escape(name)}\s*=.*$", re.MULTILINE)
        # \g<1> keeps the indentation; the value is escaped for re's template syntax
        replacement = "\\g<1>" + f"{name} = {clean!r}".replace("\\", "\\\\")
        text = pattern.sub(replacement, text)
    return text


def _scrub_output(output: Any, replacements: dict[str, str]) -> Any:
    """One cell output with secrets replaced in its text (raster images are left alone)."""
    if not isinstance(output, dict):
        return output
    output = dict(output)
    for key in ("text", "evalue", "traceback"):
        if key in output:
            output[key] = scrub(output[key], replacements)
    data = output.get("data")
    if isinstance(data, dict):
        output["data"] = {mime: (value if mime.startswith("image/") and mime != "image/svg+xml"
                                 else scrub(value, replacements))
                          for mime, value in data.items()}
    return output
